"""The cached owners of one kind (DaemonSets, ReplicaSets, Deployments) and the lookups upstream's
controllers make on them: ``resolveControllerRef`` (which cached owner a controller reference names)
and ``GetPodDaemonSets`` / ``GetPodReplicaSets`` / ``GetDeploymentsForReplicaSet`` (which owners might
adopt an orphan).

The owners' store must carry ``OWNERS_INDEXERS`` (by namespace).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.core.labels import Selector
from everynode.core.labelselector import from_label_selector
from everynode.core.types import Obj
from everynode.informers.store import NAMESPACE, IndexFunc, Store, by_namespace

SELECTORS_KEPT = 4096  # compiled selectors kept before the cache starts over
OWNERS_INDEXERS: dict[str, IndexFunc] = {NAMESPACE: by_namespace}


class Owners:
    """The owners of ``kind`` in ``store`` (a controller's informer cache of DaemonSets, ReplicaSets or
    Deployments). Lookups only: the store is the informer's."""

    def __init__(self, store: Store, kind: str) -> None:
        self.store = store
        self.kind = kind
        self._selectors: dict[tuple[str, str, int], Selector | None] = {}

    def selector(self, owner: Mapping[str, Any]) -> Selector | None:
        """The owner's compiled ``spec.selector``, or None when it cannot be parsed (upstream then
        leaves the owner alone until it changes). Kept per uid, name and generation: a selector
        changes only with the spec, and in apps/v1 not at all."""
        meta = owner.get("metadata") or {}
        key = (str(meta.get("uid", "")), str(meta.get("name", "")), int(meta.get("generation") or 0))
        if key not in self._selectors:
            if len(self._selectors) > SELECTORS_KEPT:
                self._selectors.clear()
            try:
                self._selectors[key] = from_label_selector((owner.get("spec") or {}).get("selector"))
            except ValueError:  # SelectorError included
                self._selectors[key] = None
        return self._selectors[key]

    def resolve(self, namespace: str, ref: Mapping[str, Any] | None) -> Obj | None:
        """``resolveControllerRef``: the cached owner a controller reference names — of this kind, with
        that name in ``namespace`` and that uid (a same-named successor is not the one referenced)."""
        if ref is None or ref.get("kind") != self.kind:
            return None
        name = ref.get("name", "")
        owner = self.store.get(f"{namespace}/{name}" if namespace else str(name))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def adopters(self, obj: Mapping[str, Any]) -> list[Obj]:
        """The owners of ``obj``'s namespace whose non-empty selector matches its labels: who might
        adopt it as an orphan (an object without labels matches none). More than one is a user error
        upstream only logs."""
        meta = obj.get("metadata") or {}
        labels = meta.get("labels")
        if not labels:
            return []
        found = []
        for owner in self.store.by_index(NAMESPACE, str(meta.get("namespace", ""))):
            selector = self.selector(owner)
            if selector is not None and not selector.is_empty() and selector.matches(labels):
                found.append(owner)
        return found
