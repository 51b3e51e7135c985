"""The node agent against a live API server (SQLite): nodes, Leases and pods driven through the stages.

Each test starts its own agent with a short lease interval and names its nodes uniquely, and deletes
them afterwards, so tests do not see each other's nodes. Every wait has a deadline — no fixed sleeps;
"stays so" is checked against a control that must move on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from everynode.agents.nodeagent import NodeAgentService
from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.pods import is_ready
from everynode.core.timestamps import parse_time
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.integration.support import create_namespace, eventually, own_apiserver, running, unique

INTERVAL = 0.5  # lease renewal interval in these tests
SIMULATED = {"everynode.io/simulated": "true"}


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "nodeagent") as process:
        yield process


@contextlib.asynccontextmanager
async def agent(
    server: ApiServerProcess, **options: Any
) -> AsyncIterator[tuple[RestClient, NodeAgentService]]:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        interval = options.pop("lease_interval", INTERVAL)
        service = NodeAgentService(client, manager, lease_interval=interval, **options)
        async with running(manager):
            yield client, service


def node(name: str, *, simulated: bool = True, annotations: dict[str, str] | None = None) -> Obj:
    return builders.node(name, annotations={**(SIMULATED if simulated else {}), **(annotations or {})})


def pod(
    name: str,
    node_name: str,
    *,
    image: str = "nginx:1.27",
    annotations: dict[str, str] | None = None,
    **ctr: Any,
) -> Obj:
    main = builders.container(image=image, **ctr)
    return builders.pod(name, annotations=annotations or {}, node=node_name, containers=[main])


@contextlib.asynccontextmanager
async def nodes(client: RestClient, *objs: Obj) -> AsyncIterator[list[str]]:
    api = client.resource(r.NODES)
    for obj in objs:
        await api.create(obj)
    try:
        yield [obj["metadata"]["name"] for obj in objs]
    finally:
        for obj in objs:
            with contextlib.suppress(errors.NotFound):
                await api.delete(obj["metadata"]["name"])


def conditions(obj: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions") or []}


async def get_or_none(api: Any, name: str, namespace: str | None = None) -> Obj | None:
    try:
        found: Obj = await api.get(name, namespace)
    except errors.NotFound:
        return None
    return found


def node_ready(obj: Obj | None) -> bool:
    return obj is not None and conditions(obj).get("Ready", {}).get("status") == "True"


async def renewals(client: RestClient, name: str, *, count: int, within: float) -> list[str]:
    """The first ``count`` distinct renewTimes of ``name``'s Lease, as they are seen."""
    leases = client.resource(r.LEASES)
    seen: list[str] = []

    async def more() -> bool:
        lease = await get_or_none(leases, name, wellknown.KUBE_NODE_LEASE)
        renew = (lease or {}).get("spec", {}).get("renewTime")
        if renew and renew not in seen:
            seen.append(renew)
        return len(seen) >= count

    await eventually(more, within=within, what=f"{count} renewals of the lease of {name}")
    return seen


