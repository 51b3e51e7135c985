"""The four informer caches the DaemonSet controller reads, and how they are indexed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.core.labels import Selector
from everynode.core.labelselector import from_label_selector
from everynode.core.types import Obj
from everynode.informers.store import Store, by_namespace

CANDIDATES = "controller-or-orphan"


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def by_controller_or_orphan(obj: Obj) -> list[str]:
    """Index values: the controller's uid, or ``orphan/<namespace>`` — a DaemonSet only ever looks at
    its own objects and at orphans it might adopt, never at what another controller owns."""
    ref = controller_of(obj)
    if ref is not None:
        return [str(ref.get("uid", ""))]
    return [f"orphan/{obj.get('metadata', {}).get('namespace', '')}"]


def new_pod_store() -> Store:
    return Store({CANDIDATES: by_controller_or_orphan})


def new_revision_store() -> Store:
    return Store({CANDIDATES: by_controller_or_orphan})


def new_daemonset_store() -> Store:
    return Store({"namespace": by_namespace})


@dataclass
class Caches:
    daemonsets: Store = field(default_factory=new_daemonset_store)
    pods: Store = field(default_factory=new_pod_store)
    nodes: Store = field(default_factory=Store)
    revisions: Store = field(default_factory=new_revision_store)
    _selectors: dict[str, Selector | None] = field(default_factory=dict)

    def candidates(self, store: Store, ds: Mapping[str, Any]) -> list[Obj]:
        meta = ds["metadata"]
        return store.by_index(CANDIDATES, meta["uid"]) + store.by_index(
            CANDIDATES, f"orphan/{meta.get('namespace', '')}"
        )

    def selector(self, ds: Mapping[str, Any]) -> Selector | None:
        """The DaemonSet's compiled selector (immutable, so cached by uid); None when it cannot be parsed."""
        key = str(ds["metadata"].get("uid", ""))
        if key not in self._selectors:
            if len(self._selectors) > 4096:
                self._selectors.clear()
            try:
                self._selectors[key] = from_label_selector(ds.get("spec", {}).get("selector"))
            except ValueError:
                self._selectors[key] = None
        return self._selectors[key]

    def daemonsets_in(self, namespace: str) -> list[Obj]:
        return self.daemonsets.by_index("namespace", namespace)

    def matching_daemonsets(self, obj: Mapping[str, Any]) -> list[Obj]:
        """DaemonSets in ``obj``'s namespace whose non-empty selector matches its labels."""
        labels = obj.get("metadata", {}).get("labels")
        if not labels:
            return []
        found = []
        for ds in self.daemonsets_in(obj.get("metadata", {}).get("namespace", "")):
            selector = self.selector(ds)
            if selector is not None and not selector.is_empty() and selector.matches(labels):
                found.append(ds)
        return found

    def resolve(self, namespace: str, ref: Mapping[str, Any] | None) -> Obj | None:
        """The DaemonSet a controller reference names, if it is in the cache with that uid."""
        if ref is None or ref.get("kind") != "DaemonSet":
            return None
        ds = self.daemonsets.get(f"{namespace}/{ref.get('name', '')}")
        if ds is None or ds["metadata"].get("uid") != ref.get("uid"):
            return None
        return ds
