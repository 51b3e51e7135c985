"""What each informer event enqueues (upstream-daemonset.md §2.2).

Owned objects enqueue their controller (and pod adds/deletes lower its expectations); orphans enqueue
every DaemonSet whose selector matches them; node changes enqueue the DaemonSets whose placement
answer for that node changed. An owned ControllerRevision being *added* enqueues nothing: the
controller made it, and reacting would race anyone editing history by hand (upstream e2e E11).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from everynode.controllers.daemonset.caches import Caches, controller_of
from everynode.controllers.daemonset.placement import Placement
from everynode.core.pods import is_ready
from everynode.core.types import Obj
from everynode.informers.store import object_key
from everynode.runtime.expectations import Expectations


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta: Mapping[str, Any] = obj.get("metadata") or {}
    return meta


def should_ignore_node_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Only a change of the node's labels or taints can change where daemon pods belong.

    Compared as upstream's semantic equality does: a missing map or list equals an empty one.
    """
    same_labels = (_meta(old).get("labels") or {}) == (_meta(new).get("labels") or {})
    same_taints = ((old.get("spec") or {}).get("taints") or []) == (
        (new.get("spec") or {}).get("taints") or []
    )
    return same_labels and same_taints


class EventHandlers:
    def __init__(
        self,
        caches: Caches,
        expectations: Expectations,
        enqueue: Callable[[str], None],
        enqueue_after: Callable[[str, float], None],
        placement: Callable[[Mapping[str, Any]], Placement],
    ) -> None:
        self.caches = caches
        self.expectations = expectations
        self.enqueue = enqueue
        self.enqueue_after = enqueue_after
        self.placement = placement

    def _enqueue(self, ds: Mapping[str, Any]) -> None:
        self.enqueue(object_key(dict(ds)))

    def _enqueue_matching(self, obj: Mapping[str, Any]) -> None:
        for ds in self.caches.matching_daemonsets(obj):
            self._enqueue(ds)

    def _owner_update(self, old: Obj, new: Obj) -> tuple[bool, Obj | None]:
        """The part of an update that pods and revisions share: a controller that lost the object is
        enqueued; an orphan whose labels or reference changed enqueues every matching DaemonSet.
        Returns (has a controller now, that controller if it is a DaemonSet in the cache)."""
        namespace = _meta(new).get("namespace", "")
        old_ref, new_ref = controller_of(old), controller_of(new)
        ref_changed = old_ref != new_ref
        if ref_changed and old_ref is not None:
            previous = self.caches.resolve(namespace, old_ref)
            if previous is not None:
                self._enqueue(previous)
        if new_ref is not None:
            return True, self.caches.resolve(namespace, new_ref)
        if ref_changed or _meta(old).get("labels") != _meta(new).get("labels"):
            self._enqueue_matching(new)
        return False, None

    # -- DaemonSets ------------------------------------------------------------------------------

    def on_daemonset_add(self, ds: Obj) -> None:
        self._enqueue(ds)

    def on_daemonset_update(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("uid") != _meta(new).get("uid"):
            self.on_daemonset_delete(old)
        self._enqueue(new)

    def on_daemonset_delete(self, ds: Obj) -> None:
        key = object_key(ds)
        self.expectations.forget(key)
        self.enqueue(key)

    # -- ControllerRevisions ---------------------------------------------------------------------

    def on_revision_add(self, revision: Obj) -> None:
        if _meta(revision).get("deletionTimestamp"):
            self.on_revision_delete(revision)
            return
        ref = controller_of(revision)
        if ref is not None:
            return  # the owner made it (or it is someone else's): nothing to do
        self._enqueue_matching(revision)

    def on_revision_update(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return
        owned, owner = self._owner_update(old, new)
        if owned and owner is not None:
            self._enqueue(owner)

    def on_revision_delete(self, revision: Obj) -> None:
        owner = self.caches.resolve(_meta(revision).get("namespace", ""), controller_of(revision))
        if owner is not None:
            self._enqueue(owner)

    # -- Pods ------------------------------------------------------------------------------------

    def on_pod_add(self, pod: Obj) -> None:
        if _meta(pod).get("deletionTimestamp"):
            self.on_pod_delete(pod)
            return
        ref = controller_of(pod)
        if ref is not None:
            owner = self.caches.resolve(_meta(pod).get("namespace", ""), ref)
            if owner is not None:
                key = object_key(owner)
                self.expectations.creation_observed(key)
                self.enqueue(key)
            return
        self._enqueue_matching(pod)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return
        if _meta(new).get("deletionTimestamp"):
            self.on_pod_delete(new)
            return
        owned, owner = self._owner_update(old, new)
        if not owned or owner is None:
            return
        self._enqueue(owner)
        min_ready = int(owner.get("spec", {}).get("minReadySeconds") or 0)
        if min_ready > 0 and not is_ready(old) and is_ready(new):
            # one second more, so the recheck lands after the pod has become available
            self.enqueue_after(object_key(owner), min_ready + 1.0)

    def on_pod_delete(self, pod: Obj) -> None:
        owner = self.caches.resolve(_meta(pod).get("namespace", ""), controller_of(pod))
        if owner is None:
            return
        key = object_key(owner)
        self.expectations.deletion_observed(key)
        self.enqueue(key)

    # -- Nodes -----------------------------------------------------------------------------------

    def on_node_add(self, node: Obj) -> None:
        for ds in self.caches.daemonsets.objects():
            if self.placement(ds).should_run(node)[0]:
                self._enqueue(ds)

    def on_node_update(self, old: Obj, new: Obj) -> None:
        if should_ignore_node_update(old, new):
            return
        for ds in self.caches.daemonsets.objects():
            placement = self.placement(ds)
            if placement.should_run(old) != placement.should_run(new):
                self._enqueue(ds)
