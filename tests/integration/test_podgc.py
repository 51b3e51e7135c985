"""Pod GC against a live API server, with shortened timings (a pass every 0.2 s, 1 s quarantine)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.controllers.podgc.service import PodGCService
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.integration.support import create_namespace, eventually, own_apiserver, running, unique

HOLD = "everynode.io/test-hold"
QUARANTINE = 1.0


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "podgc") as process:
        yield process


@contextlib.asynccontextmanager
async def podgc(
    server: ApiServerProcess, *, threshold: int = 12500
) -> AsyncIterator[tuple[RestClient, PodGCService]]:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        service = PodGCService(
            client, manager, interval=0.2, quarantine=QUARANTINE, terminated_threshold=threshold
        )
        async with running(manager):
            yield client, service


async def create_node(client: RestClient, name: str, *, taints: list[Obj] | None = None) -> Obj:
    return await client.resource(r.NODES).create(builders.node(name, taints=taints or None))


async def create_pod(
    client: RestClient,
    namespace: str,
    name: str,
    *,
    node: str | None = None,
    finalizers: list[str] | None = None,
) -> Obj:
    main = builders.container(image="busybox:1.36")
    body = builders.pod(name, node=node or None, finalizers=finalizers or None, containers=[main])
    return await client.resource(r.PODS).create(body, namespace)


async def set_phase(client: RestClient, namespace: str, name: str, phase: str) -> None:
    await client.resource(r.PODS).patch(name, {"status": {"phase": phase}}, namespace, subresource="status")


async def read_pod(client: RestClient, namespace: str, name: str) -> Obj | None:
    try:
        return await client.resource(r.PODS).get(name, namespace)
    except errors.NotFound:
        return None


async def test_pods_of_a_deleted_node_are_force_deleted_after_the_quarantine(
    server: ApiServerProcess,
) -> None:
    async with podgc(server) as (client, _):
        namespace = await create_namespace(client, "podgc")
        doomed, healthy = unique("doomed"), unique("healthy")
        await create_node(client, doomed)
        await create_node(client, healthy)
        await create_pod(client, namespace, "on-doomed", node=doomed)
        await set_phase(client, namespace, "on-doomed", "Running")
        await create_pod(client, namespace, "on-healthy", node=healthy)
        # a finalizer keeps the pod readable after PodGC's delete, to check the status it was given
        await create_pod(client, namespace, "on-doomed-held", node=doomed, finalizers=[HOLD])

        await client.resource(r.NODES).delete(doomed)
        deleted_at = time.monotonic()

        async def gone() -> bool:
            return await read_pod(client, namespace, "on-doomed") is None

        await eventually(gone, what="the pod of the deleted node to be force-deleted")
        assert time.monotonic() - deleted_at >= QUARANTINE * 0.9, "deleted before the quarantine ended"

        held = await read_pod(client, namespace, "on-doomed-held")
        assert held is not None
        assert held["status"]["phase"] == "Failed"
        conditions = {c["type"]: c for c in held["status"].get("conditions", [])}
        target = conditions["DisruptionTarget"]
        assert (target["status"], target["reason"], target["message"]) == (
            "True",
            "DeletionByPodGC",
            "PodGC: node no longer exists",
        )
        assert held["metadata"]["deletionTimestamp"]
        assert held["metadata"]["deletionGracePeriodSeconds"] == 0
        assert await read_pod(client, namespace, "on-healthy") is not None
        await client.resource(r.PODS).patch("on-doomed-held", {"metadata": {"finalizers": None}}, namespace)


async def wait_passes(service: PodGCService, count: int) -> None:
    target = service.controller.passes + count

    async def done() -> bool:
        return service.controller.passes >= target

    await eventually(done, what=f"{count} more pod GC passes")


async def test_a_node_that_comes_back_within_the_quarantine_keeps_its_pods(server: ApiServerProcess) -> None:
    async with podgc(server) as (client, service):
        namespace = await create_namespace(client, "podgc")
        name = unique("late")
        await create_pod(client, namespace, "early", node=name)  # bound before its node exists
        await wait_passes(service, 2)  # seen missing: quarantined
        await create_node(client, name)
        await wait_passes(service, int(QUARANTINE / 0.2) + 2)  # the quarantine is over
        assert await read_pod(client, namespace, "early") is not None


async def test_an_unscheduled_terminating_pod_is_force_deleted(server: ApiServerProcess) -> None:
    async with podgc(server) as (client, _):
        namespace = await create_namespace(client, "podgc")
        await create_pod(client, namespace, "never-bound", finalizers=[HOLD])
        await client.resource(r.PODS).delete("never-bound", namespace)

        async def failed() -> bool:
            pod = await read_pod(client, namespace, "never-bound")
            return pod is not None and pod["status"].get("phase") == "Failed"

        await eventually(failed, what="pod GC to mark the unscheduled terminating pod Failed")
        await client.resource(r.PODS).patch("never-bound", {"metadata": {"finalizers": None}}, namespace)

        async def gone() -> bool:
            return await read_pod(client, namespace, "never-bound") is None

        await eventually(gone, what="the pod to go once its finalizer is removed")


async def test_a_terminating_pod_on_an_out_of_service_node_is_force_deleted(server: ApiServerProcess) -> None:
    async with podgc(server) as (client, _):
        namespace = await create_namespace(client, "podgc")
        name = unique("oos")
        await create_node(
            client, name, taints=[{"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}]
        )
        await client.resource(r.NODES).patch(
            name, {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}, subresource="status"
        )
        await create_pod(client, namespace, "stuck", node=name)
        await set_phase(client, namespace, "stuck", "Running")
        marked = await client.resource(r.PODS).delete("stuck", namespace)  # graceful: 30 s
        assert marked["metadata"]["deletionGracePeriodSeconds"] == 30

        async def gone() -> bool:
            return await read_pod(client, namespace, "stuck") is None

        await eventually(gone, within=10, what="the terminating pod to be force-deleted")


def creation_order(pod: Obj) -> tuple[int, str, str]:
    """Pod GC's order for terminated pods: evicted first, then older, then by name (RFC 3339 UTC
    timestamps of one format sort as text)."""
    status = pod.get("status", {})
    evicted = status.get("phase") == "Failed" and status.get("reason") == "Evicted"
    meta = pod["metadata"]
    return (0 if evicted else 1, meta["creationTimestamp"], meta["name"])


async def test_terminated_pods_over_the_threshold_go_oldest_first(server: ApiServerProcess) -> None:
    async with RestClient(ClientConfig(server=server.url)) as client:
        namespace = await create_namespace(client, "podgc")
        names = [f"done-{i}" for i in range(4)]
        for name in names:
            await create_pod(client, namespace, name)
            await set_phase(client, namespace, name, "Succeeded")
        listed = await client.resource(r.PODS).list()
        terminated = [p for p in listed["items"] if p["status"].get("phase") in ("Succeeded", "Failed")]
        ordered = sorted(terminated, key=creation_order)
        going = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in ordered[:2]}
        threshold = len(terminated) - 2
    async with podgc(server, threshold=threshold) as (client, _):

        async def oldest_gone() -> bool:
            for namespace_, name in going:
                if await read_pod(client, namespace_, name) is not None:
                    return False
            return True

        await eventually(oldest_gone, what="the two oldest terminated pods to go")
        left = {name for name in names if await read_pod(client, namespace, name) is not None}
        assert left == {name for name in names if (namespace, name) not in going}
