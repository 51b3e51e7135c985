"""The bench's watches: pods by node, violation and write counting, phase progress."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from everynode.bench.cluster.common import DAEMONSET
from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.pods import is_ready
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

# -- what the watches show -------------------------------------------------------------------------


@dataclass(slots=True)
class PodView:
    node: str  # the node it is bound to, or else pinned to by node affinity ("" for neither)
    bound: bool
    image: str
    ready: bool
    deleting: bool
    status: Any
    added_at: float
    ready_at: float | None = None
    bound_at: float | None = None

    @property
    def serving(self) -> bool:
        """Ready on its node and not being deleted: the node has its daemon."""
        return self.ready and not self.deleting and self.bound


@dataclass
class PhaseTrack:
    """What one phase's pod events showed."""

    name: str
    started: float
    image: str
    generation: int
    budget: int | None = None  # most nodes allowed without a serving pod (rollouts)
    surge_budget: int | None = None  # most pods allowed beyond one per node (maxSurge)
    # (seconds since the start, pods serving on the current image, nodes unavailable, nodes surging)
    series: list[tuple[float, int, int, int]] = field(default_factory=list)
    startup: list[float] = field(default_factory=list)
    # the same pods' startup in two parts: ADDED → bound (scheduler), bound → Ready (node agent)
    to_bound: list[float] = field(default_factory=list)
    bound_to_ready: list[float] = field(default_factory=list)
    violations: int = 0
    surge_violations: int = 0
    max_unavailable: int = 0
    max_surge: int = 0
    pods_ready_at: float | None = None
    done_at: float | None = None


