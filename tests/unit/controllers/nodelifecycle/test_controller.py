"""The monitoring pass on a hand-filled cache and a fake server that checks resourceVersions.

The fake server holds the authoritative nodes; what it accepts is delivered to the controller's cache
and health tracker as the informer would deliver it — at once, or (``lagging``) only when the test says.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
from collections.abc import Callable

from everynode.controllers.nodelifecycle.controller import NodeLifecycleController
from everynode.controllers.nodelifecycle.health import HealthTracker
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.types import Obj
from everynode.informers.store import Store
from everynode.runtime.manager import Every
from tests.unit.controllers.nodelifecycle.helpers import (
    EPOCH_CREATED,
    conditions_by_type,
    healthy_conditions,
    lease,
    node,
    ready,
    taint_keys,
)

UNREACHABLE = [
    ("node.kubernetes.io/unreachable", "NoSchedule"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
]
NOT_READY = [
    ("node.kubernetes.io/not-ready", "NoSchedule"),
    ("node.kubernetes.io/not-ready", "NoExecute"),
]


class FakeServer:
    def __init__(self, store: Store, tracker: HealthTracker) -> None:
        self.store = store
        self.tracker = tracker
        self.nodes: dict[str, Obj] = {}
        self.versions = itertools.count(100)
        self.status_writes: list[Obj] = []
        self.node_writes: list[Obj] = []
        self.gets = 0
        self.lagging = False
        self.undelivered: list[Obj] = []

    # what the test (or an agent) does
    def add(self, obj: Obj) -> None:
        self.nodes[obj["metadata"]["name"]] = copy.deepcopy(obj)
        self.store.upsert(copy.deepcopy(obj))
        self.tracker.node_added(self.store.get(obj["metadata"]["name"]) or {})

    def agent(self, name: str, change: Callable[[Obj], None]) -> Obj:
        new = copy.deepcopy(self.nodes[name])
        change(new)
        return self._accept(new)

    def deliver(self) -> None:
        pending, self.undelivered = self.undelivered, []
        for obj in pending:
            self._deliver(obj)

    def _deliver(self, obj: Obj) -> None:
        old = self.store.upsert(copy.deepcopy(obj))
        assert old is not None
        self.tracker.node_updated(old, self.store.get(obj["metadata"]["name"]) or {})

    def _accept(self, new: Obj) -> Obj:
        new["metadata"]["resourceVersion"] = str(next(self.versions))
        self.nodes[new["metadata"]["name"]] = new
        if self.lagging:
            self.undelivered.append(copy.deepcopy(new))
        else:
            self._deliver(new)
        return copy.deepcopy(new)

    def _current(self, obj: Obj) -> Obj:
        name = obj["metadata"]["name"]
        if name not in self.nodes:
            raise errors.NotFound(f'nodes "{name}" not found')
        current = self.nodes[name]
        if obj["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise errors.Conflict(f'Operation cannot be fulfilled on nodes "{name}"')
        return current

    # the NodeApi
    async def get_node(self, name: str) -> Obj:
        self.gets += 1
        if name not in self.nodes:
            raise errors.NotFound(f'nodes "{name}" not found')
        return copy.deepcopy(self.nodes[name])

    async def update_node_status(self, obj: Obj) -> Obj:
        new = copy.deepcopy(self._current(obj))
        new["status"] = copy.deepcopy(obj["status"])
        self.status_writes.append(copy.deepcopy(obj))
        return self._accept(new)

    async def update_node(self, obj: Obj) -> Obj:
        current = self._current(obj)
        new = copy.deepcopy(obj)
        new["status"] = copy.deepcopy(current["status"])
        self.node_writes.append(copy.deepcopy(obj))
        return self._accept(new)


class Events:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, str, str, str]] = []

    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        self.emitted.append((obj["metadata"]["uid"], event_type, reason, message))


class Harness:
    def __init__(self, *, grace: float = 40.0, startup_grace: float = 60.0) -> None:
        self.clock = FakeClock(1000.0, wall_offset=EPOCH_CREATED + 10.0 - 1000.0)
        self.store = Store()
        self.tracker = HealthTracker(self.clock)
        self.server = FakeServer(self.store, self.tracker)
        self.events = Events()
        self.controller = NodeLifecycleController(
            self.server,
            self.events,
            self.store,
            self.tracker,
            clock=self.clock,
            grace_period=grace,
            startup_grace_period=startup_grace,
        )

    def node(self, name: str = "node-1") -> Obj:
        return self.server.nodes[name]

    def writes(self) -> int:
        return len(self.server.status_writes) + len(self.server.node_writes)

    def beat(self, name: str = "node-1", status: str = "True") -> None:
        stamp = f"2024-01-01T00:{int(self.clock.now()) // 60 % 60:02d}:{int(self.clock.now()) % 60:02d}Z"

        def change(obj: Obj) -> None:
            for entry in obj["status"]["conditions"]:
                if entry["type"] == "Ready":
                    entry.update(status=status, lastHeartbeatTime=stamp)

        self.server.agent(name, change)


async def test_healthy_nodes_cost_no_writes() -> None:
    h = Harness()
    for i in range(5000):
        h.server.add(node(f"node-{i}", conditions=healthy_conditions()))
    await h.clock.advance(39)
    assert await h.controller.monitor() == 0
    assert h.writes() == 0
    assert h.controller.passes == 1


async def test_stale_node_is_marked_unknown_and_tainted_unreachable_once() -> None:
    h = Harness()
    user_taint = {"key": "example.com/dedicated", "value": "db", "effect": "NoSchedule"}
    h.server.add(node(conditions=healthy_conditions(), taints=[user_taint]))
    h.server.add(node("node-2", conditions=healthy_conditions()))
    await h.clock.advance(20)
    h.beat("node-2")
    await h.clock.advance(21)
    assert await h.controller.monitor() == 1
    marked = h.node()
    for kind, entry in conditions_by_type(marked).items():
        assert entry["status"] == "Unknown", kind
        assert entry["reason"] == "NodeStatusUnknown"
    assert taint_keys(marked) == [("example.com/dedicated", "NoSchedule"), *UNREACHABLE]
    assert marked["spec"]["taints"][2]["timeAdded"] == "2024-01-01T00:00:51Z"
    assert len(h.server.status_writes) == 1
    assert len(h.server.node_writes) == 1
    assert h.events.emitted == [
        ("node-1", "Normal", "NodeNotReady", "Node node-1 status is now: NodeNotReady")
    ]
    assert taint_keys(h.node("node-2")) == []
    await h.clock.advance(100)
    h.beat("node-2")
    assert await h.controller.monitor() == 0
    assert h.writes() == 2


async def test_recovery_removes_the_taints_when_ready_is_true_again() -> None:
    h = Harness()
    h.server.add(node(conditions=healthy_conditions()))
    await h.clock.advance(41)
    await h.controller.monitor()
    assert taint_keys(h.node()) == UNREACHABLE
    h.tracker.lease_updated(lease(), lease(renew="2024-01-01T00:05:00.000000Z"))  # the lease alone resumes
    await h.clock.advance(5)
    assert await h.controller.monitor() == 0
    assert taint_keys(h.node()) == UNREACHABLE, "Ready is still Unknown: the taints stay"
    h.beat()  # the agent rewrites Ready=True
    assert await h.controller.monitor() == 1
    assert taint_keys(h.node()) == []
    assert "taints" not in h.node()["spec"]
    assert conditions_by_type(h.node())["Ready"]["status"] == "True"
    assert len(h.server.status_writes) == 1


async def test_a_renewed_lease_keeps_a_node_fresh_without_status_heartbeats() -> None:
    h = Harness()
    h.server.add(node(conditions=healthy_conditions()))
    h.tracker.lease_added(lease())
    for step in range(1, 11):
        await h.clock.advance(10)
        h.tracker.lease_updated(lease(), lease(renew=f"2024-01-01T00:01:{step:02d}.000000Z"))
        assert await h.controller.monitor() == 0
    await h.clock.advance(41)
    assert await h.controller.monitor() == 1


async def test_not_ready_node_gets_not_ready_taints_then_swaps_to_unreachable() -> None:
    h = Harness()
    h.server.add(node(conditions=healthy_conditions()))
    await h.clock.advance(10)
    h.beat(status="False")
    assert await h.controller.monitor() == 1
    assert taint_keys(h.node()) == NOT_READY
    assert h.server.status_writes == []
    assert h.events.emitted == [], "the agent said False; the controller reports only its own Unknown"
    await h.clock.advance(41)
    assert await h.controller.monitor() == 1
    assert conditions_by_type(h.node())["Ready"]["status"] == "Unknown"
    assert taint_keys(h.node()) == UNREACHABLE
    assert len(h.server.node_writes) == 2, "the swap is one write"


async def test_a_heartbeat_the_cache_has_not_seen_prevents_marking() -> None:
    h = Harness()
    h.server.add(node(conditions=healthy_conditions()))
    await h.clock.advance(41)
    h.server.lagging = True
    h.beat()  # on the server, not yet in the cache
    assert await h.controller.monitor() == 1  # decided on the stale cache ...
    assert h.server.status_writes == []  # ... but the write was refused (409), so nothing was written
    assert conditions_by_type(h.node())["Ready"]["status"] == "True"
    h.server.lagging = False
    h.server.deliver()
    assert await h.controller.monitor() == 0


async def test_a_taint_write_that_conflicts_is_decided_again_on_a_fresh_read() -> None:
    h = Harness()
    h.server.add(node(conditions=healthy_conditions()))
    await h.clock.advance(10)
    h.server.lagging = True
    h.beat(status="False")
    h.server.deliver()  # the cache has Ready=False ...
    h.server.agent(
        "node-1", lambda obj: obj["metadata"].setdefault("labels", {}).update(zone="a")
    )  # ... not this
    assert await h.controller.monitor() == 1
    assert h.server.gets == 1
    assert taint_keys(h.node()) == NOT_READY
    assert h.node()["metadata"]["labels"] == {"zone": "a"}


async def test_a_deleted_node_is_skipped() -> None:
    h = Harness()
    h.server.add(node(conditions=healthy_conditions()))
    await h.clock.advance(41)
    del h.server.nodes["node-1"]
    assert await h.controller.monitor() == 1
    assert h.writes() == 0


async def test_a_node_that_never_reported_waits_for_the_startup_grace() -> None:
    h = Harness(startup_grace=60.0)
    h.server.add(node())  # created 10 s before the controller's clock starts
    await h.clock.advance(45)
    assert await h.controller.monitor() == 0
    await h.clock.advance(6)
    assert await h.controller.monitor() == 1
    conditions = conditions_by_type(h.node())
    assert sorted(conditions) == ["DiskPressure", "MemoryPressure", "PIDPressure", "Ready"]
    assert {entry["reason"] for entry in conditions.values()} == {"NodeStatusNeverUpdated"}
    assert taint_keys(h.node()) == UNREACHABLE
    assert h.events.emitted == []


async def test_a_node_the_tracker_has_not_seen_starts_its_grace_at_the_pass() -> None:
    h = Harness()
    h.store.upsert(node(conditions=[ready()]))
    h.server.nodes["node-1"] = node(conditions=[ready()])
    assert await h.controller.monitor() == 0
    assert h.tracker.last_seen("node-1") == 1000.0


async def test_run_passes_every_monitor_period() -> None:
    h = Harness()
    h.server.add(node(conditions=healthy_conditions()))
    task = asyncio.create_task(Every("monitor", 5.0, h.controller.monitor, h.clock).run())
    try:
        await h.clock.advance(0)
        assert h.controller.passes == 1
        await h.clock.advance(40)
        assert h.controller.passes == 9
        assert h.writes() == 0
        await h.clock.advance(5)
        assert h.writes() == 2
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
