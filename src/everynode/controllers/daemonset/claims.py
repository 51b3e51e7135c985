"""Claiming objects for a DaemonSet: adopt matching orphans, release owned objects that stopped matching.

The decision is pure (``claim_action``); ``Claimer`` performs the patches. Before the first adoption of
a sync the DaemonSet is re-read from the API server, uncached: adopting into a DaemonSet that was just
deleted would hand pods to an owner that is gone (upstream ``TestDontDoAnythingIfBeingDeletedRace``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from everynode.controllers.daemonset.caches import controller_of
from everynode.controllers.daemonset.podtemplate import controller_ref
from everynode.core import errors
from everynode.core.labels import Selector
from everynode.core.types import Obj

Patcher = Callable[[str, str, Obj], Awaitable[Obj]]


class Action(Enum):
    OWN = "own"
    IGNORE = "ignore"
    ADOPT = "adopt"
    RELEASE = "release"


def claim_action(ds: Mapping[str, Any], selector: Selector, obj: Mapping[str, Any]) -> Action:
    meta = obj.get("metadata", {})
    ds_meta = ds["metadata"]
    ds_deleting = bool(ds_meta.get("deletionTimestamp"))
    matches = selector.matches(meta.get("labels"))
    ref = controller_of(obj)
    if ref is not None:
        if ref.get("uid") != ds_meta.get("uid"):
            return Action.IGNORE
        if matches:
            return Action.OWN
        return Action.IGNORE if ds_deleting else Action.RELEASE
    if ds_deleting or not matches or meta.get("deletionTimestamp"):
        return Action.IGNORE
    if meta.get("namespace", "") != ds_meta.get("namespace", ""):
        return Action.IGNORE
    return Action.ADOPT


class ClaimError(Exception):
    pass


class Claimer:
    """Claims for one DaemonSet during one sync (the uncached recheck happens at most once)."""

    def __init__(
        self,
        ds: Obj,
        selector: Selector,
        fetch_daemonset: Callable[[str, str], Awaitable[Obj]],
        patch: Patcher,
    ) -> None:
        self.ds = ds
        self.selector = selector
        self.fetch_daemonset = fetch_daemonset
        self.patch = patch
        self._checked: Exception | bool | None = False

    async def _can_adopt(self) -> None:
        if self._checked is False:
            meta = self.ds["metadata"]
            try:
                fresh = await self.fetch_daemonset(meta.get("namespace", ""), meta["name"])
            except errors.NotFound:
                fresh = None
            if fresh is None or fresh["metadata"].get("uid") != meta.get("uid"):
                self._checked = ClaimError(
                    f"original DaemonSet {meta.get('namespace')}/{meta['name']} is gone: got uid "
                    f"{(fresh or {}).get('metadata', {}).get('uid')}, wanted {meta.get('uid')}"
                )
            elif fresh["metadata"].get("deletionTimestamp"):
                self._checked = ClaimError(
                    f"{meta.get('namespace')}/{meta['name']} has just been deleted at "
                    f"{fresh['metadata']['deletionTimestamp']}"
                )
            else:
                self._checked = None
        if isinstance(self._checked, Exception):
            raise self._checked

    async def claim(self, objects: Iterable[Obj]) -> list[Obj]:
        """The objects this DaemonSet owns after adopting and releasing; raises if an adoption failed."""
        claimed: list[Obj] = []
        failures: list[str] = []
        for obj in objects:
            action = claim_action(self.ds, self.selector, obj)
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
        patch = {"metadata": {"ownerReferences": [controller_ref(self.ds)], "uid": meta.get("uid")}}
        return await self.patch(meta.get("namespace", ""), meta["name"], patch)

    async def _release(self, obj: Obj) -> None:
        meta = obj["metadata"]
        patch = {
            "metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": self.ds["metadata"].get("uid")}],
                "uid": meta.get("uid"),
            }
        }
        await self.patch(meta.get("namespace", ""), meta["name"], patch)