class Observer:
    """Lists and watches the resources the bench follows; keeps counts, the pods by node, the phase."""

    def __init__(self, nodes: int, namespace: str) -> None:
        self.nodes = nodes
        self.namespace = namespace
        self.pods: dict[str, PodView] = {}
        self.serving_per_node: Counter[str] = Counter()  # node -> pods serving it
        self.live_by_node: dict[str, dict[str, PodView]] = {}  # node -> pods not being deleted, by uid
        self.surging: set[str] = set()  # nodes with an old pod and a new one not Ready yet
        self.updated_serving = 0
        self.ready_nodes: set[str] = set()
        self.node_names: set[str] = set()
        self.daemonset: Obj | None = None
        self.writes: Counter[str] = Counter()
        self.lease_times: list[float] = []
        self.relists = 0
        self.pod_bytes = 0  # the size of a Ready pod's JSON, for the floor's values
        self.phase: PhaseTrack | None = None
        self.changed = asyncio.Event()
        self.synced: dict[str, asyncio.Event] = {}

    # -- following ----------------------------------------------------------------------------------

    def start(self, client: RestClient) -> list[asyncio.Task[None]]:
        follows: list[tuple[ResourceInfo, str | None, Callable[[str, Obj, float], None]]] = [
            (r.PODS, self.namespace, self._pod),
            (r.NODES, None, self._node),
            (r.LEASES, None, self._lease),
            (r.DAEMONSETS, self.namespace, self._daemonset),
            (r.CONTROLLER_REVISIONS, self.namespace, self._counted("controllerrevisions")),
            (r.EVENTS, None, self._counted("events")),
        ]
        tasks = []
        for info, namespace, handle in follows:
            self.synced[info.resource] = asyncio.Event()
            tasks.append(asyncio.create_task(self._follow(client, info, namespace, handle)))
        return tasks

    async def wait_synced(self, within: float) -> None:
        async with asyncio.timeout(within):
            for event in self.synced.values():
                await event.wait()

    async def _follow(
        self,
        client: RestClient,
        info: ResourceInfo,
        namespace: str | None,
        handle: Callable[[str, Obj, float], None],
    ) -> None:
        resource = client.resource(info)
        while True:
            listed = await resource.list(namespace)
            if info is r.PODS:
                self._reset_pods()
            for obj in listed.get("items") or ():
                handle("SYNC", obj, time.monotonic())
            version = listed["metadata"]["resourceVersion"]
            self.synced[info.resource].set()
            while True:
                try:
                    async for event in resource.watch(
                        namespace, resource_version=version, allow_bookmarks=True
                    ):
                        obj = event.get("object") or {}
                        version = (obj.get("metadata") or {}).get("resourceVersion") or version
                        if event.get("type") != "BOOKMARK":
                            handle(event["type"], obj, time.monotonic())
                            self.changed.set()
                except errors.Gone:
                    self.relists += 1
                    break
                except errors.ServiceUnavailable:
                    await asyncio.sleep(0.2)  # the server ended the stream badly: watch again

    def _counted(self, name: str) -> Callable[[str, Obj, float], None]:
        def handle(kind: str, obj: Obj, now: float) -> None:
            if kind != "SYNC":
                self.writes[name] += 1

        return handle

    def _lease(self, kind: str, obj: Obj, now: float) -> None:
        if kind != "SYNC":
            self.writes["leases"] += 1
            self.lease_times.append(now)

    def _node(self, kind: str, obj: Obj, now: float) -> None:
        name = obj["metadata"]["name"]
        if kind != "SYNC":
            self.writes["nodes"] += 1
        if kind == "DELETED":
            self.node_names.discard(name)
            self.ready_nodes.discard(name)
            return
        self.node_names.add(name)
        conditions = (obj.get("status") or {}).get("conditions") or ()
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            self.ready_nodes.add(name)
        else:
            self.ready_nodes.discard(name)

    def _daemonset(self, kind: str, obj: Obj, now: float) -> None:
        if kind != "SYNC":
            self.writes["daemonsets"] += 1
        if obj["metadata"]["name"] == DAEMONSET:
            self.daemonset = None if kind == "DELETED" else obj
            self._check_goal(now)

    # -- pods ---------------------------------------------------------------------------------------

    def _reset_pods(self) -> None:
        self.pods.clear()
        self.serving_per_node.clear()
        self.live_by_node.clear()
        self.surging.clear()
        self.updated_serving = 0

    def _remove(self, uid: str) -> PodView | None:
        view = self.pods.pop(uid, None)
        if view is None:
            return None
        if not view.deleting:
            self._live(view.node, uid, None)
        if view.serving:
            self.serving_per_node[view.node] -= 1
            if self.serving_per_node[view.node] <= 0:
                del self.serving_per_node[view.node]
            if self.phase is not None and view.image == self.phase.image:
                self.updated_serving -= 1
        return view

    def _add(self, uid: str, view: PodView) -> None:
        self.pods[uid] = view
        if not view.deleting:
            self._live(view.node, uid, view)
        if view.serving:
            self.serving_per_node[view.node] += 1
            if self.phase is not None and view.image == self.phase.image:
                self.updated_serving += 1

    def _live(self, node: str, uid: str, view: PodView | None) -> None:
        """Set (or, with None, drop) a pod not being deleted, and whether its node is surging now."""
        pods = self.live_by_node.setdefault(node, {})
        if view is None:
            pods.pop(uid, None)
        else:
            pods[uid] = view
        if not pods:
            del self.live_by_node[node]
        self._surge_check(node)

    def _surge_check(self, node: str) -> None:
        """Surging, as the DaemonSet controller counts a surge: the node has an old pod and a new one
        that is not Ready (available) yet, neither being deleted."""
        image = self.phase.image if self.phase is not None else None
        pods = self.live_by_node.get(node, {}).values()
        if (
            image is not None
            and any(view.image != image for view in pods)
            and any(view.image == image and not view.ready for view in pods)
        ):
            self.surging.add(node)
        else:
            self.surging.discard(node)

    def _pod(self, kind: str, obj: Obj, now: float) -> None:
        meta = obj["metadata"]
        uid = meta["uid"]
        old = self._remove(uid)
        if kind == "DELETED":
            self.writes["pods.remove"] += 1
        else:
            spec = obj.get("spec") or {}
            containers = spec.get("containers") or [{}]
            view = PodView(
                node=_target_node(obj),
                bound=bool(spec.get("nodeName")),
                image=containers[0].get("image", ""),
                ready=is_ready(obj),
                deleting=bool(meta.get("deletionTimestamp")),
                status=obj.get("status"),
                added_at=old.added_at if old is not None else now,
                ready_at=old.ready_at if old is not None else None,
                bound_at=old.bound_at if old is not None else None,
            )
            if view.bound and view.bound_at is None:
                view.bound_at = now
            if kind != "SYNC":
                self.writes[f"pods.{self._write_kind(old, view)}"] += 1
            if view.ready and view.ready_at is None:
                view.ready_at = now
                if old is not None and self.phase is not None and view.added_at >= self.phase.started:
                    self.phase.startup.append(now - view.added_at)
                    bound_at = view.bound_at if view.bound_at is not None else now
                    self.phase.to_bound.append(bound_at - view.added_at)
                    self.phase.bound_to_ready.append(now - bound_at)
                if not self.pod_bytes:
                    self.pod_bytes = len(orjson.dumps(obj))
            self._add(uid, view)
        self._track(now)

    @staticmethod
    def _write_kind(old: PodView | None, new: PodView) -> str:
        if old is None:
            return "create"
        if not old.bound and new.bound:
            return "bind"
        if new.deleting and not old.deleting:
            return "delete"
        if new.status != old.status:
            return "status"
        return "other"

    # -- phases -------------------------------------------------------------------------------------

    @property
    def unavailable(self) -> int:
        return self.nodes - len(self.serving_per_node)

    def begin(self, phase: PhaseTrack) -> None:
        self.phase = phase
        self.updated_serving = sum(
            1 for view in self.pods.values() if view.serving and view.image == phase.image
        )
        self.surging.clear()
        for node in list(self.live_by_node):
            self._surge_check(node)
        self._track(phase.started)

    def _track(self, now: float) -> None:
        phase = self.phase
        if phase is None:
            return
        unavailable = self.unavailable
        point = (now - phase.started, self.updated_serving, unavailable, len(self.surging))
        if not phase.series or phase.series[-1][1:] != point[1:]:
            phase.series.append(point)
        phase.max_unavailable = max(phase.max_unavailable, unavailable)
        surging = len(self.surging)
        phase.max_surge = max(phase.max_surge, surging)
        if phase.budget is not None and unavailable > phase.budget:
            phase.violations += 1
        if phase.surge_budget is not None and surging > phase.surge_budget:
            phase.surge_violations += 1
        self._check_goal(now)

    def _check_goal(self, now: float) -> None:
        phase = self.phase
        if phase is None or phase.done_at is not None:
            return
        if phase.pods_ready_at is None:
            if not (
                len(self.pods) == self.nodes and self.updated_serving == self.nodes and self.unavailable == 0
            ):
                return
            phase.pods_ready_at = now
        if (
            len(self.pods) == self.nodes
            and self.updated_serving == self.nodes
            and self.status_exact(phase.generation)
        ):
            phase.done_at = now

    def status_exact(self, generation: int) -> bool:
        status = (self.daemonset or {}).get("status") or {}
        n = self.nodes
        return (
            status.get("observedGeneration") == generation
            and status.get("desiredNumberScheduled") == n
            and status.get("currentNumberScheduled") == n
            and status.get("updatedNumberScheduled") == n
            and status.get("numberMisscheduled", 0) == 0
            and status.get("numberReady") == n
            and status.get("numberAvailable") == n
            and status.get("numberUnavailable", 0) == 0
        )

    async def until(
        self, goal: Callable[[], bool], *, within: float, what: str, check: Callable[[], None]
    ) -> None:
        """Wait until ``goal()`` holds, looking after every event (and ``check()`` each second)."""
        deadline = time.monotonic() + within
        while True:
            self.changed.clear()  # before looking, so an event that lands meanwhile wakes the wait
            if goal():
                return
            check()
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"timed out after {within:.0f} s waiting for {what}; {self.describe()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(1.0, left))

    def describe(self) -> str:
        status = (self.daemonset or {}).get("status") or {}
        return (
            f"nodes {len(self.node_names)} (Ready {len(self.ready_nodes)}), pods {len(self.pods)}, "
            f"serving nodes {len(self.serving_per_node)}, updated and serving {self.updated_serving}, "
            f"DaemonSet status {status}"
        )


# -- the bench -------------------------------------------------------------------------------------


def _target_node(pod: Obj) -> str:
    try:
        return pinned_node_name(pod) or ""
    except ValueError:
        return ""
