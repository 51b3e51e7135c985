"""The node lifecycle controller's I/O shell: a periodic pass over the cached nodes.

Every ``monitor_period`` one pass (upstream's ``monitorNodeHealth``) asks ``decisions.plan`` about each
cached node — a few dictionary look-ups for a healthy one — and writes only for the nodes whose plan is
not empty: first the Unknown conditions (``nodes/status``), then the taints (``nodes``), the taints
decided again on the node the status write returned. Writes carry the cached ``resourceVersion``:

- a status write that conflicts is dropped — the node changed, perhaps with a heartbeat the informer
  has not delivered yet, so it must not be marked Unknown on what the cache said; the next pass decides
  again on fresher data;
- a taint write that conflicts is retried once on a fresh GET: taints depend only on the node's own
  Ready condition, so deciding on the fresh node is safe.

Nodes needing writes are written concurrently, at most ``concurrency`` at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from everynode.controllers.nodelifecycle.api import NodeApi
from everynode.controllers.nodelifecycle.decisions import (
    TRUE,
    Plan,
    plan,
    ready_status,
    reconcile_taints,
    with_conditions,
    with_taints,
)
from everynode.controllers.nodelifecycle.health import HealthTracker
from everynode.core import errors
from everynode.core.clock import Clock
from everynode.core.types import Obj
from everynode.informers.store import Store

log = logging.getLogger(__name__)
NORMAL = "Normal"
GRACE_PERIOD = 40.0  # seconds without a heartbeat before Unknown (upstream's --node-monitor-grace-period)
STARTUP_GRACE_PERIOD = 60.0  # ... for a node that never reported (upstream's node-startup-grace-period)
YIELD_EVERY = 1000  # nodes checked between two yields to the event loop


class EventSink(Protocol):
    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None: ...


def node_reference(name: str) -> Obj:
    """What events about a node name as their object: kubectl's ``describe node`` looks them up with the
    node's *name* as uid, as kubelets and upstream's node controller record them."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": name}}


def _name(node: Mapping[str, Any]) -> str:
    return str(node["metadata"]["name"])


class NodeLifecycleController:
    def __init__(
        self,
        api: NodeApi,
        events: EventSink,
        nodes: Store,
        tracker: HealthTracker,
        *,
        clock: Clock,
        grace_period: float = GRACE_PERIOD,
        startup_grace_period: float = STARTUP_GRACE_PERIOD,
        concurrency: int = 16,
    ) -> None:
        self.api = api
        self.events = events
        self.nodes = nodes
        self.tracker = tracker
        self.clock = clock
        self.grace_period = grace_period
        self.startup_grace_period = startup_grace_period
        self.limit = asyncio.Semaphore(concurrency)
        self.passes = 0

    async def monitor(self) -> int:
        """One pass over every cached node; the number of nodes that needed writes."""
        now, wall = self.clock.now(), self.clock.wall()
        todo: list[tuple[Obj, Plan]] = []
        for index, node in enumerate(self.nodes.objects()):
            if index and index % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            seen = self.tracker.last_seen(_name(node))
            if seen is None:  # not announced by the informer yet: start its clock now
                self.tracker.node_added(node)
                seen = self.tracker.last_seen(_name(node)) or now
            decided = plan(
                node,
                seen,
                now,
                wall,
                grace_period=self.grace_period,
                startup_grace_period=self.startup_grace_period,
            )
            if not decided.empty:
                todo.append((node, decided))
        self.passes += 1
        if todo:
            await asyncio.gather(*(self._bounded(node, decided, wall) for node, decided in todo))
        return len(todo)

    async def _bounded(self, node: Obj, decided: Plan, wall: float) -> None:
        async with self.limit:
            try:
                await self.carry_out(node, decided, wall)
            except errors.ApiError as exc:
                log.warning("node lifecycle: node %s: %s; will retry next pass", _name(node), exc)

    async def carry_out(self, node: Obj, decided: Plan, wall: float) -> None:
        name = _name(node)
        taints = decided.taints
        if decided.conditions is not None:
            try:
                written = await self.api.update_node_status(with_conditions(node, decided.conditions))
            except (errors.Conflict, errors.NotFound) as exc:
                log.info("node lifecycle: node %s changed before it could be marked Unknown (%s)", name, exc)
                return
            log.info(
                "node lifecycle: node %s: no heartbeat for over %.0f s; its conditions are now Unknown",
                name,
                self.grace_period,
            )
            if ready_status(node) == TRUE:
                self.events.emit(
                    node_reference(name), NORMAL, "NodeNotReady", f"Node {name} status is now: NodeNotReady"
                )
            node = written
            taints = reconcile_taints(node, wall)
        if taints is not None:
            await self.write_taints(node, taints, wall)

    async def write_taints(self, node: Obj, taints: list[Obj], wall: float) -> None:
        name = _name(node)
        try:
            await self.api.update_node(with_taints(node, taints))
        except errors.NotFound:
            return
        except errors.Conflict:
            try:
                node = await self.api.get_node(name)
            except errors.NotFound:
                return
            fresh = reconcile_taints(node, wall)
            if fresh is None:
                return
            taints = fresh
            await self.api.update_node(with_taints(node, taints))
        log.info(
            "node lifecycle: node %s (Ready=%s): taints now %s",
            name,
            ready_status(node),
            ", ".join(f"{t.get('key')}:{t.get('effect')}" for t in taints) or "<none>",
        )
