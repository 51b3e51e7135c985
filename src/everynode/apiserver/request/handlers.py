"""The resource endpoints: one method per verb, from a parsed request to a registry call."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from everynode.apiserver import tables
from everynode.apiserver.apply.manager import manager_or_user_agent
from everynode.apiserver.description import schema
from everynode.apiserver.kinds import Kind
from everynode.apiserver.registry.codec import decode
from everynode.apiserver.registry.objects import deep_copy, drop_nulls, status_success
from everynode.apiserver.registry.store import Registry
from everynode.apiserver.request import (
    bodies,
    decoding,
    eviction,
    fieldvalidation,
    podlogs,
    responses,
    scale,
    serverside,
)
from everynode.apiserver.request import options as request_options
from everynode.apiserver.request.filters import build_predicate
from everynode.apiserver.request.http import (
    ApiRequest,
    json_response,
    media_type,
    read_body,
    read_object,
    warning_header,
)
from everynode.apiserver.request.routing import Target
from everynode.apiserver.watch.cache import WatchCache
from everynode.apiserver.watch.serve import FRESHNESS_TIMEOUT, serve_watch
from everynode.core import errors
from everynode.core.fielderrors import forbidden, required
from everynode.core.patch import PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj
from everynode.storage import Compacted, FutureRevision, InvalidContinueToken

APPLY_PATCH = "application/apply-patch+yaml"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)


# a custom resource has no Go type, hence no patch strategies: upstream takes no strategic merge patch
CUSTOM_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", APPLY_PATCH)

TOO_LARGE_CAUSE = {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
FUTURE_REVISION_WAIT = 3.0  # seconds a read at a revision the cache lacks waits (upstream's blockTimeout)
STORAGE_PAGE = 500  # items read from storage at a time when the list has no limit
MAX_STORAGE_PAGE = 10_000  # ... and at most, whatever the limit
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter."
)


@dataclass(frozen=True, slots=True)
class HandlerOptions:
    bookmark_interval: float = 60.0


class ResourceHandlers:
    def __init__(self, registry: Registry, caches: dict[str, WatchCache], options: HandlerOptions) -> None:
        self.registry = registry
        self.caches = caches
        self.options = options

    async def dispatch(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        deprecated = self.registry.catalog.kind(target.info).deprecation_warning
        response = await self._dispatch(request, target)
        if deprecated is not None and not response.prepared:  # a watch's headers are gone already
            for name, value in warning_header([deprecated]).items():
                response.headers.add(name, value)
        return response

    async def _dispatch(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        method = request.method
        if target.name is None and target.subresource == "binding":
            if method == "POST":
                return await self.bind(request, target)
        elif target.name is None:
            if method == "GET":
                if request_options.flag(request, "watch"):
                    return await self.watch(request, target)
                return await self.list(request, target)
            if method == "POST":
                return await self.create(request, target)
            if method == "DELETE" and "deletecollection" in target.info.verbs:
                return await self.delete_collection(request, target)
        elif target.subresource in (None, "status"):
            if method == "GET":
                return await self.get(request, target)
            if method == "PUT":
                return await self.update(request, target)
            if method == "PATCH":
                return await self.patch(request, target)
            if method == "DELETE" and target.subresource is None:
                return await self.delete(request, target)
        elif target.subresource == "scale":
            return await scale.serve_scale(self.registry, request, target)
        elif target.subresource == "binding" and method == "POST":
            return await self.bind(request, target)
        elif target.subresource == "eviction" and method == "POST":
            return await eviction.evict(self.registry, self.caches, request, target)
        elif target.subresource == "log" and method == "GET":
            return await podlogs.serve_log(request, target.namespace or "", target.name, self.caches["pods"])
        elif target.subresource in ("exec", "attach", "portforward"):
            raise podlogs.refuse_connect(
                target.namespace or "", target.name, target.subresource, self.caches["pods"]
            )
        raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")

    def _served(self, target: Target, obj: Obj) -> Obj:
        return self.registry.catalog.kind(target.info).served(obj)

    # -- reads -----------------------------------------------------------------------------------

    async def get(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        info, name = target.info, target.name or ""
        rv = request.query.get("resourceVersion", "")
        if rv == "0":
            cached = self.caches[info.cache_name].get(info.key(target.namespace, name))
            if cached is not None:
                return responses.object_response(request, self.registry.catalog.kind(info), cached)
        elif rv:
            request_options.resource_version(rv)
        obj = await self.registry.get(info, target.namespace, name)
        return responses.object_response(request, self.registry.catalog.kind(info), obj)

    async def list(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        info, query = target.info, request.query
        predicate = build_predicate(
            info,
            target.namespace,
            query.get("labelSelector", ""),
            query.get("fieldSelector", ""),
            self.registry.catalog.kind(info).selectable_fields,
        )
        options = request_options.list_options(request)
        rv, match, limit = options.resource_version, options.match, options.limit
        cache = self.caches[info.cache_name]
        if (
            options.continue_token
            or match == "Exact"
            or (limit and rv not in ("0",) and not (rv and match == "NotOlderThan"))
        ):
            return await self._list_from_storage(request, info, target.namespace, predicate, options)
        if rv == "":
            fresh = await cache.consistent(FRESHNESS_TIMEOUT)
        elif rv == "0":
            await cache.ready.wait()
            fresh = True
        else:
            wanted = options.revision
            fresh = await cache.reaches(wanted, FUTURE_REVISION_WAIT)
            if not fresh and wanted > await self.registry.backend.current_revision():
                raise errors.Timeout(
                    f"Too large resource version: {rv}, current: {cache.revision}",
                    details={"causes": [TOO_LARGE_CAUSE]},
                )
        if not fresh:  # the cache cannot prove it is current: read storage, which always is
            latest = replace(options, resource_version="", limit=0, continue_token=None)
            return await self._list_from_storage(request, info, target.namespace, predicate, latest)
        items = cache.list_objects(target.namespace, predicate)
        return responses.list_response(request, self.registry.catalog.kind(info), items, cache.revision, None)

    async def _list_from_storage(
        self,
        request: ApiRequest,
        info: ResourceInfo,
        namespace: str | None,
        predicate: Any,
        options: request_options.ListOptions,
    ) -> web.StreamResponse:
        prefix = info.key_prefix(namespace if info.namespaced else None)
        token, limit, rv = options.continue_token, options.limit, options.resource_version
        continued = token is not None
        revision = options.revision if not token else 0
        items: list[Obj] = []
        try:
            while True:
                # never more than ``limit`` items in all, nor more than a page at a time
                wanted = min(limit - len(items), MAX_STORAGE_PAGE) if limit else STORAGE_PAGE
                page = await self.registry.backend.list(
                    prefix, revision=revision, limit=wanted, continue_token=token
                )
                revision = 0
                for kv in page.items:
                    obj = decode(kv.value, kv.mod_revision)
                    if predicate(obj):
                        items.append(obj)
                token = page.continue_token
                if token is None or (limit and len(items) >= limit):
                    break
        except Compacted:
            raise errors.Gone(CONTINUE_EXPIRED if continued else f"too old resource version: {rv}") from None
        except FutureRevision:
            raise errors.Timeout(f"Too large resource version: {rv}") from None
        except InvalidContinueToken as exc:
            raise errors.BadRequest(f"continue key is not valid: {exc}") from None
        return responses.list_response(request, self.registry.catalog.kind(info), items, page.revision, token)

    async def watch(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        info, query = target.info, request.query
        predicate = build_predicate(
            info,
            target.namespace,
            query.get("labelSelector", ""),
            query.get("fieldSelector", ""),
            self.registry.catalog.kind(info).selectable_fields,
        )
        options = request_options.list_options(request)
        accept = request.headers.get("Accept", "")
        table: tuple[Kind, str, str] | None = None
        if tables.wants_table(accept):
            include = query.get("includeObject", "")
            problem = tables.include_object_error(include)
            if problem:
                raise errors.BadRequest(problem)
            table = (self.registry.catalog.kind(info), include, tables.table_version(accept))
        if not isinstance(request, web.Request):  # the lean path hands every watch to aiohttp
            raise errors.InternalError("a watch must be served by the streaming HTTP server")
        timeout = options.timeout_seconds
        return await serve_watch(
            request,
            self.caches[info.cache_name],
            predicate,
            table=table,
            resource_version=options.resource_version,
            timeout_seconds=float(timeout) if timeout is not None else None,
            bookmarks=options.allow_bookmarks,
            bookmark_interval=self.options.bookmark_interval,
            send_initial_events=options.send_initial_events,
            served=self.registry.catalog.kind(info),
        )

    # -- writes ----------------------------------------------------------------------------------

    async def create(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        if not self.registry.catalog.accepts_new(target.info):
            raise errors.MethodNotAllowed(
                f"create is not supported on resources of kind {target.info.qualified!r} while its "
                "CustomResourceDefinition is being deleted"
            )
        unknown = self.registry.catalog.kind(target.info).unknown_fields
        body, namespace, warnings = await bodies.decoded_body(request, target, unknown)
        obj = await self.registry.create(
            target.info,
            namespace,
            body,
            dry_run=request_options.dry_run(request),
            manager=request.query.get("fieldManager") or None,
        )
        return json_response(self._served(target, obj), status=201, headers=warning_header(warnings))

    async def update(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        unknown = self.registry.catalog.kind(target.info).unknown_fields
        body, namespace, warnings = await bodies.decoded_body(request, target, unknown)
        obj, created = await self.registry.update(
            target.info,
            namespace,
            target.name or "",
            body,
            subresource=target.subresource,
            dry_run=request_options.dry_run(request),
            manager=_writer(request),
        )
        return json_response(
            self._served(target, obj), status=201 if created else 200, headers=warning_header(warnings)
        )

    async def patch(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        info = target.info
        content_type = media_type(request)
        if content_type == APPLY_PATCH:
            return await serverside.serve_apply(self.registry, request, target)
        if "force" in request.query:
            raise errors.invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                [forbidden("force", "may not be specified for non-apply patch")],
            )
        if content_type not in PATCH_TYPES or (info.custom and content_type == STRATEGIC_MERGE_PATCH):
            accepted = CUSTOM_PATCH_TYPES if info.custom else PATCH_TYPES
            raise errors.UnsupportedMediaType(
                f'the body of the request was in an unknown format "{content_type}" - accepted media types '
                "include: " + ", ".join(accepted)
            )
        document = decoding.load_json(await read_body(request))
        if document is None:
            raise errors.BadRequest("the patch body is null; send a JSON object (or array, for a JSON patch)")
        mode = request.query.get("fieldValidation", "Warn")
        unknown = self.registry.catalog.kind(info).unknown_fields
        warnings: list[str] = []

        def apply(current: Obj) -> Obj:
            # ``current`` is the registry's and stays as it is (the baseline of the unknown-field
            # check); the patch works in place on one fast copy of it.
            target = deep_copy(current)
            try:
                if content_type == "application/json-patch+json":
                    patched = apply_json_patch(target, document, owned=True)
                    # Merge patches keep values where they are; a JSON patch can move them deeper.
                    if decoding.nests_deeper_than(patched, decoding.MAX_DEPTH):
                        raise errors.BadRequest(
                            f"the patched object would nest deeper than {decoding.MAX_DEPTH} levels"
                        )
                elif content_type == "application/merge-patch+json":
                    patched = apply_merge_patch(target, document, owned=True)
                else:
                    if not isinstance(document, dict):
                        raise errors.BadRequest("a strategic merge patch must be a JSON object")
                    patched = apply_strategic_merge_patch(
                        target, document, schema.patch_schema(info.group, info.version, info.kind), owned=True
                    )
            except PatchError as exc:
                raise _patch_error(exc) from None
            if not isinstance(patched, dict):
                raise errors.BadRequest("the patch did not produce an object")
            cleaned: Obj = drop_nulls(patched)
            patched = cleaned
            warnings[:] = fieldvalidation.check_fields(
                info, patched, mode, baseline=current, custom_unknown=unknown
            )
            return patched

        obj = await self.registry.patch(
            info,
            target.namespace,
            target.name or "",
            apply,
            subresource=target.subresource,
            dry_run=request_options.dry_run(request),
            manager=_writer(request),
        )
        return json_response(self._served(target, obj), headers=warning_header(warnings))

    async def delete(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        options = await request_options.delete_options(request)
        body, code = await self.registry.delete(target.info, target.namespace, target.name or "", options)
        return json_response(body, status=code)

    async def delete_collection(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        info, query = target.info, request.query
        options = await request_options.delete_options(request)
        predicate = build_predicate(
            info,
            target.namespace,
            query.get("labelSelector", ""),
            query.get("fieldSelector", ""),
            self.registry.catalog.kind(info).selectable_fields,
        )
        cache = self.caches[info.cache_name]
        if await cache.consistent(FRESHNESS_TIMEOUT):
            matching = cache.list_objects(target.namespace, predicate)
        else:
            prefix = info.key_prefix(target.namespace if info.namespaced else None)
            matching = [
                decode(kv.value, kv.mod_revision) for kv in (await self.registry.backend.list(prefix)).items
            ]
            matching = [obj for obj in matching if predicate(obj)]
        deleted = []
        for obj in matching:
            metadata = obj["metadata"]
            try:
                body, _ = await self.registry.delete(
                    info, metadata.get("namespace"), metadata["name"], options
                )
            except errors.NotFound:
                continue
            deleted.append(body if body.get("kind") != "Status" else obj)
        return json_response(responses.list_body(info, deleted, cache.revision, None))

    async def bind(self, request: ApiRequest, target: Target) -> web.StreamResponse:
        body = await read_object(request)
        metadata = bodies.object_field(body, "metadata", "Binding", "v1")
        name = target.name or str(metadata.get("name") or "")
        node = bodies.object_field(body, "target", "Binding", "v1").get("name")
        problems = [] if name else [required("metadata.name")]
        if not node:
            problems.append(required("target.name"))
        if problems:
            raise errors.invalid("Binding", "", name, problems)
        await self.registry.bind(
            target.namespace or "", name, str(node), dry_run=request_options.dry_run(request)
        )
        return json_response(status_success("", "pods", name, None) | {"code": 201}, status=201)


# -- helpers -------------------------------------------------------------------------------------


def _writer(request: ApiRequest) -> str:
    """Who makes an update, for ``managedFields``: its ``fieldManager``, else its user agent's name."""
    return manager_or_user_agent(request.query.get("fieldManager", ""), request.headers.get("User-Agent", ""))


def _patch_error(exc: PatchError) -> errors.ApiError:
    """Upstream's codes for patch failures, except that a bad SMP directive is the client's fault:
    upstream answers 500 for it; we answer 400, which is what it is."""
    if exc.code == 422:
        return errors.Invalid(exc.message)
    if exc.code == 413:
        return errors.RequestEntityTooLarge(exc.message)
    return errors.BadRequest(exc.message)
