"""The two informer caches the ReplicaSet controller reads, how they are indexed, and the lookups
upstream's controller makes on them that are its own (``getReplicaSetsWithSameController``,
``getIndirectlyRelatedPods``); ``resolveControllerRef`` and ``GetPodReplicaSets`` are
``runtime.owners.Owners``'.

Both stores are indexed by namespace and by controller (``informers.store.OWNED_INDEXERS``):
a ReplicaSet reads its own pods and the orphans of its namespace, and the ReplicaSets of one
Deployment are found by their controller's uid (upstream's ``controllerUID`` index).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from everynode.core.ownerrefs import controller_of
from everynode.core.types import Obj
from everynode.informers.store import CONTROLLER_OR_ORPHAN, NAMESPACE, OWNED_INDEXERS, IndexFunc, Store
from everynode.runtime.expectations import pod_key
from everynode.runtime.owners import OWNERS_INDEXERS, Owners

KIND = "ReplicaSet"
INDEXERS: dict[str, IndexFunc] = {**OWNERS_INDEXERS, **OWNED_INDEXERS}  # of both stores


@dataclass
class Caches:
    replicasets: Store = field(default_factory=partial(Store, INDEXERS))
    pods: Store = field(default_factory=partial(Store, INDEXERS))

    @cached_property
    def owners(self) -> Owners:
        return Owners(self.replicasets, KIND)

    def with_same_controller(self, rs: Mapping[str, Any]) -> list[Obj]:
        """``getReplicaSetsWithSameController``: every cached ReplicaSet controlled by the same owner
        (this one included); none when it has no controller."""
        ref = controller_of(rs)
        if ref is None or not ref.get("uid"):
            return []
        return self.replicasets.by_index(CONTROLLER_OR_ORPHAN, str(ref["uid"]))

    def related_pods(self, rs: Mapping[str, Any]) -> list[Obj]:
        """``getIndirectlyRelatedPods``: the pods selected by any ReplicaSet sharing this one's
        controller (whatever their state or owner), each once."""
        related: list[Obj] = []
        seen: set[str] = set()
        for sibling in self.with_same_controller(rs):
            selector = self.owners.selector(sibling)
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
