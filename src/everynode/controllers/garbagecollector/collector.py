"""The garbage collector's I/O shell: the graph fed by informer events, two queues, and their workers.

``attempt_to_delete(uid)`` (upstream's ``attemptToDeleteItem``) re-reads the object from the API
server, classifies its owner references (looking owners up live; confirmed-absent owners are
remembered), and acts on the pure ``decide``; for an owner in foreground deletion it instead checks
whether any blocking dependent is left, and removes the ``foregroundDeletion`` finalizer when none
is. ``attempt_to_orphan(uid)`` strips the owner's reference from every dependent the graph knows,
then removes the ``orphan`` finalizer.

Writes guard against races: deletes carry a uid precondition, and a resourceVersion precondition
too (if the object changed meanwhile and its owners with it, the decision is made again); finalizers
are removed by a merge patch guarded by the resourceVersion, re-read on conflict.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from everynode.controllers.garbagecollector.api import GarbageCollectorApi
from everynode.controllers.garbagecollector.decisions import (
    Decision,
    OwnerState,
    decide,
    lookup_target,
    owner_state,
    remove_finalizer_patch,
    remove_owner_refs_patch,
    unblock_owner_refs_patch,
)
from everynode.controllers.garbagecollector.graph import AbsentOwners, Graph, Node
from everynode.controllers.garbagecollector.refs import (
    FOREGROUND,
    ORPHAN,
    Identity,
    OwnerRef,
    metadata,
    owner_refs,
)
from everynode.core import errors
from everynode.core.clock import Clock, RealClock
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj
from everynode.runtime.result import DONE, Result, failed
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import default_controller_rate_limiter

log = logging.getLogger(__name__)
FINALIZER_RETRIES = 5
ORPHAN_CONCURRENCY = 32


class Retry(Exception):
    """The item must be looked at again later (the message says why)."""

    def __init__(self, message: str, *, routine: bool = False) -> None:
        super().__init__(message)
        self.routine = routine  # an expected race (logged at INFO by the worker loop), not a failure


class NotObservedYet(Exception):
    """A virtual node's object exists but no informer has shown it yet: poll until one does."""


def _namespace(info: ResourceInfo, identity: Identity) -> str | None:
    return identity.namespace if info.namespaced else None


