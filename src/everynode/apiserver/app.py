"""The API server application: routes, start-up (storage, watch caches, namespaces), shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from typing import cast

from aiohttp import web
from aiohttp.typedefs import Middleware

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.description import discovery, openapi_serving
from everynode.apiserver.edge import handover
from everynode.apiserver.edge import plain as fastpath
from everynode.apiserver.edge.exposure import check_bind, host_guard
from everynode.apiserver.edge.inflight import inflight_limit
from everynode.apiserver.options import ApiServerOptions, ConnectionLimits
from everynode.apiserver.registry.definitions import DefinitionServing
from everynode.apiserver.registry.namespaces import NamespaceFinalizer, seed_namespaces
from everynode.apiserver.registry.servicenetwork import ServiceNetwork
from everynode.apiserver.registry.store import Registry
from everynode.apiserver.registry.system_objects import seed_kubernetes_service, seed_priority_classes
from everynode.apiserver.request.handlers import HandlerOptions, ResourceHandlers
from everynode.apiserver.request.http import (
    CONNECTION_LIMITS,
    MAX_BODY_BYTES,
    ApiRequest,
    Handler,
    json_response,
    status_errors,
)
from everynode.apiserver.request.http import Middleware as ApiMiddleware
from everynode.apiserver.request.routing import parse_path
from everynode.apiserver.watch.cache import WatchCache
from everynode.core import errors
from everynode.core import resources as r
from everynode.storage import Backend, open_backend
from everynode.storage.compactor import compact_periodically

log = logging.getLogger(__name__)

BACKEND: web.AppKey[Backend] = web.AppKey("backend", Backend)
HANDLERS: web.AppKey[ResourceHandlers] = web.AppKey("handlers", ResourceHandlers)
CACHES: web.AppKey[dict[str, WatchCache]] = web.AppKey("caches", dict)
CATALOG: web.AppKey[Catalog] = web.AppKey("catalog", Catalog)
ROUTE: web.AppKey[Handler] = web.AppKey("route")  # every request's path, middlewares included


def build_app(options: ApiServerOptions, backend: Backend | None = None) -> web.Application:
    """The aiohttp application. ``backend`` (not started) overrides ``options.storage``."""
    limit = inflight_limit(options.max_requests_inflight, options.max_mutating_requests_inflight)
    chain: list[ApiMiddleware] = [status_errors, host_guard(options.bind), limit]
    app = web.Application(
        middlewares=[cast(Middleware, m) for m in chain], client_max_size=MAX_BODY_BYTES + 1
    )
    app[ROUTE] = _chain(chain, _route)
    app[CONNECTION_LIMITS] = options.connections
    store = backend if backend is not None else open_backend(options.storage)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await store.start()

        def new_cache(info: r.ResourceInfo) -> WatchCache:
            return WatchCache(store, info, history=options.watch_cache_history)

        caches = {info.cache_name: new_cache(info) for info in r.RESOURCES}
        network = ServiceNetwork(options.service_cluster_ip_range, options.service_node_port_range)
        catalog = Catalog()
        registry = Registry(store, caches, network, catalog)
        finalizer = NamespaceFinalizer(registry, recreate=options.seed_namespaces)
        registry.on_namespace_terminating = finalizer.finish
        definitions = DefinitionServing(registry, caches, new_cache)
        app[BACKEND] = store
        app[CACHES] = caches
        app[CATALOG] = catalog
        app[HANDLERS] = ResourceHandlers(registry, caches, HandlerOptions(options.bookmark_interval))
        tasks = [asyncio.create_task(cache.run(), name=f"watchcache-{n}") for n, cache in caches.items()]
        tasks.append(asyncio.create_task(compact_periodically(store, interval=options.compaction_interval)))
        tasks.append(asyncio.create_task(definitions.run(), name="customresourcedefinitions"))
        try:
            await asyncio.gather(*(cache.ready.wait() for cache in list(caches.values())))
            await seed_namespaces(registry, options.seed_namespaces)
            await seed_priority_classes(registry)
            if "default" in options.seed_namespaces:
                await seed_kubernetes_service(registry, options.port)
            await finalizer.resume()
            yield
        finally:
            await finalizer.close()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await store.close()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(_end_watches)
    app.router.add_route("*", "/{tail:.*}", _route)
    return app


def _chain(middlewares: list[ApiMiddleware], handler: Handler) -> Handler:
    """The middlewares around ``handler`` as aiohttp applies them (the first is outermost), for the
    lean path (``edge.plain``), which calls the application without aiohttp."""
    for middleware in reversed(middlewares):
        handler = functools.partial(_call, middleware, handler)
    return handler


async def _call(middleware: ApiMiddleware, inner: Handler, request: ApiRequest) -> web.StreamResponse:
    return await middleware(request, inner)


async def _end_watches(app: web.Application) -> None:
    """Shutting down: end open watches at once, or aiohttp would wait for them (up to a minute)."""
    for cache in app.get(CACHES, {}).values():
        cache.close_watchers()


async def _route(request: ApiRequest) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/"
    if request.method == "GET":
        document = _discovery(request, path)
        if document is not None:
            return document
    target = parse_path(path, request.app[CATALOG])
    if target is None:
        raise errors.NotFound("the server could not find the requested resource")
    handlers: ResourceHandlers = request.app[HANDLERS]
    return await handlers.dispatch(request, target)


def _discovery(request: ApiRequest, path: str) -> web.StreamResponse | None:
    if path in ("/healthz", "/livez", "/readyz"):
        return web.Response(text="ok")
    if path == "/version":
        return json_response(discovery.version())
    catalog = request.app[CATALOG]
    if (found := openapi_serving.handle(path, request.headers.get("Accept", ""), catalog)) is not None:
        return web.Response(body=found[0], headers={"Content-Type": found[1]})
    if path in ("/api", "/apis"):
        aggregated = discovery.aggregated_version(request.headers.get("Accept", ""))
        if aggregated is not None:
            response = json_response(
                discovery.aggregated_list(core=path == "/api", version=aggregated, served=catalog.infos())
            )
            response.headers["Content-Type"] = discovery.aggregated_content_type(aggregated)
            return response
        if path == "/api":
            return json_response(discovery.api_versions(request.host))
        return json_response(discovery.api_group_list(catalog.infos()))
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        document = discovery.api_resource_list("", parts[1], catalog.infos())
        return json_response(document) if document else None
    if len(parts) == 2 and parts[0] == "apis":
        document = discovery.api_group(parts[1], catalog.infos())
        return json_response(document) if document else None
    if len(parts) == 3 and parts[0] == "apis":
        document = discovery.api_resource_list(parts[1], parts[2], catalog.infos())
        return json_response(document) if document else None
    return None


async def serve(options: ApiServerOptions) -> None:
    """Run the API server until cancelled (``ValueError`` for an address it must not listen on)."""
    check_bind(options.bind)
    async with serving(build_app(options), options.bind, options.port):
        log.info(
            "everynode apiserver listening on http://%s:%d (storage %s)",
            options.bind,
            options.port,
            options.storage,
        )
        await asyncio.Event().wait()


@contextlib.asynccontextmanager
async def serving(
    app: web.Application, host: str, port: int, *, limits: ConnectionLimits | None = None
) -> AsyncIterator[int]:
    """``app`` started and listening (yields the port): connections are accepted by the lean path
    (``edge.plain``), which hands watches and anything unusual to aiohttp."""
    limits = limits or app.get(CONNECTION_LIMITS) or ConnectionLimits()
    runner = web.AppRunner(app, handle_signals=False, **handover.handler_kwargs(limits.idle_timeout))
    await runner.setup()
    try:
        server = runner.server
        assert server is not None
        aiohttp_factory = handover.handler_factory(server, limits.idle_timeout)
        listener, connections = await fastpath.start_server(
            app[ROUTE], app, aiohttp_factory, host, port, limits=limits
        )
        try:
            yield listener.port
        finally:
            await fastpath.stop_server(listener, connections)
    finally:
        await runner.cleanup()
