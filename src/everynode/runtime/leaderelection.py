"""Leader election on a ``coordination.k8s.io/v1`` Lease, with client-go's semantics
(``tools/leaderelection``), so that several controller-managers can run and exactly one acts.

Every candidate tries, every ``retry_period`` (jittered up to ``jitter_factor`` x more), to acquire the
Lease: GET it; create it if it is missing; take it over with a PUT that carries the resourceVersion (so
that of two racing candidates exactly one wins) when it is free or expired. *Expired* is judged as
client-go judges it: by when **this** process last saw the Lease's spec change, on its own monotonic
clock, plus the holder's ``leaseDurationSeconds``. Remote timestamps are never compared with local
ones, so clock skew between machines does not matter.

The leader runs its work as a task and renews the Lease every ``retry_period``. A renewal round that has
not succeeded within ``renew_deadline`` means leadership is lost: the work is cancelled and ``run``
raises ``LeadershipLost`` (the process should exit, as kube-controller-manager does). Because
``renew_deadline < lease_duration``, the old leader has stopped before any other candidate can see the
Lease as expired.

On a clean stop (``run`` cancelled, or the work returning or raising) the Lease is released when
``release_on_cancel`` is set: ``holderIdentity`` becomes empty and ``leaseDurationSeconds`` 1, so the
next candidate takes over at its next attempt instead of waiting out the lease.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from everynode.client.rest import RestClient
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.clock import Clock, RealClock
from everynode.core.timestamps import format_micro_time
from everynode.core.types import Obj

log = logging.getLogger(__name__)
T = TypeVar("T")

JITTER_FACTOR = 1.2  # client-go's JitterFactor for acquisition attempts
RELEASED_LEASE_SECONDS = 1  # what a released Lease announces, so that candidates need not wait


class LeadershipLost(Exception):
    """The Lease could not be renewed within ``renew_deadline``, or another candidate holds it now."""


def default_identity() -> str:
    """``<hostname>_<uuid4>``, as kube-controller-manager builds its identity."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderElectionConfig:
    lease_name: str
    lease_namespace: str = wellknown.KUBE_SYSTEM
    identity: str = field(default_factory=default_identity)
    lease_duration: float = 15.0  # how long a candidate waits, after it last saw the Lease change
    renew_deadline: float = 10.0  # how long the leader keeps retrying a renewal before it gives up
    retry_period: float = 2.0  # between attempts (acquiring, and renewing)
    release_on_cancel: bool = True  # release the Lease when leading stops cleanly
    jitter_factor: float = JITTER_FACTOR  # acquisition waits retry_period x [1, 1 + jitter_factor]

    def __post_init__(self) -> None:
        if not self.lease_name:
            raise ValueError("leader election: the lease name must not be empty")
        if not self.identity:
            raise ValueError("leader election: the identity must not be empty")
        if self.retry_period <= 0 or self.jitter_factor < 0:
            raise ValueError("leader election: retry_period must be > 0 and jitter_factor >= 0")
        if self.lease_duration < 1:
            raise ValueError("leader election: lease_duration must be at least 1 second")
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("leader election: lease_duration must be greater than renew_deadline")
        if self.renew_deadline <= max(1.0, self.jitter_factor) * self.retry_period:
            raise ValueError("leader election: renew_deadline must be greater than retry_period x jitter")

    @property
    def lease_duration_seconds(self) -> int:
        """What the Lease announces (an integer, as the API wants it)."""
        return max(1, int(self.lease_duration))

    @property
    def description(self) -> str:
        return f"{self.lease_namespace}/{self.lease_name}"


