"""Upstream's DaemonSet controller unit cases (``daemon_controller_test.go``), U1-U66 of
``upstream-daemonset.md`` §5.2, ported to our controller on the ported harness.

Each test names its upstream test in its docstring. Where upstream loops over both update strategies
the test is parametrized over ``STRATEGIES`` (OnDelete, and RollingUpdate with maxUnavailable 1).
Counts of creates, deletes and events are what upstream's ``expectSyncDaemonSets`` checks; events are
only the controller's own (SelectingAll, FailedDaemonPod, SucceededDaemonPod), as upstream's
recorder sees them.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple

import pytest

from everynode.controllers.daemonset.controller import SyncError
from everynode.controllers.daemonset.handlers import should_ignore_node_update
from everynode.controllers.daemonset.manage import backoff_key
from everynode.controllers.daemonset.placement import should_run
from everynode.controllers.daemonset.podtemplate import controller_ref
from everynode.core import errors
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.informers.informer import Informer
from everynode.informers.store import by_namespace
from everynode.runtime.controller import settle
from tests import builders
from tests.unit.controllers.daemonset.harness import (
    SIMPLE_LABELS,
    SIMPLE_LABELS_2,
    SIMPLE_NODE_LABELS,
    SIMPLE_NODE_LABELS_2,
    STRATEGIES,
    Harness,
    new_daemonset,
    new_node,
    rolling,
    uid,
)

each_strategy = pytest.mark.parametrize("strategy", STRATEGIES, ids=["OnDelete", "RollingUpdate"])
NO_SCHEDULE_TOLERATIONS = [{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}]
NO_SCHEDULE_TAINTS = [{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}]
NO_EXECUTE_TAINTS = [{"key": "dedicated", "value": "user1", "effect": "NoExecute"}]
SURGE_1 = rolling(max_unavailable=0, max_surge=1)  # upstream's newUpdateSurge(1)


# -- builders (upstream's test helpers) --------------------------------------------------------------


def daemonset(strategy: Obj | None = None, name: str = "foo", **kwargs: Any) -> Obj:
    return new_daemonset(name, strategy=copy.deepcopy(strategy) if strategy else None, **kwargs)


def template_spec(ds: Obj) -> Obj:
    spec: Obj = ds["spec"]["template"]["spec"]
    return spec


def allocatable(memory: str, cpu: str) -> Obj:
    return {"memory": memory, "cpu": cpu, "pods": "100"}


def resource_pod_spec(node_name: str, memory: str, cpu: str) -> Obj:
    """``resourcePodSpec``: one container requesting ``memory`` and ``cpu``, bound to ``node_name``."""
    spec: Obj = {
        "containers": [{"name": "c", "image": "foo/bar", "resources": {"requests": allocatable(memory, cpu)}}]
    }
    if node_name:
        spec["nodeName"] = node_name
    return spec


def foreign_pod(
    name: str, spec: Obj, *, labels: dict[str, str] | None = None, owner: Obj | None = None
) -> Obj:
    """A pod no DaemonSet controls (upstream's bare ``&v1.Pod{Spec: ...}``)."""
    return builders.pod(
        name,
        namespace="default",
        uid=uid(),
        resource_version="1",
        labels=None if labels is None else dict(labels),
        owners=None if owner is None else [owner],
        status={},
        **{"containers": [], **copy.deepcopy(spec)},
    )


def add_pods(h: Harness, node: str, labels: dict[str, str], ds: Obj | None, count: int) -> list[Obj]:
    """``addPods``: ``count`` pods on ``node`` with ``labels``, controlled by ``ds``."""
    return [h.pod(node, ds, labels=labels) for _ in range(count)]


def add_failed_pods(h: Harness, node: str, labels: dict[str, str], ds: Obj, count: int) -> list[Obj]:
    return [h.pod(node, ds, labels=labels, phase="Failed") for _ in range(count)]


def old_pod(h: Harness, node: str, ds: Obj, *, created: float, ready: bool | None) -> Obj:
    """A pod of ``ds`` from an older template (no hash label), created at ``created``, with a Ready
    condition of status ``ready`` that has no lastTransitionTime (None: no condition at all)."""
    pod = h.pod(node, ds, created=created, revision_hash="")
    if ready is not None:
        pod = h.set_ready(pod, ready, stamped=False)
    return pod


def created_nodes(h: Harness) -> list[str]:
    return sorted(str(pinned_node_name(pod)) for pod in h.api.created)


def last_status(h: Harness) -> Obj:
    assert h.api.status_updates, "no status was written"
    status: Obj = h.api.status_updates[-1]["status"]
    return status


async def queued_keys(h: Harness) -> list[str]:
    """Upstream's ``getQueuedKeys``: drain the ready keys, sorted."""
    queue = h.controller.queue
    keys = []
    for _ in range(len(queue)):
        key = await queue.get()
        queue.done(key)
        keys.append(key)
    return sorted(keys)


async def process_next(h: Harness) -> None:
    """``processNextWorkItem``: take a key, sync it, do what the result asks, mark it done."""
    queue = h.controller.queue
    key = await queue.get()
    try:
        settle(queue, key, await h.controller.reconcile(key))
    finally:
        queue.done(key)


# -- U1-U8: events, expectations, creating ------------------------------------------------------------


class _Lister:
    """A resource whose watch always breaks, so the informer relists after its (fake-clock) backoff."""

    def __init__(self, items: list[Obj]) -> None:
        self.items = items

    async def list(self, namespace: str | None = None, **_: Any) -> Obj:
        return {"items": list(self.items), "metadata": {"resourceVersion": "1"}}

    def watch(self, namespace: str | None = None, **_: Any) -> AsyncIterator[Obj]:
        return self._broken()

    async def _broken(self) -> AsyncIterator[Obj]:
        raise errors.ServiceUnavailable("watch dropped")
        yield {}  # pragma: no cover - makes this an async generator


@each_strategy
async def test_u1_delete_final_state_unknown(strategy: Obj) -> None:
    """TestDeleteFinalStateUnknown — a delete the watch missed still enqueues the DaemonSet."""
    # our informer has no tombstone wrapper: a relist hands on_delete the last object it held
    h = Harness()
    h.add_nodes(1)
    ds = daemonset(strategy)
    lister = _Lister([ds])
    informer = Informer(lister, indexers={"namespace": by_namespace}, clock=h.clock)
    informer.add_handlers(on_delete=h.controller.handlers.on_daemonset_delete)
    task = asyncio.create_task(informer.run())
    try:
        await informer.synced.wait()
        lister.items = []  # deleted while the watch was down
        await h.clock.advance(1.0)
        for _ in range(50):
            if len(h.controller.queue):
                break
            await asyncio.sleep(0)
        assert await h.controller.queue.get() == "default/foo"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_u2_expectations_on_recreate() -> None:
    """TestExpectationsOnRecreate — expectations are dropped with the DaemonSet, fresh for its successor."""
    h = Harness(watch=True, mirror_pods=False)  # pods are not fed back; status writes come back as updates
    h.add(new_node("master-0"))
    queue = h.controller.queue
    assert len(queue) == 0

    old = daemonset(name="test")
    h.add(old)
    h.controller.handlers.on_daemonset_add(old)
    assert len(queue) == 1
    await process_next(h)
    assert len(h.api.created) == 1
    key = "default/test"
    assert not h.controller.expectations.satisfied(key)
    assert h.controller.expectations.pending(key) == (1, 0)

    # the controller's own status write came back as an update: one more pass, which writes nothing
    assert len(queue) == 1
    await process_next(h)
    assert len(queue) == 0
    assert queue.waiting == 0

    h.api.created.clear()
    h.caches.daemonsets.remove(old)
    h.controller.handlers.on_daemonset_delete(old)
    assert len(queue) == 1
    assert h.controller.expectations.satisfied(key)
    assert h.controller.expectations.pending(key) == (0, 0)
    assert await queue.get() == key
    queue.done(key)
    assert len(queue) == 0

    recreated = copy.deepcopy(old)
    recreated["metadata"]["uid"] = uid()
    recreated["status"] = {}
    h.add(recreated)
    h.controller.handlers.on_daemonset_add(recreated)
    assert len(queue) == 1
    await process_next(h)
    assert not h.controller.expectations.satisfied(key)
    assert h.controller.expectations.pending(key) == (1, 0)
    assert len(h.api.created) == 1
    assert h.api.created[0]["metadata"]["ownerReferences"][0]["uid"] == recreated["metadata"]["uid"]


@each_strategy
async def test_u3_simple_daemonset_launches_pods(strategy: Obj) -> None:
    """TestSimpleDaemonSetLaunchesPods."""
    h = Harness()
    h.add_nodes(5)
    ds = daemonset(strategy)
    h.add(ds)
    await h.expect_sync(ds, 5, 0, 0)


@each_strategy
async def test_u4_pods_are_pinned_by_node_affinity(strategy: Obj) -> None:
    """TestSimpleDaemonSetScheduleDaemonSetPodsLaunchesPods."""
    h = Harness()
    nodes = h.add_nodes(5)
    ds = daemonset(strategy)
    h.add(ds)
    await h.expect_sync(ds, 5, 0, 0)
    remaining = {node["metadata"]["name"] for node in nodes}
    for pod in h.api.created:
        assert not pod["spec"].get("nodeName")
        required = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        (term,) = required["nodeSelectorTerms"]
        (field,) = term["matchFields"]
        assert field["key"] == "metadata.name"
        assert field["operator"] == "In"
        (value,) = field["values"]
        remaining.discard(value)
    assert remaining == set()


@each_strategy
async def test_u5_pod_create_errors_slow_start(strategy: Obj) -> None:
    """TestSimpleDaemonSetPodCreateErrors — a quota of 10 pods: slow start stops early."""
    h = Harness()
    h.api.create_limit = 10
    h.add_nodes(100)
    ds = daemonset(strategy)
    h.add(ds)
    await h.expect_sync(ds, 10, 0, 0)
    assert h.api.create_calls <= 1 + 2 + 4 + 8
    status = last_status(h)
    assert status["desiredNumberScheduled"] == 100
    assert status["currentNumberScheduled"] == 10
    assert status["updatedNumberScheduled"] == 10


@each_strategy
async def test_u6_create_errors_leave_expectations_satisfied(strategy: Obj) -> None:
    """TestDaemonSetPodCreateExpectationsError — failed and skipped creates are not waited for."""
    h = Harness()
    h.api.create_limit = 10
    h.add_nodes(100)
    ds = daemonset(strategy)
    h.add(ds)
    await h.expect_sync(ds, 10, 0, 0)
    assert h.controller.expectations.satisfied("default/foo")


@each_strategy
async def test_u7_status_written_after_launching_pods(strategy: Obj) -> None:
    """TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods — the same sync reports the pods it made."""
    h = Harness()
    ds = daemonset(strategy)
    h.add(ds)
    h.add_nodes(5)
    await h.expect_sync(ds, 5, 0, 0)
    assert len(h.api.status_updates) == 1
    assert last_status(h)["currentNumberScheduled"] == 5


@pytest.mark.parametrize(
    ("sync_fails", "status_fails", "expected"),
    [(True, False, "sync"), (False, True, "status"), (True, True, "sync")],
    ids=["sync error", "status error", "sync and status error"],
)
@each_strategy
async def test_u8_sync_and_status_errors(
    strategy: Obj, sync_fails: bool, status_fails: bool, expected: str
) -> None:
    """TestSimpleDaemonSetUpdatesStatusError — a pod error wins over a status error."""
    h = Harness()
    sync_error = errors.InternalError("sync error")
    status_error = errors.InternalError("status error")
    if sync_fails:
        h.api.create_error = sync_error
    if status_fails:
        h.api.status_errors = [status_error, status_error]  # the write and its one retry
    ds = daemonset(strategy)
    h.add(ds)
    h.add_nodes(1)
    error = await h.sync(ds)
    assert h.api.create_calls == 1
    if expected == "sync":
        assert isinstance(error, SyncError)
        assert error.__cause__ is sync_error
    else:
        assert error is status_error


# -- U9-U30: where pods go ------------------------------------------------------------------------------


@each_strategy
async def test_u9_no_nodes_does_nothing(strategy: Obj) -> None:
    """TestNoNodesDoesNothing."""
    h = Harness()
    ds = daemonset(strategy)
    h.add(ds)
    await h.expect_sync(ds, 0, 0, 0)


@each_strategy
async def test_u10_one_node_daemon_launches_pod(strategy: Obj) -> None:
    """TestOneNodeDaemonLaunchesPod."""
    h = Harness()
    h.add(new_node("only-node"))
    ds = daemonset(strategy)
    h.add(ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u11_not_ready_node_gets_a_pod(strategy: Obj) -> None:
    """TestNotReadyNodeDaemonDoesLaunchPod."""
    h = Harness()
    h.add(new_node("not-ready", conditions=[{"type": "Ready", "status": "False"}]))
    ds = daemonset(strategy)
    h.add(ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u12_insufficient_capacity_is_ignored(strategy: Obj) -> None:
    """TestInsufficientCapacityNodeDaemonDoesNotUnscheduleRunningPod — resources are the scheduler's."""
    h = Harness()
    spec = resource_pod_spec("too-much-mem", "75M", "75m")
    ds = daemonset(strategy)
    ds["spec"]["template"]["spec"] = copy.deepcopy(spec)
    node = new_node("too-much-mem")
    node["status"]["allocatable"] = allocatable("100M", "200m")
    h.add(node, foreign_pod("hungry", spec), ds)
    await h.expect_sync(ds, 1, 0, 0)


async def test_u13_capacity_ignored_but_node_selector_respected() -> None:
    """TestInsufficientCapacityNodeSufficientCapacityWithNodeLabelDaemonLaunchPod."""
    h = Harness()
    ds = daemonset()
    ds["spec"]["template"]["spec"] = resource_pod_spec("", "50M", "75m")
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    small = new_node("not-enough-resource")
    small["status"]["allocatable"] = allocatable("10M", "20m")
    large = new_node("enough-resource", SIMPLE_NODE_LABELS)
    large["status"]["allocatable"] = allocatable("100M", "200m")
    h.add(small, large, ds)
    await h.expect_sync(ds, 1, 0, 0)
    assert created_nodes(h) == ["enough-resource"]
    assert h.events.controller_events() == []


@each_strategy
async def test_u14_network_unavailable_node_gets_a_pod(strategy: Obj) -> None:
    """TestNetworkUnavailableNodeDaemonLaunchesPod."""
    h = Harness()
    h.add(new_node("network-unavailable", conditions=[{"type": "NetworkUnavailable", "status": "True"}]))
    ds = daemonset(strategy, name="simple")
    h.add(ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u15_nothing_while_being_deleted(strategy: Obj) -> None:
    """TestDontDoAnythingIfBeingDeleted — not even a status write."""
    h = Harness()
    spec = resource_pod_spec("not-too-much-mem", "75M", "75m")
    ds = daemonset(strategy)
    ds["spec"]["template"]["spec"] = copy.deepcopy(spec)
    ds["metadata"]["deletionTimestamp"] = format_time(h.clock.wall())
    node = new_node("not-too-much-mem")
    node["status"]["allocatable"] = allocatable("200M", "200m")
    h.add(node, foreign_pod("other", spec), ds)
    await h.expect_sync(ds, 0, 0, 0)
    assert h.api.status_updates == []


@each_strategy
async def test_u16_nothing_when_deleted_behind_the_cache(strategy: Obj) -> None:
    """TestDontDoAnythingIfBeingDeletedRace — the uncached recheck before adopting stops the sync."""
    h = Harness()
    ds = daemonset(strategy)
    deleted = copy.deepcopy(ds)
    deleted["metadata"]["deletionTimestamp"] = format_time(h.clock.wall())
    h.api.api_daemonsets["default/foo"] = deleted
    h.add_nodes(5)
    h.add(ds)
    orphan = h.pod("node-0", None, labels=SIMPLE_LABELS)
    error = await h.expect_sync(ds, 0, 0, 0)
    assert error is not None
    assert "has just been deleted" in str(error)
    assert "ownerReferences" not in h.caches.pods.get(f"default/{orphan['metadata']['name']}")["metadata"]


@each_strategy
async def test_u17_own_pod_with_host_port_is_kept(strategy: Obj) -> None:
    """TestPortConflictWithSameDaemonPodDoesNotDeletePod."""
    h = Harness()
    h.add(new_node("port-conflict"))
    ds = daemonset(strategy)
    ds["spec"]["template"]["spec"] = {
        "nodeName": "port-conflict",
        "containers": [{"name": "c", "image": "foo/bar", "ports": [{"hostPort": 666}]}],
    }
    h.add(ds)
    h.pod("port-conflict", ds, labels=SIMPLE_LABELS)
    await h.expect_sync(ds, 0, 0, 0)


@each_strategy
async def test_u18_no_port_conflict_gets_a_pod(strategy: Obj) -> None:
    """TestNoPortConflictNodeDaemonLaunchesPod."""
    h = Harness()
    ds = daemonset(strategy)
    ds["spec"]["template"]["spec"] = {
        "nodeName": "no-port-conflict",
        "containers": [{"name": "c", "image": "foo/bar", "ports": [{"hostPort": 6662}]}],
    }
    other = {"nodeName": "no-port-conflict", "containers": [{"name": "c", "ports": [{"hostPort": 6661}]}]}
    h.add(new_node("no-port-conflict"), foreign_pod("other", other), ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u19_empty_selector_does_nothing_but_warn(strategy: Obj) -> None:
    """TestPodIsNotDeletedByDaemonsetWithEmptyLabelSelector."""
    h = Harness()
    ds = daemonset(strategy)
    ds["spec"]["selector"] = {}
    template_spec(ds)["nodeSelector"] = {"foo": "bar"}
    h.add(new_node("node1"), foreign_pod("other", {"nodeName": "node1"}, labels={"bang": "boom"}), ds)
    await h.expect_sync(ds, 0, 0, 1)
    ((event_type, reason, message),) = h.events.controller_events()
    assert (event_type, reason) == ("Warning", "SelectingAll")
    assert message == "This daemon set is selecting all pods. A non-empty selector is required."
    assert h.api.status_updates == []


@each_strategy
async def test_u20_deals_with_existing_pods(strategy: Obj) -> None:
    """TestDealsWithExistingPods — duplicates pruned, non-matching owned pods released."""
    h = Harness()
    ds = daemonset(strategy)
    h.add(ds)
    h.add_nodes(5)
    add_pods(h, "node-1", SIMPLE_LABELS, ds, 1)
    add_pods(h, "node-2", SIMPLE_LABELS, ds, 2)
    add_pods(h, "node-3", SIMPLE_LABELS, ds, 5)
    released = add_pods(h, "node-4", SIMPLE_LABELS_2, ds, 2)
    await h.expect_sync(ds, 2, 5, 0)
    assert created_nodes(h) == ["node-0", "node-4"]
    for pod in released:
        assert not h.caches.pods.get(f"default/{pod['metadata']['name']}")["metadata"].get("ownerReferences")


@each_strategy
async def test_u21_node_selector_launches_pods(strategy: Obj) -> None:
    """TestSelectorDaemonLaunchesPods."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    h.add_nodes(4)
    h.add_nodes(3, labels=SIMPLE_NODE_LABELS, start=4)
    h.add(ds)
    await h.expect_sync(ds, 3, 0, 0)
    assert created_nodes(h) == ["node-4", "node-5", "node-6"]


@each_strategy
async def test_u22_node_selector_deletes_unselected_pods(strategy: Obj) -> None:
    """TestSelectorDaemonDeletesUnselectedPods."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    h.add(ds)
    h.add_nodes(5)
    h.add_nodes(5, labels=SIMPLE_NODE_LABELS, start=5)
    add_pods(h, "node-0", SIMPLE_LABELS_2, ds, 2)
    add_pods(h, "node-1", SIMPLE_LABELS, ds, 3)
    add_pods(h, "node-1", SIMPLE_LABELS_2, ds, 1)
    add_pods(h, "node-4", SIMPLE_LABELS, ds, 1)
    await h.expect_sync(ds, 5, 4, 0)
    assert created_nodes(h) == [f"node-{i}" for i in range(5, 10)]


@each_strategy
async def test_u23_node_selector_deals_with_existing_pods(strategy: Obj) -> None:
    """TestSelectorDaemonDealsWithExistingPods."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    h.add(ds)
    h.add_nodes(5)
    h.add_nodes(5, labels=SIMPLE_NODE_LABELS, start=5)
    add_pods(h, "node-0", SIMPLE_LABELS, ds, 1)
    add_pods(h, "node-1", SIMPLE_LABELS, ds, 3)
    add_pods(h, "node-1", SIMPLE_LABELS_2, ds, 2)
    add_pods(h, "node-2", SIMPLE_LABELS, ds, 4)
    add_pods(h, "node-6", SIMPLE_LABELS, ds, 13)
    add_pods(h, "node-7", SIMPLE_LABELS_2, ds, 4)
    add_pods(h, "node-9", SIMPLE_LABELS, ds, 1)
    add_pods(h, "node-9", SIMPLE_LABELS_2, ds, 1)
    await h.expect_sync(ds, 3, 20, 0)
    assert created_nodes(h) == ["node-5", "node-7", "node-8"]


@each_strategy
async def test_u24_node_selector_matching_nothing_does_nothing(strategy: Obj) -> None:
    """TestBadSelectorDaemonDoesNothing."""
    h = Harness()
    h.add_nodes(4)
    h.add_nodes(3, labels=SIMPLE_NODE_LABELS, start=4)
    ds = daemonset(strategy)
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS_2)
    h.add(ds)
    await h.expect_sync(ds, 0, 0, 0)


@each_strategy
async def test_u25_node_name_launches_one_pod(strategy: Obj) -> None:
    """TestNameDaemonSetLaunchesPods."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["nodeName"] = "node-0"
    h.add_nodes(5)
    h.add(ds)
    await h.expect_sync(ds, 1, 0, 0)
    assert h.api.created[0]["spec"]["nodeName"] == "node-0"


@each_strategy
async def test_u26_missing_node_name_does_nothing(strategy: Obj) -> None:
    """TestBadNameDaemonSetDoesNothing."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["nodeName"] = "node-10"
    h.add_nodes(5)
    h.add(ds)
    await h.expect_sync(ds, 0, 0, 0)


@each_strategy
async def test_u27_node_name_and_selector_launch_one_pod(strategy: Obj) -> None:
    """TestNameAndSelectorDaemonSetLaunchesPods."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    template_spec(ds)["nodeName"] = "node-6"
    h.add_nodes(4)
    h.add_nodes(3, labels=SIMPLE_NODE_LABELS, start=4)
    h.add(ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u28_inconsistent_name_and_selector_do_nothing(strategy: Obj) -> None:
    """TestInconsistentNameSelectorDaemonSetDoesNothing."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    template_spec(ds)["nodeName"] = "node-0"
    h.add_nodes(4)
    h.add_nodes(3, labels=SIMPLE_NODE_LABELS, start=4)
    h.add(ds)
    await h.expect_sync(ds, 0, 0, 0)


async def test_u29_node_selector_launches_on_every_matching_node() -> None:
    """TestSelectorDaemonSetLaunchesPods (OnDelete only)."""
    h = Harness()
    ds = daemonset()
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    h.add_nodes(4)
    h.add_nodes(3, labels=SIMPLE_NODE_LABELS, start=4)
    h.add(ds)
    await h.expect_sync(ds, 3, 0, 0)


@each_strategy
async def test_u30_node_affinity_launches_pods(strategy: Obj) -> None:
    """TestNodeAffinityDaemonLaunchesPods."""
    h = Harness()
    ds = daemonset(strategy)
    template_spec(ds)["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "color", "operator": "In", "values": ["blue"]}]}
                ]
            }
        }
    }
    h.add_nodes(4)
    h.add_nodes(3, labels=SIMPLE_NODE_LABELS, start=4)
    h.add(ds)
    await h.expect_sync(ds, 3, 0, 0)
    assert created_nodes(h) == ["node-4", "node-5", "node-6"]


# -- U31-U34: status, failed pods -------------------------------------------------------------------------


@each_strategy
async def test_u31_number_ready(strategy: Obj) -> None:
    """TestNumberReadyStatus."""
    h = Harness()
    ds = daemonset(strategy)
    h.add_nodes(2, labels=SIMPLE_NODE_LABELS)
    pods = add_pods(h, "node-0", SIMPLE_LABELS, ds, 1) + add_pods(h, "node-1", SIMPLE_LABELS, ds, 1)
    h.add(ds)
    await h.expect_sync(ds, 0, 0, 0)
    assert last_status(h)["numberReady"] == 0
    for pod in pods:
        h.set_ready(pod, stamped=False)
    await h.expect_sync(ds, 0, 0, 0)
    assert last_status(h)["numberReady"] == 2


@each_strategy
async def test_u32_observed_generation(strategy: Obj) -> None:
    """TestObservedGeneration."""
    h = Harness()
    ds = daemonset(strategy, generation=1)
    h.add_nodes(1, labels=SIMPLE_NODE_LABELS)
    add_pods(h, "node-0", SIMPLE_LABELS, ds, 1)
    h.add(ds)
    await h.expect_sync(ds, 0, 0, 0)
    assert last_status(h)["observedGeneration"] == 1


class KillCase(NamedTuple):
    failed: int
    normal: int
    creates: int
    deletes: int
    events: int


KILL_CASES = {
    "normal (do nothing)": KillCase(0, 1, 0, 0, 0),
    "no pods (create 1)": KillCase(0, 0, 1, 0, 0),
    "1 failed pod (kill 1), 0 normal pod (create 0; will create in the next sync)": KillCase(1, 0, 0, 1, 1),
    "1 failed pod (kill 1), 3 normal pods (kill 2)": KillCase(1, 3, 0, 3, 1),
}


@pytest.mark.parametrize("case", KILL_CASES.values(), ids=KILL_CASES.keys())
@each_strategy
async def test_u33_kill_failed_pods(strategy: Obj, case: KillCase) -> None:
    """TestDaemonKillFailedPods."""
    h = Harness()
    ds = daemonset(strategy)
    h.add(ds)
    h.add_nodes(1)
    failed_pods = add_failed_pods(h, "node-0", SIMPLE_LABELS, ds, case.failed)
    add_pods(h, "node-0", SIMPLE_LABELS, ds, case.normal)
    await h.expect_sync(ds, case.creates, case.deletes, case.events)
    for pod in failed_pods:
        assert pod["metadata"]["name"] in h.api.deleted
    if case.failed:
        ((event_type, reason, message),) = h.events.controller_events()
        assert (event_type, reason) == ("Warning", "FailedDaemonPod")
        name = failed_pods[0]["metadata"]["name"]
        assert message == f"Found failed daemon pod default/{name} on node node-0, will try to kill it"


@each_strategy
async def test_u34_kill_failed_pods_backoff(strategy: Obj) -> None:
    """TestDaemonKillFailedPodsBackoff."""
    h = Harness()
    h.api.delete_only_created = True  # as upstream's fake: the failed pod is still there next sync
    ds = daemonset(strategy)
    # upstream's DaemonSet has generation 0, which its status already reports; the backoff key holds
    # the observed generation, so keep it as stable here
    ds["status"]["observedGeneration"] = 1
    h.add(ds)
    h.add_nodes(1)
    h.pod("node-0", ds, phase="Failed")
    key = backoff_key(h.daemonset(ds), "node-0")
    backoff = h.controller.backoff

    await h.expect_sync(ds, 0, 1, 1)
    initial_delay = backoff.get(key)
    assert initial_delay > 0

    await h.expect_sync(ds, 0, 0, 0)
    assert backoff.get(key) == initial_delay
    assert h.controller.queue.waiting == 1  # the sync asked to come back when the backoff ends

    tick = 2.0**-30  # about a nanosecond, exact in binary
    await h.clock.advance(initial_delay - tick)
    assert backoff.is_in_backoff(key)
    await h.clock.advance(tick)
    assert not backoff.is_in_backoff(key)

    await h.expect_sync(ds, 0, 1, 1)


# -- U35-U44: taints, tolerations, placement -----------------------------------------------------------


@each_strategy
async def test_u35_no_schedule_taint_keeps_running_pod(strategy: Obj) -> None:
    """TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod."""
    h = Harness()
    ds = daemonset(strategy, name="intolerant")
    h.add(new_node("tainted", taints=NO_SCHEDULE_TAINTS), ds)
    h.pod("tainted", ds, name="keep-running-me")
    await h.expect_sync(ds, 0, 0, 0)


@each_strategy
async def test_u36_no_execute_taint_evicts_running_pod(strategy: Obj) -> None:
    """TestNoExecuteTaintedDoesEvicitRunningIntolerantPod."""
    h = Harness()
    ds = daemonset(strategy, name="intolerant")
    h.add(new_node("tainted", taints=NO_EXECUTE_TAINTS), ds)
    h.pod("tainted", ds, name="stop-running-me")
    await h.expect_sync(ds, 0, 1, 0)
    assert h.api.deleted == ["stop-running-me"]


@each_strategy
async def test_u37_tainted_node_gets_no_intolerant_pod(strategy: Obj) -> None:
    """TestTaintedNodeDaemonDoesNotLaunchIntolerantPod."""
    h = Harness()
    ds = daemonset(strategy, name="intolerant")
    h.add(new_node("tainted", taints=NO_SCHEDULE_TAINTS), ds)
    await h.expect_sync(ds, 0, 0, 0)


@each_strategy
async def test_u38_tainted_node_gets_tolerating_pod(strategy: Obj) -> None:
    """TestTaintedNodeDaemonLaunchesToleratePod."""
    h = Harness()
    ds = daemonset(strategy, name="tolerate")
    template_spec(ds)["tolerations"] = copy.deepcopy(NO_SCHEDULE_TOLERATIONS)
    h.add(new_node("tainted", taints=NO_SCHEDULE_TAINTS), ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u39_not_ready_tainted_node_gets_a_pod(strategy: Obj) -> None:
    """TestNotReadyNodeDaemonLaunchesPod — the default not-ready toleration."""
    h = Harness()
    ds = daemonset(strategy, name="simple")
    node = new_node(
        "tainted",
        taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute", "timeAdded": format_time(0)}],
        conditions=[{"type": "Ready", "status": "False"}],
    )
    h.add(node, ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u40_unreachable_node_gets_a_pod(strategy: Obj) -> None:
    """TestUnreachableNodeDaemonLaunchesPod — the default unreachable toleration."""
    h = Harness()
    ds = daemonset(strategy, name="simple")
    node = new_node(
        "tainted",
        taints=[
            {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": format_time(0)}
        ],
        conditions=[{"type": "Ready", "status": "Unknown"}],
    )
    h.add(node, ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u41_untainted_node_gets_tolerating_pod(strategy: Obj) -> None:
    """TestNodeDaemonLaunchesToleratePod."""
    h = Harness()
    ds = daemonset(strategy, name="tolerate")
    template_spec(ds)["tolerations"] = copy.deepcopy(NO_SCHEDULE_TOLERATIONS)
    h.add_nodes(1)
    h.add(ds)
    await h.expect_sync(ds, 1, 0, 0)


@each_strategy
async def test_u42_terminating_pod_is_left_alone(strategy: Obj) -> None:
    """TestDaemonSetRespectsTermination — no replacement while the only pod terminates."""
    h = Harness()
    ds = daemonset(strategy)
    h.add_nodes(1, labels=SIMPLE_NODE_LABELS)
    pod = h.pod("node-0", ds, labels=SIMPLE_LABELS)
    pod["metadata"]["deletionTimestamp"] = format_time(h.clock.wall())
    h.add(ds)
    await h.expect_sync(ds, 0, 0, 0)


@each_strategy
async def test_u43_pressure_tainted_node_gets_a_pod(strategy: Obj) -> None:
    """TestTaintPressureNodeDaemonLaunchesPod — the default pressure tolerations."""
    h = Harness()
    ds = daemonset(strategy, name="critical", namespace="kube-system")
    ds["spec"]["template"]["metadata"]["annotations"] = {}
    template_spec(ds)["priority"] = 2000000000  # system-cluster-critical
    node = new_node(
        "resources-pressure",
        conditions=[
            {"type": "DiskPressure", "status": "True"},
            {"type": "MemoryPressure", "status": "True"},
            {"type": "PIDPressure", "status": "True"},
        ],
        taints=[
            {"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/pid-pressure", "effect": "NoSchedule"},
        ],
    )
    h.add(node, ds)
    await h.expect_sync(ds, 1, 0, 0)


def _required_affinity(key: str, values: list[str]) -> Obj:
    term = {"matchExpressions": [{"key": key, "operator": "In", "values": values}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def _host_port_spec(**resources: str) -> Obj:
    container: Obj = {"name": "c", "ports": [{"hostPort": 666}]}
    if resources:
        container["resources"] = {"requests": allocatable(resources["memory"], resources["cpu"])}
    return {"containers": [container]}


# (name, template spec, node unschedulable, shouldRun, shouldContinueRunning). Upstream also puts pods
# on the node in some cases (a host-port or resource conflict); the answer never looks at them.
SHOULD_RUN_CASES = [
    ("ShouldRunDaemonPod", resource_pod_spec("", "50M", "0.5"), False, True, True),
    ("InsufficientResourceError", resource_pod_spec("", "200M", "0.5"), False, True, True),
    ("ErrPodNotMatchHostName", resource_pod_spec("other-node", "50M", "0.5"), False, False, False),
    ("ErrPodNotFitsHostPorts", _host_port_spec(), False, True, True),
    ("InsufficientResourceError+HostPort", resource_pod_spec("", "100M", "0.5"), False, True, True),
    ("ShouldRunDaemonPod+HostPort", resource_pod_spec("", "50M", "0.5"), False, True, True),
    ("ErrNodeSelectorNotMatch", {"nodeSelector": dict(SIMPLE_LABELS_2)}, False, False, False),
    ("ShouldRunDaemonPod+NodeSelector", {"nodeSelector": dict(SIMPLE_LABELS)}, False, True, True),
    ("ErrPodAffinityNotMatch", {"affinity": _required_affinity("type", ["test"])}, False, False, False),
    (
        "ShouldRunDaemonPod+Affinity",
        {"affinity": _required_affinity("type", ["production"])},
        False,
        True,
        True,
    ),
    ("ShouldRunDaemonPodOnUnschedulableNode", resource_pod_spec("", "50M", "0.5"), True, True, True),
]


@pytest.mark.parametrize(
    ("spec", "unschedulable", "run", "keep"),
    [case[1:] for case in SHOULD_RUN_CASES],
    ids=[case[0] for case in SHOULD_RUN_CASES],
)
@each_strategy
def test_u44_node_should_run_daemon_pod(
    strategy: Obj, spec: Obj, unschedulable: bool, run: bool, keep: bool
) -> None:
    """TestNodeShouldRunDaemonPod."""
    node = new_node("test-node", SIMPLE_LABELS, unschedulable=unschedulable)
    node["status"]["allocatable"] = allocatable("100M", "1")
    ds = daemonset(strategy)
    ds["spec"]["template"]["spec"] = copy.deepcopy(spec)
    assert should_run(node, ds) == (run, keep)


# -- U45-U58: event handlers -----------------------------------------------------------------------------


def _node_selector_ds(strategy: Obj) -> Obj:
    ds = daemonset(strategy, name="ds")
    template_spec(ds)["nodeSelector"] = dict(SIMPLE_NODE_LABELS)
    return ds


def _resource_ds(strategy: Obj, memory: str, cpu: str) -> Obj:
    ds = daemonset(strategy, name="ds")
    ds["spec"]["template"]["spec"] = resource_pod_spec("", memory, cpu)
    return ds


def _allocatable_node(memory: str, cpu: str) -> Obj:
    node = new_node("node1")
    node["status"]["allocatable"] = allocatable(memory, cpu)
    return node


class UpdateNodeCase(NamedTuple):
    old: Obj
    new: Obj
    build: Callable[[Obj], Obj]  # the DaemonSet, given the strategy
    creates: int  # by the first sync
    enqueued: bool


UPDATE_NODE_CASES = {
    "Nothing changed, should not enqueue": UpdateNodeCase(
        new_node("node1"), new_node("node1"), _node_selector_ds, 0, False
    ),
    "Node labels changed": UpdateNodeCase(
        new_node("node1"), new_node("node1", SIMPLE_NODE_LABELS), _node_selector_ds, 0, True
    ),
    "Node taints changed": UpdateNodeCase(
        new_node("node1", taints=NO_SCHEDULE_TAINTS),
        new_node("node1"),
        lambda strategy: daemonset(strategy, name="ds"),
        0,
        True,
    ),
    "Node Allocatable changed": UpdateNodeCase(
        new_node("node1"),
        _allocatable_node("200M", "200m"),
        lambda strategy: _resource_ds(strategy, "200M", "200m"),
        1,
        False,
    ),
}


@pytest.mark.parametrize("case", UPDATE_NODE_CASES.values(), ids=UPDATE_NODE_CASES.keys())
@each_strategy
async def test_u45_update_node(strategy: Obj, case: UpdateNodeCase) -> None:
    """TestUpdateNode — only label and taint changes that change the answer enqueue."""
    h = Harness()
    h.add(copy.deepcopy(case.old))
    ds = case.build(strategy)
    h.add(ds)
    await h.expect_sync(ds, case.creates, 0, 0)
    h.controller.handlers.on_node_update(copy.deepcopy(case.old), copy.deepcopy(case.new))
    assert (await queued_keys(h) == ["default/ds"]) is case.enqueued


def _owned_by_nobody() -> Obj:
    return {"controller": True}  # upstream's OwnerReference{Controller: true}: no kind, name or uid


DELETE_NO_DAEMON_POD_CASES = [
    ("Deleted non-daemon pods to release resources", "node1", None),
    ("Deleted non-daemon pods (with controller) to release resources", "node1", _owned_by_nobody()),
    ("Deleted no scheduled pods", "", None),
]


@pytest.mark.parametrize(
    ("node_name", "owner"),
    [case[1:] for case in DELETE_NO_DAEMON_POD_CASES],
    ids=[case[0] for case in DELETE_NO_DAEMON_POD_CASES],
)
@each_strategy
async def test_u46_deleting_a_foreign_pod_enqueues_nothing(
    strategy: Obj, node_name: str, owner: Obj | None
) -> None:
    """TestDeleteNoDaemonPod."""
    h = Harness()
    h.add(_allocatable_node("200M", "200m"))
    ds = _resource_ds(strategy, "50M", "50m")
    h.add(ds)
    for i in range(4):
        h.add(foreign_pod(f"pod_{i}", resource_pod_spec("node1", "50M", "50m"), owner=owner))
    await h.expect_sync(ds, 1, 0, 0)
    deleted = foreign_pod("pod_0", resource_pod_spec(node_name, "50M", "50m"), owner=owner)
    h.controller.handlers.on_pod_delete(deleted)
    assert len(h.controller.queue) == 0
    assert h.controller.queue.waiting == 0


@each_strategy
async def test_u47_unscheduled_pod_for_missing_node_is_deleted(strategy: Obj) -> None:
    """TestDeleteUnscheduledPodForNotExistingNode — bound pods on missing nodes are PodGC's."""
    h = Harness()
    ds = daemonset(strategy)
    h.add(ds)
    h.add_nodes(1)
    add_pods(h, "node-0", SIMPLE_LABELS, ds, 1)
    add_pods(h, "node-1", SIMPLE_LABELS, ds, 1)
    unscheduled = h.pod(None, ds, labels=SIMPLE_LABELS, name="pod1-node-3", add=False)
    unscheduled["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}
                ]
            }
        }
    }
    h.add(unscheduled)
    await h.expect_sync(ds, 0, 1, 0)
    assert h.api.deleted == ["pod1-node-3"]


def _terminal(pod: Obj, phase: str, *, deleted: bool = False, now: float = 0.0) -> Obj:
    pod["status"] = {"phase": phase}
    if deleted:
        pod["metadata"]["deletionTimestamp"] = format_time(now)
    return pod


@pytest.mark.parametrize("include_deleted_terminal", [False, True], ids=["exclude", "include"])
async def test_u48_get_nodes_to_daemon_pods(include_deleted_terminal: bool) -> None:
    """TestGetNodesToDaemonPods — claimed pods grouped by node; deleted terminal pods only on request."""
    h = Harness()
    ds = daemonset()
    ds2 = daemonset(name="foo2")
    h.add(ds, ds2)
    h.add_nodes(2)
    now = h.clock.wall()

    def pod(name: str, node: str, labels: dict[str, str], owner: Obj | None) -> Obj:
        return h.pod(node, owner, labels=labels, name=name, add=False)

    base = [
        pod("matching-owned-0", "node-0", SIMPLE_LABELS, ds),
        pod("matching-orphan-0", "node-0", SIMPLE_LABELS, None),
        pod("matching-owned-1", "node-1", SIMPLE_LABELS, ds),
        pod("matching-orphan-1", "node-1", SIMPLE_LABELS, None),
        _terminal(pod("matching-owned-succeeded-pod-0", "node-0", SIMPLE_LABELS, ds), "Succeeded"),
    ]
    never = [
        pod("non-matching-owned-0", "node-0", SIMPLE_LABELS_2, ds),  # released
        pod("non-matching-orphan-1", "node-1", SIMPLE_LABELS_2, None),
        pod("matching-owned-by-other-0", "node-0", SIMPLE_LABELS, ds2),
    ]
    failed_deleted = _terminal(
        pod("matching-owned-failed-deleted-pod-1", "node-1", SIMPLE_LABELS, ds),
        "Failed",
        deleted=True,
        now=now,
    )
    if include_deleted_terminal:
        wanted = [*base, failed_deleted]
        ignored = never
    else:
        failed = _terminal(pod("matching-owned-failed-pod-1", "node-1", SIMPLE_LABELS, ds), "Failed")
        succeeded_deleted = _terminal(
            pod("matching-owned-succeeded-deleted-pod-0", "node-0", SIMPLE_LABELS, ds),
            "Succeeded",
            deleted=True,
            now=now,
        )
        wanted = [*base, failed]
        ignored = [*never, succeeded_deleted, failed_deleted]
    h.add(*wanted, *ignored)

    node_pods = await h.controller.node_pods(
        h.daemonset(ds), include_deleted_terminal=include_deleted_terminal
    )
    got: set[str] = set()
    for node, pods in node_pods.items():
        for found in pods:
            assert found["spec"]["nodeName"] == node
            got.add(found["metadata"]["name"])
    assert got == {p["metadata"]["name"] for p in wanted}
    released = h.caches.pods.get("default/non-matching-owned-0")
    assert released is not None
    assert not released["metadata"].get("ownerReferences")


async def test_u49_add_node() -> None:
    """TestAddNode — a new node enqueues the DaemonSets that should run there."""
    h = Harness()
    ds = _node_selector_ds(STRATEGIES[0])
    h.add(ds)
    h.controller.handlers.on_node_add(new_node("node1"))
    assert len(h.controller.queue) == 0
    h.controller.handlers.on_node_add(new_node("node2", SIMPLE_NODE_LABELS))
    assert len(h.controller.queue) == 1
    assert await h.controller.queue.get() == "default/ds"


def _two_daemonsets(h: Harness, strategy: Obj) -> tuple[Obj, Obj]:
    ds1 = daemonset(strategy, name="foo1")
    ds2 = daemonset(strategy, name="foo2")
    h.add(ds1, ds2)
    return ds1, ds2


def _two_daemonsets_and_one_selecting_other_labels(h: Harness, strategy: Obj) -> None:
    """foo1 and foo2 (selecting SIMPLE_LABELS) and foo3, which selects SIMPLE_LABELS_2."""
    _two_daemonsets(h, strategy)
    ds3 = daemonset(strategy, name="foo3")
    ds3["spec"]["selector"]["matchLabels"] = dict(SIMPLE_LABELS_2)
    h.add(ds3)


async def _each_owner_enqueued(h: Harness, ds1: Obj, ds2: Obj, event: Callable[[Obj], None]) -> None:
    """``event`` for a pod of foo1, then for a pod of foo2: each enqueues its owner, and only it."""
    queue = h.controller.queue
    for ds, key in ((ds1, "default/foo1"), (ds2, "default/foo2")):
        event(h.pod("node-0", ds, add=False))
        assert len(queue) == 1
        assert await queue.get() == key


@each_strategy
async def test_u50_add_pod(strategy: Obj) -> None:
    """TestAddPod — an owned pod enqueues its owner."""
    h = Harness()
    ds1, ds2 = _two_daemonsets(h, strategy)
    await _each_owner_enqueued(h, ds1, ds2, h.controller.handlers.on_pod_add)


@each_strategy
async def test_u51_add_pod_orphan(strategy: Obj) -> None:
    """TestAddPodOrphan — an orphan enqueues every DaemonSet whose selector matches it."""
    h = Harness()
    _two_daemonsets_and_one_selecting_other_labels(h, strategy)
    h.controller.handlers.on_pod_add(h.pod("node-0", None, labels=SIMPLE_LABELS, add=False))
    assert len(h.controller.queue) == 2
    assert await queued_keys(h) == ["default/foo1", "default/foo2"]


def _bumped(pod: Obj) -> Obj:
    bumped = copy.deepcopy(pod)
    bumped["metadata"]["resourceVersion"] = str(int(pod["metadata"]["resourceVersion"]) + 1)
    return bumped


@each_strategy
async def test_u52_update_pod(strategy: Obj) -> None:
    """TestUpdatePod — an owned pod's update enqueues its owner."""
    h = Harness()
    ds1, ds2 = _two_daemonsets(h, strategy)
    await _each_owner_enqueued(
        h, ds1, ds2, lambda pod: h.controller.handlers.on_pod_update(pod, _bumped(pod))
    )


@each_strategy
async def test_u53_update_pod_orphan_same_labels(strategy: Obj) -> None:
    """TestUpdatePodOrphanSameLabels."""
    h = Harness()
    _two_daemonsets(h, strategy)
    pod = h.pod("node-0", None, labels=SIMPLE_LABELS, add=False)
    h.controller.handlers.on_pod_update(pod, _bumped(pod))
    assert len(h.controller.queue) == 0


@each_strategy
async def test_u54_update_pod_orphan_with_new_labels(strategy: Obj) -> None:
    """TestUpdatePodOrphanWithNewLabels."""
    h = Harness()
    _two_daemonsets(h, strategy)
    pod = h.pod("node-0", None, labels=SIMPLE_LABELS, add=False)
    prev = copy.deepcopy(pod)
    prev["metadata"]["labels"] = {"foo2": "bar2"}
    h.controller.handlers.on_pod_update(prev, _bumped(pod))
    assert len(h.controller.queue) == 2
    assert await queued_keys(h) == ["default/foo1", "default/foo2"]


@each_strategy
async def test_u55_update_pod_change_controller_ref(strategy: Obj) -> None:
    """TestUpdatePodChangeControllerRef — both the old and the new owner are enqueued."""
    h = Harness()
    ds1, ds2 = _two_daemonsets(h, strategy)
    pod = h.pod("node-0", ds1, add=False)
    prev = copy.deepcopy(pod)
    prev["metadata"]["ownerReferences"] = [controller_ref(ds2)]
    h.controller.handlers.on_pod_update(prev, _bumped(pod))
    assert len(h.controller.queue) == 2


@each_strategy
async def test_u56_update_pod_controller_ref_removed(strategy: Obj) -> None:
    """TestUpdatePodControllerRefRemoved — the old owner plus the matching DaemonSets, once each."""
    h = Harness()
    ds1, _ = _two_daemonsets(h, strategy)
    pod = h.pod("node-0", ds1, add=False)
    released = _bumped(pod)
    del released["metadata"]["ownerReferences"]
    h.controller.handlers.on_pod_update(pod, released)
    assert len(h.controller.queue) == 2


@each_strategy
async def test_u57_delete_pod(strategy: Obj) -> None:
    """TestDeletePod — an owned pod's deletion enqueues its owner."""
    h = Harness()
    ds1, ds2 = _two_daemonsets(h, strategy)
    await _each_owner_enqueued(h, ds1, ds2, h.controller.handlers.on_pod_delete)


@each_strategy
async def test_u58_delete_pod_orphan(strategy: Obj) -> None:
    """TestDeletePodOrphan."""
    h = Harness()
    _two_daemonsets_and_one_selecting_other_labels(h, strategy)
    h.controller.handlers.on_pod_delete(h.pod("node-0", None, labels=SIMPLE_LABELS, add=False))
    assert len(h.controller.queue) == 0


# -- U59-U64: surge --------------------------------------------------------------------------------------


async def test_u59_surge_deals_with_existing_pods() -> None:
    """TestSurgeDealsWithExistingPods."""
    h = Harness()
    ds = daemonset(SURGE_1)
    h.add(ds)
    h.add_nodes(5)
    add_pods(h, "node-1", SIMPLE_LABELS, ds, 1)
    add_pods(h, "node-2", SIMPLE_LABELS, ds, 2)
    add_pods(h, "node-3", SIMPLE_LABELS, ds, 5)
    add_pods(h, "node-4", SIMPLE_LABELS_2, ds, 2)
    await h.expect_sync(ds, 2, 5, 0)
    assert created_nodes(h) == ["node-0", "node-4"]


async def test_u60_surge_preserves_ready_old_pods() -> None:
    """TestSurgePreservesReadyOldPods — the oldest ready old pod stays beside an unready new one."""
    h = Harness()
    ds = daemonset(SURGE_1)
    h.add(ds)
    h.add_nodes(5)
    h.pod("node-1", ds, created=100)  # current hash: kept
    old_pod(h, "node-1", ds, created=50, ready=True)  # oldest old pod and ready: kept
    excess = old_pod(h, "node-1", ds, created=60, ready=True)  # not the oldest: deleted
    add_pods(h, "node-2", SIMPLE_LABELS, ds, 1)
    await h.expect_sync(ds, 3, 1, 0)
    assert created_nodes(h) == ["node-0", "node-3", "node-4"]
    assert h.api.deleted == [excess["metadata"]["name"]]


async def test_u61_surge_creates_when_at_max_surge_and_old_pod_deleted() -> None:
    """TestSurgeCreatesNewPodWhenAtMaxSurgeAndOldPodDeleted — beyond the spent surge budget."""
    h = Harness()
    ds = daemonset(SURGE_1)
    h.add(ds)
    h.add_nodes(5)
    new = h.pod("node-0", ds, created=100)
    h.set_ready(new, False, stamped=False)  # newest hash, consuming the surge budget
    old_pod(h, "node-0", ds, created=50, ready=True)
    for i in range(1, 5):
        pod = old_pod(h, f"node-{i}", ds, created=1, ready=True)
        if i == 4:
            pod["metadata"]["deletionTimestamp"] = format_time(31)
            pod["metadata"]["deletionGracePeriodSeconds"] = 30
    await h.expect_sync(ds, 1, 0, 0)
    assert created_nodes(h) == ["node-4"]


async def test_u62_surge_deletes_unready_old_pods() -> None:
    """TestSurgeDeletesUnreadyOldPods."""
    h = Harness()
    ds = daemonset(SURGE_1)
    h.add(ds)
    h.add_nodes(5)
    h.pod("node-1", ds, created=100)
    unready = old_pod(h, "node-1", ds, created=50, ready=False)
    excess = old_pod(h, "node-1", ds, created=60, ready=True)
    add_pods(h, "node-2", SIMPLE_LABELS, ds, 1)
    await h.expect_sync(ds, 3, 2, 0)
    assert sorted(h.api.deleted) == sorted([unready["metadata"]["name"], excess["metadata"]["name"]])


async def _surge_with_min_ready(now: float) -> tuple[Harness, Obj, Obj, Obj]:
    """The layout of U63/U64: minReadySeconds 15; the new pod on node-1 has been ready since t=50."""
    h = Harness(start=now)
    ds = daemonset(SURGE_1)
    ds["spec"]["minReadySeconds"] = 15
    h.add(ds)
    h.add_nodes(5)
    h.pod("node-1", ds, created=100, ready_since=50)
    ready_old = old_pod(h, "node-1", ds, created=50, ready=True)
    excess = old_pod(h, "node-1", ds, created=60, ready=True)
    add_pods(h, "node-2", SIMPLE_LABELS, ds, 1)
    return h, ds, ready_old, excess


async def test_u63_surge_keeps_old_ready_pod_until_new_one_is_available() -> None:
    """TestSurgePreservesOldReadyWithUnsatisfiedMinReady — at t=60 the new pod is not yet available."""
    h, ds, _, excess = await _surge_with_min_ready(60)
    await h.expect_sync(ds, 3, 1, 0)
    assert h.api.deleted == [excess["metadata"]["name"]]


async def test_u64_surge_deletes_old_ready_pod_once_new_one_is_available() -> None:
    """TestSurgeDeletesOldReadyWithUnsatisfiedMinReady — at t=70 it is (ready since 50, for > 15 s)."""
    h, ds, ready_old, excess = await _surge_with_min_ready(70)
    await h.expect_sync(ds, 3, 2, 0)
    assert sorted(h.api.deleted) == sorted([ready_old["metadata"]["name"], excess["metadata"]["name"]])


# -- U65-U66: storing status, ignoring node updates -------------------------------------------------------


@pytest.mark.parametrize(
    ("update_failures", "get_failures", "updates", "gets", "raised"),
    [(0, 0, 1, 0, None), (1, 0, 2, 1, None), (2, 0, 2, 1, "update"), (1, 1, 1, 1, "get")],
    ids=[
        "succeed immediately",
        "succeed after one update failure",
        "fail after two update failures",
        "fail after one update failure and one get failure",
    ],
)
async def test_u65_store_daemonset_status(
    update_failures: int, get_failures: int, updates: int, gets: int, raised: str | None
) -> None:
    """TestStoreDaemonSetStatus — one retry after a fresh GET; the last error is returned."""
    h = Harness()
    ds = daemonset()
    h.add(ds)
    h.add_nodes(2)
    update_error = errors.InternalError("fake update error")
    get_error = errors.InternalError("fake get error")
    h.api.status_errors = [update_error] * update_failures
    h.api.get_errors = [get_error] * get_failures
    error: Exception | None = None
    try:
        await h.controller.update_status(ds, h.caches.nodes.objects(), "", observe_generation=True)
    except errors.ApiError as exc:
        error = exc
    assert len(h.api.status_updates) == updates
    assert h.api.get_calls == gets
    assert error is {None: None, "update": update_error, "get": get_error}[raised]


@pytest.mark.parametrize(
    ("old", "new", "ignored"),
    [
        (new_node("node1"), new_node("node1"), True),
        (new_node("node1"), new_node("node1", SIMPLE_NODE_LABELS), False),
        (new_node("node1", taints=NO_SCHEDULE_TAINTS), new_node("node1"), False),
    ],
    ids=["Nothing changed", "Node labels changed", "Node taints changed"],
)
def test_u66_should_ignore_node_update(old: Obj, new: Obj, ignored: bool) -> None:
    """TestShouldIgnoreNodeUpdate."""
    assert should_ignore_node_update(old, new) is ignored
