"""The controller-manager's components share their informers: one watch per (resource, namespace,
selectors) for the whole process, counted on the API server itself.

The API server runs in this process (same event loop, a loopback port) so that its watch caches can
be asked how many watchers each has; the components talk to it over HTTP as they would to any server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from everynode.apiserver.app import CACHES, build_app
from everynode.apiserver.options import ApiServerOptions
from everynode.cli import controller_manager
from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import resources as r
from tests.builders import daemonset, node
from tests.integration.support import create_namespace, eventually

EXPECTED_WATCHES = {
    "pods": 1,
    "nodes": 1,
    "leases": 1,
    "daemonsets": 1,
    "controllerrevisions": 1,
    "deployments": 1,
    "replicasets": 1,
    "namespaces": 1,
    "serviceaccounts": 1,
    "poddisruptionbudgets": 1,
    "statefulsets": 1,
    "services": 1,
    "endpoints": 1,
    "endpointslices": 1,
    "customresourcedefinitions": 1,  # not a component's: the API server's own definition serving
}


@contextlib.asynccontextmanager
async def in_process_apiserver() -> AsyncIterator[tuple[str, web.Application]]:
    app = build_app(ApiServerOptions(storage="memory://", bookmark_interval=1.0))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}", app
    finally:
        await runner.cleanup()


def controller_manager_args(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    controller_manager.add_parser(parser.add_subparsers())
    return parser.parse_args(["controller-manager", "--kubeconfig", "unused", *flags])


def open_watches(app: web.Application) -> dict[str, int]:
    return {name: cache.watcher_count for name, cache in app[CACHES].items() if cache.watcher_count}


async def test_all_components_share_one_watch_per_resource() -> None:
    async with in_process_apiserver() as (url, app), RestClient(ClientConfig(server=url)) as client:
        args = controller_manager_args("--pod-gc-interval", "0.5")
        names = controller_manager.selected("*")
        assert len(names) == 10
        task = asyncio.create_task(controller_manager.build_manager(client, args, names).run())
        try:
            await eventually(
                lambda: open_watches(app) == EXPECTED_WATCHES,
                within=20,
                what=f"one watch per resource (open: {open_watches(app)})",
            )
            # the shared caches feed every component: a DaemonSet's pod is made by the DaemonSet
            # controller and bound by the scheduler, both reading the one pod informer
            namespace = await create_namespace(client, "shared")
            name = "shared-node"
            await client.resource(r.NODES).create(node(name))
            await client.resource(r.DAEMONSETS).create(daemonset("agent"), namespace)

            async def bound_pods() -> list[str]:
                listed = await client.resource(r.PODS).list(namespace)
                return [p["spec"].get("nodeName", "") for p in listed["items"]]

            async def bound() -> bool:
                return await bound_pods() == [name]

            await eventually(bound, within=20, what="the daemon pod to be created and bound")

            async def has_default_account() -> bool:
                listed = await client.resource(r.SERVICE_ACCOUNTS).list(namespace)
                return [a["metadata"]["name"] for a in listed["items"]] == ["default"]

            await eventually(has_default_account, within=20, what="the namespace's default ServiceAccount")
            assert open_watches(app) == EXPECTED_WATCHES
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
