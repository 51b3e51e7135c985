"""Informer events of owners and of the objects they own, routed to the owners' work queue — the part
of upstream's event handlers every controller of owned objects shares (``addPod``/``updatePod``/
``deletePod`` of ``replica_set.go`` and ``daemon_controller.go``, ``addReplicaSet``/
``updateReplicaSet``/``deleteReplicaSet`` of ``deployment_controller.go``, ``addHistory`` & co.).

- An owner added or updated is enqueued; one replaced (same name, new uid) is first handled as
  deleted; a deleted one loses its expectations, so a successor of the same name starts clean.
- An owned object enqueues only its controller, if that is an owner of this kind in the cache; with
  expectations, its add is an observed creation and its delete — or, for a pod, the update that
  gives it a ``deletionTimestamp`` — an observed deletion (each pod once: ``UIDTrackingExpectations``).
- An orphan enqueues every owner whose selector matches it, when it is added and when its labels or
  controller reference change; nobody waits for an orphan, so no expectation moves.
- When the controller reference changes, the previous controller is enqueued too (it lost the object).

Every call is O(1) but for orphans (a scan of the owners of one namespace), as upstream's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from everynode.core.ownerrefs import controller_of
from everynode.core.pods import is_ready
from everynode.core.types import Obj
from everynode.informers.store import object_key
from everynode.runtime.expectations import UIDTrackingExpectations
from everynode.runtime.owners import Owners


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta: Mapping[str, Any] = obj.get("metadata") or {}
    return meta


def is_resync(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """An update that changed nothing (a relist delivers every object again with its version)."""
    return _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion")


def labels_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Compared as upstream's semantic equality does: no labels equal empty labels."""
    return (_meta(old).get("labels") or {}) != (_meta(new).get("labels") or {})


class OwnerEvents:
    """Routes events for one owner kind (``owners``) into ``enqueue``; ``expectations``, when given, are
    the owner's pod expectations (only the handlers of pods get them); ``enqueue_after``, when given,
    schedules the availability rechecks of pods.

    A controller's event handlers subclass it, naming upstream's handlers after what they handle
    (``on_pod_add = OwnerEvents.owned_added``) and adding what is theirs alone."""

    def __init__(
        self,
        owners: Owners,
        enqueue: Callable[[str], None],
        expectations: UIDTrackingExpectations | None = None,
        enqueue_after: Callable[[str, float], None] | None = None,
    ) -> None:
        self.resolve = owners.resolve
        self.adopters = owners.adopters
        self.enqueue = enqueue
        self.expectations = expectations
        self.enqueue_after = enqueue_after

    def enqueue_owner(self, owner: Obj) -> None:
        self.enqueue(object_key(owner))

    def enqueue_adopters(self, obj: Mapping[str, Any]) -> None:
        for owner in self.adopters(obj):
            self.enqueue(object_key(owner))

    # -- the owners' own events ----------------------------------------------------------------------

    def owner_added(self, owner: Obj) -> None:
        self.enqueue(object_key(owner))

    def owner_updated(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("uid") != _meta(new).get("uid"):
            self.owner_deleted(old)
        self.enqueue(object_key(new))

    def owner_deleted(self, owner: Obj) -> None:
        key = object_key(owner)
        if self.expectations is not None:
            self.expectations.forget(key)
        self.enqueue(key)

    # -- owned objects ---------------------------------------------------------------------------------

    def owned_added(self, obj: Obj) -> None:
        """``addPod``, ``addReplicaSet`` (Deployments): an object seen for the first time already being
        deleted (a restart) is a deletion, not a creation; an owned one enqueues its owner (with
        expectations, an observed creation), an orphan its possible adopters."""
        meta = _meta(obj)
        if meta.get("deletionTimestamp"):
            self.owned_deleted(obj)
            return
        ref = controller_of(obj)
        if ref is None:
            self.enqueue_adopters(obj)
            return
        owner = self.resolve(meta.get("namespace", ""), ref)
        if owner is not None:
            key = object_key(owner)
            if self.expectations is not None:
                self.expectations.creation_observed(key)
            self.enqueue(key)

    def owned_updated(self, old: Obj, new: Obj) -> None:
        """``updateReplicaSet`` (Deployments), ``updateHistory`` (DaemonSets): a resync changes
        nothing; otherwise the controller reference routes the change."""
        if not is_resync(old, new):
            self.route_update(old, new)

    def pod_updated(self, old: Obj, new: Obj) -> None:
        """``updatePod`` (ReplicaSets, DaemonSets): a resync changes nothing; an update that starts a
        graceful deletion is the deletion (replace the pod now, not when the kubelet is done with it);
        otherwise the controller reference routes the change, and a pod that became Ready is rechecked
        when it will have become available."""
        new_meta = _meta(new)
        if _meta(old).get("resourceVersion") == new_meta.get("resourceVersion"):
            return  # a resync (is_resync, inlined: every pod event of a 5,000-node DaemonSet comes here)
        if new_meta.get("deletionTimestamp"):
            self.owned_deleted(new)
            return
        owner = self.route_update(old, new)
        if owner is not None:
            self.recheck_when_available(owner, old, new)

    def route_update(self, old: Obj, new: Obj) -> Obj | None:
        """The controller-reference part of an update: the previous controller, if it lost the object,
        is enqueued; the current one is enqueued and returned (None for an orphan, or an owner not in
        the cache); an orphan whose labels or reference changed enqueues its possible adopters."""
        namespace = _meta(new).get("namespace", "")
        old_ref, new_ref = controller_of(old), controller_of(new)
        ref_changed = old_ref != new_ref
        if ref_changed and old_ref is not None:
            previous = self.resolve(namespace, old_ref)
            if previous is not None:
                self.enqueue(object_key(previous))
        if new_ref is not None:
            owner = self.resolve(namespace, new_ref)
            if owner is not None:
                self.enqueue(object_key(owner))
            return owner
        if ref_changed or labels_changed(old, new):
            self.enqueue_adopters(new)
        return None

    def owned_deleted(self, obj: Obj) -> None:
        """``deletePod``: the owner is enqueued, and (with expectations) the deletion observed."""
        meta = _meta(obj)
        namespace = meta.get("namespace", "")
        owner = self.resolve(namespace, controller_of(obj))
        if owner is None:
            return  # an orphan's deletion concerns nobody
        key = object_key(owner)
        if self.expectations is not None:
            self.expectations.deletion_observed(key, f"{namespace}/{meta.get('name', '')}")  # pod_key
        self.enqueue(key)

    def recheck_when_available(self, owner: Obj, old: Obj, new: Obj) -> None:
        """A pod that just became Ready counts as available ``minReadySeconds`` later: enqueue its owner
        again then, one second more so the recheck lands after (upstream ``updatePod``)."""
        if self.enqueue_after is None:
            return
        min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
        if min_ready > 0 and not is_ready(old) and is_ready(new):
            self.enqueue_after(object_key(owner), min_ready + 1.0)
