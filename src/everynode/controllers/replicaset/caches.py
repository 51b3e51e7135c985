"""The two informer caches the ReplicaSet controller reads, how they are indexed, and the lookups
upstream's controller makes on them (``resolveControllerRef``, ``getPodReplicaSets``,
``getReplicaSetsWithSameController``, ``getIndirectlyRelatedPods``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.core.labels import Selector
from everynode.core.labelselector import from_label_selector
from everynode.core.types import Obj
from everynode.informers.store import IndexFunc, Store, by_controller_uid, by_namespace

KIND = "ReplicaSet"
NAMESPACE = "namespace"
CONTROLLER_UID = "controllerUID"  # upstream's ReplicaSet index of the same name
CANDIDATES = "replicaset-candidates"


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``metav1.GetControllerOf``: the first ownerReference with ``controller: true``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def pod_key(pod: Mapping[str, Any]) -> str:
    """Upstream's ``PodKey``: ``namespace/name``."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def by_controller_or_orphan(obj: Obj) -> list[str]:
    """Index values of a pod: its controller's uid, or ``orphan/<namespace>``. A ReplicaSet looks only
    at its own pods and the orphans it might adopt; upstream lists the whole namespace and lets the
    claim ignore pods of other controllers, which comes to the same."""
    ref = controller_of(obj)
    if ref is not None:
        return [str(ref.get("uid", ""))]
    return [f"orphan/{(obj.get('metadata') or {}).get('namespace', '')}"]


REPLICASET_INDEXERS: dict[str, IndexFunc] = {NAMESPACE: by_namespace, CONTROLLER_UID: by_controller_uid}
POD_INDEXERS: dict[str, IndexFunc] = {NAMESPACE: by_namespace, CANDIDATES: by_controller_or_orphan}


def new_replicaset_store() -> Store:
    return Store(dict(REPLICASET_INDEXERS))


def new_pod_store() -> Store:
    return Store(dict(POD_INDEXERS))


@dataclass
class Caches:
    replicasets: Store = field(default_factory=new_replicaset_store)
    pods: Store = field(default_factory=new_pod_store)
    _selectors: dict[tuple[str, str], Selector | None] = field(default_factory=dict)

    def selector(self, rs: Mapping[str, Any]) -> Selector | None:
        """The ReplicaSet's compiled ``spec.selector`` (immutable in apps/v1, so kept per uid); None
        when it cannot be parsed (upstream then gives up on the ReplicaSet until it changes)."""
        meta = rs.get("metadata") or {}
        key = (str(meta.get("uid", "")), str(meta.get("name", "")))
        if key not in self._selectors:
            if len(self._selectors) > 4096:
                self._selectors.clear()
            try:
                self._selectors[key] = from_label_selector((rs.get("spec") or {}).get("selector"))
            except ValueError:
                self._selectors[key] = None
        return self._selectors[key]

    def candidates(self, rs: Mapping[str, Any]) -> list[Obj]:
        """The pods this ReplicaSet may claim: its own, and the orphans of its namespace."""
        meta = rs["metadata"]
        return self.pods.by_index(CANDIDATES, str(meta.get("uid", ""))) + self.pods.by_index(
            CANDIDATES, f"orphan/{meta.get('namespace', '')}"
        )

    def resolve(self, namespace: str, ref: Mapping[str, Any] | None) -> Obj | None:
        """``resolveControllerRef``: the cached ReplicaSet a controller reference names (right kind,
        same name and uid), or None."""
        if ref is None or ref.get("kind") != KIND:
            return None
        rs = self.replicasets.get(f"{namespace}/{ref.get('name', '')}" if namespace else str(ref.get("name")))
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        return rs

    def matching_replicasets(self, pod: Mapping[str, Any]) -> list[Obj]:
        """``GetPodReplicaSets``: ReplicaSets of the pod's namespace whose non-empty selector matches its
        labels (a pod without labels matches none). More than one is a user error upstream logs."""
        meta = pod.get("metadata") or {}
        labels = meta.get("labels")
        if not labels:
            return []
        found = []
        for rs in self.replicasets.by_index(NAMESPACE, str(meta.get("namespace", ""))):
            selector = self.selector(rs)
            if selector is not None and not selector.is_empty() and selector.matches(labels):
                found.append(rs)
        return found

    def with_same_controller(self, rs: Mapping[str, Any]) -> list[Obj]:
        """``getReplicaSetsWithSameController``: every cached ReplicaSet controlled by the same owner
        (this one included); none when it has no controller."""
        ref = controller_of(rs)
        if ref is None:
            return []
        return self.replicasets.by_index(CONTROLLER_UID, str(ref.get("uid", "")))

    def related_pods(self, rs: Mapping[str, Any]) -> list[Obj]:
        """``getIndirectlyRelatedPods``: the pods selected by any ReplicaSet sharing this one's
        controller (whatever their state or owner), each once."""
        related: list[Obj] = []
        seen: set[str] = set()
        for sibling in self.with_same_controller(rs):
            selector = self.selector(sibling)
            if selector is None:
                continue
            namespace = str(sibling["metadata"].get("namespace", ""))
            for pod in self.pods.by_index(NAMESPACE, namespace):
                if not selector.matches((pod.get("metadata") or {}).get("labels")):
                    continue
                uid = str(pod["metadata"].get("uid", "")) or pod_key(pod)
                if uid in seen:
                    continue
                seen.add(uid)
                related.append(pod)
        return related
