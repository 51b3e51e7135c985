"""The disruption controller wired to a live API server: PodDisruptionBudget, pod, ReplicaSet,
Deployment and StatefulSet informers (the shared ones), the scale subresource and discovery for other
controllers; a budget is looked at again whenever one of the pods of its namespace that it selects
changes, and when an evicted pod's entry lapses. As upstream, a change of a controller alone does not
enqueue budgets: its pods change with it."""

from __future__ import annotations

from everynode.client.rest import RestClient
from everynode.controllers.disruption.budget import selected
from everynode.controllers.disruption.controller import DisruptionController
from everynode.controllers.disruption.finders import Caches
from everynode.controllers.disruption.scalefinder import ScaleFinder
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.informers.store import by_namespace, object_key
from everynode.runtime.events import EventRecorder
from everynode.runtime.manager import Manager, Workers
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import default_controller_rate_limiter

COMPONENT = "controllermanager"  # upstream's disruption controller records as the controller manager
WORKERS = 2


class RestBudgetApi:
    def __init__(self, client: RestClient) -> None:
        self.budgets = client.resource(r.POD_DISRUPTION_BUDGETS)

    async def update_status(self, obj: Obj) -> Obj:
        return await self.budgets.update_status(obj)


class RestScaleApi:
    def __init__(self, client: RestClient) -> None:
        self.client = client

    async def resources(self, group: str, version: str) -> Obj:
        return await self.client.request("GET", f"/apis/{group}/{version}" if group else f"/api/{version}")

    async def scale(self, group: str, version: str, resource: str, namespace: str, name: str) -> Obj:
        base = f"/apis/{group}/{version}" if group else f"/api/{version}"
        return await self.client.request("GET", f"{base}/namespaces/{namespace}/{resource}/{name}/scale")


class DisruptionService:
    def __init__(self, client: RestClient, manager: Manager, *, workers: int = WORKERS) -> None:
        clock = manager.clock
        by_ns = {"namespace": by_namespace}
        self.budgets = manager.informers.informer(r.POD_DISRUPTION_BUDGETS, indexers=by_ns)
        self.pods = manager.informers.informer(r.PODS, indexers=by_ns)
        self.statefulsets = manager.informers.informer(r.STATEFULSETS)
        self.replicasets = manager.informers.informer(r.REPLICASETS)
        self.deployments = manager.informers.informer(r.DEPLOYMENTS)
        self.queue: RateLimitingQueue[str] = RateLimitingQueue(clock, default_controller_rate_limiter(clock))
        self.recorder = EventRecorder(client, COMPONENT, clock=clock)
        self.controller = DisruptionController(
            RestBudgetApi(client),
            self.recorder,
            budgets=self.budgets.store,
            pods=self.pods.store,
            caches=Caches(
                self.replicasets.store.get, self.deployments.store.get, self.statefulsets.store.get
            ),
            scales=ScaleFinder(RestScaleApi(client), clock),
            clock=clock,
        )
        self.budgets.add_handlers(self._budget, lambda old, new: self._budget(new), lambda pdb: None)
        self.pods.add_handlers(self._pod, self._pod_updated, self._pod)
        needs = (self.budgets, self.pods, self.statefulsets, self.replicasets, self.deployments)
        manager.add(Workers("disruption", self.queue, self.controller.reconcile, workers), needs=needs)
        manager.on_stop(self.recorder.close)

    def _budget(self, pdb: Obj) -> None:
        self.queue.add(object_key(pdb))

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        self._pod(old)
        self._pod(new)

    def _pod(self, pod: Obj) -> None:
        namespace = str((pod.get("metadata") or {}).get("namespace", ""))
        for pdb in self.budgets.store.by_index("namespace", namespace):
            if selected(pdb, [pod]):
                self.queue.add(object_key(pdb))
