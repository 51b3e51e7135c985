"""The endpoints controllers wired to a live API server: Service, pod, Endpoints and EndpointSlice
informers; a Service is looked at again when it changes or a pod it selects (before or after the
change) does."""

from __future__ import annotations

from everynode.client.rest import RestClient
from everynode.controllers.endpoints.controller import EndpointsController
from everynode.core import resources as r
from everynode.core.labelselector import selector_from_set
from everynode.core.types import Obj
from everynode.informers.store import by_namespace, object_key
from everynode.runtime.manager import Manager, Workers
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import default_controller_rate_limiter

WORKERS = 5  # upstream's --concurrent-endpoint-syncs


class EndpointsService:
    def __init__(self, client: RestClient, manager: Manager, *, workers: int = WORKERS) -> None:
        clock = manager.clock
        by_ns = {"namespace": by_namespace}
        self.services = manager.informers.informer(r.SERVICES, indexers=by_ns)
        self.pods = manager.informers.informer(r.PODS, indexers=by_ns)
        self.endpoints = manager.informers.informer(r.ENDPOINTS)
        self.slices = manager.informers.informer(r.ENDPOINT_SLICES)
        self.queue: RateLimitingQueue[str] = RateLimitingQueue(clock, default_controller_rate_limiter(clock))
        self.controller = EndpointsController(
            services=self.services.store,
            pods=self.pods.store,
            endpoints=self.endpoints.store,
            slices=self.slices.store,
            endpoint_api=client.resource(r.ENDPOINTS),
            slice_api=client.resource(r.ENDPOINT_SLICES),
        )
        self.services.add_handlers(self._service, lambda old, new: self._service(new), self._service)
        self.pods.add_handlers(self._pod, self._pod_updated, self._pod)
        needs = (self.services, self.pods, self.endpoints, self.slices)
        manager.add(Workers("endpoints", self.queue, self.controller.reconcile, workers), needs=needs)

    def _service(self, service: Obj) -> None:
        self.queue.add(object_key(service))

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        self._pod(old)
        if old.get("metadata", {}).get("labels") != new.get("metadata", {}).get("labels"):
            self._pod(new)

    def _pod(self, pod: Obj) -> None:
        namespace = str((pod.get("metadata") or {}).get("namespace", ""))
        labels = (pod.get("metadata") or {}).get("labels") or {}
        for service in self.services.store.by_index("namespace", namespace):
            selector = (service.get("spec") or {}).get("selector")
            if not isinstance(selector, dict) or not selector:
                continue
            if selector_from_set({str(k): str(v) for k, v in selector.items()}).matches(labels):
                self.queue.add(object_key(service))
