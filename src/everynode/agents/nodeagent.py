"""``NodeAgentService``: the simulated kubelets of every node annotated ``everynode.io/simulated: "true"``.

Two informers — all nodes, all pods (indexed by ``spec.nodeName``) — are the agent's only reads: one
process serves thousands of nodes with two watches, never one per node. Their handlers only enqueue
keys (``("Node", name)``, ``("Pod", "ns/name")``) for nodes the agent manages and pods bound to them.

Workers take a key, ask the (pure) lifecycle which stage applies to the cached object, and keep a plan
``(stage, due time)`` per key: while the same stage keeps applying its due time stands, however often
the object changes; when it falls due the stage is rendered and written, and the object's next version
(arriving by watch) is planned afresh. Status writes are JSON merge patches on ``pods/status`` or
``nodes/status`` carrying the ``resourceVersion`` they were computed from, so a write based on a stale
cache fails with a conflict instead of clobbering — and the newer version, on its way by watch, is
planned again. Pods are deleted with grace period 0 and a uid precondition, as the kubelet does.

Leases are not stages: ``leases.LeaseRenewer`` renews every managed node's Lease, spread evenly over
``lease_interval``, except for nodes annotated ``sim.everynode.io/heartbeat: "stop"``. Node status is
written only by stages (``fast.yaml``: at start, whenever Ready is not True, every five minutes), so the
agent never races the node lifecycle controller: while a node's heartbeat is stopped the agent writes
nothing for it, and the controller's ``Ready=Unknown`` stands until the annotation is removed.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from everynode.agents.leases import LEASE_DURATION, LeaseRenewer
from everynode.agents.lifecycle import Action, Lifecycle, unchanged
from everynode.agents.mounts import (
    MissingSource,
    VolumeWaits,
    creating_statuses,
    missing_sources,
    waits_for_volumes,
)
from everynode.agents.renderers import NODE, POD
from everynode.agents.stages import StageSet, default_stages
from everynode.client.rest import RestClient
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.pods import is_deleting, is_ready, is_terminal
from everynode.core.types import Obj
from everynode.informers.informer import Informer
from everynode.informers.store import by_node_name, object_key
from everynode.runtime.events import WARNING, EventRecorder
from everynode.runtime.manager import Manager, Task, Workers
from everynode.runtime.result import DONE, Result, failed, requeue_after
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import ItemExponentialFailureRateLimiter

log = logging.getLogger(__name__)
Key = tuple[str, str]  # (resource, informer key)
Added, Updated, Deleted = Callable[[Obj], None], Callable[[Obj, Obj], None], Callable[[Obj], None]

# The annotations are an interface (docs/node-agent.md): manifests and tests depend on these names.

NODE_INDEX = "nodeName"
WORKERS = 64  # status writes in flight: each waits on one API round trip
RETRY_BASE, RETRY_MAX = 0.05, 30.0  # a failed write is retried after 50 ms, doubling up to 30 s
MOUNT_RETRY = 10.0  # seconds between two looks at (and FailedMount events of) a pod missing a volume


def is_simulated(node: Mapping[str, Any]) -> bool:
    annotations = (node.get("metadata") or {}).get("annotations") or {}
    return annotations.get(wellknown.ANNOTATION_SIMULATED) == "true"


def heartbeat_stopped(node: Mapping[str, Any]) -> bool:
    annotations = (node.get("metadata") or {}).get("annotations") or {}
    return annotations.get(wellknown.SIM_HEARTBEAT) == "stop"


@dataclass(frozen=True, slots=True)
class Plan:
    stage: str
    due: float  # wall-clock epoch seconds


class NodeAgentService:
    def __init__(
        self,
        client: RestClient,
        manager: Manager,
        *,
        stages: StageSet | None = None,
        lease_interval: float = 10.0,
        lease_duration: int = LEASE_DURATION,
        workers: int = WORKERS,
        rng: random.Random | None = None,
    ) -> None:
        """``stages``: the stage set (default: the shipped ``fast.yaml``); ``lease_interval``: seconds
        between renewals of each Lease; ``workers``: concurrent status writes."""
        if workers < 1:
            raise ValueError("the node agent needs at least one worker")
        self.clock = manager.clock
        self.rng = rng or random.Random()
        self.lifecycle = Lifecycle(stages or default_stages())
        self.node_api = client.resource(r.NODES)
        self.pod_api = client.resource(r.PODS)
        self.namespace_api = client.resource(r.NAMESPACES)
        self.nodes = manager.informers.informer(r.NODES)
        self.pods = manager.informers.informer(r.PODS, indexers={NODE_INDEX: by_node_name})
        self.queue: RateLimitingQueue[Key] = RateLimitingQueue(
            self.clock, ItemExponentialFailureRateLimiter(RETRY_BASE, RETRY_MAX), urgent=self._starting
        )
        self.renewer = LeaseRenewer(
            client.resource(r.LEASES),
            node_of=self._lease_node,
            interval=lease_interval,
            duration=lease_duration,
            clock=self.clock,
        )
        self.managed: set[str] = set()
        self.plans: dict[Key, Plan] = {}
        self.writes: collections.Counter[str] = collections.Counter()  # by stage name
        self.nodes.add_handlers(self._node_added, self._node_updated, self._node_deleted)
        self.pods.add_handlers(self._pod_changed, lambda old, new: self._pod_changed(new), self._pod_deleted)
        # what pods mount: a pod whose ConfigMap or Secret is missing waits, as a kubelet's does
        self.configmaps = manager.informers.informer(r.CONFIGMAPS)
        self.secrets = manager.informers.informer(r.SECRETS)
        self.volume_waits = VolumeWaits(MOUNT_RETRY)
        for kind, informer in (("configmap", self.configmaps), ("secret", self.secrets)):
            informer.add_handlers(*self._waking(kind))
        self.recorder = EventRecorder(client, "kubelet", clock=self.clock)
        needs = (self.nodes, self.pods, self.configmaps, self.secrets)
        manager.add(Task("node-agent-leases", self._renew_leases), needs=needs)
        manager.add(Workers("node-agent", self.queue, self.sync, workers), needs=needs)
        manager.on_stop(self.recorder.close)

    async def _renew_leases(self) -> None:
        await self._ensure_lease_namespace()
        log.info("node agent: %d simulated nodes", len(self.managed))
        await self.renewer.run()

    async def _ensure_lease_namespace(self) -> None:
        """Create ``kube-node-lease`` if the server did not seed it (retrying until the server answers)."""
        delay = 0.1
        while True:
            try:
                await self.namespace_api.get(wellknown.KUBE_NODE_LEASE)
                return
            except errors.NotFound:
                with contextlib.suppress(errors.AlreadyExists):
                    await self.namespace_api.create(
                        {
                            "apiVersion": "v1",
                            "kind": "Namespace",
                            "metadata": {"name": wellknown.KUBE_NODE_LEASE},
                        }
                    )
                return
            except errors.ApiError as exc:
                log.warning(
                    "node agent: cannot check namespace %s (%s); retrying", wellknown.KUBE_NODE_LEASE, exc
                )
                await self.clock.sleep(delay)
                delay = min(delay * 2, 5.0)

    # -- handlers: keys only ------------------------------------------------------------------------

    def _node_added(self, node: Obj) -> None:
        if is_simulated(node):
            self._manage(node)

    def _node_updated(self, old: Obj, new: Obj) -> None:
        was, now = is_simulated(old), is_simulated(new)
        if now and not was:
            self._manage(new)
        elif was and not now:
            self._release(new)
        elif now:
            self.queue.add((NODE, object_key(new)))

    def _node_deleted(self, node: Obj) -> None:
        self._release(node)

    def _manage(self, node: Obj) -> None:
        name = object_key(node)
        self.managed.add(name)
        self.renewer.track(name)
        self.queue.add((NODE, name))
        for pod in self.pods.store.by_index(NODE_INDEX, name):
            self.queue.add((POD, object_key(pod)))

    def _release(self, node: Obj) -> None:
        name = object_key(node)
        self.managed.discard(name)
        self.renewer.untrack(name)
        self.plans.pop((NODE, name), None)

    def _pod_changed(self, pod: Obj) -> None:
        if (pod.get("spec") or {}).get("nodeName") in self.managed:
            self.queue.add((POD, object_key(pod)))

    def _pod_deleted(self, pod: Obj) -> None:
        self.plans.pop((POD, object_key(pod)), None)
        self.volume_waits.forget((POD, object_key(pod)))

    def _waking(
        self, kind: str
    ) -> tuple[Callable[[Obj], None], Callable[[Obj, Obj], None], Callable[[Obj], None]]:
        """Handlers that wake the pods waiting for a ConfigMap (``kind``) or Secret when it appears."""

        def added(obj: Obj) -> None:
            self._source_arrived(kind, obj)

        return added, lambda old, new: added(new), lambda obj: None

    def _source_arrived(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        for key in self.volume_waits.arrived(kind, str(meta.get("namespace", "")), str(meta.get("name", ""))):
            self.queue.add(key)

    def _exists(self, informer: Informer, namespace: str, name: str) -> bool:
        return informer.store.get(f"{namespace}/{name}") is not None

    async def _wait_for_volumes(self, key: Key, pod: Obj, missing: list[MissingSource]) -> Result:
        """Keep ``pod`` ContainerCreating with FailedMount events until its sources exist."""
        meta = pod["metadata"]
        if self.volume_waits.hold(key, str(meta.get("namespace", "")), missing, self.clock.now()):
            for source in missing:
                self.recorder.emit(pod, WARNING, "FailedMount", source.message())
        if not (pod.get("status") or {}).get("containerStatuses"):
            status = {"containerStatuses": creating_statuses(pod)}
            body = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": status}
            try:
                await self.pod_api.patch(meta["name"], body, meta.get("namespace"), subresource="status")
            except (errors.NotFound, errors.Conflict):
                pass
            except errors.ApiError as exc:
                return failed(exc)
        return requeue_after(MOUNT_RETRY)

    def _starting(self, key: Key) -> bool:
        """Whether ``key`` is a pod on its way to Ready (not being deleted): such keys go ahead of the
        rest, as a kubelet per node would start its pod whatever other nodes are doing."""
        if key[0] != POD:
            return False
        pod = self.pods.store.get(key[1])
        return pod is not None and not (is_deleting(pod) or is_terminal(pod) or is_ready(pod))

    def _lease_node(self, name: str) -> Obj | None:
        node = self.nodes.store.get(name)
        if node is None or name not in self.managed or heartbeat_stopped(node):
            return None
        return node

    # -- workers ------------------------------------------------------------------------------------

    def _lookup(self, key: Key) -> tuple[Obj | None, Obj | None]:
        """The cached object for ``key`` if the agent is in charge of it, and (pods) its node."""
        resource, name = key
        if resource == NODE:
            return (self.nodes.store.get(name), None) if name in self.managed else (None, None)
        pod = self.pods.store.get(name)
        node_name = (pod or {}).get("spec", {}).get("nodeName")
        if pod is None or node_name not in self.managed:
            return None, None
        return pod, self.nodes.store.get(node_name)

    async def sync(self, key: Key) -> Result:
        """Plan ``key``'s stage (due again when it falls due), or apply it if it is due (a failed
        write is retried with backoff)."""
        obj, node = self._lookup(key)
        resource = key[0]
        if resource == POD and obj is not None and waits_for_volumes(obj):
            missing = missing_sources(
                obj,
                functools.partial(self._exists, self.configmaps),
                functools.partial(self._exists, self.secrets),
            )
            if missing:
                return await self._wait_for_volumes(key, obj, missing)
        stage = self.lifecycle.match(resource, obj) if obj is not None else None
        if obj is None or stage is None:
            self.plans.pop(key, None)
            return DONE
        now = self.clock.wall()
        plan = self.plans.get(key)
        if plan is None or plan.stage != stage.name:
            plan = Plan(stage.name, now + self.lifecycle.delay(stage, obj, now=now, rng=self.rng))
            self.plans[key] = plan
        if plan.due > now:
            return requeue_after(plan.due - now)
        action = self.lifecycle.render(stage, obj, now=now, node=node)
        try:
            await self._apply(resource, obj, action)
        except errors.ApiError as exc:
            return failed(exc)
        if self.plans.get(key) is plan:
            del self.plans[key]
        return DONE

    async def _apply(self, resource: str, obj: Obj, action: Action) -> None:
        meta = obj["metadata"]
        name, namespace = meta["name"], meta.get("namespace")
        api = self.pod_api if resource == POD else self.node_api
        try:
            if action.delete:
                await api.delete(name, namespace, grace_period_seconds=0, precondition_uid=meta.get("uid"))
            elif unchanged(obj, action):
                return
            else:
                if action.status is not None:
                    body = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": action.status}
                    await api.patch(name, body, namespace, subresource="status")
                if action.labels:
                    await api.patch(name, {"metadata": {"labels": action.labels}}, namespace)
        except (errors.NotFound, errors.Conflict) as exc:
            # gone, or changed since the cache saw it: the watch brings the news, and a new plan
            log.debug("node agent: %s %s/%s skipped: %s", action.stage, resource, name, exc)
            return
        self.writes[action.stage] += 1
