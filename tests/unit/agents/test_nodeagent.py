"""The agent's bookkeeping on hand-filled caches and an in-memory API: which keys it takes, how plans
keep their due time, and how writes are made (preconditions, grace 0) and what a failure does."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from everynode.agents.nodeagent import NodeAgentService
from everynode.agents.stages import parse_stages
from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from tests import builders

EPOCH = 1_700_000_000.0


class FakeResource:
    def __init__(self, info: ResourceInfo) -> None:
        self.info = info
        self.calls: list[tuple[str, str, Any]] = []
        self.fail: errors.ApiError | None = None

    async def patch(self, name: str, body: Any, namespace: str | None = None, **options: Any) -> Obj:
        self.calls.append(
            ("patch" + (f"/{options['subresource']}" if options.get("subresource") else ""), name, body)
        )
        if self.fail is not None:
            raise self.fail
        return {}

    async def delete(self, name: str, namespace: str | None = None, **options: Any) -> Obj:
        self.calls.append(("delete", name, options))
        if self.fail is not None:
            raise self.fail
        return {}


class FakeClient:
    def __init__(self) -> None:
        self.resources: dict[str, FakeResource] = {}

    def resource(self, info: ResourceInfo) -> FakeResource:
        return self.resources.setdefault(info.resource, FakeResource(info))


@pytest.fixture
async def agent() -> AsyncIterator[tuple[NodeAgentService, FakeClient, FakeClock]]:
    client, clock = FakeClient(), FakeClock(wall_offset=EPOCH)
    rest = cast(RestClient, client)
    service = NodeAgentService(rest, Manager(rest, clock=clock), rng=random.Random(5), lease_interval=1.0)
    try:
        yield service, client, clock
    finally:
        await service.queue.close()


def node(name: str, *, simulated: bool = True, rv: str = "1", **annotations: str) -> Obj:
    if simulated:
        annotations["everynode.io/simulated"] = "true"
    return builders.node(name, uid=f"uid-{name}", resource_version=rv, annotations=annotations)


def pod(name: str, node_name: str, *, rv: str = "10", **meta: Any) -> Obj:
    return builders.pod(
        name,
        namespace="ns",
        uid=f"uid-{name}",
        resource_version=rv,
        metadata=meta,
        node=node_name,
        containers=[builders.container("c", image="nginx")],
        phase="Pending",
    )


def add_node(service: NodeAgentService, obj: Obj) -> None:
    service.nodes.store.upsert(obj)
    service._node_added(obj)


def add_pod(service: NodeAgentService, obj: Obj) -> None:
    service.pods.store.upsert(obj)
    service._pod_changed(obj)


def queued(service: NodeAgentService) -> list[tuple[str, str]]:
    """The keys waiting, in the order workers will take them (the urgent lane first)."""
    return list(service.queue._urgent_queue) + list(service.queue._queue)


async def test_only_annotated_nodes_and_their_pods_are_taken(
    agent: tuple[NodeAgentService, FakeClient, FakeClock],
) -> None:
    service, _, _ = agent
    add_pod(service, pod("early", "sim"))  # before its node is known: picked up when the node is
    add_node(service, node("plain", simulated=False))
    add_node(service, node("sim"))
    add_pod(service, pod("elsewhere", "plain"))
    add_pod(service, pod("late", "sim"))
    assert service.managed == {"sim"}
    assert set(queued(service)) == {("Node", "sim"), ("Pod", "ns/early"), ("Pod", "ns/late")}
    assert "sim" in service.renewer.schedule
    assert "plain" not in service.renewer.schedule

    # annotating the plain node hands it over; un-annotating the simulated one releases it
    annotated = node("plain", rv="2")
    service.nodes.store.upsert(annotated)
    service._node_updated(node("plain", simulated=False), annotated)
    released = node("sim", simulated=False, rv="2")
    service._node_updated(node("sim"), released)
    assert service.managed == {"plain"}
    assert "sim" not in service.renewer.schedule
    assert ("Pod", "ns/elsewhere") in queued(service)


async def test_pods_on_their_way_to_ready_go_ahead_of_stops_and_nodes(
    agent: tuple[NodeAgentService, FakeClient, FakeClock],
) -> None:
    service, _, _ = agent
    add_node(service, node("sim"))
    ready = pod("ready", "sim")
    ready["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    add_pod(service, ready)
    add_pod(service, pod("old", "sim", deletionTimestamp="2026-11-26T00:00:00Z"))
    add_pod(service, pod("failed", "sim") | {"status": {"phase": "Failed"}})
    add_pod(service, pod("new", "sim"))
    assert queued(service) == [
        ("Pod", "ns/new"),
        ("Node", "sim"),
        ("Pod", "ns/ready"),
        ("Pod", "ns/old"),
        ("Pod", "ns/failed"),
    ]


async def test_a_plan_keeps_its_due_time_while_the_object_changes(
    agent: tuple[NodeAgentService, FakeClient, FakeClock],
) -> None:
    service, client, clock = agent
    add_node(service, node("sim"))
    add_pod(service, pod("web", "sim"))
    key = ("Pod", "ns/web")
    result = await service.sync(key)
    plan = service.plans[key]
    assert plan.stage == "pod-start-ready"
    assert EPOCH + 0.5 <= plan.due <= EPOCH + 1.5
    assert result.error is None
    assert result.after == pytest.approx(plan.due - clock.wall())  # the worker comes back when it is due
    await clock.advance(0.2)
    add_pod(service, pod("web", "sim", rv="11", labels={"x": "y"}))  # a change that keeps the stage
    await service.sync(key)
    assert service.plans[key] == plan
    assert client.resources["pods"].calls == []
    await clock.advance(plan.due - clock.wall())
    await service.sync(key)
    [(verb, name, body)] = client.resources["pods"].calls
    assert (verb, name) == ("patch/status", "web")
    assert body["metadata"] == {"resourceVersion": "11"}  # computed from this version, or a conflict
    assert body["status"]["phase"] == "Running"
    assert key not in service.plans
    assert service.writes["pod-start-ready"] == 1


async def test_a_conflict_is_left_to_the_watch_and_an_error_is_retried(
    agent: tuple[NodeAgentService, FakeClient, FakeClock],
) -> None:
    service, client, clock = agent
    add_node(service, node("sim", **{"sim.everynode.io/heartbeat": "stop"}))
    add_pod(service, pod("web", "sim", annotations={"sim.everynode.io/start-delay": "0s"}))
    key = ("Pod", "ns/web")
    pods = client.resources["pods"]
    pods.fail = errors.Conflict("changed")
    await service.sync(key)  # planned
    await clock.advance(2)
    await service.sync(key)  # due, written, refused: no exception, the newer version is on its way
    assert len(pods.calls) == 1
    assert service.writes["pod-start-ready"] == 0
    assert key not in service.plans

    pods.fail = errors.ServiceUnavailable("down")
    await service.sync(key)
    plan = service.plans[key]
    await clock.advance(2)
    result = await service.sync(key)
    assert isinstance(result.error, errors.ServiceUnavailable)  # retried with backoff by the worker
    assert service.plans[key] is plan  # still due: the retry writes at once
    pods.fail = None
    await service.sync(key)
    assert service.writes["pod-start-ready"] == 1


async def test_nodes_are_initialised_with_status_then_labels(
    agent: tuple[NodeAgentService, FakeClient, FakeClock],
) -> None:
    service, client, clock = agent
    add_node(service, node("sim"))
    await service.sync(("Node", "sim"))
    await clock.advance(1.0)
    await service.sync(("Node", "sim"))
    calls = client.resources["nodes"].calls
    assert [(verb, name) for verb, name, _ in calls] == [("patch/status", "sim"), ("patch", "sim")]
    assert calls[0][2]["status"]["conditions"][-1]["type"] == "Ready"
    assert calls[1][2] == {
        "metadata": {
            "labels": {
                "kubernetes.io/hostname": "sim",
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            }
        }
    }


async def test_a_heartbeat_stop_silences_the_node(
    agent: tuple[NodeAgentService, FakeClient, FakeClock],
) -> None:
    service, client, _ = agent
    add_node(service, node("sim", **{"sim.everynode.io/heartbeat": "stop"}))
    await service.sync(("Node", "sim"))
    assert client.resources["nodes"].calls == []
    assert not service.plans
    assert service._lease_node("sim") is None
    add_node(service, node("other"))
    assert service._lease_node("other") is not None


async def test_a_stopped_pod_is_deleted_with_grace_zero_and_its_uid(
    agent: tuple[NodeAgentService, FakeClient, FakeClock],
) -> None:
    service, client, _ = agent
    add_node(service, node("sim"))
    done = pod("web", "sim", deletionTimestamp="2023-11-14T22:13:50Z")
    done["status"] = {"phase": "Succeeded"}
    add_pod(service, done)
    await service.sync(("Pod", "ns/web"))
    [(verb, name, options)] = client.resources["pods"].calls
    assert (verb, name) == ("delete", "web")
    assert options == {"grace_period_seconds": 0, "precondition_uid": "uid-web"}
    client.resources["pods"].fail = errors.NotFound("gone")
    await service.sync(("Pod", "ns/web"))  # already gone: fine


async def test_a_write_that_changes_nothing_is_not_sent() -> None:
    stages = parse_stages(
        "apiVersion: everynode.io/v1alpha1\nkind: StageSet\n"
        "stages: [{name: hold, resource: Pod, next: {status: running}}]\n"
    )
    client, clock = FakeClient(), FakeClock(wall_offset=EPOCH)
    rest = cast(RestClient, client)
    service = NodeAgentService(rest, Manager(rest, clock=clock), stages=stages)
    try:
        add_node(service, node("sim"))
        add_pod(service, pod("web", "sim"))
        await service.sync(("Pod", "ns/web"))
        [(_, _, body)] = client.resources["pods"].calls
        settled = pod("web", "sim", rv="11")
        settled["status"] = {**settled["status"], **body["status"]}
        add_pod(service, settled)
        await service.sync(("Pod", "ns/web"))  # the same stage, the same second: the same status
        assert len(client.resources["pods"].calls) == 1
        assert service.writes["hold"] == 1
    finally:
        await service.queue.close()


def test_workers_must_be_positive() -> None:
    rest = cast(RestClient, FakeClient())
    with pytest.raises(ValueError, match="at least one worker"):
        NodeAgentService(rest, Manager(rest), workers=0)
