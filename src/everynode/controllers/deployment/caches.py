"""The informer caches the Deployment controller reads (deployments, replicasets, pods) and their
indexes, with the lookups upstream's listers answer (``resolveControllerRef``,
``GetDeploymentsForReplicaSet``, ``getPodMapForDeployment``).

Index names carry this package's prefix: the informers are shared with other controllers, and a name
asked for with another function is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.core.labels import Selector, SelectorError
from everynode.core.labelselector import from_label_selector
from everynode.core.types import Obj
from everynode.informers.store import Store, by_controller_uid, by_namespace

NAMESPACE = "namespace"  # the shared name for informers.store.by_namespace
OWNED_OR_ORPHAN = "deployment.controller-or-orphan"
CONTROLLER_UID = "deployment.controller-uid"


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``metav1.GetControllerOf``: the ownerReference with ``controller: true``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def by_controller_or_orphan(obj: Obj) -> list[str]:
    """The controller's uid, or ``orphan/<namespace>``: a Deployment only looks at the ReplicaSets it
    owns and at orphans it may adopt."""
    ref = controller_of(obj)
    if ref is not None:
        return [str(ref.get("uid", ""))]
    return [f"orphan/{(obj.get('metadata') or {}).get('namespace', '')}"]


def new_deployment_store() -> Store:
    return Store({NAMESPACE: by_namespace})


def new_replicaset_store() -> Store:
    return Store({OWNED_OR_ORPHAN: by_controller_or_orphan})


def new_pod_store() -> Store:
    return Store({CONTROLLER_UID: by_controller_uid})


@dataclass
class Caches:
    deployments: Store = field(default_factory=new_deployment_store)
    replicasets: Store = field(default_factory=new_replicaset_store)
    pods: Store = field(default_factory=new_pod_store)
    _selectors: dict[tuple[str, int], Selector | None] = field(default_factory=dict)

    def selector(self, deployment: Mapping[str, Any]) -> Selector | None:
        """The compiled ``spec.selector`` (kept per uid and generation); None if it does not parse."""
        meta = deployment.get("metadata") or {}
        key = (str(meta.get("uid", "")), int(meta.get("generation") or 0))
        if key not in self._selectors:
            if len(self._selectors) > 4096:
                self._selectors.clear()
            try:
                self._selectors[key] = from_label_selector((deployment.get("spec") or {}).get("selector"))
            except (SelectorError, ValueError):
                self._selectors[key] = None
        return self._selectors[key]

    def candidate_replicasets(self, deployment: Mapping[str, Any]) -> list[Obj]:
        """The ReplicaSets the Deployment owns, and the orphans of its namespace."""
        meta = deployment.get("metadata") or {}
        return self.replicasets.by_index(
            OWNED_OR_ORPHAN, str(meta.get("uid", ""))
        ) + self.replicasets.by_index(OWNED_OR_ORPHAN, f"orphan/{meta.get('namespace', '')}")

    def pod_map(self, deployment: Mapping[str, Any], rss: list[Obj]) -> dict[str, list[Obj]]:
        """``getPodMapForDeployment``: for each ReplicaSet's uid, the pods it controls that the
        Deployment's selector matches (terminal ones included: Recreate waits on them)."""
        selector = self.selector(deployment)
        found: dict[str, list[Obj]] = {}
        for rs in rss:
            rs_uid = str((rs.get("metadata") or {}).get("uid", ""))
            pods = self.pods.by_index(CONTROLLER_UID, rs_uid)
            found[rs_uid] = [
                pod
                for pod in pods
                if selector is not None and selector.matches((pod.get("metadata") or {}).get("labels"))
            ]
        return found

    def resolve(self, namespace: str, ref: Mapping[str, Any] | None) -> Obj | None:
        """``resolveControllerRef``: the Deployment a controller reference names, if cached with its uid."""
        if ref is None or ref.get("kind") != "Deployment":
            return None
        deployment = self.deployments.get(f"{namespace}/{ref.get('name', '')}")
        if deployment is None or (deployment.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return deployment

    def deployments_for_replicaset(self, rs: Mapping[str, Any]) -> list[Obj]:
        """``GetDeploymentsForReplicaSet``: Deployments of its namespace whose non-empty selector matches
        its labels (an orphan's possible adopters)."""
        meta = rs.get("metadata") or {}
        labels = meta.get("labels")
        if not labels:
            return []
        found = []
        for deployment in self.deployments.by_index(NAMESPACE, meta.get("namespace", "")):
            selector = self.selector(deployment)
            if selector is not None and not selector.is_empty() and selector.matches(labels):
                found.append(deployment)
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
        return self.resolve(namespace, controller_of(rs))

    def owned_replicasets(self, deployment: Mapping[str, Any]) -> list[Obj]:
        uid = str((deployment.get("metadata") or {}).get("uid", ""))
        return self.replicasets.by_index(OWNED_OR_ORPHAN, uid)
