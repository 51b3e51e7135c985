"""What each informer event enqueues (upstream ``deployment_controller.go``'s handlers).

Deployments enqueue themselves. A ReplicaSet enqueues its controlling Deployment (and the previous one
when the controller reference changed); an orphan ReplicaSet that is added, or whose labels or
reference changed, enqueues every Deployment whose selector matches it. A pod is only watched for its
deletion: a Recreate Deployment whose last pod is gone is enqueued so it can bring up the new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.caches import Caches, controller_of
from everynode.core.types import Obj
from everynode.informers.store import object_key


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta: Mapping[str, Any] = obj.get("metadata") or {}
    return meta


class EventHandlers:
    def __init__(self, caches: Caches, enqueue: Callable[[str], None]) -> None:
        self.caches = caches
        self.enqueue = enqueue

    def _enqueue(self, deployment: Obj) -> None:
        self.enqueue(object_key(deployment))

    # -- Deployments -----------------------------------------------------------------------------

    def on_deployment_add(self, deployment: Obj) -> None:
        self._enqueue(deployment)

    def on_deployment_update(self, old: Obj, new: Obj) -> None:
        self._enqueue(new)

    def on_deployment_delete(self, deployment: Obj) -> None:
        self._enqueue(deployment)

    # -- ReplicaSets -----------------------------------------------------------------------------

    def on_replicaset_add(self, rs: Obj) -> None:
        if _meta(rs).get("deletionTimestamp"):
            # on a restart an object may show up already being deleted; it must not be adopted
            self.on_replicaset_delete(rs)
            return
        ref = controller_of(rs)
        if ref is not None:
            owner = self.caches.resolve(_meta(rs).get("namespace", ""), ref)
            if owner is not None:
                self._enqueue(owner)
            return
        for deployment in self.caches.deployments_for_replicaset(rs):
            self._enqueue(deployment)

    def on_replicaset_update(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return  # a resync: nothing changed
        namespace = _meta(new).get("namespace", "")
        old_ref, new_ref = controller_of(old), controller_of(new)
        ref_changed = old_ref != new_ref
        if ref_changed and old_ref is not None:
            previous = self.caches.resolve(namespace, old_ref)
            if previous is not None:
                self._enqueue(previous)
        if new_ref is not None:
            owner = self.caches.resolve(namespace, new_ref)
            if owner is not None:
                self._enqueue(owner)
            return
        if ref_changed or _meta(old).get("labels") != _meta(new).get("labels"):
            for deployment in self.caches.deployments_for_replicaset(new):
                self._enqueue(deployment)

    def on_replicaset_delete(self, rs: Obj) -> None:
        owner = self.caches.resolve(_meta(rs).get("namespace", ""), controller_of(rs))
        if owner is not None:
            self._enqueue(owner)

    # -- Pods ------------------------------------------------------------------------------------

    def on_pod_delete(self, pod: Obj) -> None:
        deployment = self.caches.deployment_for_pod(pod)
        if deployment is None:
            return
        strategy = ((deployment.get("spec") or {}).get("strategy") or {}).get("type")
        if strategy != keys.RECREATE:
            return
        remaining = self.caches.pod_map(deployment, self.caches.owned_replicasets(deployment))
        uid = _meta(pod).get("uid")
        if not any(other for pods in remaining.values() for other in pods if _meta(other).get("uid") != uid):
            self._enqueue(deployment)