class LeaderElector:
    """One candidate for one Lease. ``run`` returns (or raises) when this candidate stops leading."""

    def __init__(
        self, client: RestClient, config: LeaderElectionConfig, *, clock: Clock | None = None
    ) -> None:
        self.config = config
        self._leases = client.resource(r.LEASES)
        self._clock: Clock = clock or RealClock()
        self._lease: Obj | None = None  # the Lease as last read or written (its resourceVersion with it)
        self._observed: Obj = {}  # the spec last seen, and when (our monotonic clock) it last changed
        self._observed_time = -math.inf
        self._reported_holder: str | None = None
        self._leading = False

    @property
    def identity(self) -> str:
        return self.config.identity

    @property
    def is_leader(self) -> bool:
        """True from acquiring the Lease until leading stops (lost, released, or run ended)."""
        return self._leading

    @property
    def observed_holder(self) -> str:
        """The holder of the Lease as last seen ("" when free or never seen)."""
        return str(self._observed.get("holderIdentity") or "")

    # -- the loop ----------------------------------------------------------------------------------

    async def run(self, on_started_leading: Callable[[], Awaitable[None]]) -> None:
        """Wait to become leader, then run ``on_started_leading()`` while renewing the Lease.

        Returns when the work returns; raises what the work raises; raises ``LeadershipLost`` (after
        cancelling the work) when the Lease cannot be renewed. Cancelling ``run`` cancels the work and,
        when ``release_on_cancel`` is set and we lead, releases the Lease.
        """
        await self._acquire()
        work: asyncio.Future[None] = asyncio.ensure_future(on_started_leading())
        renewing = asyncio.create_task(self._renew(), name=f"renew lease {self.config.description}")
        try:
            await asyncio.wait({work, renewing}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await _cancel(renewing)
            await _cancel(work)
            await self._stop_leading()
            raise
        if work.done():
            await _cancel(renewing)
            await self._stop_leading()
            work.result()  # re-raise what the work raised
            return
        self._leading = False
        failure = None if renewing.cancelled() else renewing.exception()
        await _cancel(work)
        log.error("leader election lost: %s (%s)", self.config.description, self.identity)
        holder = self.observed_holder
        why = f"now held by {holder}" if holder not in ("", self.identity) else "not renewed in time"
        raise LeadershipLost(f"lost the lease {self.config.description}: {why}") from failure

    async def release(self) -> bool:
        """Give the Lease up if we hold it: ``holderIdentity`` "" and ``leaseDurationSeconds`` 1, so the
        next candidate acquires it at its next attempt. True when released or not ours to release.

        Meant for after leading stops (``run`` calls it when ``release_on_cancel`` is set); releasing
        while ``run`` still renews would only make it re-acquire the Lease.
        """
        self._leading = False
        try:
            released = await self._bounded(self._release(), self.config.renew_deadline)
        except Exception:
            log.exception("failed to release lease %s", self.config.description)
            return False
        return bool(released)

    async def _stop_leading(self) -> None:
        if self._leading and self.config.release_on_cancel:
            await self.release()
        self._leading = False

    async def _acquire(self) -> None:
        config = self.config
        log.info("attempting to acquire leader lease %s as %s", config.description, self.identity)
        while True:
            acquired = await self._attempt(config.renew_deadline)
            self._report_transition()
            if acquired:
                self._leading = True
                log.info("successfully acquired lease %s as %s", config.description, self.identity)
                return
            delay = config.retry_period * (1.0 + random.random() * config.jitter_factor)
            await self._clock.sleep(delay)

    async def _renew(self) -> None:
        """Renew every retry_period; return when a round fails for renew_deadline, or the Lease is taken."""
        config = self.config
        while True:
            await self._clock.sleep(config.retry_period)
            deadline = self._clock.now() + config.renew_deadline
            while True:
                renewed = await self._attempt(deadline - self._clock.now())
                self._report_transition()
                if renewed:
                    break
                holder = self.observed_holder
                if holder and holder != self.identity:
                    log.warning("lease %s is now held by %s", config.description, holder)
                    return
                await self._clock.sleep(min(config.retry_period, deadline - self._clock.now()))
                if self._clock.now() >= deadline:
                    log.error(
                        "failed to renew lease %s: not renewed within %ss",
                        config.description,
                        config.renew_deadline,
                    )
                    return

    async def _attempt(self, budget: float) -> bool:
        try:
            done = await self._bounded(self._try_acquire_or_renew(), budget)
        except Exception:
            log.exception("leader election attempt on %s failed", self.config.description)
            return False
        if done is None:
            log.warning("leader election attempt on %s timed out", self.config.description)
            return False
        return done

    # -- one attempt -------------------------------------------------------------------------------

    async def _try_acquire_or_renew(self) -> bool:
        config = self.config
        now = self._clock.now()
        stamp = format_micro_time()
        desired: Obj = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": config.lease_duration_seconds,
            "acquireTime": stamp,
            "renewTime": stamp,
            "leaseTransitions": 0,
        }

        # Fast path: we lead and our view of the Lease is current, so renew it without reading it first
        # (a stale resourceVersion is a Conflict, and we fall back to reading).
        if (
            self._leading
            and self._lease is not None
            and self.observed_holder == self.identity
            and self._lease_valid(now)
        ):
            spec = self._renewal(desired, self._observed)
            try:
                self._observe(await self._leases.update(_with_spec(self._lease, spec)), now, written=True)
                return True
            except errors.ApiError as exc:
                log.debug("failed to renew lease %s optimistically (%s); reading it", config.description, exc)

        try:
            current = await self._leases.get(config.lease_name, config.lease_namespace)
        except errors.NotFound:
            lease: Obj = {
                "apiVersion": r.LEASES.api_version,
                "kind": r.LEASES.kind,
                "metadata": {"name": config.lease_name, "namespace": config.lease_namespace},
                "spec": desired,
            }
            try:
                created = await self._leases.create(lease, config.lease_namespace)
            except errors.ApiError as exc:
                log.info("failed to create lease %s: %s", config.description, exc)
                return False
            self._observe(created, now, written=True)
            return True
        except errors.ApiError as exc:
            log.warning("failed to read lease %s: %s", config.description, exc)
            return False

        self._observe(current, self._clock.now())
        old = self._observed
        holder = self.observed_holder
        if holder and holder != self.identity and self._lease_valid(self._clock.now()):
            log.debug("lease %s is held by %s and has not yet expired", config.description, holder)
            return False
        if holder == self.identity:
            spec = self._renewal(desired, old)
        else:
            spec = {**desired, "leaseTransitions": _int(old.get("leaseTransitions")) + 1}
        try:
            updated = await self._leases.update(_with_spec(current, spec))
        except errors.Conflict as exc:
            log.info("lease %s changed while we wrote it (%s); retrying later", config.description, exc)
            return False
        except errors.ApiError as exc:
            log.warning("failed to update lease %s: %s", config.description, exc)
            return False
        self._observe(updated, now, written=True)
        return True

    async def _release(self) -> bool:
        config = self.config
        try:
            current = await self._leases.get(config.lease_name, config.lease_namespace)
        except errors.NotFound:
            return True
        except errors.ApiError as exc:
            log.warning("failed to read lease %s to release it: %s", config.description, exc)
            return False
        self._observe(current, self._clock.now())
        if self.observed_holder != self.identity:
            return True
        stamp = format_micro_time()
        spec: Obj = {
            "holderIdentity": "",
            "leaseDurationSeconds": RELEASED_LEASE_SECONDS,
            "acquireTime": stamp,
            "renewTime": stamp,
            "leaseTransitions": _int(self._observed.get("leaseTransitions")),
        }
        now = self._clock.now()
        try:
            released = await self._leases.update(_with_spec(current, spec))
        except errors.ApiError as exc:
            log.warning("failed to release lease %s: %s", config.description, exc)
            return False
        self._observe(released, now, written=True)
        log.info("released lease %s (%s)", config.description, self.identity)
        self._report_transition()
        return True

    # -- the observed record -----------------------------------------------------------------------

    def _renewal(self, desired: Obj, old: Obj) -> Obj:
        """Renewing keeps the acquire time and the transition count."""
        return {
            **desired,
            "acquireTime": old.get("acquireTime") or desired["acquireTime"],
            "leaseTransitions": _int(old.get("leaseTransitions")),
        }

    def _observe(self, lease: Obj, when: float, *, written: bool = False) -> None:
        """Remember the Lease; the observed time moves when its spec changed (or we just wrote it)."""
        self._lease = lease
        spec = lease.get("spec")
        spec = dict(spec) if isinstance(spec, dict) else {}
        if written or spec != self._observed:
            self._observed = spec
            self._observed_time = when

    def _lease_valid(self, now: float) -> bool:
        seconds = _int(self._observed.get("leaseDurationSeconds")) or self.config.lease_duration
        return now < self._observed_time + seconds

    def _report_transition(self) -> None:
        holder = self.observed_holder
        if holder == self._reported_holder or self._observed_time == -math.inf:
            return  # unchanged, or the Lease has not been read yet (a failed read says nothing)
        self._reported_holder = holder
        if holder:
            log.info("lease %s: new leader is %s", self.config.description, holder)
        else:
            log.info("lease %s is free", self.config.description)

    async def _bounded(self, coro: Coroutine[Any, Any, T], budget: float) -> T | None:
        """Run ``coro`` for at most ``budget`` seconds of the clock; None when it ran out of time."""
        if budget <= 0:
            coro.close()
            return None
        task = asyncio.ensure_future(coro)
        timer = asyncio.ensure_future(self._clock.sleep(budget))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
        if task.cancelled():
            return None
        return task.result()


async def _cancel(future: asyncio.Future[Any]) -> None:
    """Cancel and wait for ``future``; what it raised on the way out is logged, not propagated."""
    if not future.done():
        future.cancel()
        await asyncio.wait({future})
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.error("leader election: %r ended with %r", future, exc)


def _with_spec(lease: Obj, spec: Obj) -> Obj:
    """The Lease with ``spec`` replacing the fields leader election owns (others are kept)."""
    old = lease.get("spec")
    return {**lease, "spec": {**(old if isinstance(old, dict) else {}), **spec}}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
