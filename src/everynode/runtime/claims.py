"""Claiming objects for an owner: adopt matching orphans, release owned objects that stopped matching
(upstream ``BaseControllerRefManager.ClaimObject``, ``ClaimPods``, ``ClaimReplicaSets`` and the
``ControllerRevision`` variant in ``pkg/controller/controller_ref_manager.go``).

Owner-agnostic: DaemonSets claim pods and ControllerRevisions, ReplicaSets claim pods, Deployments
claim ReplicaSets. For each candidate, ``claim_action`` decides (pure):

- controlled by another owner: ignore it;
- controlled by this owner: keep it if the selector matches, else release it — unless the owner is
  being deleted, which keeps only what needs no write;
- an orphan: adopt it if the selector matches, it is not being deleted, it is in the owner's namespace
  (for a namespaced owner) and the owner is not being deleted.

``Claimer`` performs the strategic-merge patches; the object's uid in each patch makes it apply only
to that object, never to one recreated under the same name. Before its first adoption it re-reads the
owner from the API server, uncached, once per ``Claimer`` (upstream ``CanAdopt`` with
``RecheckDeletionTimestamp``): adopting into an owner deleted or replaced meanwhile would hand the
object to a ghost (upstream ``TestDontDoAnythingIfBeingDeletedRace``, kubernetes#42639). A refused
re-read refuses every adoption of that claim, whatever the reason, 404 included.

Every candidate is tried; failures are gathered into one ``ClaimError``. An adoption or release whose
object is gone (404), and a release the server refuses as ``Invalid`` (the reference was removed
already, or the object was recreated), are not failures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from everynode.core import errors
from everynode.core.labels import Selector
from everynode.core.ownerrefs import controller_of
from everynode.core.types import Obj

Patcher = Callable[[str, str, Obj], Awaitable[Obj]]  # (namespace, name, strategic-merge patch)
Fetcher = Callable[[str, str], Awaitable[Obj]]  # (namespace, name): the owner, read uncached


class Action(Enum):
    OWN = "own"
    IGNORE = "ignore"
    ADOPT = "adopt"
    RELEASE = "release"


def claim_action(owner: Mapping[str, Any], selector: Selector, obj: Mapping[str, Any]) -> Action:
    """What ``ClaimObject`` does with ``obj`` for ``owner`` (whose compiled selector is ``selector``)."""
    meta = obj.get("metadata") or {}
    owner_meta = owner["metadata"]
    owner_deleting = bool(owner_meta.get("deletionTimestamp"))
    matches = selector.matches(meta.get("labels"))
    ref = controller_of(obj)
    if ref is not None:
        if ref.get("uid") != owner_meta.get("uid"):
            return Action.IGNORE
        if matches:
            return Action.OWN
        return Action.IGNORE if owner_deleting else Action.RELEASE
    if owner_deleting or not matches or meta.get("deletionTimestamp"):
        return Action.IGNORE
    namespace = owner_meta.get("namespace", "")
    if namespace and namespace != meta.get("namespace", ""):
        return Action.IGNORE
    return Action.ADOPT


def adoption_patch(owner_ref: Mapping[str, Any], obj: Mapping[str, Any]) -> Obj:
    """``AdoptPod``'s patch: add the controller reference, only to the object of this uid."""
    return {"metadata": {"ownerReferences": [dict(owner_ref)], "uid": obj["metadata"].get("uid")}}


def release_patch(owner: Mapping[str, Any], obj: Mapping[str, Any]) -> Obj:
    """``ReleasePod``'s patch: delete the owner's reference (merged by uid), only from this object."""
    return {
        "metadata": {
            "ownerReferences": [{"$patch": "delete", "uid": owner["metadata"].get("uid")}],
            "uid": obj["metadata"].get("uid"),
        }
    }


class ClaimError(Exception):
    """One or more adoptions or releases failed; the message lists them."""


class Claimer:
    """Claims for one owner during one sync (its uncached re-read happens at most once).

    ``owner_ref`` is the controller reference an adoption writes (``new_controller_ref`` of the owner);
    ``fetch_owner`` reads the owner uncached; ``patch`` sends a strategic-merge patch of a candidate."""

    def __init__(
        self,
        owner: Obj,
        selector: Selector,
        owner_ref: Mapping[str, Any],
        fetch_owner: Fetcher,
        patch: Patcher,
    ) -> None:
        self.owner = owner
        self.selector = selector
        self.owner_ref = owner_ref
        self.fetch_owner = fetch_owner
        self.patch = patch
        self._checked = False
        self._refusal: ClaimError | None = None

    async def _can_adopt(self) -> None:
        """Raise why adoption is refused (the owner is gone, replaced or being deleted), if it is."""
        if not self._checked:
            self._checked = True
            self._refusal = await self._recheck()
        if self._refusal is not None:
            raise self._refusal

    async def _recheck(self) -> ClaimError | None:
        meta = self.owner["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        kind = self.owner_ref.get("kind", "owner")
        try:
            fresh = await self.fetch_owner(namespace, name)
        except errors.NotFound:
            fresh = {}
        except errors.ApiError as exc:
            return ClaimError(f"can't recheck the deletion of {kind} {namespace}/{name}: {exc}")
        fresh_meta = fresh.get("metadata") or {}
        if fresh_meta.get("uid") != meta.get("uid"):
            return ClaimError(
                f"original {kind} {namespace}/{name} is gone: got uid {fresh_meta.get('uid')}, "
                f"wanted {meta.get('uid')}"
            )
        if fresh_meta.get("deletionTimestamp"):
            return ClaimError(
                f"{namespace}/{name} has just been deleted at {fresh_meta['deletionTimestamp']}"
            )
        return None

    async def claim(self, objects: Iterable[Obj]) -> list[Obj]:
        """The objects the owner controls after adopting and releasing (an adopted object as the
        patch returned it); raises ``ClaimError`` after trying them all if any claim failed."""
        claimed: list[Obj] = []
        failures: list[str] = []
        for obj in objects:
            action = claim_action(self.owner, self.selector, obj)
            if action is Action.OWN:
                claimed.append(obj)
            elif action is Action.ADOPT:
                try:
                    await self._can_adopt()
                    claimed.append(await self._patch(obj, adoption_patch(self.owner_ref, obj)))
                except errors.NotFound:
                    pass  # gone: nothing to adopt
                except (ClaimError, errors.ApiError) as exc:
                    failures.append(str(exc))
            elif action is Action.RELEASE:
                try:
                    await self._patch(obj, release_patch(self.owner, obj))
                except (errors.NotFound, errors.Invalid):
                    pass  # gone, or no longer ours: nothing to release
                except errors.ApiError as exc:
                    failures.append(str(exc))
        if failures:
            raise ClaimError("; ".join(dict.fromkeys(failures)))
        return claimed

    async def _patch(self, obj: Obj, patch: Obj) -> Obj:
        meta = obj["metadata"]
        return await self.patch(meta.get("namespace", ""), meta["name"], patch)
