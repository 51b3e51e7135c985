"""What each informer event enqueues (upstream ``addRS``/``updateRS``/``deleteRS`` and
``addPod``/``updatePod``/``deletePod`` in ``replica_set.go``).

ReplicaSets and their pods are routed as every controller routes its owners and their objects
(``runtime.ownerevents``): ReplicaSets enqueue themselves (a replaced one is first handled as deleted,
a deleted one loses its expectations); a pod enqueues its controlling ReplicaSet, its add lowering the
creations awaited and its delete — or the update that starts a graceful deletion — the deletions
awaited (each pod once); an orphan enqueues the ReplicaSets that might adopt it; a pod that became
Ready enqueues its ReplicaSet again after ``minReadySeconds`` + 1 s. What is the ReplicaSet's own: a
graceful deletion that came with new labels is also handled as the deletion of the pod as it was.
"""

from __future__ import annotations

from everynode.core.types import Obj
from everynode.runtime.ownerevents import OwnerEvents, is_resync, labels_changed


class EventHandlers(OwnerEvents):
    """``OwnerEvents`` of ReplicaSets, with their pod expectations."""

    # -- ReplicaSets -----------------------------------------------------------------------------

    on_replicaset_add = OwnerEvents.owner_added
    on_replicaset_update = OwnerEvents.owner_updated
    on_replicaset_delete = OwnerEvents.owner_deleted

    # -- Pods ------------------------------------------------------------------------------------

    on_pod_add = OwnerEvents.owned_added
    on_pod_delete = OwnerEvents.owned_deleted

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        self.pod_updated(old, new)
        deleting = (new.get("metadata") or {}).get("deletionTimestamp")
        if deleting and labels_changed(old, new) and not is_resync(old, new):
            self.owned_deleted(old)  # a ReplicaSet that selected the old labels hears of it too
