"""RollingUpdate, case by case from upstream's ``rolling_test.go`` (and ``recreate_test.go``).

Each case runs the pure decision and then the I/O shell on a recording fake API, and reads the
ReplicaSet update it sent, as upstream reads the fake clientset's update action.
"""

from __future__ import annotations

import pytest

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.controller import Sync
from everynode.controllers.deployment.recreate import old_pods_running, scale_down_old_for_recreate
from everynode.controllers.deployment.rolling import (
    cleanup_unhealthy,
    reconcile_new,
    reconcile_old,
    scale_down_old_for_rolling_update,
)
from everynode.core.types import Obj
from tests import builders
from tests.unit.controllers.deployment.harness import Harness, new_deployment, rs


def sync_for(harness: Harness, deployment: Obj) -> Sync:
    harness.add(deployment)
    return Sync(harness.controller, deployment)


@pytest.mark.parametrize(
    ("deployment_replicas", "max_surge", "old_replicas", "new_replicas", "expected"),
    [
        (10, 0, 10, 0, None),  # should not scale up
        (10, 2, 10, 0, 2),
        (10, 2, 5, 0, 7),
        (10, 2, 10, 2, None),
        (10, 2, 2, 11, 10),  # should scale down
    ],
)
async def test_reconcile_new_replica_set(
    deployment_replicas: int, max_surge: int, old_replicas: int, new_replicas: int, expected: int | None
) -> None:
    """TestDeploymentController_reconcileNewReplicaSet."""
    new_rs = rs("foo-v2", new_replicas)
    old_rs = rs("foo-v2", old_replicas)
    deployment = new_deployment("foo", deployment_replicas, max_surge=max_surge, max_unavailable=0)
    assert reconcile_new([new_rs, old_rs], new_rs, deployment) == expected
    harness = Harness()
    sync = sync_for(harness, deployment)
    if expected is not None:
        scaled, _ = await sync.scale_and_record(new_rs, expected)
        assert scaled
        (update,) = harness.api.of("update")
        assert update.obj["spec"]["replicas"] == expected
        direction = "up" if expected > new_replicas else "down"
        assert harness.events.recorded == [
            (
                keys.NORMAL,
                keys.SCALING_REPLICA_SET,
                f"Scaled {direction} replica set foo-v2 from {new_replicas} to {expected}",
            )
        ]


@pytest.mark.parametrize(
    "case",
    [
        (10, 0, 10, 0, 10, 0, 9),
        (10, 2, 10, 0, 10, 0, 8),
        (10, 2, 10, 0, 8, 0, 8),  # unhealthy replicas of old ReplicaSets are cleaned up
        (10, 2, 10, 0, 9, 0, 8),  # 1 unhealthy replica cleaned up, and 1 ready pod scaled down
        (10, 2, 8, 2, 8, 0, None),  # the new ReplicaSet's unavailable pods keep old ones from going
    ],
)
async def test_reconcile_old_replica_sets(case: tuple[int, int, int, int, int, int, int | None]) -> None:
    """TestDeploymentController_reconcileOldReplicaSets: (deploymentReplicas, maxUnavailable, oldReplicas,
    newReplicas, readyPodsFromOldRS, readyPodsFromNewRS, expectedOldReplicas or None: no scaling)."""
    deployment_replicas, max_unavailable, old_replicas, new_replicas, ready_old, ready_new, expected_old = (
        case
    )
    new_rs = rs("foo-new", new_replicas, {"foo": "new"}, status={"availableReplicas": ready_new})
    old_rs = rs("foo-old", old_replicas, {"foo": "old"}, status={"availableReplicas": ready_old})
    deployment = new_deployment("foo", deployment_replicas, max_surge=0, max_unavailable=max_unavailable)
    plan = reconcile_old([old_rs, new_rs], [old_rs], new_rs, deployment)
    assert plan.error is None
    harness = Harness()
    scaled = await sync_for(harness, deployment).carry_out(plan.steps)
    assert scaled is (expected_old is not None)
    if expected_old is not None:
        assert harness.api.of("update")[-1].obj["spec"]["replicas"] == expected_old
    else:
        assert harness.api.actions == []


