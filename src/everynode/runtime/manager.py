"""The one way a component runs: a ``Manager`` owns a process's shared informers and runs its
``Runnable``s (controller-runtime's manager, cut to what everynode needs).

Wiring: a component is built with the manager; while being built it asks ``manager.informers`` for
the informers it reads (adding its handlers and indexers), and registers what must run — worker
pools (``Workers``), periodic passes (``Every``), loops of their own (``Task``) — each with the informers
it needs listed first, and ``on_stop`` callbacks (flushing an event recorder, say).

Running (``run``): the shared informers start once, for every component; each runnable starts as
soon as *its* informers have listed; ``synced`` is set when every informer has. Under leader
election (``elector``) none of this starts before the Lease is held, and losing it ends ``run``
with ``LeadershipLost`` (the process exits and a supervisor restarts it as a candidate). Shutdown —
cancellation, or any runnable failing — cancels every runnable, stops the informers and then calls
the ``on_stop`` callbacks in reverse order of registration, each whatever the others did.

A manager runs once: components are built before ``run``, as the shared informers require.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from everynode.core.clock import Clock, RealClock
from everynode.informers.informer import Informer
from everynode.informers.shared import ResourceSource, SharedInformers, wait_synced
from everynode.runtime.controller import run_workers
from everynode.runtime.result import Reconciler
from everynode.workqueue.delaying import RateLimitingQueue

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)


class Runnable(Protocol):
    """Something a manager runs: ``run`` works until cancelled."""

    name: str

    async def run(self) -> None: ...


class Elector(Protocol):
    """What the manager needs of a leader elector (``runtime.leaderelection.LeaderElector``)."""

    async def run(self, on_started_leading: Callable[[], Awaitable[None]]) -> None: ...


@dataclass(slots=True)
class Workers(Generic[K]):
    """``count`` workers reconciling keys from ``queue`` (closed when they stop)."""

    name: str
    queue: RateLimitingQueue[K]
    reconcile: Reconciler[K]
    count: int

    async def run(self) -> None:
        log.info("%s: caches synced; starting %d workers", self.name, self.count)
        await run_workers(self.queue, self.reconcile, self.count, name=self.name)


@dataclass(slots=True)
class Every:
    """``action`` at once, then every ``interval`` seconds after each pass ends. A pass that raises
    is logged and the next one runs on time: a periodic pass retries by running again."""

    name: str
    interval: float
    action: Callable[[], Awaitable[object]]
    clock: Clock

    async def run(self) -> None:
        log.info("%s: caches synced; a pass every %.1f s", self.name, self.interval)
        while True:
            try:
                await self.action()
            except Exception:
                log.exception("%s: a pass failed", self.name)
            await self.clock.sleep(self.interval)


@dataclass(slots=True)
class Task:
    """``work()``, a component's own loop, until it returns or is cancelled."""

    name: str
    work: Callable[[], Awaitable[None]]

    async def run(self) -> None:
        await self.work()


@dataclass(frozen=True, slots=True)
class _Entry:
    runnable: Runnable
    needs: tuple[Informer, ...]


class Manager:
    def __init__(
        self,
        client: ResourceSource,
        *,
        clock: Clock | None = None,
        elector: Elector | None = None,
        informers: SharedInformers | None = None,
    ) -> None:
        """``informers``: a factory to share with code outside the manager (default: a new one)."""
        self.clock = clock or RealClock()
        self.informers = informers or SharedInformers(client, clock=self.clock)
        self.elector = elector
        self.synced = asyncio.Event()
        self._entries: list[_Entry] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self._ran = False

    def add(self, runnable: Runnable, *, needs: Iterable[Informer] = ()) -> None:
        """Run ``runnable`` once every informer in ``needs`` has listed."""
        if self._ran:
            raise RuntimeError(f"{runnable.name} added to a manager that has started")
        self._entries.append(_Entry(runnable, tuple(needs)))

    def on_stop(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Call ``callback`` when the manager stops (after its runnables and informers have)."""
        self._on_stop.append(callback)

    @property
    def runnables(self) -> list[str]:
        return [entry.runnable.name for entry in self._entries]

    async def run(self) -> None:
        """Run until cancelled (see the module's docstring); only once."""
        if self._ran:
            raise RuntimeError("Manager.run() called twice")
        self._ran = True
        try:
            if self.elector is None:
                await self._run_all()
            else:
                await self.elector.run(self._run_all)
        finally:
            await self._stop()

    async def _run_all(self) -> None:
        log.info(
            "starting controllers: %s (%d shared informers)",
            ", ".join(self.runnables) or "none",
            len(self.informers.informers()),
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(self.informers.run(), name="shared-informers")
            group.create_task(self._mark_synced(), name="manager-synced")
            for entry in self._entries:
                group.create_task(self._start(entry), name=entry.runnable.name)

    async def _mark_synced(self) -> None:
        await self.informers.wait_for_sync()
        self.synced.set()

    @staticmethod
    async def _start(entry: _Entry) -> None:
        await wait_synced(entry.needs)
        await entry.runnable.run()

    async def _stop(self) -> None:
        for callback in reversed(self._on_stop):
            try:
                await callback()
            except Exception:
                log.exception("stopping: %r failed", callback)
