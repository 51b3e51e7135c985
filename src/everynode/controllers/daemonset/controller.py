"""The DaemonSet controller's I/O shell: read the caches, ask the pure decision functions, write.

``reconcile(key)`` follows upstream's ``syncDaemonSet`` (upstream-daemonset.md §2.3): history, then — only
when the expectations of earlier writes are met — ``manage`` and the rolling update, history cleanup,
and always the status. Writes go through ``DaemonSetApi``; events through a non-blocking sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from everynode.controllers.daemonset import history
from everynode.controllers.daemonset.api import DaemonSetApi
from everynode.controllers.daemonset.caches import Caches
from everynode.controllers.daemonset.handlers import EventHandlers
from everynode.controllers.daemonset.manage import NORMAL, WARNING, Plan, manage
from everynode.controllers.daemonset.nodepods import NodePods, group_by_node
from everynode.controllers.daemonset.placement import Placement
from everynode.controllers.daemonset.podtemplate import controller_ref, pod_for_node, pod_template
from everynode.controllers.daemonset.rolling import rolling_update
from everynode.controllers.daemonset.scaling import is_rolling_update
from everynode.controllers.daemonset.status import compute_status, status_unchanged, with_status
from everynode.core import errors, wellknown
from everynode.core.clock import Clock, RealClock
from everynode.core.types import Obj
from everynode.informers.store import claim_candidates
from everynode.runtime.backoff import Backoff
from everynode.runtime.claims import Claimer, ClaimError
from everynode.runtime.expectations import UIDTrackingExpectations, pod_key
from everynode.runtime.result import DONE, Result, earliest, failed
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import default_controller_rate_limiter

log = logging.getLogger(__name__)
BURST_REPLICAS = 250  # creates (and deletes) per sync at most
SLOW_START_INITIAL_BATCH = 1


class EventSink(Protocol):
    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None: ...


class SyncError(Exception):
    """A sync that must be retried; the message says why."""


def _key(ds: Mapping[str, Any]) -> str:
    meta = ds["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


class DaemonSetController:
    def __init__(
        self,
        api: DaemonSetApi,
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
        self.expectations = UIDTrackingExpectations(self.clock)
        self.backoff = Backoff(self.clock, initial=1.0, maximum=900.0)
        self._placements: dict[tuple[str, int], Placement] = {}
        self._grouped: dict[tuple[str, bool], tuple[Obj, int, NodePods]] = {}
        # key → (the resourceVersion our last status write replaced, the object the write returned)
        self._own_status: dict[str, tuple[str, Obj]] = {}
        self.handlers = EventHandlers(
            self.caches, self.expectations, self.queue.add, self.queue.add_after, self.placement
        )

    def placement(self, ds: Mapping[str, Any]) -> Placement:
        """The DaemonSet's placement rules, kept per (uid, generation): the template only changes with it."""
        meta = ds["metadata"]
        key = (str(meta.get("uid", "")), int(meta.get("generation") or 0))
        found = self._placements.get(key)
        if found is None:
            if len(self._placements) > 4096:
                self._placements.clear()
            found = self._placements[key] = Placement(ds)
        return found

    def forget_node(self, node: Obj) -> None:
        """A node was deleted: drop the placement answers kept for it (no sync is needed — upstream
        has no node-delete handler; pod GC removes its pods and their deletions enqueue)."""
        name = node.get("metadata", {}).get("name", "")
        for placement in self._placements.values():
            placement.forget(name)

    # -- the sync ----------------------------------------------------------------------------------

    def current(self, key: str) -> Obj | None:
        """The DaemonSet as the informer has it, or, while the informer has not yet shown our own
        last status write, the object that write returned. Without this, a sync starting right
        after the previous one's status write would send its own with the replaced resourceVersion:
        409 Conflict, a GET and a second PUT, three round trips on the DaemonSet's critical path
        (half of all status writes, measured at 5,000 nodes). Only equality of resourceVersions is
        used, as a client must: the cached copy still carrying the version our write replaced
        means the informer is behind; any other version means it has caught up (or someone wrote
        since), and the cache is the newer."""
        ds = self.caches.daemonsets.get(key)
        own = self._own_status.get(key)
        if own is None:
            return ds
        if ds is not None and ds["metadata"].get("resourceVersion") == own[0]:
            return own[1]
        del self._own_status[key]
        return ds

    async def reconcile(self, key: str) -> Result:
        """One ``syncDaemonSet`` of ``key``: done, due again (a backoff or minReadySeconds window
        ending), or failed with the first error (a failure to manage pods wins over a failure to
        write the status, as upstream reports it)."""
        ds = self.current(key)
        if ds is None:
            self.expectations.forget(key)
            return DONE
        nodes = self.caches.nodes.objects()
        selector = ds.get("spec", {}).get("selector")
        compiled = self.caches.owners.selector(ds)
        if selector is not None and compiled is not None and compiled.is_empty():
            self.events.emit(
                ds,
                WARNING,
                "SelectingAll",
                "This daemon set is selecting all pods. A non-empty selector is required.",
            )
            return DONE
        if ds["metadata"].get("deletionTimestamp") or compiled is None:
            return DONE
        try:
            current, old = await self.construct_history(ds)
        except (errors.ApiError, SyncError, ClaimError) as exc:
            return failed(SyncError(f"failed to construct revisions of DaemonSet: {exc}"), cause=exc)
        revision_hash = history.revision_hash(current)
        result = DONE
        managing = self.expectations.satisfied(key)
        if managing:
            try:
                result = result.sooner(await self.manage_and_roll(ds, nodes, revision_hash, old))
            except (errors.ApiError, SyncError, ClaimError, ValueError, LookupError) as exc:
                result = failed(exc)
        try:
            status_due = await self.update_status(ds, nodes, revision_hash, observe_generation=managing)
        except (errors.ApiError, ClaimError) as exc:
            if result.error is not None:
                log.warning("DaemonSet %s: status update failed too: %s", key, exc)
            return result.failing(exc)
        return result.sooner(status_due)

    async def manage_and_roll(
        self, ds: Obj, nodes: list[Obj], revision_hash: str, old: list[Obj]
    ) -> float | None:
        """Create and delete pods as ``manage`` and the rolling update plan; when to come back."""
        key = _key(ds)
        placement = self.placement(ds)
        node_pods = await self.node_pods(ds)
        plan = manage(
            ds,
            nodes,
            node_pods,
            revision_hash=revision_hash,
            now=self.clock.wall(),
            backoff=self.backoff,
            placement=placement,
        )
        due = await self.carry_out(ds, plan, revision_hash)
        if self.expectations.satisfied(key) and is_rolling_update(ds):
            node_pods = await self.node_pods(ds)
            by_name = {node["metadata"]["name"]: node for node in nodes}
            now = self.clock.wall()
            plan = rolling_update(
                ds, by_name, node_pods, revision_hash=revision_hash, now=now, placement=placement
            )
            due = earliest(due, await self.carry_out(ds, plan, revision_hash))
        try:
            await self.cleanup_history(ds, old)
        except errors.ApiError as exc:
            raise SyncError(f"failed to clean up revisions of DaemonSet: {exc}") from exc
        return due

    async def daemon_pods(self, ds: Obj) -> list[Obj]:
        selector = self.caches.owners.selector(ds)
        assert selector is not None
        claimer = Claimer(ds, selector, controller_ref(ds), self.api.get_daemonset, self.api.patch_pod)
        return await claimer.claim(claim_candidates(self.caches.pods, ds))

    async def node_pods(self, ds: Obj, *, include_deleted_terminal: bool = False) -> NodePods:
        """The DaemonSet's claimed pods by node. Reused while neither the pod cache nor the DaemonSet
        object has changed (a sync asks up to four times); callers must not modify the result."""
        key = (_key(ds), include_deleted_terminal)
        remembered = self._grouped.get(key)
        if remembered is not None and remembered[0] is ds and remembered[1] == self.caches.pods.version:
            return remembered[2]
        pods = await self.daemon_pods(ds)
        version = self.caches.pods.version
        grouped = group_by_node(pods, include_deleted_terminal=include_deleted_terminal)
        if len(self._grouped) > 1024:
            self._grouped.clear()
        self._grouped[key] = (ds, version, grouped)
        return grouped

    # -- writing pods ------------------------------------------------------------------------------

    async def carry_out(self, ds: Obj, plan: Plan, revision_hash: str) -> float | None:
        """Emit the plan's events and create/delete its pods (``syncNodes``); when the plan asks
        to come back."""
        for event_type, reason, message in plan.events:
            self.events.emit(ds, event_type, reason, message)
        if plan.create_on or plan.delete:
            await self.sync_nodes(ds, plan.delete, plan.create_on, revision_hash)
        return plan.requeue_after

    async def sync_nodes(
        self, ds: Obj, to_delete: list[Obj], create_on: list[str], revision_hash: str
    ) -> None:
        key = _key(ds)
        namespace = ds["metadata"].get("namespace", "")
        creates = create_on[:BURST_REPLICAS]
        deletes = to_delete[:BURST_REPLICAS]
        self.expectations.expect_pods(key, adds=len(creates), deleting=[pod_key(pod) for pod in deletes])
        failures: list[errors.ApiError] = []
        template = pod_template(ds, revision_hash) if creates else {}

        async def create(node_name: str) -> bool:
            try:
                pod = await self.api.create_pod(namespace, pod_for_node(template, ds, node_name))
            except errors.ApiError as exc:
                if _namespace_terminating(exc):
                    return True  # upstream leaves the expectation raised; the namespace is going away
                self.expectations.creation_observed(key)
                self.events.emit(ds, WARNING, "FailedCreate", f"Error creating: {exc}")
                failures.append(exc)
                return False
            self.events.emit(ds, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
            return True

        position, batch = 0, min(len(creates), SLOW_START_INITIAL_BATCH)
        while position < len(creates):
            results = await asyncio.gather(*(create(name) for name in creates[position : position + batch]))
            if not all(results):
                skipped = len(creates) - (position + batch)
                if skipped > 0:
                    log.info("DaemonSet %s: slow start failed; skipping %d creates", key, skipped)
                    for _ in range(skipped):
                        self.expectations.creation_observed(key)
                break
            position += batch
            batch = min(2 * batch, len(creates) - position)

        async def delete(pod: Obj) -> None:
            name = pod["metadata"]["name"]
            try:
                await self.api.delete_pod(namespace, name)
            except errors.ApiError as exc:
                self.expectations.deletion_observed(key, pod_key(pod))
                if not isinstance(exc, errors.NotFound):
                    self.events.emit(ds, WARNING, "FailedDelete", f"Error deleting: {exc}")
                    failures.append(exc)
                return
            self.events.emit(ds, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")

        await asyncio.gather(*(delete(pod) for pod in deletes))
        if failures:
            # the first failure is the cause, so callers can tell what went wrong (Go's errors.Is)
            raise SyncError("; ".join(dict.fromkeys(str(exc) for exc in failures))) from failures[0]

    # -- history -----------------------------------------------------------------------------------

    async def controlled_histories(self, ds: Obj) -> list[Obj]:
        """The ControllerRevisions this DaemonSet owns, after adopting matching orphans in its namespace
        and releasing its own that stopped matching (upstream ``controlledHistories``)."""
        selector = self.caches.owners.selector(ds)
        assert selector is not None
        claimer = Claimer(ds, selector, controller_ref(ds), self.api.get_daemonset, self.api.patch_revision)
        return await claimer.claim(claim_candidates(self.caches.revisions, ds))

    async def construct_history(self, ds: Obj) -> tuple[Obj, list[Obj]]:
        """The current revision (created, or deduplicated and renumbered) and the old ones."""
        revisions = await self.controlled_histories(ds)
        labelled = []
        for revision in revisions:
            if history.revision_hash(revision):
                labelled.append(revision)
                continue
            meta = revision["metadata"]
            labels = {**(meta.get("labels") or {}), wellknown.LABEL_CONTROLLER_REVISION_HASH: meta["name"]}
            relabelled = {**revision, "metadata": {**meta, "labels": labels}}
            labelled.append(await self.api.update_revision(relabelled))
        current, old = history.split_history(ds, labelled)
        number = history.next_revision_number(old)
        if not current:
            return await self.snapshot(ds, number), old
        kept, duplicates = history.pick_current(current)
        if duplicates:
            await self.dedup(ds, kept, duplicates)
        if history.revision_number(kept) < number:
            kept = await self.api.update_revision({**kept, "revision": number})
        return kept, old

    async def dedup(self, ds: Obj, kept: Obj, duplicates: list[Obj]) -> None:
        kept_hash = history.revision_hash(kept)
        for pod in await self.daemon_pods(ds):
            if (pod["metadata"].get("labels") or {}).get(
                wellknown.LABEL_CONTROLLER_REVISION_HASH
            ) != kept_hash:
                meta = pod["metadata"]
                await self.api.patch_pod(
                    meta.get("namespace", ""),
                    meta["name"],
                    {"metadata": {"labels": {wellknown.LABEL_CONTROLLER_REVISION_HASH: kept_hash}}},
                )
        for duplicate in duplicates:
            await self.api.delete_revision(
                duplicate["metadata"].get("namespace", ""), duplicate["metadata"]["name"]
            )

    async def snapshot(self, ds: Obj, number: int) -> Obj:
        meta = ds["metadata"]
        namespace = meta.get("namespace", "")
        collisions = ds.get("status", {}).get("collisionCount")
        revision_hash = history.compute_hash(ds["spec"]["template"], collisions)
        revision = history.new_revision(ds, revision_hash, number)
        try:
            return await self.api.create_revision(namespace, revision)
        except errors.AlreadyExists:
            existing = await self.api.get_revision(namespace, revision["metadata"]["name"])
            if history.matches(ds, existing):
                return existing
            fresh = await self.api.get_daemonset(namespace, meta["name"])
            fresh_collisions = fresh.get("status", {}).get("collisionCount")
            if fresh_collisions != collisions:
                raise SyncError(
                    f"found a stale collision count ({collisions}, expected {fresh_collisions}) of DaemonSet "
                    f'"{meta["name"]}" while processing; will retry until it is updated'
                ) from None
            status = dict(fresh.get("status") or {})
            status["collisionCount"] = (fresh_collisions or 0) + 1
            await self.api.update_daemonset_status({**fresh, "status": status})
            raise

    async def cleanup_history(self, ds: Obj, old: list[Obj]) -> None:
        limit = int(ds.get("spec", {}).get("revisionHistoryLimit", 10) or 0)
        if len(old) <= limit:
            return
        live = {
            (pod["metadata"].get("labels") or {}).get(wellknown.LABEL_CONTROLLER_REVISION_HASH, "")
            for pods in (await self.node_pods(ds, include_deleted_terminal=True)).values()
            for pod in pods
        }
        for revision in history.revisions_to_delete(old, live, limit):
            with contextlib.suppress(errors.NotFound):
                await self.api.delete_revision(
                    revision["metadata"].get("namespace", ""), revision["metadata"]["name"]
                )

    # -- status ------------------------------------------------------------------------------------

    async def update_status(
        self, ds: Obj, nodes: list[Obj], revision_hash: str, *, observe_generation: bool
    ) -> float | None:
        """Write the status if it changed; when to come back (pods Ready but not yet available
        are due to become available within minReadySeconds)."""
        node_pods = await self.node_pods(ds)
        now = self.clock.wall()
        counters = compute_status(
            ds, nodes, node_pods, revision_hash=revision_hash, now=now, placement=self.placement(ds)
        )
        if not status_unchanged(ds, counters):
            meta = ds["metadata"]
            observed = int(meta.get("generation") or 0) if observe_generation else None
            try:
                replaced = meta.get("resourceVersion", "")
                written = await self.api.update_daemonset_status(with_status(ds, counters, observed))
            except errors.ApiError:
                fresh = await self.api.get_daemonset(meta.get("namespace", ""), meta["name"])
                replaced = fresh["metadata"].get("resourceVersion", "")
                written = await self.api.update_daemonset_status(with_status(fresh, counters, observed))
            version = (
                written.get("metadata", {}).get("resourceVersion") if isinstance(written, dict) else None
            )
            if version and version != replaced:  # a server's answer (in-memory test APIs keep versions)
                self._own_status[_key(ds)] = (replaced, written)
        min_ready = int(ds.get("spec", {}).get("minReadySeconds") or 0)
        if min_ready > 0 and counters["numberReady"] != counters["numberAvailable"]:
            return float(min_ready)
        return None


def _namespace_terminating(exc: errors.ApiError) -> bool:
    causes = (exc.details or {}).get("causes") or []
    return any(cause.get("type") == "NamespaceTerminating" for cause in causes)
