"""``pods/log`` against a live API server: the lines a simulated pod's status tells, ``follow``
telling each restart as it happens and ending with the pod, and upstream's 400s."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.integration.support import create_namespace, own_apiserver

STARTED, RESTARTED = "2026-12-08T01:00:00Z", "2026-12-08T01:05:00Z"


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "podlogs") as process:
        yield process


def running(restarts: int, started: str) -> Obj:
    entry = {
        "name": "main",
        "image": "nginx:1.25",
        "restartCount": restarts,
        "ready": True,
        "state": {"running": {"startedAt": started}},
    }
    if restarts:
        entry["lastState"] = {
            "terminated": {
                "exitCode": 137,
                "reason": "OOMKilled",
                "startedAt": STARTED,
                "finishedAt": started,
            }
        }
    return {"phase": "Running", "podIP": "10.1.0.9", "containerStatuses": [entry]}


async def test_follow_tells_each_restart_and_ends_with_the_pod(server: ApiServerProcess) -> None:
    async with RestClient(ClientConfig(server=server.url)) as client:
        namespace = await create_namespace(client, "logs")
        pods = client.resource(r.PODS)
        await pods.create(builders.pod("web", node="node-1"), namespace)
        await pods.patch("web", {"status": running(0, STARTED)}, namespace, subresource="status")
        url = f"{server.url}/api/v1/namespaces/{namespace}/pods/web/log"
        async with aiohttp.ClientSession() as http:
            async with http.get(url, params={"timestamps": "true"}) as answer:
                assert answer.status == 200
                assert answer.content_type == "text/plain"
                first = (await answer.text()).splitlines()
            assert (
                first[0] == f'{STARTED} everynode: container "main" started on node node-1 (image nginx:1.25)'
            )

            async with http.get(url, params={"previous": "true"}) as answer:
                assert answer.status == 400
                status = await answer.json()
                assert status["message"] == 'previous terminated container "main" in pod "web" not found'

            async with http.get(url, params={"follow": "true"}) as answer:
                assert answer.status == 200
                seen = [await asyncio.wait_for(answer.content.readline(), 10) for _ in first]
                await pods.patch("web", {"status": running(1, RESTARTED)}, namespace, subresource="status")
                restarted = await asyncio.wait_for(answer.content.readline(), 10)
                assert restarted.decode().startswith('everynode: container "main" started on node node-1')
                assert seen[0].decode().startswith('everynode: container "main" started')
                await pods.delete("web", namespace, grace_period_seconds=0)
                rest = await asyncio.wait_for(answer.content.read(), 10)  # it ends: the pod is gone
                assert b"everynode: restart 1\n" in rest

            async with http.get(url, params={"previous": "true"}) as answer:
                assert answer.status == 404  # gone
