"""What each informer event enqueues (upstream ``deployment_controller.go``'s handlers).

Deployments and ReplicaSets are routed as every controller routes its owners and their objects
(``runtime.ownerevents``, without expectations: a Deployment waits for no ReplicaSet event): a
ReplicaSet enqueues its controlling Deployment (and the previous one when the controller reference
changed); an orphan ReplicaSet that is added, or whose labels or reference changed, enqueues every
Deployment whose selector matches it. A pod is only watched for its deletion: a Recreate Deployment
whose last pod is gone is enqueued so it can bring up the new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.caches import Caches
from everynode.core.types import Obj
from everynode.runtime.ownerevents import OwnerEvents


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta: Mapping[str, Any] = obj.get("metadata") or {}
    return meta


class EventHandlers(OwnerEvents):
    def __init__(self, caches: Caches, enqueue: Callable[[str], None]) -> None:
        super().__init__(caches.owners, enqueue)
        self.caches = caches

    # -- Deployments -----------------------------------------------------------------------------

    on_deployment_add = OwnerEvents.owner_added
    on_deployment_update = OwnerEvents.owner_updated
    on_deployment_delete = OwnerEvents.owner_deleted

    # -- ReplicaSets -----------------------------------------------------------------------------

    on_replicaset_add = OwnerEvents.owned_added
    on_replicaset_update = OwnerEvents.owned_updated
    on_replicaset_delete = OwnerEvents.owned_deleted

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
            self.enqueue_owner(deployment)
