"""The informer caches the Deployment controller reads (deployments, replicasets, pods), their indexes,
and the lookups upstream's listers answer that are the Deployment's own (``getPodMapForDeployment``,
``getDeploymentForPod``); ``resolveControllerRef`` and ``GetDeploymentsForReplicaSet`` are
``runtime.owners.Owners``'.

ReplicaSets and pods are indexed by controller (``informers.store.OWNED_INDEXERS``, the index every
controller sharing these informers uses): a Deployment reads the ReplicaSets it owns and
the orphans it may adopt, and each ReplicaSet's pods by its uid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from everynode.core.ownerrefs import controller_of
from everynode.core.types import Obj
from everynode.informers.store import CONTROLLER_OR_ORPHAN, OWNED_INDEXERS, Store
from everynode.runtime.owners import OWNERS_INDEXERS, Owners

KIND = "Deployment"


@dataclass
class Caches:
    deployments: Store = field(default_factory=partial(Store, OWNERS_INDEXERS))
    replicasets: Store = field(default_factory=partial(Store, OWNED_INDEXERS))
    pods: Store = field(default_factory=partial(Store, OWNED_INDEXERS))

    @cached_property
    def owners(self) -> Owners:
        return Owners(self.deployments, KIND)

    def pod_map(self, deployment: Mapping[str, Any], rss: list[Obj]) -> dict[str, list[Obj]]:
        """``getPodMapForDeployment``: for each ReplicaSet's uid, the pods it controls that the
        Deployment's selector matches (terminal ones included: Recreate waits on them)."""
        selector = self.owners.selector(deployment)
        found: dict[str, list[Obj]] = {}
        for rs in rss:
            rs_uid = str((rs.get("metadata") or {}).get("uid", ""))
            pods = self.pods.by_index(CONTROLLER_OR_ORPHAN, rs_uid)
            found[rs_uid] = [
                pod
                for pod in pods
                if selector is not None and selector.matches((pod.get("metadata") or {}).get("labels"))
            ]
        return found

    def deployment_for_pod(self, pod: Mapping[str, Any]) -> Obj | None:
        """``getDeploymentForPod``: the Deployment controlling the ReplicaSet controlling the pod."""
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return None
        namespace = (pod.get("metadata") or {}).get("namespace", "")
        rs = self.replicasets.get(f"{namespace}/{ref.get('name', '')}")
        if rs is None or (rs.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return self.owners.resolve(namespace, controller_of(rs))

    def owned_replicasets(self, deployment: Mapping[str, Any]) -> list[Obj]:
        uid = str((deployment.get("metadata") or {}).get("uid", ""))
        return self.replicasets.by_index(CONTROLLER_OR_ORPHAN, uid)
