"""``POST /api/v1/namespaces/{ns}/pods/{name}/eviction``: the reads and writes of an eviction, as
upstream's ``EvictionREST.Create`` does them; what to do is ``registry.eviction``'s decision.

The pod is read from storage; the namespace's PodDisruptionBudgets from the watch cache once it is
current (else from storage). A decremented budget is written through its ``/status`` with the
``resourceVersion`` it was read at; on a conflict it is read again and checked again, up to
``RETRIES`` times ``RETRY_DELAY`` apart (upstream's ``EvictionsRetry``). Unless it is a dry run, the
pod then gets its ``DisruptionTarget`` condition and is deleted with the eviction's DeleteOptions.
A dry run decides and answers, and writes nothing.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace

from aiohttp import web

from everynode.apiserver.registry import eviction
from everynode.apiserver.registry.codec import decode
from everynode.apiserver.registry.deletion import DeleteOptions
from everynode.apiserver.registry.objects import deep_copy
from everynode.apiserver.registry.store import Registry
from everynode.apiserver.request import bodies
from everynode.apiserver.request import options as request_options
from everynode.apiserver.request.http import ApiRequest, json_response, read_object
from everynode.apiserver.request.routing import Target
from everynode.apiserver.watch.cache import WatchCache
from everynode.apiserver.watch.serve import FRESHNESS_TIMEOUT
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.timestamps import now_time
from everynode.core.types import Obj

RETRIES = 20  # upstream's EvictionsRetry: 20 steps ...
RETRY_DELAY = 0.5  # ... 500 ms apart, with 10% jitter
SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


async def evict(
    registry: Registry, caches: dict[str, WatchCache], request: ApiRequest, target: Target
) -> web.StreamResponse:
    namespace, name = target.namespace or "", target.name or ""
    options = await _eviction_options(request, namespace, name)
    client_pinned = options.precondition_resource_version is not None
    for attempt in range(RETRIES):
        if attempt:
            await _pause()
        pod = await registry.get(r.PODS, namespace, name)
        budgets = [] if eviction.can_ignore_budgets(pod) else await _budgets(registry, caches, namespace)
        decision = eviction.decide(pod, budgets, now_time())
        if decision.error is not None:
            raise decision.error
        if decision.budget is not None:
            if not options.dry_run:
                await _write_budget(registry, namespace, name, decision.budget)
            await _mark_and_delete(registry, namespace, name, options)
            return json_response(SUCCESS, status=201)
        delete_options = options
        pod_version = str(pod["metadata"].get("resourceVersion") or "")
        if decision.pin_resource_version and (decision.reason == "unhealthy-pod" or not client_pinned):
            delete_options = replace(options, precondition_resource_version=pod_version)
        try:
            await _mark_and_delete(registry, namespace, name, delete_options)
        except errors.Conflict:
            if client_pinned or not decision.pin_resource_version:
                raise
            if decision.reason == "unhealthy-pod":  # the pod changed since: it may be ready by now
                raise eviction.still_being_processed(decision.budget_name) from None
            if attempt == RETRIES - 1:
                raise
            continue  # a pod that was not running changed: read it again, and decide again
        return json_response(SUCCESS, status=201)
    raise AssertionError("unreachable")


async def _eviction_options(request: ApiRequest, namespace: str, name: str) -> DeleteOptions:
    """The Eviction body's DeleteOptions (dryRun from the query too); 400 for a body naming another pod."""
    body = await read_object(request)
    metadata = bodies.object_field(body, "metadata", "Eviction", "policy/v1")
    if metadata.get("name") != name:
        raise errors.BadRequest("name in URL does not match name in Eviction object")
    declared = metadata.get("namespace")
    if declared and declared != namespace:
        raise errors.BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    raw = body.get("deleteOptions") or {}
    if not isinstance(raw, dict):
        raise errors.BadRequest("Eviction deleteOptions must be an object")
    return request_options.options_from(raw, dry_run=request_options.dry_run(request))


async def _budgets(registry: Registry, caches: dict[str, WatchCache], namespace: str) -> list[Obj]:
    """The namespace's PodDisruptionBudgets, as a consistent list (upstream lists them with a client)."""
    info = r.POD_DISRUPTION_BUDGETS
    cache = caches[info.cache_name]
    if await cache.consistent(FRESHNESS_TIMEOUT):
        return cache.list_objects(namespace, lambda obj: True)
    page = await registry.backend.list(info.key_prefix(namespace))
    return [decode(kv.value, kv.mod_revision) for kv in page.items]


async def _write_budget(registry: Registry, namespace: str, pod_name: str, budget: Obj) -> None:
    """Writes the decremented budget at the version it was read; on a conflict reads it again and
    decrements again (which may now refuse)."""
    info, name = r.POD_DISRUPTION_BUDGETS, budget["metadata"]["name"]
    for attempt in range(RETRIES):
        try:
            await registry.update(info, namespace, name, budget, subresource="status")
            return
        except errors.Conflict:
            if attempt == RETRIES - 1:
                raise
        await _pause()
        fresh = await registry.get(info, namespace, name)
        budget = eviction.check_and_decrement(fresh, pod_name, now_time())


async def _mark_and_delete(registry: Registry, namespace: str, name: str, options: DeleteOptions) -> None:
    """``addConditionAndDeletePod``: unless a dry run, the ``DisruptionTarget`` condition first (on the
    pod the preconditions name, else 409), then the delete (its resourceVersion precondition moved
    on past that write of our own)."""
    if not options.dry_run:
        refusal: list[errors.Conflict | None] = [None]

        def mark(current: Obj) -> Obj:
            # An unchanged answer makes the registry look at storage when ``current`` is the watch
            # cache's (which may lag): a refusal is only reported as storage's copy sees it.
            refusal[0] = eviction.precondition_conflict(
                current, options.precondition_uid, options.precondition_resource_version
            )
            marked = current if refusal[0] else eviction.with_disruption_condition(current, now_time())
            return deep_copy(current) if marked is current else marked  # ``current`` stays as it is

        marked = await registry.patch(r.PODS, namespace, name, mark, subresource="status")
        if refusal[0] is not None:
            raise refusal[0]
        if options.precondition_resource_version is not None:
            version = str(marked["metadata"]["resourceVersion"])
            options = replace(options, precondition_resource_version=version)
    await registry.delete(r.PODS, namespace, name, options)


async def _pause() -> None:
    await asyncio.sleep(RETRY_DELAY * (1 + random.random() * 0.1))  # jitter, not secrets
