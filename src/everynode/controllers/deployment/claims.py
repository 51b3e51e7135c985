"""Claiming ReplicaSets for a Deployment (upstream ``ControllerRefManager.ClaimReplicaSets``): adopt
matching orphans, release owned ReplicaSets that stopped matching, ignore what another controller owns.

The decision is pure (``claim_action``); ``Claimer`` performs the strategic-merge patches (the
ReplicaSet's uid in the patch makes it apply only to that object). Before the first adoption of a sync
the Deployment is re-read uncached: adopting into a Deployment that was just deleted or replaced
would hand ReplicaSets to an owner that is gone (upstream ``RecheckDeletionTimestamp``, kubernetes#42639).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from everynode.controllers.deployment.caches import controller_of
from everynode.core import errors
from everynode.core.labels import Selector
from everynode.core.types import Obj

Patcher = Callable[[str, str, Obj], Awaitable[Obj]]


def controller_ref(deployment: Mapping[str, Any]) -> Obj:
    """``metav1.NewControllerRef``: the Deployment as its ReplicaSets' controlling owner (foreground
    deletion of the Deployment waits for them)."""
    meta = deployment["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


class Action(Enum):
    OWN = "own"
    IGNORE = "ignore"
    ADOPT = "adopt"
    RELEASE = "release"


def claim_action(deployment: Mapping[str, Any], selector: Selector, obj: Mapping[str, Any]) -> Action:
    meta = obj.get("metadata") or {}
    owner = deployment["metadata"]
    deleting = bool(owner.get("deletionTimestamp"))
    matches = selector.matches(meta.get("labels"))
    ref = controller_of(obj)
    if ref is not None:
        if ref.get("uid") != owner.get("uid"):
            return Action.IGNORE
        if matches:
            return Action.OWN
        return Action.IGNORE if deleting else Action.RELEASE
    if deleting or not matches or meta.get("deletionTimestamp"):
        return Action.IGNORE
    if owner.get("namespace") and meta.get("namespace", "") != owner.get("namespace"):
        return Action.IGNORE
    return Action.ADOPT


class ClaimError(Exception):
    pass


class Claimer:
    """Claims for one Deployment during one sync (the uncached recheck happens at most once)."""

    def __init__(
        self,
        deployment: Obj,
        selector: Selector,
        fetch: Callable[[str, str], Awaitable[Obj]],
        patch: Patcher,
    ) -> None:
        self.deployment = deployment
        self.selector = selector
        self.fetch = fetch
        self.patch = patch
        self._checked: Exception | bool | None = False

    async def _can_adopt(self) -> None:
        if self._checked is False:
            meta = self.deployment["metadata"]
            where = f"{meta.get('namespace')}/{meta['name']}"
            try:
                fresh: Obj | None = await self.fetch(meta.get("namespace", ""), meta["name"])
            except errors.NotFound:
                fresh = None
            if fresh is None or fresh["metadata"].get("uid") != meta.get("uid"):
                got = (fresh or {}).get("metadata", {}).get("uid")
                self._checked = ClaimError(
                    f"original Deployment {where} is gone: got uid {got}, wanted {meta.get('uid')}"
                )
            elif fresh["metadata"].get("deletionTimestamp"):
                self._checked = ClaimError(
                    f"{where} has just been deleted at {fresh['metadata']['deletionTimestamp']}"
                )
            else:
                self._checked = None
        if isinstance(self._checked, Exception):
            raise self._checked

    async def claim(self, objects: Iterable[Obj]) -> list[Obj]:
        """The ReplicaSets this Deployment controls after adopting and releasing; raises ``ClaimError``
        (after trying every object) if an adoption or release failed."""
        claimed: list[Obj] = []
        failures: list[str] = []
        for obj in objects:
            action = claim_action(self.deployment, self.selector, obj)
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
                    pass  # gone, or no longer ours: nothing to release
                except errors.ApiError as exc:
                    failures.append(str(exc))
        if failures:
            raise ClaimError("; ".join(dict.fromkeys(failures)))
        return claimed

    async def _adopt(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        patch = {"metadata": {"ownerReferences": [controller_ref(self.deployment)], "uid": meta.get("uid")}}
        return await self.patch(meta.get("namespace", ""), meta["name"], patch)

    async def _release(self, obj: Obj) -> None:
        meta = obj["metadata"]
        patch = {
            "metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": self.deployment["metadata"].get("uid")}],
                "uid": meta.get("uid"),
            }
        }
        await self.patch(meta.get("namespace", ""), meta["name"], patch)
