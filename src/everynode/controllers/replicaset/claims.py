"""Claiming pods for a ReplicaSet (upstream ``PodControllerRefManager.ClaimPods`` and
``BaseControllerRefManager.ClaimObject`` in ``controller_ref_manager.go``).

For each candidate pod, ``claim_action`` decides (pure):

- controlled by another owner: ignore it;
- controlled by this ReplicaSet: keep it if the selector matches, else release it — unless the
  ReplicaSet is being deleted, which only keeps what needs no write;
- an orphan: adopt it if the selector matches, it is not being deleted, it is in the ReplicaSet's
  namespace and the ReplicaSet is not being deleted.

``Claimer`` performs the strategic-merge patches. Before its first adoption it re-reads the
ReplicaSet from the API server, uncached: adopting into an owner that was deleted meanwhile would
hand the pod to a ghost (upstream ``RecheckDeletionTimestamp``). Every pod is tried; failures are
gathered into one ``ClaimError``. A pod that is gone (404), and a release the server refuses as
``Invalid`` (the reference was already removed, or the pod was recreated), are not failures.
Upstream also ignores a 404 from the re-read itself, as if the pod were gone.

Nothing here is specific to ReplicaSets but the owner reference; the DaemonSet controller's
``claims.py`` holds the same rules (see the package report: both belong in one shared module).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from everynode.controllers.replicaset.caches import controller_of
from everynode.core import errors
from everynode.core.labels import Selector
from everynode.core.types import Obj

Patcher = Callable[[str, str, Obj], Awaitable[Obj]]
Fetcher = Callable[[str, str], Awaitable[Obj]]


class Action(Enum):
    OWN = "own"
    IGNORE = "ignore"
    ADOPT = "adopt"
    RELEASE = "release"


def claim_action(owner: Mapping[str, Any], selector: Selector, obj: Mapping[str, Any]) -> Action:
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


class ClaimError(Exception):
    """One or more adoptions or releases failed; the message lists them."""


class Claimer:
    """Claims for one owner during one sync (its uncached re-read happens at most once)."""

    def __init__(
        self,
        owner: Obj,
        selector: Selector,
        owner_ref: Obj,
        fetch_owner: Fetcher,
        patch: Patcher,
    ) -> None:
        self.owner = owner
        self.selector = selector
        self.owner_ref = owner_ref
        self.fetch_owner = fetch_owner
        self.patch = patch
        self._checked = False
        self._refusal: Exception | None = None

    async def _can_adopt(self) -> None:
        """Raise why adoption is refused (the owner is gone, replaced or being deleted), if it is."""
        if not self._checked:
            self._checked = True
            meta = self.owner["metadata"]
            namespace, name = meta.get("namespace", ""), meta["name"]
            kind = self.owner_ref.get("kind", "owner")
            try:
                fresh = await self.fetch_owner(namespace, name)
            except errors.ApiError as exc:
                self._refusal = exc
            else:
                fresh_meta = fresh.get("metadata") or {}
                if fresh_meta.get("uid") != meta.get("uid"):
                    self._refusal = ClaimError(
                        f"original {kind} {namespace}/{name} is gone: got uid {fresh_meta.get('uid')}, "
                        f"wanted {meta.get('uid')}"
                    )
                elif fresh_meta.get("deletionTimestamp"):
                    self._refusal = ClaimError(
                        f"{namespace}/{name} has just been deleted at {fresh_meta['deletionTimestamp']}"
                    )
        if self._refusal is not None:
            raise self._refusal

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
                    claimed.append(await self._adopt(obj))
                except errors.NotFound:
                    pass
                except (ClaimError, errors.ApiError) as exc:
                    failures.append(str(exc))
            elif action is Action.RELEASE:
                try:
                    await self._release(obj)
                except (errors.NotFound, errors.Invalid):
                    pass
                except errors.ApiError as exc:
                    failures.append(str(exc))
        if failures:
            raise ClaimError("; ".join(dict.fromkeys(failures)))
        return claimed

    async def _adopt(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        patch = {"metadata": {"ownerReferences": [dict(self.owner_ref)], "uid": meta.get("uid")}}
        return await self.patch(meta.get("namespace", ""), meta["name"], patch)

    async def _release(self, obj: Obj) -> None:
        meta = obj["metadata"]
        patch = {
            "metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": self.owner["metadata"].get("uid")}],
                "uid": meta.get("uid"),
            }
        }
        await self.patch(meta.get("namespace", ""), meta["name"], patch)
