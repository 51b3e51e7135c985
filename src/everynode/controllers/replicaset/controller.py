"""The ReplicaSet controller's I/O shell: read the caches, ask the pure decisions, write.

``reconcile(key)`` is upstream's ``syncReplicaSet``:

1. the ReplicaSet from the cache (gone: forget its expectations, done); whether its expectations
   are satisfied is read *before* its pods, so a pod observed in between cannot be counted twice;
2. its active pods, claimed (adopt matching orphans, release owned pods that stopped matching);
   a failed claim fails the sync before anything else is written;
3. when the expectations are satisfied and it is not being deleted: ``manage`` decides, and the
   creates go out in slow-start batches (``batching``), the deletes all at once, each counted in
   the expectations first and events recorded as upstream's pod control records them;
4. the status, written only when it changed (one retry after a fresh read if the PUT fails);
5. come back when a Ready pod will have become available (``minReadySeconds``).

A failed status write fails the sync; otherwise a failure to manage does (with its
``ReplicaFailure`` condition already written).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from everynode.controllers.replicaset.api import ReplicaSetApi
from everynode.controllers.replicaset.batching import SLOW_START_INITIAL_BATCH, slow_start_batch
from everynode.controllers.replicaset.caches import Caches
from everynode.controllers.replicaset.handlers import EventHandlers
from everynode.controllers.replicaset.manage import BURST_REPLICAS, manage
from everynode.controllers.replicaset.podtemplate import controller_ref, pod_from_template
from everynode.controllers.replicaset.ranking import filter_active
from everynode.controllers.replicaset.status import (
    available_after,
    calculate_status,
    status_unchanged,
    with_status,
)
from everynode.core import errors
from everynode.core.clock import Clock, RealClock
from everynode.core.types import Obj
from everynode.informers.store import claim_candidates
from everynode.runtime.claims import Claimer, ClaimError
from everynode.runtime.expectations import UIDTrackingExpectations, pod_key
from everynode.runtime.result import DONE, Result, failed
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import default_controller_rate_limiter

log = logging.getLogger(__name__)
NORMAL, WARNING = "Normal", "Warning"


class EventSink(Protocol):
    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None: ...


class DeleteError(Exception):
    """A pod could not be deleted (upstream's "unable to delete pods: …")."""


def _key(rs: Mapping[str, Any]) -> str:
    meta = rs["metadata"]
    namespace = meta.get("namespace", "")
    return f"{namespace}/{meta['name']}" if namespace else str(meta["name"])


def namespace_terminating(exc: errors.ApiError) -> bool:
    """The create was refused because the namespace is being deleted (cause ``NamespaceTerminating``)."""
    causes = (exc.details or {}).get("causes") or []
    return any(cause.get("type") == "NamespaceTerminating" for cause in causes)


class ReplicaSetController:
    def __init__(
        self,
        api: ReplicaSetApi,
        events: EventSink,
        caches: Caches | None = None,
        *,
        clock: Clock | None = None,
        queue: RateLimitingQueue[str] | None = None,
        burst_replicas: int = BURST_REPLICAS,
    ) -> None:
        self.api = api
        self.events = events
        self.caches = caches or Caches()
        self.clock = clock or RealClock()
        self.queue = queue or RateLimitingQueue(self.clock, default_controller_rate_limiter(self.clock))
        self.burst_replicas = burst_replicas
        self.expectations = UIDTrackingExpectations(self.clock)
        self.handlers = EventHandlers(
            self.caches.owners, self.queue.add, self.expectations, self.queue.add_after
        )

    async def reconcile(self, key: str) -> Result:
        rs = self.caches.replicasets.get(key)
        if rs is None:
            self.expectations.forget(key)
            return DONE
        needs_sync = self.expectations.satisfied(key)
        selector = self.caches.owners.selector(rs)
        if selector is None:
            log.warning("ReplicaSet %s: its selector cannot be parsed; not syncing it", key)
            return DONE
        claimer = Claimer(rs, selector, controller_ref(rs), self.api.get_replicaset, self.api.patch_pod)
        try:
            pods = await claimer.claim(filter_active(claim_candidates(self.caches.pods, rs)))
        except ClaimError as exc:
            return failed(exc)
        manage_error: Exception | None = None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            manage_error = await self.manage_replicas(rs, pods)
        now = self.clock.wall()
        status = calculate_status(rs, pods, manage_error, now)
        try:
            await self.update_status(rs, status)
        except errors.ApiError as exc:
            return failed(exc)
        result = DONE if manage_error is None else failed(manage_error)
        return result.sooner(available_after(rs, pods, now))

    # -- pods ----------------------------------------------------------------------------------------

    async def manage_replicas(self, rs: Obj, pods: Sequence[Obj]) -> Exception | None:
        """Create or delete pods as ``manage`` decides; the first failure, if any."""
        decision = manage(
            rs,
            pods,
            lambda: self.caches.related_pods(rs),
            now=self.clock.wall(),
            burst=self.burst_replicas,
        )
        if decision.create:
            return await self.create_pods(rs, decision.create)
        if decision.delete:
            return await self.delete_pods(rs, decision.delete)
        return None

    async def create_pods(self, rs: Obj, count: int) -> Exception | None:
        key = _key(rs)
        namespace = str(rs["metadata"].get("namespace", ""))
        self.expectations.expect_creations(key, count)

        async def create() -> Exception | None:
            pod = pod_from_template(rs)
            if not pod["metadata"].get("labels"):
                return ValueError("unable to create pods, no labels")
            try:
                created = await self.api.create_pod(namespace, pod)
            except errors.ApiError as exc:
                if namespace_terminating(exc):
                    return None  # every create would fail; the namespace is going away
                self.events.emit(rs, WARNING, "FailedCreate", f"Error creating: {exc}")
                return exc
            name = (created.get("metadata") or {}).get("name", "")
            self.events.emit(rs, NORMAL, "SuccessfulCreate", f"Created pod: {name}")
            return None

        successes, error = await slow_start_batch(count, SLOW_START_INITIAL_BATCH, create)
        skipped = count - successes
        if skipped > 0:
            log.info("ReplicaSet %s: slow-start failure, skipping %d pod creations", key, skipped)
            for _ in range(skipped):
                self.expectations.creation_observed(key)  # the informer will never show these
        return error

    async def delete_pods(self, rs: Obj, victims: Sequence[Obj]) -> Exception | None:
        key = _key(rs)
        namespace = str(rs["metadata"].get("namespace", ""))
        self.expectations.expect_deletions(key, [pod_key(pod) for pod in victims])

        async def delete(pod: Obj) -> Exception | None:
            name = pod["metadata"]["name"]
            try:
                await self.api.delete_pod(namespace, name)
            except errors.ApiError as exc:
                self.expectations.deletion_observed(key, pod_key(pod))
                if isinstance(exc, errors.NotFound):
                    return None  # gone already: what we wanted
                self.events.emit(rs, WARNING, "FailedDelete", f"Error deleting: {exc}")
                return DeleteError(f"unable to delete pods: {exc}")
            self.events.emit(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
            return None

        outcomes = await asyncio.gather(*(delete(pod) for pod in victims))
        return next((outcome for outcome in outcomes if outcome is not None), None)

    # -- status --------------------------------------------------------------------------------------

    async def update_status(self, rs: Obj, status: Obj) -> Obj:
        """Upstream ``updateReplicaSetStatus``: nothing when unchanged; else PUT the status with
        ``observedGeneration`` = the generation this sync acted on, and after a failed PUT one fresh
        GET and one more PUT (the GET's failure is the one reported)."""
        if status_unchanged(rs, status):
            return rs
        generation = int(rs["metadata"].get("generation") or 0)
        try:
            return await self.api.update_replicaset_status(with_status(rs, status, generation))
        except errors.ApiError as exc:
            log.info("ReplicaSet %s: status update failed (%s); retrying once", _key(rs), exc)
        meta = rs["metadata"]
        fresh = await self.api.get_replicaset(str(meta.get("namespace", "")), str(meta["name"]))
        return await self.api.update_replicaset_status(with_status(fresh, status, generation))
