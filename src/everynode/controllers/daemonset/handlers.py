"""What each informer event enqueues (upstream-daemonset.md §2.2).

DaemonSets, pods and ControllerRevisions are routed as every controller routes its owners and their
objects (``runtime.ownerevents``): owned objects enqueue their controller (and pod adds/deletes lower
its expectations, each pod's deletion once — a graceful deletion is seen twice); orphans enqueue every
DaemonSet whose selector matches them. What is the DaemonSet's own: an owned ControllerRevision being
*added* enqueues nothing — the controller made it, and reacting would race anyone editing history by
hand (upstream e2e E11); node changes enqueue the DaemonSets whose placement answer for that node
changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from everynode.controllers.daemonset.caches import Caches
from everynode.controllers.daemonset.placement import Placement
from everynode.core.ownerrefs import controller_of
from everynode.core.types import Obj
from everynode.informers.store import object_key
from everynode.runtime.expectations import UIDTrackingExpectations
from everynode.runtime.ownerevents import OwnerEvents


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


class EventHandlers(OwnerEvents):
    """The handlers of DaemonSets and their pods (``OwnerEvents`` with the pod expectations); those of
    ControllerRevisions go through ``revisions``, which moves no expectation."""

    def __init__(
        self,
        caches: Caches,
        expectations: UIDTrackingExpectations,
        enqueue: Callable[[str], None],
        enqueue_after: Callable[[str, float], None],
        placement: Callable[[Mapping[str, Any]], Placement],
    ) -> None:
        super().__init__(caches.owners, enqueue, expectations, enqueue_after)
        self.caches = caches
        self.placement = placement
        self.revisions = OwnerEvents(caches.owners, enqueue)

    # -- DaemonSets ------------------------------------------------------------------------------

    on_daemonset_add = OwnerEvents.owner_added
    on_daemonset_update = OwnerEvents.owner_updated
    on_daemonset_delete = OwnerEvents.owner_deleted

    # -- ControllerRevisions ---------------------------------------------------------------------

    def on_revision_add(self, revision: Obj) -> None:
        if _meta(revision).get("deletionTimestamp"):
            self.on_revision_delete(revision)
        elif controller_of(revision) is None:
            self.revisions.enqueue_adopters(revision)
        # else: the owner made it (or it is someone else's): nothing to do

    def on_revision_update(self, old: Obj, new: Obj) -> None:
        self.revisions.owned_updated(old, new)

    def on_revision_delete(self, revision: Obj) -> None:
        self.revisions.owned_deleted(revision)

    # -- Pods ------------------------------------------------------------------------------------

    on_pod_add = OwnerEvents.owned_added
    on_pod_update = OwnerEvents.pod_updated
    on_pod_delete = OwnerEvents.owned_deleted

    # -- Nodes -----------------------------------------------------------------------------------

    def on_node_add(self, node: Obj) -> None:
        for ds in self.caches.daemonsets.objects():
            if self.placement(ds).should_run(node)[0]:
                self.enqueue(object_key(ds))

    def on_node_update(self, old: Obj, new: Obj) -> None:
        if should_ignore_node_update(old, new):
            return
        for ds in self.caches.daemonsets.objects():
            placement = self.placement(ds)
            if placement.should_run(old) != placement.should_run(new):
                self.enqueue(object_key(ds))
