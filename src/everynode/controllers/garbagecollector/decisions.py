"""What the garbage collector does with one object, given what it learned about its owners (pure).

Each owner reference is classified:

- **solid**: the owner exists and is not waiting for its dependents to be deleted;
- **dangling**: the owner is absent (NotFound, or the name now belongs to an object with another uid);
- **waiting**: the owner exists, has a deletionTimestamp and the ``foregroundDeletion`` finalizer;
- **unresolved**: we cannot look the owner up (a kind we do not serve, or a namespaced owner named
  by a cluster-scoped object). It counts as solid: we never delete on a guess.

Then (upstream's ``attemptToDeleteItem``):

- at least one solid owner → keep the object; patch away references to dangling and waiting owners;
- else, a waiting owner and dependents of its own → delete it in the foreground (after unblocking its
  references if a dependent is itself deleting its dependents: a cycle would never finish);
- else → delete it, with the policy its own ``orphan``/``foregroundDeletion`` finalizer asks for, or
  Background.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from everynode.controllers.garbagecollector.refs import (
    FOREGROUND,
    ORPHAN,
    Identity,
    OwnerRef,
    being_deleted,
    has_finalizer,
    metadata,
)
from everynode.core.types import Obj


class OwnerState(Enum):
    SOLID = "solid"
    DANGLING = "dangling"
    WAITING = "waiting"
    UNRESOLVED = "unresolved"


def owner_state(ref: OwnerRef, owner: Mapping[str, Any] | None) -> OwnerState:
    """Classify a reference from the owner as the API server returned it (None: NotFound)."""
    if owner is None or metadata(owner).get("uid") != ref.uid:
        return OwnerState.DANGLING
    if being_deleted(owner) and has_finalizer(owner, FOREGROUND):
        return OwnerState.WAITING
    return OwnerState.SOLID


def lookup_target(ref: OwnerRef, dependent: Identity) -> tuple[str | None, bool]:
    """Where to GET the owner: (namespace, resolvable). Namespaced owners live in the dependent's
    namespace; a cluster-scoped dependent cannot have a namespaced owner; unknown kinds are not
    looked up at all."""
    info = ref.resource
    if info is None:
        return None, False
    if not info.namespaced:
        return None, True
    if not dependent.namespace:
        return None, False
    return dependent.namespace, True


@dataclass(frozen=True, slots=True)
class Decision:
    action: Literal["keep", "remove_refs", "delete"]
    remove_uids: tuple[str, ...] = ()  # for "remove_refs"
    policy: str = "Background"  # for "delete"
    unblock_first: bool = False  # for "delete": unblock the object's own references before


KEEP = Decision("keep")


def policy_for(obj: Mapping[str, Any]) -> str:
    """The propagation policy a garbage object is deleted with: its own finalizer's, else Background."""
    if has_finalizer(obj, ORPHAN):
        return "Orphan"
    if has_finalizer(obj, FOREGROUND):
        return "Foreground"
    return "Background"


def decide(
    latest: Mapping[str, Any],
    states: Sequence[tuple[OwnerRef, OwnerState]],
    *,
    has_dependents: bool,
    dependent_deleting_dependents: bool,
) -> Decision:
    """The action for ``latest`` (the object as just read), given its classified owner references,
    whether the graph knows dependents of it, and whether one of those is deleting its own."""
    if not states:
        return KEEP
    solid = [ref for ref, state in states if state in (OwnerState.SOLID, OwnerState.UNRESOLVED)]
    dangling = [ref.uid for ref, state in states if state is OwnerState.DANGLING]
    waiting = [ref.uid for ref, state in states if state is OwnerState.WAITING]
    if solid:
        if not dangling and not waiting:
            return KEEP
        return Decision("remove_refs", remove_uids=tuple(dangling + waiting))
    if waiting and has_dependents:
        return Decision("delete", policy="Foreground", unblock_first=dependent_deleting_dependents)
    return Decision("delete", policy=policy_for(latest))


# -- patches -------------------------------------------------------------------------------------


def remove_owner_refs_patch(dependent_uid: str, owner_uids: Iterable[str]) -> Obj:
    """Strategic merge patch deleting the references to ``owner_uids`` (merge key ``uid``). The
    dependent's uid rides along, as upstream sends it."""
    deletes = [{"$patch": "delete", "uid": uid} for uid in owner_uids]
    return {"metadata": {"ownerReferences": deletes, "uid": dependent_uid}}


def unblock_owner_refs_patch(dependent_uid: str, refs: Iterable[OwnerRef]) -> Obj | None:
    """Strategic merge patch setting ``blockOwnerDeletion: false`` on every blocking reference; None
    when nothing blocks."""
    unblocked = [{**ref.to_dict(), "blockOwnerDeletion": False} for ref in refs if ref.block_owner_deletion]
    if not unblocked:
        return None
    return {"metadata": {"ownerReferences": unblocked, "uid": dependent_uid}}


def remove_finalizer_patch(obj: Mapping[str, Any], finalizer: str) -> Obj | None:
    """JSON merge patch of ``metadata.finalizers`` without ``finalizer``, guarded by the object's
    resourceVersion (a concurrent change makes it fail with 409 rather than drop someone else's
    finalizer). None when the finalizer is not there."""
    meta = metadata(obj)
    current = [f for f in meta.get("finalizers") or () if isinstance(f, str)]
    if finalizer not in current:
        return None
    remaining = [f for f in current if f != finalizer]
    return {"metadata": {"resourceVersion": meta.get("resourceVersion"), "finalizers": remaining or None}}
