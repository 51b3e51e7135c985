"""The Deployment controller's I/O shell: read the caches, ask the pure decision modules, write.

``reconcile(key)`` is upstream's ``syncDeployment``: claim the ReplicaSets (adopt/release), then —
being deleted: status only; paused: scaling only (``sync``) with a ``DeploymentPaused`` condition;
asked to roll back (``deprecated.deployment.rollback.to``): roll back; a scaling event: scaling only;
otherwise the strategy's rollout (``rolling.py`` / ``recreate.py``), then the status with its
progress conditions (``progress.py``).

Each ReplicaSet write is a PUT at the resourceVersion read from the cache: a decision made on a stale
cache fails with 409 Conflict and the key is retried, which is upstream's whole concurrency story (it
keeps no expectations for Deployments). The Deployment object of a sync is a copy that follows its
own writes (their new resourceVersions), so one sync's second write does not conflict with its first.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.annotations import (
    replicas_annotations_need_update,
    set_deployment_revision,
    set_new_replica_set_annotations,
    set_replicas_annotations,
)
from everynode.controllers.deployment.api import DeploymentApi
from everynode.controllers.deployment.caches import Caches
from everynode.controllers.deployment.conditions import get_condition, new_condition, set_condition
from everynode.controllers.deployment.fenceposts import max_surge, strategy_type
from everynode.controllers.deployment.handlers import EventHandlers
from everynode.controllers.deployment.history import to_delete
from everynode.controllers.deployment.newrs import new_replica_set
from everynode.controllers.deployment.ownerref import controller_ref
from everynode.controllers.deployment.progress import (
    deployment_complete,
    has_progress_deadline,
    recheck_delay,
    rollout_status,
    stuck_recheck,
)
from everynode.controllers.deployment.recreate import old_pods_running, scale_down_old_for_recreate
from everynode.controllers.deployment.replicasets import (
    RS,
    active,
    annotations_of,
    equal_ignore_hash,
    find_new,
    find_old,
    max_revision,
    name,
    replicas,
    uid,
)
from everynode.controllers.deployment.rollback import plan_rollback, rollback_to
from everynode.controllers.deployment.rolling import reconcile_new, reconcile_old
from everynode.controllers.deployment.scaling import Scale, is_scaling_event, scale
from everynode.controllers.deployment.status import calculate_status, status_equal
from everynode.core import errors
from everynode.core.clock import Clock, RealClock
from everynode.core.ownerrefs import controller_of
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.informers.store import claim_candidates
from everynode.runtime.claims import Claimer, ClaimError
from everynode.runtime.result import DONE, Result, failed
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import default_controller_rate_limiter

log = logging.getLogger(__name__)


class EventSink(Protocol):
    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None: ...


class SyncError(Exception):
    """A sync that must be retried; the message says why."""


def namespace_terminating(exc: BaseException) -> bool:
    """The error says the namespace is being deleted (upstream forgets such keys: every write there
    will fail, and the namespace's deletion removes the Deployment anyway)."""
    if not isinstance(exc, errors.ApiError):
        return False
    causes = (exc.details or {}).get("causes") or []
    return any(cause.get("type") == "NamespaceTerminating" for cause in causes)


def _selects_everything(deployment: Mapping[str, Any]) -> bool:
    selector = (deployment.get("spec") or {}).get("selector")
    return (
        isinstance(selector, Mapping)
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
    )


class DeploymentController:
    def __init__(
        self,
        api: DeploymentApi,
        events: EventSink,
        caches: Caches | None = None,
        *,
        clock: Clock | None = None,
        queue: RateLimitingQueue[str] | None = None,
    ) -> None:
        self.api = api
        self.events = events
        self.caches = caches or Caches()
        self.clock = clock or RealClock()
        self.queue = queue or RateLimitingQueue(self.clock, default_controller_rate_limiter(self.clock))
        self.handlers = EventHandlers(self.caches, self.queue.add)

    # -- the sync ----------------------------------------------------------------------------------

    async def reconcile(self, key: str) -> Result:
        """One ``syncDeployment`` of ``key``: done, due again (a progress deadline to check), or failed."""
        cached = self.caches.deployments.get(key)
        if cached is None:
            return DONE
        sync = Sync(self, copy.deepcopy(cached))
        try:
            await sync.run()
        except (errors.ApiError, SyncError, ClaimError, ValueError) as exc:
            if namespace_terminating(exc):
                return DONE
            return failed(exc, routine=isinstance(exc, errors.Conflict | errors.AlreadyExists))
        return DONE.sooner(sync.recheck)

    def now(self) -> tuple[float, str]:
        wall = self.clock.wall()
        return wall, format_time(wall)


class Sync:
    """One sync of one Deployment: ``d`` is a private copy that follows this sync's own writes."""

    def __init__(self, controller: DeploymentController, deployment: Obj) -> None:
        self.c = controller
        self.api = controller.api
        self.d = deployment
        self.d.setdefault("status", {})
        self.recheck: float | None = None

    @property
    def namespace(self) -> str:
        return str(self.d["metadata"].get("namespace", ""))

    def event(self, event_type: str, reason: str, message: str) -> None:
        self.c.events.emit(self.d, event_type, reason, message)

    async def run(self) -> None:
        d = self.d
        if _selects_everything(d):
            self.event(
                keys.WARNING,
                keys.SELECTING_ALL,
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            generation = int(d["metadata"].get("generation") or 0)
            if int(d["status"].get("observedGeneration") or 0) < generation:
                d["status"]["observedGeneration"] = generation
                try:
                    await self.write_status()
                except errors.ApiError as exc:
                    log.info(
                        "Deployment %s/%s: observedGeneration not written: %s", self.namespace, name(d), exc
                    )
            return
        rs_list = await self.replicasets_for_deployment()
        pod_map = self.c.caches.pod_map(d, rs_list)
        if d["metadata"].get("deletionTimestamp"):
            await self.sync_status_only(rs_list)
            return
        await self.check_paused_conditions()
        if (d.get("spec") or {}).get("paused"):
            await self.sync(rs_list)
            return
        if rollback_to(d) is not None:
            await self.rollback(rs_list)
            return
        if await self.is_scaling_event(rs_list):
            await self.sync(rs_list)
            return
        kind = strategy_type(d)
        if kind == keys.RECREATE:
            await self.rollout_recreate(rs_list, pod_map)
        elif kind == keys.ROLLING_UPDATE:
            await self.rollout_rolling(rs_list)
        else:
            raise SyncError(f"unexpected deployment strategy type: {kind}")

    # -- reading ---------------------------------------------------------------------------------

    async def replicasets_for_deployment(self) -> list[Obj]:
        """``getReplicaSetsForDeployment``: claimed through adoption and release."""
        selector = self.c.caches.owners.selector(self.d)
        if selector is None:
            raise SyncError(f"deployment {self.namespace}/{name(self.d)} has invalid label selector")
        claimer = Claimer(
            self.d, selector, controller_ref(self.d), self.api.get_deployment, self.api.patch_replicaset
        )
        return await claimer.claim(claim_candidates(self.c.caches.replicasets, self.d))

    async def all_replica_sets(self, rs_list: Sequence[Obj], create: bool) -> tuple[Obj | None, list[Obj]]:
        """``getAllReplicaSetsAndSyncRevision``: (the new ReplicaSet, made if ``create``; the old ones)."""
        _, found = find_old(self.d, rs_list)
        all_old = [dict(rs) for rs in found]
        new_rs = await self.new_replica_set(rs_list, all_old, create)
        return new_rs, all_old

    # -- the new ReplicaSet ------------------------------------------------------------------------

    async def new_replica_set(self, rs_list: Sequence[Obj], old: Sequence[Obj], create: bool) -> Obj | None:
        """``getNewReplicaSet``: the ReplicaSet of the current template with its revision and annotations
        brought up to date, and the Deployment's revision with it; created when missing and ``create``."""
        d = self.d
        existing = find_new(d, rs_list)
        new_revision = str(max_revision(old) + 1)
        if existing is not None:
            rs = copy.deepcopy(dict(existing))
            changed = set_new_replica_set_annotations(d, rs, new_revision, exists=True)
            min_ready = int((d.get("spec") or {}).get("minReadySeconds") or 0)
            if changed or int(rs.get("spec", {}).get("minReadySeconds") or 0) != min_ready:
                rs.setdefault("spec", {})["minReadySeconds"] = min_ready
                return await self.api.update_replicaset(rs)
            revision_changed = set_deployment_revision(d, annotations_of(rs).get(keys.REVISION, ""))
            status_changed = False
            if has_progress_deadline(d) and get_condition(d["status"], keys.PROGRESSING) is None:
                _, now = self.c.now()
                message = f'Found new replica set "{name(rs)}"'
                set_condition(
                    d["status"],
                    new_condition(keys.PROGRESSING, "True", keys.FOUND_NEW_REPLICA_SET, message, now),
                )
                status_changed = True
            await self.save(revision=revision_changed, status=status_changed)
            return rs
        if not create:
            return None
        return await self.create_new_replica_set(old, new_revision)

    async def create_new_replica_set(self, old: Sequence[Obj], new_revision: str) -> Obj:
        d = self.d
        spec = d.get("spec") or {}
        collisions = d["status"].get("collisionCount")
        rs = new_replica_set(d, old, new_revision)
        rs_name = name(rs)
        count = replicas(rs)
        already = False
        try:
            created = await self.api.create_replicaset(self.namespace, rs)
        except errors.AlreadyExists:
            already = True
            found = self.c.caches.replicasets.get(f"{self.namespace}/{rs_name}")
            if found is None:
                raise SyncError(f'replicaset "{rs_name}" exists but is not in the cache yet') from None
            ref = controller_of(found)
            if (
                ref is not None
                and ref.get("uid") == uid(d)
                and equal_ignore_hash(spec.get("template") or {}, found.get("spec", {}).get("template") or {})
            ):
                created = dict(found)
            else:
                await self.bump_collision_count(collisions)
                raise
        except errors.ApiError as exc:
            if namespace_terminating(exc):
                raise
            message = f'Failed to create new replica set "{rs_name}": {exc}'
            if has_progress_deadline(d):
                _, now = self.c.now()
                set_condition(
                    d["status"], new_condition(keys.PROGRESSING, "False", keys.FAILED_RS_CREATE, message, now)
                )
                with contextlib.suppress(errors.ApiError):  # the creation failure is the error to report
                    await self.write_status()
            self.event(keys.WARNING, keys.FAILED_RS_CREATE, message)
            raise
        if not already and count > 0:
            self.event(
                keys.NORMAL, keys.SCALING_REPLICA_SET, f"Scaled up replica set {rs_name} from 0 to {count}"
            )
        revision_changed = set_deployment_revision(d, new_revision)
        status_changed = False
        if not already and has_progress_deadline(d):
            _, now = self.c.now()
            message = f'Created new replica set "{rs_name}"'
            set_condition(
                d["status"],
                new_condition(keys.PROGRESSING, "True", keys.NEW_REPLICA_SET_CREATED, message, now),
            )
            status_changed = True
        await self.save(revision=revision_changed, status=status_changed)
        return created

    async def bump_collision_count(self, before: int | None) -> None:
        """A ReplicaSet of another template holds the name: count a collision so the next hash differs."""
        self.d["status"]["collisionCount"] = (before or 0) + 1
        try:
            await self.write_status()
        except errors.ApiError as exc:
            log.info("Deployment %s/%s: collisionCount not written: %s", self.namespace, name(self.d), exc)
        else:
            log.info(
                "Deployment %s/%s: hash collision, collisionCount %s -> %s",
                self.namespace,
                name(self.d),
                before,
                self.d["status"]["collisionCount"],
            )

    # -- writing the Deployment ------------------------------------------------------------------

    async def write_status(self) -> None:
        written = await self.api.update_deployment_status(self.d)
        self._follow(written)

    async def save(self, *, revision: bool, status: bool) -> None:
        """Write the revision annotation and/or the status. Upstream sends both through ``/status``;
        here the annotation is a merge patch of the Deployment itself, as this API server's ``/status``
        takes nothing but the status (a metadata-only change moves no generation)."""
        if revision:
            value = annotations_of(self.d).get(keys.REVISION, "")
            written = await self.api.set_deployment_annotations(
                self.namespace, name(self.d), {keys.REVISION: value}
            )
            self._follow(written)
        if status:
            await self.write_status()

    def _follow(self, written: Obj | None) -> None:
        version = ((written or {}).get("metadata") or {}).get("resourceVersion")
        if version:
            self.d["metadata"]["resourceVersion"] = version

    async def check_paused_conditions(self) -> None:
        """``checkPausedConditions``: Progressing Unknown/DeploymentPaused on pause, DeploymentResumed on
        resume (so time spent paused never counts against the deadline); a timed-out rollout keeps its
        condition."""
        d = self.d
        if not has_progress_deadline(d):
            return
        current = get_condition(d["status"], keys.PROGRESSING)
        if current is not None and current.get("reason") == keys.TIMED_OUT:
            return
        paused_shown = current is not None and current.get("reason") == keys.PAUSED
        paused = bool((d.get("spec") or {}).get("paused"))
        _, now = self.c.now()
        if paused and not paused_shown:
            condition = new_condition(keys.PROGRESSING, "Unknown", keys.PAUSED, "Deployment is paused", now)
        elif not paused and paused_shown:
            condition = new_condition(keys.PROGRESSING, "Unknown", keys.RESUMED, "Deployment is resumed", now)
        else:
            return
        set_condition(d["status"], condition)
        await self.write_status()

    async def sync_deployment_status(self, all_rss: Sequence[RS | None], new_rs: RS | None) -> None:
        """``syncDeploymentStatus``: counters and Available, written only if they changed."""
        _, now = self.c.now()
        status = calculate_status(all_rss, new_rs, self.d, now)
        if status_equal(self.d["status"], status):
            return
        self.d["status"] = status
        await self.write_status()

    async def sync_rollout_status(self, all_rss: Sequence[RS | None], new_rs: RS | None) -> None:
        """``syncRolloutStatus``: counters and every condition; if unchanged, maybe a deadline recheck."""
        wall, now = self.c.now()
        status = rollout_status(all_rss, new_rs, self.d, now=wall, now_text=now)
        if status_equal(self.d["status"], status):
            remaining = stuck_recheck(self.d, status, wall)
            if remaining is not None:
                self.recheck = recheck_delay(remaining)
            return
        self.d["status"] = status
        await self.write_status()

    # -- scaling ReplicaSets ---------------------------------------------------------------------

    async def scale_replica_set(self, rs: RS, to: int, operation: str) -> tuple[bool, Obj]:
        """``scaleReplicaSet``: size and replica annotations in one PUT; an event when the size moved."""
        d = self.d
        desired = replicas(d)
        most = desired + max_surge(d)
        resize = replicas(rs) != to
        if not resize and not replicas_annotations_need_update(rs, desired, most):
            return False, dict(rs)
        before = replicas(rs)
        updated = copy.deepcopy(dict(rs))
        updated.setdefault("spec", {})["replicas"] = to
        set_replicas_annotations(updated, desired, most)
        written = await self.api.update_replicaset(updated)
        if resize:
            self.event(
                keys.NORMAL,
                keys.SCALING_REPLICA_SET,
                f"Scaled {operation} replica set {name(rs)} from {before} to {to}",
            )
        return resize, written

    async def scale_and_record(self, rs: RS, to: int) -> tuple[bool, Obj]:
        """``scaleReplicaSetAndRecordEvent``: nothing at the same size."""
        if replicas(rs) == to:
            return False, dict(rs)
        return await self.scale_replica_set(rs, to, "up" if replicas(rs) < to else "down")

    async def carry_out(self, steps: Sequence[Scale]) -> bool:
        """Perform ``steps`` in order, each on the ReplicaSet as the steps before left it (two steps may
        resize one ReplicaSet); whether any size moved. The first failure is raised."""
        latest: dict[str, Obj] = {}
        scaled = False
        for step in steps:
            rs = latest.get(uid(step.rs), step.rs)
            if step.operation is None:
                moved, written = await self.scale_and_record(rs, step.to)
            else:
                moved, written = await self.scale_replica_set(rs, step.to, step.operation)
            latest[uid(step.rs)] = written
            scaled = scaled or moved
        return scaled

    # -- the paths of syncDeployment ---------------------------------------------------------------

    async def sync_status_only(self, rs_list: Sequence[Obj]) -> None:
        new_rs, old = await self.all_replica_sets(rs_list, create=False)
        await self.sync_deployment_status([*old, new_rs], new_rs)

    async def sync(self, rs_list: Sequence[Obj]) -> None:
        """Upstream's ``sync``: a scaling event or a paused Deployment; no rollout progress."""
        new_rs, old = await self.all_replica_sets(rs_list, create=False)
        await self.carry_out(scale(self.d, new_rs, old))
        if (self.d.get("spec") or {}).get("paused") and rollback_to(self.d) is None:
            await self.cleanup(old)
        await self.sync_deployment_status([*old, new_rs], new_rs)

    async def is_scaling_event(self, rs_list: Sequence[Obj]) -> bool:
        new_rs, old = await self.all_replica_sets(rs_list, create=False)
        return is_scaling_event(self.d, [*old, new_rs])

    async def rollback(self, rs_list: Sequence[Obj]) -> None:
        new_rs, old = await self.all_replica_sets(rs_list, create=True)
        everything = [rs for rs in [*old, new_rs] if rs is not None]
        plan = plan_rollback(self.d, everything)
        for event_type, reason, message in plan.events:
            if event_type == keys.WARNING:
                self.event(event_type, reason, message)
        written = await self.api.update_deployment(plan.deployment)
        self._follow(written)
        for event_type, reason, message in plan.events:
            if event_type == keys.NORMAL:
                self.event(event_type, reason, message)

    async def cleanup(self, old: Sequence[Obj]) -> None:
        """``cleanupDeployment``: delete old ReplicaSets beyond ``revisionHistoryLimit``."""
        for rs in to_delete(old, self.d):
            meta = rs["metadata"]
            with contextlib.suppress(errors.NotFound):
                await self.api.delete_replicaset(meta.get("namespace", self.namespace), meta["name"])

    async def rollout_rolling(self, rs_list: Sequence[Obj]) -> None:
        """``rolloutRolling``: scale up, else scale down, else clean up when complete; then the status."""
        new_rs, old = await self.all_replica_sets(rs_list, create=True)
        assert new_rs is not None  # created when missing
        everything: list[RS | None] = [*old, new_rs]
        target = reconcile_new(everything, new_rs, self.d)
        if target is not None:
            scaled, _ = await self.scale_and_record(new_rs, target)
            if scaled:
                await self.sync_rollout_status(everything, new_rs)
                return
        plan = reconcile_old(everything, active(old), new_rs, self.d)
        scaled_down = False
        if plan.error is not None:
            log.info("Deployment %s/%s: %s", self.namespace, name(self.d), plan.error)
        try:
            scaled_down = await self.carry_out(plan.steps) and plan.error is None
        except errors.ApiError as exc:  # upstream gives up scaling down for this sync, without an error
            log.info(
                "Deployment %s/%s: scaling down old replica sets failed: %s",
                self.namespace,
                name(self.d),
                exc,
            )
        if scaled_down:
            await self.sync_rollout_status(everything, new_rs)
            return
        if deployment_complete(self.d, self.d["status"]):
            await self.cleanup(old)
        await self.sync_rollout_status(everything, new_rs)

    async def rollout_recreate(self, rs_list: Sequence[Obj], pod_map: Mapping[str, Sequence[Obj]]) -> None:
        """``rolloutRecreate``: old to 0; once no old pod runs, the new ReplicaSet at full size."""
        new_rs, old = await self.all_replica_sets(rs_list, create=False)
        everything: list[RS | None] = [*old, new_rs]
        if await self.carry_out(scale_down_old_for_recreate(active(old))):
            await self.sync_rollout_status(everything, new_rs)
            return
        if old_pods_running(new_rs, old, pod_map):
            await self.sync_rollout_status(everything, new_rs)
            return
        if new_rs is None:
            new_rs, old = await self.all_replica_sets(rs_list, create=True)
            assert new_rs is not None
            everything = [*old, new_rs]
        await self.scale_and_record(new_rs, replicas(self.d))
        if deployment_complete(self.d, self.d["status"]):
            await self.cleanup(old)
        await self.sync_rollout_status(everything, new_rs)
