"""The scheduler against a live API server: pods written directly, bindings and events read back.

The module has its own API server on SQLite: nodes are cluster-scoped, and the scheduler sees every
node there is. Every test labels its nodes with a group of its own and selects (or pins) within it, so
tests do not take each other's nodes; "0/N nodes" counts every node on the server, so messages are
matched by their reasons, not by N.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.scheduler.service import SchedulerService
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.integration.support import create_all, create_namespace, eventually, own_apiserver, running


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "scheduler") as process:
        yield process


@contextlib.asynccontextmanager
async def scheduler(server: ApiServerProcess) -> AsyncIterator[tuple[RestClient, SchedulerService]]:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        service = SchedulerService(client, manager)
        async with running(manager):
            yield client, service


def node(name: str, *, group: str, cpu: str | None = None, taints: list[Obj] | None = None) -> Obj:
    allocatable = None if cpu is None else {"cpu": cpu, "memory": "8Gi", "pods": "110"}
    return builders.node(name, labels={"group": group}, taints=taints or None, allocatable=allocatable)


def pod(name: str, *, cpu: str | None = None, **spec: Any) -> Obj:
    return builders.pod(name, containers=[builders.container(image="busybox:1.36", cpu=cpu)], **spec)


def pinned_to(node_name: str) -> Obj:
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


async def node_of(client: RestClient, namespace: str, name: str) -> str | None:
    found = await client.resource(r.PODS).get(name, namespace)
    node_name = found.get("spec", {}).get("nodeName")
    return str(node_name) if node_name else None


async def bound_to(client: RestClient, namespace: str, name: str, *, within: float = 30) -> str:
    async def is_bound() -> bool:
        return await node_of(client, namespace, name) is not None

    await eventually(is_bound, within=within, what=f"pod {namespace}/{name} to be bound")
    node_name = await node_of(client, namespace, name)
    assert node_name is not None
    return node_name


async def events_for(client: RestClient, namespace: str, name: str, reason: str) -> list[Obj]:
    listed = await client.resource(r.EVENTS).list(namespace)
    return [
        e
        for e in listed["items"]
        if e.get("involvedObject", {}).get("name") == name and e.get("reason") == reason
    ]


async def test_a_pod_is_bound_to_the_node_that_fits(server: ApiServerProcess) -> None:
    group = uuid.uuid4().hex[:6]
    async with scheduler(server) as (client, _):
        namespace = await create_namespace(client, "sched")
        await create_all(
            client,
            r.NODES,
            [
                node(
                    f"fit-{group}-tainted", group=group, taints=[{"key": "dedicated", "effect": "NoSchedule"}]
                ),
                node(f"fit-{group}-free", group=group),
            ],
        )
        await client.resource(r.PODS).create(pod("web", nodeSelector={"group": group}), namespace)
        assert await bound_to(client, namespace, "web") == f"fit-{group}-free"

        async def recorded() -> bool:
            return bool(await events_for(client, namespace, "web", "Scheduled"))

        await eventually(recorded, within=10, what="a Scheduled event")
        (event,) = await events_for(client, namespace, "web", "Scheduled")
        assert event["type"] == "Normal"
        assert event["message"] == f"Successfully assigned {namespace}/web to fit-{group}-free"
        assert event["source"]["component"] == "default-scheduler"
        scheduled = await client.resource(r.PODS).get("web", namespace)
        conditions = {c["type"]: c["status"] for c in scheduled["status"].get("conditions", [])}
        assert conditions.get("PodScheduled") == "True"


async def test_a_pinned_pod_is_bound_to_its_node(server: ApiServerProcess) -> None:
    group = uuid.uuid4().hex[:6]
    names = [f"pin-{group}-{i}" for i in range(5)]
    async with scheduler(server) as (client, _):
        namespace = await create_namespace(client, "sched")
        await create_all(client, r.NODES, [node(name, group=group) for name in names])
        await client.resource(r.PODS).create(pod("daemon", affinity=pinned_to(names[3])), namespace)
        assert await bound_to(client, namespace, "daemon") == names[3]


async def test_a_pod_that_fits_nowhere_is_explained_and_bound_once_a_node_fits(
    server: ApiServerProcess,
) -> None:
    group = uuid.uuid4().hex[:6]
    async with scheduler(server) as (client, service):
        namespace = await create_namespace(client, "sched")
        await create_all(
            client,
            r.NODES,
            [
                node(
                    f"late-{group}-tainted",
                    group=group,
                    taints=[{"key": "gpu", "value": "yes", "effect": "NoSchedule"}],
                )
            ],
        )
        await client.resource(r.PODS).create(pod("waiting", nodeSelector={"group": group}), namespace)

        async def explained() -> bool:
            return bool(await events_for(client, namespace, "waiting", "FailedScheduling"))

        await eventually(explained, within=30, what="a FailedScheduling event")
        (event,) = await events_for(client, namespace, "waiting", "FailedScheduling")
        assert event["type"] == "Warning"
        assert event["source"]["component"] == "default-scheduler"
        message = event["message"]
        assert re.fullmatch(
            r"0/(\d+) nodes are available: (.*)\. preemption: 0/\1 nodes are available: \1 Preemption is not "
            r"helpful for scheduling\.",
            message,
        ), message
        assert "1 node(s) had untolerated taint {gpu: yes}" in message
        assert "node(s) didn't match Pod's node affinity/selector" in message

        waiting = await client.resource(r.PODS).get("waiting", namespace)
        assert waiting["status"]["phase"] == "Pending"
        assert not waiting["spec"].get("nodeName")
        (condition,) = [c for c in waiting["status"]["conditions"] if c["type"] == "PodScheduled"]
        assert (condition["status"], condition["reason"], condition["message"]) == (
            "False",
            "Unschedulable",
            message,
        )
        assert f"{namespace}/waiting" in service.parked

        await client.resource(r.NODES).create(node(f"late-{group}-free", group=group))
        assert await bound_to(client, namespace, "waiting", within=30) == f"late-{group}-free"


async def test_two_pods_too_big_to_share_a_node_end_on_different_nodes(server: ApiServerProcess) -> None:
    group = uuid.uuid4().hex[:6]
    async with scheduler(server) as (client, _):
        namespace = await create_namespace(client, "sched")
        await create_all(client, r.NODES, [node(f"big-{group}-{i}", group=group, cpu="2") for i in range(2)])
        await create_all(
            client,
            r.PODS,
            [pod(f"big-{i}", cpu="1500m", nodeSelector={"group": group}) for i in range(2)],
            namespace,
        )
        first = await bound_to(client, namespace, "big-0")
        second = await bound_to(client, namespace, "big-1")
        assert {first, second} == {f"big-{group}-0", f"big-{group}-1"}

        # A third one fits nowhere now: Insufficient cpu on both nodes of the group.
        await client.resource(r.PODS).create(
            pod("big-2", cpu="1500m", nodeSelector={"group": group}), namespace
        )

        async def explained() -> bool:
            return bool(await events_for(client, namespace, "big-2", "FailedScheduling"))

        await eventually(explained, within=30, what="a FailedScheduling event")
        (event,) = await events_for(client, namespace, "big-2", "FailedScheduling")
        assert "2 Insufficient cpu" in event["message"]
        assert "2 No preemption victims found for incoming pod" in event["message"]

        # Deleting one of the first two makes room: the third is bound where it was.
        await client.resource(r.PODS).delete("big-0", namespace, grace_period_seconds=0)
        assert await bound_to(client, namespace, "big-2", within=30) == first


async def test_many_pinned_pods_are_all_bound_to_their_nodes(server: ApiServerProcess) -> None:
    group = uuid.uuid4().hex[:6]
    count = 300
    names = [f"many-{group}-{i:03d}" for i in range(count)]
    async with scheduler(server) as (client, service):
        namespace = await create_namespace(client, "sched")
        await create_all(client, r.NODES, [node(name, group=group) for name in names])
        await create_all(
            client,
            r.PODS,
            [pod(f"d-{i:03d}", affinity=pinned_to(name)) for i, name in enumerate(names)],
            namespace,
        )

        async def all_bound() -> bool:
            listed = await client.resource(r.PODS).list(namespace)
            return sum(1 for p in listed["items"] if p["spec"].get("nodeName")) == count

        await eventually(all_bound, within=90, what=f"{count} pinned pods to be bound")
        listed = await client.resource(r.PODS).list(namespace)
        assert {p["metadata"]["name"]: p["spec"]["nodeName"] for p in listed["items"]} == {
            f"d-{i:03d}": name for i, name in enumerate(names)
        }
        assert service.bound >= count
