"""One pod-GC pass over the cached pods and nodes: the four checks, then the force deletes.

A force delete is upstream's ``markFailedAndDeletePod``: a pod not yet Failed or Succeeded first gets
``phase: Failed`` (and, for a pod of a deleted node, the ``DisruptionTarget`` condition), so it does
not stay Running forever with no kubelet to say otherwise; then it is deleted with grace period 0.
NotFound at either step means someone else finished the job; other errors are logged and the pod is
tried again on the next pass. A pod is force-deleted at most once per pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from everynode.controllers.podgc import selection
from everynode.controllers.podgc.api import PodGCApi
from everynode.core import errors
from everynode.core.clock import Clock, RealClock
from everynode.core.timestamps import format_time
from everynode.core.types import Obj

log = logging.getLogger(__name__)
QUARANTINE = 40.0  # upstream's quarantineTime
TERMINATED_THRESHOLD = 12500  # upstream's --terminated-pod-gc-threshold default
CONCURRENCY = 64


class PodGCController:
    def __init__(
        self,
        api: PodGCApi,
        *,
        quarantine: float = QUARANTINE,
        terminated_threshold: int = TERMINATED_THRESHOLD,
        clock: Clock | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.api = api
        self.clock = clock or RealClock()
        self.quarantine = selection.Quarantine(quarantine)
        self.terminated_threshold = terminated_threshold
        self._limit = asyncio.Semaphore(concurrency)
        self._handled: set[str] = set()
        self.passes = 0
        self.deleted = 0  # force deletes that succeeded, over the controller's life

    async def gc(self, pods: list[Obj], nodes: list[Obj]) -> None:
        """One pass, in upstream's order: terminated, terminating, orphaned, unscheduled terminating."""
        self._handled = set()
        try:
            if self.terminated_threshold > 0:
                await self.gc_terminated(pods)
            by_name = {_name(node): node for node in nodes}
            await self.gc_terminating(pods, by_name)
            await self.gc_orphaned(pods, by_name)
            await self.gc_unscheduled_terminating(pods)
        finally:
            self.passes += 1

    async def gc_terminated(self, pods: Iterable[Mapping[str, Any]]) -> None:
        excess = selection.terminated_excess(pods, self.terminated_threshold)
        if excess:
            log.info(
                "pod GC: deleting %d terminated pods over the threshold of %d",
                len(excess),
                self.terminated_threshold,
            )
        await self._force_delete_all(excess)

    async def gc_terminating(
        self, pods: Iterable[Mapping[str, Any]], nodes: Mapping[str, Mapping[str, Any]]
    ) -> None:
        await self._force_delete_all(selection.terminating_out_of_service(pods, nodes))

    async def gc_orphaned(self, pods: list[Obj], nodes: Mapping[str, Mapping[str, Any]]) -> None:
        now = self.clock.now()
        # names whose quarantine is over leave it first, so a name still missing is quarantined
        # anew at once (a failed check is retried after another quarantine, as upstream's queue does)
        due = self.quarantine.due(now)
        missing = selection.missing_node_names(pods, nodes)
        for name in missing:
            self.quarantine.add(name, now)
        gone: set[str] = set()
        for name in due:
            if name not in missing:
                continue  # it came back, or no pod is bound to it any more
            try:
                await self.api.get_node(name)
            except errors.NotFound:
                gone.add(name)
            except errors.ApiError as exc:
                log.warning("pod GC: could not check node %s (will retry): %s", name, exc)
        if gone:
            log.info("pod GC: nodes %s no longer exist; deleting their pods", ", ".join(sorted(gone)))
        await self._force_delete_all(selection.pods_on(pods, gone), selection.ORPHANED_CONDITION)

    async def gc_unscheduled_terminating(self, pods: Iterable[Mapping[str, Any]]) -> None:
        await self._force_delete_all(selection.unscheduled_terminating(pods))

    async def _force_delete_all(
        self, pods: Iterable[Mapping[str, Any]], condition: Mapping[str, str] | None = None
    ) -> None:
        await asyncio.gather(*(self._force_delete(pod, condition) for pod in pods))

    async def _force_delete(self, pod: Mapping[str, Any], condition: Mapping[str, str] | None) -> None:
        meta = pod.get("metadata") or {}
        uid, namespace, name = (
            str(meta.get("uid", "")),
            str(meta.get("namespace", "")),
            str(meta.get("name", "")),
        )
        if uid in self._handled:
            return
        self._handled.add(uid)
        patch = selection.failed_status_patch(pod, format_time(self.clock.wall()), condition)
        async with self._limit:
            try:
                if patch is not None:
                    await self.api.patch_pod_status(namespace, name, patch)
                await self.api.delete_pod(namespace, name, uid)
            except errors.NotFound:
                return
            except errors.ApiError as exc:
                log.warning("pod GC: force-deleting pod %s/%s failed (will retry): %s", namespace, name, exc)
                return
        self.deleted += 1
        log.info("pod GC: force-deleted pod %s/%s", namespace, name)


def _name(obj: Mapping[str, Any]) -> str:
    name = (obj.get("metadata") or {}).get("name")
    return name if isinstance(name, str) else ""
