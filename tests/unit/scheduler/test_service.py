"""The scheduler service without a server: informer events fed by hand, a fake client, a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj
from everynode.runtime.manager import Every, Manager
from everynode.scheduler.service import SchedulerService, backoff, scheduling_changed, truncate
from tests.unit.scheduler.objects import node, pinned, pod


class FakeResource:
    def __init__(self, client: FakeClient, info: ResourceInfo) -> None:
        self.client = client
        self.info = info

    async def create(self, obj: Obj, namespace: str | None = None) -> Obj:
        self.client.created.append((self.info.resource, obj))
        return obj

    async def patch(
        self,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: str = "merge",
        subresource: str | None = None,
    ) -> Obj:
        self.client.patched.append((self.info.resource, name, patch, patch_type, subresource))
        return {}


class FakeClient:
    def __init__(self) -> None:
        self.bindings: list[tuple[str, str, str]] = []
        self.created: list[tuple[str, Obj]] = []
        self.patched: list[tuple[str, str, Any, str, str | None]] = []
        self.fail: dict[str, errors.ApiError] = {}

    def resource(self, info: ResourceInfo) -> FakeResource:
        return FakeResource(self, info)

    async def request(self, method: str, path: str, *, body: Any = None, **_: Any) -> Obj:
        assert method == "POST"
        parts = path.split("/")
        namespace, name = parts[4], parts[6]
        assert path == f"/api/v1/namespaces/{namespace}/pods/{name}/binding"
        assert body["kind"] == "Binding"
        assert body["metadata"]["name"] == name
        if name in self.fail:
            raise self.fail[name]
        self.bindings.append((namespace, name, body["target"]["name"]))
        return {"kind": "Status", "status": "Success"}

    def events(self, reason: str | None = None) -> list[Obj]:
        return [o for kind, o in self.created if kind == "events" and reason in (None, o["reason"])]


Env = tuple[SchedulerService, FakeClient, FakeClock]


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    client = FakeClient()
    clock = FakeClock(1000.0, wall_offset=1.7e9)
    service = SchedulerService(client, Manager(client, clock=clock))  # type: ignore[arg-type]
    try:
        yield service, client, clock
    finally:
        await service.recorder.close()
        await service.queue.close()


def add_node(service: SchedulerService, obj: Obj) -> None:
    service.informers["nodes"].store.upsert(obj)
    service.on_node_add(obj)


def add_pod(service: SchedulerService, obj: Obj) -> None:
    service.informers["pods"].store.upsert(obj)
    service.on_pod_add(obj)


def update_pod(service: SchedulerService, new: Obj) -> None:
    old = service.informers["pods"].store.upsert(new)
    assert old is not None
    service.on_pod_update(old, new)


def delete_pod(service: SchedulerService, obj: Obj) -> None:
    service.on_pod_delete(service.informers["pods"].store.remove(obj) or obj)


async def queued(service: SchedulerService) -> set[str]:
    """Everything ready in the queue now (each taken key is marked done)."""
    keys = set()
    while len(service.queue):
        key = await service.queue.get()
        service.queue.done(key)
        keys.add(key)
    return keys


async def run_queue(service: SchedulerService) -> None:
    for key in sorted(await queued(service)):
        await service.schedule(key)


async def retry_once_woken(service: SchedulerService, clock: FakeClock) -> None:
    """Nothing is parked any more: once the 1 s backoff has passed, the queue runs again."""
    assert service.parked == frozenset()
    await clock.advance(1)
    await run_queue(service)


def bound(subject: Obj, node_name: str) -> Obj:
    copy = {**subject, "spec": {**subject["spec"], "nodeName": node_name}}
    copy["metadata"] = {**subject["metadata"], "resourceVersion": "2"}
    return copy


async def test_binds_a_pending_pod_and_records_scheduled(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a"))
    add_pod(service, pod("p", namespace="ns"))
    assert await queued(service) == {"ns/p"}
    await service.schedule("ns/p")
    assert client.bindings == [("ns", "p", "a")]
    await service.recorder.flush()
    (event,) = client.events()
    assert event["reason"] == "Scheduled"
    assert event["type"] == "Normal"
    assert event["message"] == "Successfully assigned ns/p to a"
    assert event["source"] == {"component": "default-scheduler"}
    assert event["involvedObject"]["kind"] == "Pod"
    assert event["involvedObject"]["name"] == "p"
    assert service.cache.is_assumed("ns/p")
    # The informer reports the binding: the pod is no longer ours and no longer assumed.
    update_pod(service, bound(pod("p", namespace="ns"), "a"))
    assert not service.cache.is_assumed("ns/p")
    assert service.cache.placed_on("ns/p") == "a"
    assert await queued(service) == set()


async def test_assumed_pods_keep_two_big_pods_off_the_same_node(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a", cpu="2"))
    add_node(service, node("b", cpu="2"))
    add_pod(service, pod("p1", cpu="1500m"))
    add_pod(service, pod("p2", cpu="1500m"))
    await run_queue(service)  # no informer update in between: only the assumption protects node a
    assert sorted(n for _, _, n in client.bindings) == ["a", "b"]


async def test_ignores_pods_that_are_not_its_to_schedule(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a"))
    add_pod(service, pod("other", schedulerName="my-scheduler"))
    add_pod(service, pod("bound", node_name="a"))
    add_pod(service, pod("done", phase="Succeeded"))
    deleting = pod("deleting")
    deleting["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    add_pod(service, deleting)
    assert await queued(service) == set()
    await service.schedule("default/other")
    assert client.bindings == []


async def test_an_empty_scheduler_name_is_the_default_scheduler(env: Env) -> None:
    service, _, _ = env
    add_pod(service, pod("p", schedulerName=""))
    assert await queued(service) == {"default/p"}


async def test_a_custom_scheduler_name() -> None:
    client = FakeClient()
    manager = Manager(client, clock=FakeClock())  # type: ignore[arg-type]
    service = SchedulerService(client, manager, scheduler_name="mine")  # type: ignore[arg-type]
    try:
        assert service.responsible_for(pod(schedulerName="mine"))
        assert not service.responsible_for(pod())
        assert not service.responsible_for(pod(schedulerName="default-scheduler"))
    finally:
        await service.queue.close()


async def test_unschedulable_pod_is_explained_parked_and_retried_when_a_node_arrives(env: Env) -> None:
    service, client, clock = env
    add_node(service, node("small", cpu="1"))
    add_pod(service, pod("p", cpu="2"))
    await run_queue(service)
    assert client.bindings == []
    assert service.parked == {"default/p"}
    message = (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )
    await service.recorder.flush()
    (event,) = client.events("FailedScheduling")
    assert (event["type"], event["message"]) == ("Warning", message)
    ((kind, name, patch, patch_type, subresource),) = client.patched
    assert (kind, name, patch_type, subresource) == ("pods", "p", "strategic", "status")
    (condition,) = patch["status"]["conditions"]
    assert condition["type"] == "PodScheduled"
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "False",
        "Unschedulable",
        message,
    )
    assert condition["lastTransitionTime"].endswith("Z")

    # Our own status write comes back through the informer: not a reason to retry.
    with_condition = {**pod("p", cpu="2"), "status": {"phase": "Pending", "conditions": [condition]}}
    with_condition["metadata"] = {**with_condition["metadata"], "resourceVersion": "5"}
    update_pod(service, with_condition)
    assert await queued(service) == set()

    # A node that fits arrives: the pod is retried once its 1 s backoff has passed.
    add_node(service, node("big", cpu="4"))
    assert service.parked == frozenset()
    assert await queued(service) == set()
    await clock.advance(1.0)
    assert await queued(service) == {"default/p"}
    await service.schedule("default/p")
    assert client.bindings == [("default", "p", "big")]


async def test_the_status_is_not_rewritten_when_the_reason_is_unchanged(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a", cpu="1"))
    add_pod(service, pod("p", cpu="2"))
    await run_queue(service)
    (_, _, patch, _, _) = client.patched[0]
    with_condition = {
        **pod("p", cpu="2"),
        "status": {"phase": "Pending", "conditions": patch["status"]["conditions"]},
    }
    with_condition["metadata"] = {**with_condition["metadata"], "resourceVersion": "5"}
    update_pod(service, with_condition)
    await service.schedule("default/p")
    assert len(client.patched) == 1


async def test_backoff_grows_with_attempts(env: Env) -> None:
    service, _, clock = env
    add_node(service, node("a", cpu="1"))
    add_pod(service, pod("p", cpu="2"))
    await run_queue(service)
    for attempt, wait in [(1, 1.0), (2, 2.0), (3, 4.0)]:
        assert service._attempts["default/p"] == attempt
        service.on_node_update(node("a", cpu="1"), node("a", cpu="1", labels={"v": str(attempt)}))
        await clock.advance(wait - 0.1)
        assert await queued(service) == set()
        await clock.advance(0.1)
        assert await queued(service) == {"default/p"}
        await service.schedule("default/p")
    assert [backoff(n) for n in range(7)] == [0.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


async def test_a_pinned_pod_is_woken_only_by_its_own_node(env: Env) -> None:
    service, client, clock = env
    add_node(service, node("a"))
    add_pod(service, pinned("d", "b"))
    add_pod(service, pod("anywhere", nodeSelector={"x": "y"}))
    await run_queue(service)
    assert service.parked == {"default/d", "default/anywhere"}
    await clock.advance(10)
    add_node(service, node("c"))  # not d's node: only the unpinned pod is retried
    assert service.parked == {"default/d"}
    add_node(service, node("b"))
    await retry_once_woken(service, clock)
    assert ("default", "d", "b") in client.bindings


async def test_a_deleted_pod_frees_room_for_a_parked_one(env: Env) -> None:
    service, client, clock = env
    add_node(service, node("a", cpu="2"))
    add_pod(service, pod("big", cpu="1500m", node_name="a"))
    add_pod(service, pinned("d", "a", cpu="1"))
    await run_queue(service)
    assert service.parked == {"default/d"}
    delete_pod(service, pod("big", cpu="1500m", node_name="a"))
    await retry_once_woken(service, clock)
    assert client.bindings == [("default", "d", "a")]


async def test_a_finished_pod_frees_room_for_a_parked_one(env: Env) -> None:
    service, client, clock = env
    add_node(service, node("a", cpu="2"))
    add_pod(service, pod("job", cpu="1500m", node_name="a"))
    add_pod(service, pod("p", cpu="1"))
    await run_queue(service)
    assert service.parked == {"default/p"}
    update_pod(
        service,
        {
            **pod("job", cpu="1500m", node_name="a", phase="Succeeded"),
            "metadata": {"name": "job", "namespace": "default", "resourceVersion": "9"},
        },
    )
    await retry_once_woken(service, clock)
    assert client.bindings == [("default", "p", "a")]


async def test_node_updates_wake_pods_only_when_scheduling_properties_change(env: Env) -> None:
    service, _, _ = env
    add_node(service, node("a", labels={"x": "1"}))
    add_pod(service, pod("p", nodeSelector={"x": "2"}))
    await run_queue(service)
    heartbeat = node("a", labels={"x": "1"})
    heartbeat["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    service.on_node_update(node("a", labels={"x": "1"}), heartbeat)
    assert service.parked == {"default/p"}
    service.on_node_update(heartbeat, node("a", labels={"x": "2"}))
    assert service.parked == frozenset()


def test_scheduling_changed() -> None:
    base = node("a", labels={"k": "v"}, cpu="1")
    assert not scheduling_changed(base, node("a", labels={"k": "v"}, cpu="1"))
    assert scheduling_changed(base, node("a", labels={"k": "w"}, cpu="1"))
    assert scheduling_changed(base, node("a", labels={"k": "v"}, cpu="2"))
    assert scheduling_changed(base, node("a", labels={"k": "v"}, cpu="1", unschedulable=True))
    assert scheduling_changed(
        base, node("a", labels={"k": "v"}, cpu="1", taints=[{"key": "t", "effect": "NoSchedule"}])
    )


async def test_a_change_to_the_parked_pod_itself_retries_it(env: Env) -> None:
    service, _, clock = env
    add_node(service, node("a", labels={"x": "1"}))
    add_pod(service, pod("p", nodeSelector={"x": "2"}))
    await run_queue(service)
    changed = pod("p", nodeSelector={"x": "2"})
    changed["metadata"]["labels"] = {"new": "label"}
    update_pod(service, changed)
    assert service.parked == frozenset()
    await clock.advance(1)
    assert await queued(service) == {"default/p"}


async def test_parked_pods_are_retried_periodically(env: Env) -> None:
    service, _, clock = env
    add_node(service, node("a", labels={"x": "1"}))
    add_pod(service, pod("p", nodeSelector={"x": "2"}))
    await run_queue(service)
    flusher = asyncio.create_task(Every("flush", 15.0, service.flush_parked, clock).run())
    try:
        await clock.advance(45)
        assert service.parked == {"default/p"}
        await clock.advance(15)
        assert service.parked == frozenset()
        assert await queued(service) == {"default/p"}
    finally:
        flusher.cancel()


async def test_a_conflict_on_binding_is_not_an_error(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a", cpu="2"))
    add_pod(service, pod("p", cpu="1"))
    client.fail["p"] = errors.Conflict('pod p is already assigned to node "b"')
    await service.schedule("default/p")
    assert not service.cache.is_assumed("default/p")
    info = service.cache.node_info("a")
    assert info is not None
    assert not info.pods
    client.fail["p"] = errors.NotFound('pods "p" not found')
    await service.schedule("default/p")
    await service.recorder.flush()
    assert client.events() == []


async def test_other_binding_errors_fail_the_attempt_for_a_retry(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a", cpu="2"))
    add_pod(service, pod("p", cpu="1"))
    client.fail["p"] = errors.ServiceUnavailable("down")
    result = await service.schedule("default/p")
    assert isinstance(result.error, errors.ServiceUnavailable)
    assert not service.cache.is_assumed("default/p")
    del client.fail["p"]
    await service.schedule("default/p")
    assert client.bindings == [("default", "p", "a")]


async def test_a_pod_being_bound_is_not_scheduled_twice(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a"))
    add_pod(service, pod("p"))
    await service.schedule("default/p")
    await service.schedule("default/p")  # e.g. queued again by an update before the binding was seen
    assert client.bindings == [("default", "p", "a")]


async def test_deleted_pods_are_forgotten(env: Env) -> None:
    service, client, _ = env
    add_node(service, node("a", labels={"x": "1"}))
    add_pod(service, pod("p", nodeSelector={"x": "2"}))
    await run_queue(service)
    delete_pod(service, pod("p"))
    assert service.parked == frozenset()
    await service.schedule("default/p")
    assert client.bindings == []


def test_truncate() -> None:
    assert truncate("abc") == "abc"
    long = "x" * 2000
    assert len(truncate(long)) == 1024
    assert truncate(long).endswith("...")


async def test_a_status_update_does_not_cut_a_backoff_short(env: Env) -> None:
    service, _, clock = env
    add_node(service, node("a", labels={"x": "1"}))
    add_pod(service, pod("p", nodeSelector={"x": "2"}))
    await run_queue(service)
    service.on_node_update(node("a", labels={"x": "1"}), node("a", labels={"x": "3"}))  # woken, backing off
    late = pod("p", nodeSelector={"x": "2"})
    late["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]}
    late["metadata"]["resourceVersion"] = "7"
    update_pod(service, late)
    assert await queued(service) == set()
    await clock.advance(1)
    assert await queued(service) == {"default/p"}
