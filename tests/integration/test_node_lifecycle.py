"""The node lifecycle controller against a live API server (SQLite), with a tiny node agent in the test.

The agent renews each node's Lease in ``kube-node-lease`` and posts its Ready condition, as the real
node agent does; stopping it for a node is how a node "dies". The grace period is short (2 s) and every
wait has a deadline — no fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.controllers.nodelifecycle.service import NodeLifecycleService
from everynode.core import resources as r
from everynode.core.timestamps import format_micro_time, format_time
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.integration.support import eventually, own_apiserver, running, unique

GRACE = 2.0
LEASES = "kube-node-lease"
UNREACHABLE = [
    ("node.kubernetes.io/unreachable", "NoSchedule"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
]
NOT_READY = [
    ("node.kubernetes.io/not-ready", "NoSchedule"),
    ("node.kubernetes.io/not-ready", "NoExecute"),
]
USER_TAINT = {"key": "example.com/dedicated", "value": "db", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "nodelifecycle") as process:
        yield process


def conditions(node: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in node.get("status", {}).get("conditions") or []}


def taint_keys(node: Obj) -> list[tuple[str, str]]:
    return [(t["key"], t["effect"]) for t in node.get("spec", {}).get("taints") or []]


def ready_condition(status: str) -> Obj:
    stamp = format_time(time.time())
    return {
        "type": "Ready",
        "status": status,
        "lastHeartbeatTime": stamp,
        "lastTransitionTime": stamp,
        "reason": "KubeletReady" if status == "True" else "KubeletNotReady",
        "message": "simulated",
    }


class Agent:
    """Renews the Leases of the nodes it serves (every 0.25 s) and posts their Ready condition."""

    def __init__(self, client: RestClient) -> None:
        self.nodes = client.resource(r.NODES)
        self.leases = client.resource(r.LEASES)
        self.renewing: dict[str, asyncio.Task[None]] = {}

    async def register(
        self, name: str, *, ready: str | None = "True", taints: list[Obj] | None = None
    ) -> None:
        conditions = None if ready is None else [ready_condition(ready)]
        await self.nodes.create(builders.node(name, taints=taints or None, conditions=conditions))
        if ready is not None:
            lease = builders.lease(
                name, namespace=LEASES, holder=name, duration=40, renewed=format_micro_time()
            )
            await self.leases.create(lease, LEASES)
            self.start(name)

    def start(self, name: str) -> None:
        self.renewing[name] = asyncio.create_task(self._renew(name))

    async def stop(self, name: str) -> None:
        task = self.renewing.pop(name)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _renew(self, name: str) -> None:
        while True:
            await self.leases.patch(name, {"spec": {"renewTime": format_micro_time()}}, LEASES)
            await asyncio.sleep(0.25)

    async def post_ready(self, name: str, status: str) -> None:
        node = await self.nodes.get(name)
        others = [c for c in node.get("status", {}).get("conditions") or [] if c["type"] != "Ready"]
        node.setdefault("status", {})["conditions"] = [ready_condition(status), *others]
        await self.nodes.update_status(node)

    async def close(self) -> None:
        for name in list(self.renewing):
            await self.stop(name)


@contextlib.asynccontextmanager
async def cluster(server: ApiServerProcess) -> AsyncIterator[tuple[RestClient, Agent]]:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        NodeLifecycleService(
            client, manager, grace_period=GRACE, monitor_period=0.2, startup_grace_period=GRACE
        )
        agent = Agent(client)
        async with running(manager):
            try:
                yield client, agent
            finally:
                await agent.close()


async def get_node(client: RestClient, name: str) -> Obj:
    return await client.resource(r.NODES).get(name)


async def test_a_renewed_node_stays_untainted_while_a_silent_one_goes_unknown(
    server: ApiServerProcess,
) -> None:
    alive, silent = unique("alive"), unique("silent")
    async with cluster(server) as (client, agent):
        await agent.register(alive)
        await agent.register(silent)
        await agent.stop(silent)

        async def silent_marked() -> bool:
            node = await get_node(client, silent)
            return conditions(node)["Ready"]["status"] == "Unknown" and taint_keys(node) == UNREACHABLE

        await eventually(silent_marked, within=20, what=f"{silent} to be marked Unknown and tainted")
        # the silent node proves more than a grace period passed; the renewed one was left alone
        node = await get_node(client, alive)
        assert conditions(node)["Ready"]["status"] == "True"
        assert taint_keys(node) == []


async def test_stale_lease_marks_unknown_and_taints_then_recovery_removes_them(
    server: ApiServerProcess,
) -> None:
    name = unique("flaky")
    async with cluster(server) as (client, agent):
        await agent.register(name, taints=[USER_TAINT])
        await agent.stop(name)

        async def marked() -> bool:
            node = await get_node(client, name)
            return conditions(node)["Ready"]["status"] == "Unknown" and len(taint_keys(node)) == 3

        await eventually(marked, within=20, what=f"{name} to be marked Unknown and tainted")
        node = await get_node(client, name)
        ready = conditions(node)["Ready"]
        assert ready["reason"] == "NodeStatusUnknown"
        assert ready["message"] == "Kubelet stopped posting node status."
        for kind in ("MemoryPressure", "DiskPressure", "PIDPressure"):
            assert conditions(node)[kind]["status"] == "Unknown"
        assert taint_keys(node) == [("example.com/dedicated", "NoSchedule"), *UNREACHABLE]
        taints = node["spec"]["taints"]
        assert taints[0] == USER_TAINT
        assert "timeAdded" not in taints[1]
        assert taints[2]["timeAdded"].endswith("Z")

        events = client.resource(r.EVENTS)

        async def event_recorded() -> bool:
            listed = await events.list("default", field_selector=f"involvedObject.name={name}")
            return any(e["reason"] == "NodeNotReady" for e in listed["items"])

        await eventually(event_recorded, within=10, what="a NodeNotReady event")

        agent.start(name)
        await agent.post_ready(name, "True")

        async def recovered() -> bool:
            return taint_keys(await get_node(client, name)) == [("example.com/dedicated", "NoSchedule")]

        await eventually(recovered, within=20, what=f"{name}'s unreachable taints to be removed")
        assert conditions(await get_node(client, name))["Ready"]["status"] == "True"


async def test_not_ready_node_gets_not_ready_taints_and_swaps_to_unreachable(
    server: ApiServerProcess,
) -> None:
    name = unique("sick")
    async with cluster(server) as (client, agent):
        await agent.register(name, ready="False")

        async def not_ready_tainted() -> bool:
            return taint_keys(await get_node(client, name)) == NOT_READY

        await eventually(not_ready_tainted, within=20, what=f"{name} to get the not-ready taints")
        assert conditions(await get_node(client, name))["Ready"]["status"] == "False"

        await agent.stop(name)

        async def swapped() -> bool:
            node = await get_node(client, name)
            return conditions(node)["Ready"]["status"] == "Unknown" and taint_keys(node) == UNREACHABLE

        await eventually(swapped, within=20, what=f"{name}'s not-ready taints to become unreachable ones")


async def test_a_node_that_never_reports_is_marked_after_the_startup_grace(server: ApiServerProcess) -> None:
    name = unique("mute")
    async with cluster(server) as (client, agent):
        await agent.register(name, ready=None)

        async def marked() -> bool:
            node = await get_node(client, name)
            return taint_keys(node) == UNREACHABLE

        await eventually(marked, within=20, what=f"{name} to be marked after the startup grace")
        found = conditions(await get_node(client, name))
        assert sorted(found) == ["DiskPressure", "MemoryPressure", "PIDPressure", "Ready"]
        assert {c["status"] for c in found.values()} == {"Unknown"}
        assert {c["reason"] for c in found.values()} == {"NodeStatusNeverUpdated"}