class GarbageCollector:
    def __init__(
        self,
        api: GarbageCollectorApi,
        *,
        clock: Clock | None = None,
        absent: AbsentOwners | None = None,
    ) -> None:
        self.api = api
        self.clock = clock or RealClock()
        self.delete_queue: RateLimitingQueue[str] = RateLimitingQueue(
            self.clock, default_controller_rate_limiter(self.clock)
        )
        self.orphan_queue: RateLimitingQueue[str] = RateLimitingQueue(
            self.clock, default_controller_rate_limiter(self.clock)
        )
        self.graph = Graph(
            self.delete_queue.add,
            self.orphan_queue.add,
            absent,
            requeue_delete=self.delete_queue.add_rate_limited,
        )

    def handlers(
        self, info: ResourceInfo
    ) -> tuple[Callable[[Obj], None], Callable[[Obj, Obj], None], Callable[[Obj], None]]:
        """Informer handlers (add, update, delete) for the resource ``info``."""

        def on_add(obj: Obj) -> None:
            self.graph.observe(info, obj)

        def on_update(old: Obj, new: Obj) -> None:
            self.graph.observe(info, new, old)

        def on_delete(obj: Obj) -> None:
            self.graph.observe_delete(info, obj)

        return on_add, on_update, on_delete

    async def close(self) -> None:
        await self.delete_queue.close()
        await self.orphan_queue.close()

    # -- attempt to delete -------------------------------------------------------------------------

    async def attempt_to_delete(self, uid: str) -> Result:
        """Delete ``uid`` if its owners are gone (or finish its foreground deletion); a failure —
        or a virtual node's object that no informer has shown yet — is retried with backoff."""
        try:
            return await self._attempt_to_delete(uid)
        except Retry as exc:
            return failed(exc, routine=exc.routine)
        except errors.ApiError as exc:
            return failed(exc)

    async def _attempt_to_delete(self, uid: str) -> Result:
        node = self.graph.get(uid)
        if node is None:
            return DONE
        if not node.observed and not node.dependents:
            self.graph.drop(uid)  # a virtual node nobody refers to any more has nothing to tell
            return DONE
        if node.being_deleted and not node.deleting_dependents:
            return DONE  # on its way out; its dependents are looked at when it is gone
        identity = node.identity
        info = identity.resource
        if info is None or (info.namespaced and not identity.namespace):
            return DONE  # a kind we do not serve (or a namespaced kind without a namespace): never looked up
        latest = await self._latest(info, identity)
        if latest is None:
            self.graph.virtual_delete(identity)
            return DONE
        if node.deleting_dependents:
            await self._finish_foreground(node, info, identity)
            return DONE
        refs = owner_refs(latest)
        if refs:
            states = [(ref, await self._owner_state(ref, identity)) for ref in refs]
            dependents = self.graph.dependents(uid)
            decision = decide(
                latest,
                states,
                has_dependents=bool(dependents),
                dependent_deleting_dependents=any(d.deleting_dependents for d in dependents),
            )
            await self._apply(decision, info, identity, latest)
        if not node.observed and self.graph.get(uid) is node:
            return failed(NotObservedYet(f"{identity} exists but has not been observed yet"), routine=True)
        return DONE

    async def _latest(self, info: ResourceInfo, identity: Identity) -> Obj | None:
        """The object as the API server has it now; None if it is gone (or the name has a new uid)."""
        try:
            obj = await self.api.get(info, _namespace(info, identity), identity.name)
        except errors.NotFound:
            return None
        return obj if metadata(obj).get("uid") == identity.uid else None

    async def _owner_state(self, ref: OwnerRef, dependent: Identity) -> OwnerState:
        namespace, resolvable = lookup_target(ref, dependent)
        info = ref.resource
        if not resolvable or info is None:
            return OwnerState.UNRESOLVED
        owner = ref.owner_identity(dependent.namespace)
        if owner in self.graph.absent:
            return OwnerState.DANGLING
        try:
            found: Obj | None = await self.api.get(info, namespace, ref.name)
        except errors.NotFound:
            found = None
        state = owner_state(ref, found)
        if state is OwnerState.DANGLING:
            self.graph.absent.add(owner)
        return state

    async def _apply(self, decision: Decision, info: ResourceInfo, identity: Identity, latest: Obj) -> None:
        namespace = _namespace(info, identity)
        if decision.action == "keep":
            return
        if decision.action == "remove_refs":
            log.debug("garbage collector: removing references to %s from %s", decision.remove_uids, identity)
            patch = remove_owner_refs_patch(identity.uid, decision.remove_uids)
            try:
                await self.api.patch(info, namespace, identity.name, patch, patch_type="strategic")
            except errors.NotFound:
                self.graph.virtual_delete(identity)
            return
        if decision.unblock_first:
            unblock = unblock_owner_refs_patch(identity.uid, owner_refs(latest))
            if unblock is not None:
                await self.api.patch(info, namespace, identity.name, unblock, patch_type="strategic")
        log.debug("garbage collector: deleting %s (propagation %s)", identity, decision.policy)
        await self._delete(info, identity, latest, decision.policy)

    async def _delete(self, info: ResourceInfo, identity: Identity, latest: Obj, policy: str) -> None:
        version = metadata(latest).get("resourceVersion")

        async def delete(resource_version: str | None) -> None:
            await self.api.delete(
                info,
                _namespace(info, identity),
                identity.name,
                uid=identity.uid,
                resource_version=resource_version,
                propagation_policy=policy,
            )

        try:
            await delete(version if isinstance(version, str) else None)
            return
        except errors.NotFound:
            self.graph.virtual_delete(identity)
            return
        except errors.Conflict:
            pass  # changed since it was read: delete anyway only if its owners did not change
        fresh = await self._latest(info, identity)
        if fresh is None:
            self.graph.virtual_delete(identity)
            return
        if owner_refs(fresh) != owner_refs(latest):
            raise Retry(f"the owners of {identity} changed while it was being collected", routine=True)
        try:
            await delete(None)
        except errors.NotFound:
            self.graph.virtual_delete(identity)

    async def _finish_foreground(self, node: Node, info: ResourceInfo, identity: Identity) -> None:
        blocking = self.graph.blocking_dependents(node.uid)
        if not blocking:
            log.info("garbage collector: no blocking dependents left; finalizing %s", identity)
            await self._remove_finalizer(info, identity, FOREGROUND)
            return
        for dependent in blocking:
            if not dependent.deleting_dependents:
                self.delete_queue.add(dependent.uid)

    async def _remove_finalizer(self, info: ResourceInfo, identity: Identity, finalizer: str) -> None:
        namespace = _namespace(info, identity)
        for _ in range(FINALIZER_RETRIES):
            obj = await self._latest(info, identity)
            if obj is None:
                return
            patch = remove_finalizer_patch(obj, finalizer)
            if patch is None:
                return
            try:
                await self.api.patch(info, namespace, identity.name, patch, patch_type="merge")
                return
            except errors.NotFound:
                return
            except errors.Conflict:
                continue
        raise Retry(f"could not remove the {finalizer} finalizer of {identity}: it kept changing")

    # -- attempt to orphan -------------------------------------------------------------------------

    async def attempt_to_orphan(self, uid: str) -> Result:
        """Remove ``uid`` from its dependents' owner references, then its ``orphan`` finalizer."""
        try:
            await self._attempt_to_orphan(uid)
        except Retry as exc:
            return failed(exc, routine=exc.routine)
        except errors.ApiError as exc:
            return failed(exc)
        return DONE

    async def _attempt_to_orphan(self, uid: str) -> None:
        node = self.graph.get(uid)
        if node is None:
            return
        identity = node.identity
        info = identity.resource
        if info is None:
            return
        limit = asyncio.Semaphore(ORPHAN_CONCURRENCY)
        failures: list[str] = []

        async def orphan(dependent: Node) -> None:
            dependent_info = dependent.identity.resource
            if dependent_info is None:
                return
            patch = remove_owner_refs_patch(dependent.uid, [uid])
            async with limit:
                try:
                    await self.api.patch(
                        dependent_info,
                        _namespace(dependent_info, dependent.identity),
                        dependent.identity.name,
                        patch,
                        patch_type="strategic",
                    )
                except errors.NotFound:
                    pass
                except errors.ApiError as exc:
                    failures.append(f"{dependent.identity}: {exc}")

        dependents = self.graph.dependents(uid)
        if dependents:
            log.info("garbage collector: orphaning %d dependents of %s", len(dependents), identity)
            await asyncio.gather(*(orphan(dependent) for dependent in dependents))
        if failures:
            raise Retry(f"orphaning the dependents of {identity} failed: {'; '.join(failures[:5])}")
        await self._remove_finalizer(info, identity, ORPHAN)