@pytest.mark.parametrize(
    ("old_replicas", "ready", "max_cleanup", "expected"),
    [(10, 8, 1, 1), (10, 8, 3, 2), (10, 8, 0, 0), (10, 10, 3, 0)],
)
def test_cleanup_unhealthy_replicas(old_replicas: int, ready: int, max_cleanup: int, expected: int) -> None:
    """TestDeploymentController_cleanupUnhealthyReplicas."""
    old_rs = rs("foo-v2", old_replicas, status={"availableReplicas": ready})
    deployment = new_deployment("foo", 10, max_surge=2, max_unavailable=2)
    resized, plan, count = cleanup_unhealthy([old_rs], deployment, max_cleanup)
    assert count == expected
    assert [step.to for step in plan.steps] == ([old_replicas - expected] if expected else [])
    assert resized[0]["spec"]["replicas"] == old_replicas - expected
    assert old_rs["spec"]["replicas"] == old_replicas  # the input is not changed


@pytest.mark.parametrize(
    ("deployment_replicas", "max_unavailable", "ready", "old_replicas", "expected_old"),
    [
        (10, 0, 10, 10, 9),
        (10, 2, 10, 10, 8),
        (10, 2, 8, 10, None),
        (10, 2, 10, 0, None),
        (10, 2, 1, 10, None),
    ],
)
async def test_scale_down_old_replica_sets_for_rolling_update(
    deployment_replicas: int, max_unavailable: int, ready: int, old_replicas: int, expected_old: int | None
) -> None:
    """TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate."""
    old_rs = rs("foo-v2", old_replicas, status={"availableReplicas": ready})
    deployment = new_deployment("foo", deployment_replicas, max_surge=0, max_unavailable=max_unavailable)
    steps = scale_down_old_for_rolling_update([old_rs], [old_rs], deployment)
    harness = Harness()
    scaled = await sync_for(harness, deployment).carry_out(steps)
    if expected_old is None:
        assert not scaled
        assert harness.api.actions == []
    else:
        (update,) = harness.api.of("update")  # exactly one update action
        assert update.obj["spec"]["replicas"] == expected_old


def test_cleanup_steps_are_planned_on_the_sizes_they_leave() -> None:
    """Two steps on one ReplicaSet: the scale-down starts from what the cleanup left."""
    old_rs = rs("foo-old", 10, {"foo": "old"}, status={"availableReplicas": 9})
    new_rs = rs("foo-new", 0, {"foo": "new"})
    deployment = new_deployment("foo", 10, max_surge=0, max_unavailable=2)
    plan = reconcile_old([old_rs, new_rs], [old_rs], new_rs, deployment)
    assert [(step.rs["metadata"]["name"], step.to) for step in plan.steps] == [("foo-old", 9), ("foo-old", 8)]


async def test_two_steps_on_one_replica_set_use_its_latest_version() -> None:
    old_rs = rs("foo-old", 10, {"foo": "old"}, status={"availableReplicas": 9})
    new_rs = rs("foo-new", 0, {"foo": "new"})
    deployment = new_deployment("foo", 10, max_surge=0, max_unavailable=2)
    harness = Harness()
    await sync_for(harness, deployment).carry_out(
        reconcile_old([old_rs, new_rs], [old_rs], new_rs, deployment).steps
    )
    first, second = harness.api.of("update")
    assert first.obj["metadata"]["resourceVersion"] == "1"
    assert second.obj["metadata"]["resourceVersion"] != "1"  # the version the first write returned
    assert [e[2] for e in harness.events.recorded] == [
        "Scaled down replica set foo-old from 10 to 9",
        "Scaled down replica set foo-old from 9 to 8",
    ]


def test_recreate_scales_old_to_zero_and_waits_for_their_pods() -> None:
    """recreate_test.go: TestScaleDownOldReplicaSets and TestOldPodsRunning."""
    old = [rs("foo-v1", 3), rs("foo-v2", 0)]
    assert [(s.rs["metadata"]["name"], s.to) for s in scale_down_old_for_recreate(old)] == [("foo-v1", 0)]
    new_rs = rs("foo-v3", 0)
    new_uid = new_rs["metadata"]["uid"]
    old_uid = old[0]["metadata"]["uid"]
    running = builders.pod("p", phase="Running")
    assert not old_pods_running(None, [], {})  # no old pods
    assert old_pods_running(new_rs, [rs("foo-v1", 0, status={"replicas": 1})], {})  # the status says so
    assert not old_pods_running(new_rs, [], {new_uid: [running]})  # only the new ReplicaSet's pods
    assert old_pods_running(new_rs, [], {old_uid: [running]})
    assert old_pods_running(new_rs, [], {old_uid: [builders.pod("p", phase="Unknown")]})
    assert old_pods_running(new_rs, [], {old_uid: [builders.pod("p")]})  # no phase yet: pending
    terminal = [builders.pod("a", phase="Failed"), builders.pod("b", phase="Succeeded")]
    assert not old_pods_running(new_rs, [], {old_uid: terminal})