async def test_annotated_node_reports_ready_and_renews_its_lease(server: ApiServerProcess) -> None:
    simulated, plain = unique("sim"), unique("plain")
    async with agent(server) as (client, _), nodes(client, node(simulated), node(plain, simulated=False)):
        api = client.resource(r.NODES)

        async def initialised() -> bool:
            return node_ready(await api.get(simulated))

        await eventually(initialised, within=15, what="the simulated node to be Ready")
        obj = await api.get(simulated)
        status = obj["status"]
        ready = conditions(obj)["Ready"]
        assert ready["reason"] == "KubeletReady"
        assert ready["lastHeartbeatTime"]
        assert ready["lastTransitionTime"]
        assert {"MemoryPressure", "DiskPressure", "PIDPressure"} <= set(conditions(obj))
        for section in ("capacity", "allocatable"):
            assert status[section]["pods"] == "110"
            assert {"cpu", "memory"} <= set(status[section])
        assert status["nodeInfo"]["kubeletVersion"].startswith("v1.")
        assert status["nodeInfo"]["operatingSystem"] == "linux"
        assert status["nodeInfo"]["architecture"] == "amd64"
        assert {a["type"] for a in status["addresses"]} == {"InternalIP", "Hostname"}

        async def labelled() -> bool:
            labels = (await api.get(simulated))["metadata"].get("labels") or {}
            return labels.get("kubernetes.io/hostname") == simulated

        await eventually(labelled, within=10, what="the well-known node labels")
        labels = (await api.get(simulated))["metadata"]["labels"]
        assert labels["kubernetes.io/os"] == "linux"
        assert labels["kubernetes.io/arch"] == "amd64"

        times = await renewals(client, simulated, count=3, within=15)
        assert [parse_time(t) for t in times] == sorted(parse_time(t) for t in times)
        assert all(t.endswith("Z") and "." in t for t in times)  # MicroTime
        lease = await client.resource(r.LEASES).get(simulated, wellknown.KUBE_NODE_LEASE)
        assert lease["spec"]["holderIdentity"] == simulated
        assert lease["spec"]["leaseDurationSeconds"] == 40
        [owner] = lease["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["uid"]) == ("Node", simulated, obj["metadata"]["uid"])

        # the unannotated node, created at the same moment, was left alone all along
        untouched = await api.get(plain)
        assert not untouched.get("status", {}).get("conditions")
        assert "kubernetes.io/hostname" not in (untouched["metadata"].get("labels") or {})
        assert await get_or_none(client.resource(r.LEASES), plain, wellknown.KUBE_NODE_LEASE) is None


async def test_bound_pod_runs_then_becomes_ready(server: ApiServerProcess) -> None:
    name = unique("n")
    async with agent(server) as (client, _), nodes(client, node(name)):
        ns = await create_namespace(client, "agent")
        pods = client.resource(r.PODS)
        probe = {"exec": {"command": ["true"]}, "initialDelaySeconds": 2}
        await pods.create(pod("plain", name), ns)
        await pods.create(pod("probed", name, readinessProbe=probe), ns)
        phases: dict[str, list[tuple[str, bool]]] = {"plain": [], "probed": []}

        async def both_ready() -> bool:
            for pod_name, seen in phases.items():
                current = await pods.get(pod_name, ns)
                state = (current["status"].get("phase", ""), is_ready(current))
                if not seen or seen[-1] != state:
                    seen.append(state)
            return all(seen[-1] == ("Running", True) for seen in phases.values())

        await eventually(both_ready, within=20, what="both pods Running and Ready")
        assert ("Running", False) in phases["probed"]  # the readiness delay was visible

        current = await pods.get("plain", ns)
        status = current["status"]
        by_type = conditions(current)
        assert {"PodScheduled", "Initialized", "ContainersReady", "Ready"} <= set(by_type)
        assert all(by_type[t]["status"] == "True" and by_type[t]["lastTransitionTime"] for t in by_type)
        assert status["startTime"]
        assert status["podIP"]
        assert status["podIPs"] == [{"ip": status["podIP"]}]
        assert status["hostIP"]
        assert status["hostIPs"] == [{"ip": status["hostIP"]}]
        node_obj = await client.resource(r.NODES).get(name)
        internal = [a["address"] for a in node_obj["status"]["addresses"] if a["type"] == "InternalIP"]
        assert status["hostIP"] == internal[0]
        [container] = status["containerStatuses"]
        assert container["name"] == "main"
        assert container["ready"] is True
        assert container["state"]["running"]["startedAt"]
        assert container["restartCount"] == 0

        probed = await pods.get("probed", ns)
        started = parse_time(probed["status"]["startTime"]) or 0.0
        became_ready = parse_time(conditions(probed)["Ready"]["lastTransitionTime"]) or 0.0
        assert became_ready - started >= 1  # 2 s, less the timestamps' truncation to whole seconds


async def test_ready_never_runs_but_never_becomes_ready(server: ApiServerProcess) -> None:
    name = unique("n")
    async with agent(server) as (client, _), nodes(client, node(name)):
        ns = await create_namespace(client, "agent")
        pods = client.resource(r.PODS)
        await pods.create(pod("never", name, annotations={"sim.everynode.io/ready": "never"}), ns)
        await pods.create(pod("control", name, annotations={"sim.everynode.io/start-delay": "2s"}), ns)

        async def control_ready() -> bool:
            return is_ready(await pods.get("control", ns))

        await eventually(control_ready, within=20, what="the control pod to be Ready")
        never = await pods.get("never", ns)
        assert never["status"]["phase"] == "Running"
        assert not is_ready(never)
        assert conditions(never)["ContainersReady"]["status"] == "False"
        assert never["status"]["containerStatuses"][0]["state"]["running"]


async def test_fail_after_ends_in_phase_failed(server: ApiServerProcess) -> None:
    name = unique("n")
    async with agent(server) as (client, _), nodes(client, node(name)):
        ns = await create_namespace(client, "agent")
        pods = client.resource(r.PODS)
        created = await pods.create(pod("crash", name, annotations={"sim.everynode.io/fail-after": "1s"}), ns)
        phases: list[str | None] = []

        async def follow() -> Obj:
            # every change from creation on, through a watch: polling could miss the short Running phase
            async for event in pods.watch(
                ns,
                resource_version=created["metadata"]["resourceVersion"],
                field_selector="metadata.name=crash",
                timeout_seconds=60,
                allow_bookmarks=True,
            ):
                if event["type"] == "BOOKMARK":
                    continue
                current: Obj = event["object"]
                phases.append(current["status"].get("phase"))
                if phases[-1] == "Failed":
                    return current
            raise AssertionError(f"the watch ended before the pod failed; phases seen: {phases}")

        current = await asyncio.wait_for(follow(), 20)
        terminated = current["status"]["containerStatuses"][0]["state"]["terminated"]
        assert terminated["exitCode"] == 1
        assert terminated["reason"] == "Error"
        assert not is_ready(current)
        assert "Running" in phases[: phases.index("Failed")]  # it ran first


async def test_deleting_a_bound_pod_stops_it_then_removes_it(server: ApiServerProcess) -> None:
    name = unique("n")
    async with agent(server) as (client, _), nodes(client, node(name)):
        ns = await create_namespace(client, "agent")
        pods = client.resource(r.PODS)
        await pods.create(pod("doomed", name), ns)

        async def ready() -> bool:
            return is_ready(await pods.get("doomed", ns))

        await eventually(ready, within=20, what="the pod to be Ready")
        version = (await pods.get("doomed", ns))["metadata"]["resourceVersion"]
        events: list[Obj] = []

        async def follow() -> None:
            # bookmarks let the server notice when this watch is gone (else it delays the server's exit)
            async for event in pods.watch(
                ns,
                resource_version=version,
                field_selector="metadata.name=doomed",
                timeout_seconds=60,
                allow_bookmarks=True,
            ):
                if event["type"] != "BOOKMARK":
                    events.append(event)
                if event["type"] == "DELETED":
                    return

        watcher = asyncio.create_task(follow())
        marked = await pods.delete("doomed", ns)  # default grace period: marked, left to the node
        assert marked["metadata"]["deletionTimestamp"]

        async def gone() -> bool:
            return await get_or_none(pods, "doomed", ns) is None

        await eventually(gone, within=20, what="the pod to be deleted")
        await asyncio.wait_for(watcher, 10)
        phases = [e["object"]["status"].get("phase") for e in events if e["type"] == "MODIFIED"]
        assert "Succeeded" in phases  # stopped before it was deleted
        assert events[-1]["type"] == "DELETED"


async def test_heartbeat_stop_pauses_lease_renewals_until_removed(server: ApiServerProcess) -> None:
    name = unique("n")
    async with agent(server) as (client, service), nodes(client, node(name)):
        api, leases = client.resource(r.NODES), client.resource(r.LEASES)
        await renewals(client, name, count=2, within=15)
        await api.patch(name, {"metadata": {"annotations": {"sim.everynode.io/heartbeat": "stop"}}})
        stable_since: list[tuple[str, float]] = []

        async def stopped() -> bool:
            renew = (await leases.get(name, wellknown.KUBE_NODE_LEASE))["spec"]["renewTime"]
            if not stable_since or stable_since[-1][0] != renew:
                stable_since.append((renew, time.monotonic()))
            return time.monotonic() - stable_since[-1][1] > 4 * INTERVAL

        await eventually(stopped, within=15, what="lease renewals to stop")
        assert name in service.managed  # still the agent's node, just silent

        await api.patch(name, {"metadata": {"annotations": {"sim.everynode.io/heartbeat": None}}})
        last = stable_since[-1][0]
        resumed = await renewals(client, name, count=3, within=15)
        assert all((parse_time(t) or 0) >= (parse_time(last) or 0) for t in resumed)
        assert resumed[-1] != last


async def test_unpullable_image_stays_pending_with_err_image_pull(server: ApiServerProcess) -> None:
    name = unique("n")
    async with agent(server) as (client, _), nodes(client, node(name)):
        ns = await create_namespace(client, "agent")
        pods = client.resource(r.PODS)
        await pods.create(pod("bad", name, image="foo:non-existent"), ns)

        async def pulling_failed() -> bool:
            statuses = (await pods.get("bad", ns))["status"].get("containerStatuses") or []
            waiting = statuses[0]["state"].get("waiting", {}) if statuses else {}
            return waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff")

        await eventually(pulling_failed, within=20, what="ErrImagePull")
        await pods.create(pod("control", name), ns)

        async def control_ready() -> bool:
            return is_ready(await pods.get("control", ns))

        await eventually(control_ready, within=20, what="the control pod to be Ready")
        bad = await pods.get("bad", ns)
        assert bad["status"]["phase"] == "Pending"
        assert conditions(bad)["Ready"]["status"] == "False"
        assert bad["status"]["containerStatuses"][0]["ready"] is False


@pytest.mark.slow
async def test_one_agent_initialises_and_heartbeats_500_nodes(server: ApiServerProcess) -> None:
    count, interval = 500, 2.0
    prefix = unique("scale")
    names = [f"{prefix}-{i:03d}" for i in range(count)]
    async with RestClient(ClientConfig(server=server.url)) as setup:
        api = setup.resource(r.NODES)
        limit = asyncio.Semaphore(32)

        async def create(obj: Obj) -> None:
            async with limit:
                await api.create(obj)

        await asyncio.gather(*(create(node(n)) for n in names))
        try:
            async with agent(server, lease_interval=interval) as (client, service):
                wanted = set(names)

                async def all_ready() -> bool:
                    listed = await client.resource(r.NODES).list()
                    ready = {
                        n["metadata"]["name"]
                        for n in listed["items"]
                        if node_ready(n) and n["status"].get("nodeInfo", {}).get("kubeletVersion")
                    }
                    return wanted <= ready

                await eventually(all_ready, within=60, what=f"{count} nodes Ready")
                first: dict[str, str] = {}

                async def all_renewed_twice() -> bool:
                    listed = await client.resource(r.LEASES).list(wellknown.KUBE_NODE_LEASE)
                    current = {
                        lease["metadata"]["name"]: lease["spec"]["renewTime"]
                        for lease in listed["items"]
                        if lease["metadata"]["name"] in wanted
                    }
                    for lease_name, renew in current.items():
                        first.setdefault(lease_name, renew)
                    return len(current) == count and all(current[n] != first[n] for n in wanted)

                await eventually(all_renewed_twice, within=30, what=f"{count} leases renewed")
                # spread out, not in bursts: every slot holds its share (within one node)
                loads = service.renewer.schedule.loads()
                assert max(loads) - min(loads) <= 1
        finally:
            await asyncio.gather(*(api.delete(n) for n in names), return_exceptions=True)
