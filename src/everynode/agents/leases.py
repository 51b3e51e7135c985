"""Node Leases (``kube-node-lease/<node>``), renewed evenly across the interval.

Upstream each kubelet renews its own Lease every 10 s (a quarter of the 40 s lease duration). One agent
serving 5,000 nodes must not renew them all at once: ``LeaseSchedule`` deals the nodes into equal slots,
one slot per tick of ``TICK`` seconds, so a 10 s interval has 100 slots and 5,000 nodes cost 50 writes
every 100 ms — 500 writes/s, flat. A node joins the least-loaded slot (the first after the last one
dealt, among equals), so slots stay within one node of each other while nodes only arrive.

``LeaseRenewer`` walks the slots on the injected clock, renewing each node in the due slot with a
merge patch (``renewTime``, ``holderIdentity``, ``leaseDurationSeconds``; plus the ownerReference to the
Node the first time for each node uid), or creating the Lease when it is missing. A renewal still in
flight when its slot comes round again is not doubled; a failed one is simply tried next interval (the
40 s lease outlives three misses). Which nodes are renewed is the caller's call (``node_of``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from everynode.client.rest import ResourceClient
from everynode.core import errors, wellknown
from everynode.core.clock import Clock
from everynode.core.timestamps import format_micro_time
from everynode.core.types import Obj

log = logging.getLogger(__name__)
LEASE_DURATION = 40  # seconds, upstream's nodeLeaseDurationSeconds
TICK = 0.1  # seconds between slots: small enough to look continuous, large enough to batch
# Renewals in flight at once. By Little's law the agent keeps 500 renewals/s (5,000 nodes) going only
# while latency x 500 stays under this: 256 covers ~0.5 s. At 64 a loaded API server (~0.3 s) held
# renewals to ~200/s, Leases went stale and nodes flapped Unknown — more writes on an overload.
CONCURRENCY = 256


class LeaseSchedule:
    """Node names dealt into ``slots`` slots; slot ``k % slots`` is due at tick ``k``.

    Invariant: every tracked name is in exactly one slot, and ``slot_of`` says which.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a lease schedule needs at least one slot")
        self._slots: list[dict[str, None]] = [{} for _ in range(slots)]  # ordered sets
        self._slot_of: dict[str, int] = {}
        self._last = slots - 1

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, name: object) -> bool:
        return name in self._slot_of

    @property
    def slots(self) -> int:
        return len(self._slots)

    def slot_of(self, name: str) -> int | None:
        return self._slot_of.get(name)

    def add(self, name: str) -> int:
        """Track ``name`` (no-op if tracked); the slot it is in."""
        if name in self._slot_of:
            return self._slot_of[name]
        count = len(self._slots)
        chosen = min(range(count), key=lambda i: (len(self._slots[i]), (i - self._last - 1) % count))
        self._slots[chosen][name] = None
        self._slot_of[name] = chosen
        self._last = chosen
        return chosen

    def remove(self, name: str) -> None:
        slot = self._slot_of.pop(name, None)
        if slot is not None:
            del self._slots[slot][name]

    def due(self, tick: int) -> list[str]:
        """The names to renew at tick ``tick``."""
        return list(self._slots[tick % len(self._slots)])

    def loads(self) -> list[int]:
        return [len(slot) for slot in self._slots]


def lease_object(node: Mapping[str, Any], renew_time: str, duration: int) -> Obj:
    """The Lease a node's agent creates: held by the node, owned by the Node object."""
    meta = node.get("metadata") or {}
    name = str(meta.get("name", ""))
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": wellknown.KUBE_NODE_LEASE,
            "ownerReferences": [owner_reference(node)],
        },
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": duration,
            "acquireTime": renew_time,
            "renewTime": renew_time,
        },
    }


def owner_reference(node: Mapping[str, Any]) -> Obj:
    meta = node.get("metadata") or {}
    return {"apiVersion": "v1", "kind": "Node", "name": meta.get("name", ""), "uid": meta.get("uid", "")}


class LeaseRenewer:
    def __init__(
        self,
        leases: ResourceClient,
        *,
        node_of: Callable[[str], Mapping[str, Any] | None],
        interval: float,
        clock: Clock,
        duration: int = LEASE_DURATION,
        concurrency: int = CONCURRENCY,
    ) -> None:
        """``node_of(name)``: the Node to renew a Lease for, or None to skip it this time."""
        if interval <= 0:
            raise ValueError("the lease interval must be positive")
        self.leases = leases
        self.node_of = node_of
        self.interval = interval
        self.clock = clock
        self.duration = duration
        self.schedule = LeaseSchedule(max(1, round(interval / TICK)))
        self.tick = interval / self.schedule.slots
        self.renewals = 0  # successful writes (patches and creates)
        self.failures = 0
        self._limit = asyncio.Semaphore(concurrency)
        self._inflight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._owned: dict[str, str] = {}  # node → the node uid its Lease is known to name as owner

    def track(self, name: str) -> None:
        self.schedule.add(name)

    def untrack(self, name: str) -> None:
        self.schedule.remove(name)
        self._owned.pop(name, None)

    async def run(self) -> None:
        """Renew slot after slot until cancelled."""
        start, tick = self.clock.now(), 0
        try:
            while True:
                late = self.clock.now() - (start + tick * self.tick)
                if late > self.interval:  # stalled (a suspended process): skip ahead, do not burst
                    skipped = int(late // self.tick)
                    log.warning("lease renewal fell %.1f s behind; skipping %d ticks", late, skipped)
                    tick += skipped
                elif late < 0:
                    await self.clock.sleep(-late)
                for name in self.schedule.due(tick):
                    if name not in self._inflight:
                        self._spawn(name)
                tick += 1
        finally:
            await self.close()

    def _spawn(self, name: str) -> None:
        self._inflight.add(name)
        task = asyncio.get_running_loop().create_task(self._renew_guarded(name), name=f"lease-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _renew_guarded(self, name: str) -> None:
        try:
            async with self._limit:
                await self.renew(name)
        except errors.ApiError as exc:
            self.failures += 1
            log.info("renewing the lease of node %s failed: %s", name, exc)
        finally:
            self._inflight.discard(name)

    async def renew(self, name: str) -> bool:
        """Renew (or create) ``name``'s Lease now if ``node_of`` says so; whether it wrote."""
        node = self.node_of(name)
        if node is None:
            return False
        uid = str((node.get("metadata") or {}).get("uid", ""))
        now = format_micro_time(datetime.fromtimestamp(self.clock.wall(), UTC))
        body: Obj = {
            "spec": {"holderIdentity": name, "leaseDurationSeconds": self.duration, "renewTime": now}
        }
        if self._owned.get(name) != uid:
            body["metadata"] = {"ownerReferences": [owner_reference(node)]}
        try:
            await self.leases.patch(name, body, wellknown.KUBE_NODE_LEASE)
        except errors.NotFound:
            with contextlib.suppress(errors.AlreadyExists):  # raced with another writer: patch next time
                await self.leases.create(lease_object(node, now, self.duration), wellknown.KUBE_NODE_LEASE)
        self._owned[name] = uid
        self.renewals += 1
        return True

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
