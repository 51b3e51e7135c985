"""The informer's cache: objects by ``namespace/name`` key, plus named indexes (e.g. pods by node)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from everynode.core.ownerrefs import controller_of
from everynode.core.types import Obj

IndexFunc = Callable[[Obj], Iterable[str]]

# Index names shared by every user of a shared informer: one name, one function (see ``add_indexers``).
NAMESPACE = "namespace"  # by_namespace
CONTROLLER_OR_ORPHAN = "controller-or-orphan"  # by_controller_or_orphan


def object_key(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name', '')}" if namespace else str(meta.get("name", ""))


def by_namespace(obj: Obj) -> list[str]:
    return [obj.get("metadata", {}).get("namespace", "")]


def by_node_name(obj: Obj) -> list[str]:
    node = obj.get("spec", {}).get("nodeName")
    return [node] if node else []


def by_controller_uid(obj: Obj) -> list[str]:
    return [
        ref["uid"]
        for ref in obj.get("metadata", {}).get("ownerReferences", [])
        if ref.get("controller") and ref.get("uid")
    ]


def by_controller_or_orphan(obj: Obj) -> list[str]:
    """The controller's uid, or ``orphan/<namespace>`` for an object without one.

    What a controller of owned objects (DaemonSet, ReplicaSet, Deployment) reads: its own objects and
    the orphans of its namespace it might adopt, never what another controller owns. Upstream lists
    the whole namespace and lets the claim ignore the others' objects, which comes to the same."""
    ref = controller_of(obj)
    if ref is not None:
        return [str(ref.get("uid", ""))]
    return [orphans_of((obj.get("metadata") or {}).get("namespace", ""))]


# What a store of owned objects (pods, ControllerRevisions, ReplicaSets) carries for claim_candidates.
OWNED_INDEXERS: dict[str, IndexFunc] = {CONTROLLER_OR_ORPHAN: by_controller_or_orphan}


def orphans_of(namespace: str) -> str:
    """The ``CONTROLLER_OR_ORPHAN`` value of the orphans of ``namespace``."""
    return f"orphan/{namespace}"


def claim_candidates(store: Store, owner: Mapping[str, Any]) -> list[Obj]:
    """What ``owner`` may claim from ``store`` (indexed by ``CONTROLLER_OR_ORPHAN``): the objects it
    controls, then the orphans of its namespace."""
    meta = owner["metadata"]
    return store.by_index(CONTROLLER_OR_ORPHAN, str(meta.get("uid", ""))) + store.by_index(
        CONTROLLER_OR_ORPHAN, orphans_of(meta.get("namespace", ""))
    )


class Store:
    def __init__(self, indexers: dict[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, Obj] = {}
        self._indexers = dict(indexers or {})
        self._indexes: dict[str, dict[str, set[str]]] = {name: {} for name in self._indexers}
        self.version = 0  # bumped by every change, so readers can tell whether what they derived is stale

    def get(self, key: str) -> Obj | None:
        return self._items.get(key)

    def objects(self) -> list[Obj]:
        return list(self._items.values())

    def all_keys(self) -> list[str]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def by_index(self, index: str, value: str) -> list[Obj]:
        return [self._items[key] for key in self._indexes[index].get(value, ())]

    def upsert(self, obj: Obj) -> Obj | None:
        """Store ``obj``; the version it replaced, if any."""
        key = object_key(obj)
        self.version += 1
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        self._index(key, obj)
        return old

    def remove(self, obj: Obj) -> Obj | None:
        key = object_key(obj)
        self.version += 1
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def replace(self, objects: Iterable[Obj]) -> None:
        self.version += 1
        self._items = {}
        self._indexes = {name: {} for name in self._indexers}
        for obj in objects:
            self.upsert(obj)

    def add_indexers(self, indexers: Mapping[str, IndexFunc]) -> None:
        """Add named indexes, at any time: a new index is built over the objects already stored.

        Asking again for an index that exists with the same function is a no-op (several users of a
        shared informer may each ask for it); with a different function it is a ``ValueError``, and
        then no index of ``indexers`` is added.
        """
        for name, func in indexers.items():
            existing = self._indexers.get(name)
            if existing is not None and existing != func:
                raise ValueError(f"index {name!r} already exists with another function ({existing!r})")
        for name, func in indexers.items():
            if name in self._indexers:
                continue
            self._indexers[name] = func
            index: dict[str, set[str]] = {}
            for key, obj in self._items.items():
                for value in func(obj):
                    index.setdefault(value, set()).add(key)
            self._indexes[name] = index

    def _index(self, key: str, obj: Obj) -> None:
        for name, func in self._indexers.items():
            for value in func(obj):
                self._indexes[name].setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: Obj) -> None:
        for name, func in self._indexers.items():
            for value in func(obj):
                keys = self._indexes[name].get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._indexes[name][value]
