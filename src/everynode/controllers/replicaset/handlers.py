"""What each informer event enqueues (upstream ``addRS``/``updateRS``/``deleteRS`` and
``addPod``/``updatePod``/``deletePod`` in ``replica_set.go``).

- A ReplicaSet added or updated is enqueued (every update: a failed create is retried on the next
  one); a replaced ReplicaSet (same name, new uid) is first handled as a delete; a deleted one loses
  its expectations, so a new one of the same name starts clean.
- A pod with a controller reference enqueues only that controller, if it is a cached ReplicaSet;
  its add lowers the creations awaited, its delete — or the update that gives it a
  ``deletionTimestamp`` — the deletions awaited (each pod once, see ``expectations``). A pod that
  became Ready enqueues its ReplicaSet again after ``minReadySeconds`` + 1 s, to count it available.
- An orphan enqueues every ReplicaSet whose selector matches it, on add and when its labels or
  controller reference change; nobody waits for an orphan, so no expectation moves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from everynode.controllers.replicaset.caches import Caches, controller_of, pod_key
from everynode.controllers.replicaset.expectations import PodExpectations
from everynode.controllers.replicaset.status import min_ready_seconds
from everynode.core.pods import is_ready
from everynode.core.types import Obj
from everynode.informers.store import object_key


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta: Mapping[str, Any] = obj.get("metadata") or {}
    return meta


class EventHandlers:
    def __init__(
        self,
        caches: Caches,
        expectations: PodExpectations,
        enqueue: Callable[[str], None],
        enqueue_after: Callable[[str, float], None],
    ) -> None:
        self.caches = caches
        self.expectations = expectations
        self.enqueue = enqueue
        self.enqueue_after = enqueue_after

    def _enqueue(self, rs: Obj) -> None:
        self.enqueue(object_key(rs))

    def _owner(self, pod: Mapping[str, Any], ref: Mapping[str, Any] | None) -> Obj | None:
        return self.caches.resolve(str(_meta(pod).get("namespace", "")), ref)

    # -- ReplicaSets ------------------------------------------------------------------------------

    def on_replicaset_add(self, rs: Obj) -> None:
        self._enqueue(rs)

    def on_replicaset_update(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("uid") != _meta(new).get("uid"):
            self.on_replicaset_delete(old)
        self._enqueue(new)

    def on_replicaset_delete(self, rs: Obj) -> None:
        key = object_key(rs)
        self.expectations.forget(key)
        self.enqueue(key)

    # -- Pods -------------------------------------------------------------------------------------

    def on_pod_add(self, pod: Obj) -> None:
        if _meta(pod).get("deletionTimestamp"):
            # seen for the first time already being deleted (a restart): a deletion, not a creation
            self.on_pod_delete(pod)
            return
        ref = controller_of(pod)
        if ref is not None:
            owner = self._owner(pod, ref)
            if owner is not None:
                key = object_key(owner)
                self.expectations.creation_observed(key)
                self.enqueue(key)
            return
        for rs in self.caches.matching_replicasets(pod):
            self._enqueue(rs)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return  # a resync, not a change
        labels_changed = (_meta(old).get("labels") or {}) != (_meta(new).get("labels") or {})
        if _meta(new).get("deletionTimestamp"):
            # graceful deletion has begun: replace the pod now, not when the kubelet is done with it
            self.on_pod_delete(new)
            if labels_changed:
                self.on_pod_delete(old)
            return
        old_ref, new_ref = controller_of(old), controller_of(new)
        ref_changed = old_ref != new_ref
        if ref_changed and old_ref is not None:
            previous = self._owner(old, old_ref)
            if previous is not None:
                self._enqueue(previous)
        if new_ref is not None:
            owner = self._owner(new, new_ref)
            if owner is None:
                return
            self._enqueue(owner)
            min_ready = min_ready_seconds(owner)
            if min_ready > 0 and not is_ready(old) and is_ready(new):
                # one second more, so the recheck lands after the pod has become available
                self.enqueue_after(object_key(owner), min_ready + 1.0)
            return
        if labels_changed or ref_changed:
            for rs in self.caches.matching_replicasets(new):
                self._enqueue(rs)

    def on_pod_delete(self, pod: Obj) -> None:
        owner = self._owner(pod, controller_of(pod))
        if owner is None:
            return  # an orphan's deletion concerns nobody
        key = object_key(owner)
        self.expectations.deletion_observed(key, pod_key(pod))
        self.enqueue(key)
