"""Whole syncs on the fake API, after upstream's ``deployment_controller_test.go`` (the fixture's expected
actions), and rollouts followed over many syncs with the writes mirrored into the caches."""

from __future__ import annotations

import copy

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.conditions import get_condition
from everynode.controllers.deployment.fenceposts import max_surge, max_unavailable
from everynode.controllers.deployment.replicasets import available_count, replica_count
from everynode.core import errors
from everynode.core.types import Obj
from tests import builders
from tests.unit.controllers.deployment.harness import NAMESPACE, Harness, at, new_deployment, revision_of, rs

H = keys.POD_TEMPLATE_HASH


async def test_sync_deployment_creates_replica_set() -> None:
    """TestSyncDeploymentCreatesReplicaSet: create the ReplicaSet, record the revision and the status."""
    harness = Harness()
    deployment = new_deployment("foo", 1)
    harness.add(deployment)
    result = await harness.sync()
    assert result.error is None
    (create,) = harness.api.of("create")
    made = create.obj
    pod_hash = made["metadata"]["labels"][H]
    assert made["metadata"]["name"] == f"foo-{pod_hash}"
    assert made["spec"]["replicas"] == 1
    assert made["metadata"]["ownerReferences"] == [builders.owner_ref(deployment)]
    assert revision_of(made) == "1"
    (annotate,) = harness.api.of("set-annotations", "deployments")
    assert annotate.obj == {"annotations": {keys.REVISION: "1"}}
    statuses = harness.api.of("update-status", "deployments")
    assert statuses
    progressing = get_condition(statuses[0].obj["status"], keys.PROGRESSING)
    assert progressing is not None
    assert (progressing["status"], progressing["reason"]) == ("True", keys.NEW_REPLICA_SET_CREATED)
    assert progressing["message"] == f'Created new replica set "foo-{pod_hash}"'
    assert (keys.NORMAL, keys.SCALING_REPLICA_SET, f"Scaled up replica set foo-{pod_hash} from 0 to 1") in (
        harness.events.recorded
    )


async def test_sync_deployment_dont_do_anything_during_deletion() -> None:
    """TestSyncDeploymentDontDoAnythingDuringDeletion: only the status is written."""
    harness = Harness()
    deployment = new_deployment("foo", 1)
    deployment["metadata"]["deletionTimestamp"] = at(0)
    harness.add(deployment)
    assert (await harness.sync()).error is None
    assert [(a.verb, a.resource) for a in harness.api.actions] == [("update-status", "deployments")]


async def test_sync_deployment_deletion_race() -> None:
    """TestSyncDeploymentDeletionRace: the cache says alive, the API says deleting: adopt nothing."""
    harness = Harness()
    deployment = new_deployment("foo", 1)
    harness.add(deployment)
    harness.add(rs("foo-orphan", 1))  # matches the selector, no owner
    fresh = copy.deepcopy(deployment)
    fresh["metadata"]["deletionTimestamp"] = at(0)
    harness.api.deployments[f"{NAMESPACE}/foo"] = fresh
    result = await harness.sync()
    assert result.error is not None
    assert "has just been deleted" in str(result.error)
    assert [a.verb for a in harness.api.actions] == ["get"]


async def test_dont_sync_deployments_with_empty_pod_selector() -> None:
    """TestDontSyncDeploymentsWithEmptyPodSelector: a warning and the generation observed, nothing else."""
    harness = Harness()
    deployment = new_deployment("foo", 1)
    deployment["spec"]["selector"] = {}
    harness.add(deployment)
    assert (await harness.sync()).error is None
    (status,) = harness.api.actions
    assert (status.verb, status.obj["status"]["observedGeneration"]) == ("update-status", 1)
    assert harness.events.recorded == [
        (
            keys.WARNING,
            keys.SELECTING_ALL,
            "This deployment is selecting all pods. A non-empty selector is required.",
        )
    ]


async def test_adopts_matching_orphans_and_releases_what_stopped_matching() -> None:
    """TestGetReplicaSetsForDeploymentAdoptRelease."""
    harness = Harness()
    deployment = new_deployment("foo", 1)
    harness.add(deployment)
    orphan = rs("foo-orphan", 0, created=at(0))
    stray = rs("foo-stray", 0, {"foo": "other"}, at(0), owner=deployment)
    others = rs("foo-others", 0, created=at(0), owner=new_deployment("bar", 1))
    harness.add(orphan, stray, others)
    assert (await harness.sync()).error is None
    patches = {a.name: a.obj for a in harness.api.of("patch")}
    assert set(patches) == {"foo-orphan", "foo-stray"}
    assert patches["foo-orphan"]["metadata"]["ownerReferences"] == [builders.owner_ref(deployment)]
    assert patches["foo-orphan"]["metadata"]["uid"] == orphan["metadata"]["uid"]
    assert patches["foo-stray"]["metadata"]["ownerReferences"] == [
        {"$patch": "delete", "uid": deployment["metadata"]["uid"]}
    ]


async def test_a_hash_collision_bumps_the_collision_count() -> None:
    """getNewReplicaSet: the name is taken by a ReplicaSet of another template."""
    harness = Harness()
    deployment = new_deployment("foo", 1)
    harness.add(deployment)
    await harness.sync()
    taken = harness.api.of("create")[0].obj
    other = copy.deepcopy(taken)
    other["metadata"]["uid"] = "someone-else"
    other["metadata"]["ownerReferences"] = []
    other["spec"]["template"]["spec"]["containers"][0]["image"] = "other/image"
    harness.add(other)
    harness.api.errors["create/replicasets"] = [
        errors.already_exists("replicasets", "apps", taken["metadata"]["name"])
    ]
    harness.api.actions.clear()
    result = await harness.sync()
    assert isinstance(result.error, errors.AlreadyExists)
    (bump,) = harness.api.of("update-status", "deployments")
    assert bump.obj["status"]["collisionCount"] == 1
    # with the count written, the next name differs
    harness.add({**deployment, "status": {"collisionCount": 1}})
    harness.api.actions.clear()
    assert (await harness.sync()).error is None
    assert harness.api.of("create")[0].obj["metadata"]["name"] != taken["metadata"]["name"]


async def test_own_replica_set_found_on_create_is_not_a_collision() -> None:
    """A create that finds the name taken by this Deployment's own ReplicaSet of this template (the
    cache was slow) takes that ReplicaSet: no collision is counted, no ScalingReplicaSet event."""
    harness = Harness()
    harness.add(new_deployment("foo", 1))

    async def slow_cache(namespace: str, made: Obj) -> Obj:
        harness.caches.replicasets.upsert({**made, "metadata": {**made["metadata"], "uid": "rs-uid"}})
        raise errors.already_exists("replicasets", "apps", made["metadata"]["name"])

    harness.api.create_replicaset = slow_cache  # type: ignore[method-assign]
    assert (await harness.sync()).error is None
    assert all(
        "collisionCount" not in a.obj["status"] for a in harness.api.of("update-status", "deployments")
    )
    assert [a.obj for a in harness.api.of("set-annotations", "deployments")] == [
        {"annotations": {keys.REVISION: "1"}}
    ]
    assert not any(e[1] == keys.SCALING_REPLICA_SET for e in harness.events.recorded)


async def test_failed_create_sets_replica_set_create_error() -> None:
    harness = Harness()
    harness.add(new_deployment("foo", 1))
    harness.api.errors["create/replicasets"] = [errors.Forbidden("quota exceeded")]
    result = await harness.sync()
    assert isinstance(result.error, errors.Forbidden)
    (status,) = harness.api.of("update-status", "deployments")
    condition = get_condition(status.obj["status"], keys.PROGRESSING)
    assert condition is not None
    assert (condition["status"], condition["reason"]) == ("False", keys.FAILED_RS_CREATE)
    assert harness.events.recorded[-1][:2] == (keys.WARNING, keys.FAILED_RS_CREATE)


async def test_namespace_terminating_is_not_retried() -> None:
    harness = Harness()
    harness.add(new_deployment("foo", 1))
    harness.api.errors["create/replicasets"] = [errors.namespace_terminating(NAMESPACE)]
    result = await harness.sync()
    assert result.error is None


async def test_reentrant_rollback() -> None:
    """TestReentrantRollback: the rollback annotation is cleared (the template is already revision 2's)."""
    harness = Harness(mirror=True)
    deployment = new_deployment("foo", 1)
    deployment["metadata"]["annotations"] = {keys.ROLLBACK_TO: "0", keys.REVISION: "2"}
    harness.add(deployment)
    old = rs("foo-1", 0, {"foo": "bar", H: "a"}, at(0), owner=deployment, annotations={keys.REVISION: "1"})
    old["spec"]["template"]["spec"]["containers"][0]["image"] = "foo/old"
    current = rs("foo-2", 1, {"foo": "bar", H: "b"}, at(60), owner=deployment, template_of=deployment)
    current["metadata"]["annotations"] = {keys.REVISION: "2"}
    harness.add(old, current)
    assert (await harness.sync()).error is None
    (update,) = harness.api.of("update", "deployments")
    assert keys.ROLLBACK_TO not in update.obj["metadata"]["annotations"]
    assert update.obj["spec"]["template"]["spec"]["containers"][0]["image"] == "foo/old"
    assert H not in update.obj["spec"]["template"]["metadata"]["labels"]
    assert (
        keys.NORMAL,
        keys.ROLLBACK_DONE,
        'Rolled back deployment "foo" to revision 1',
    ) in harness.events.recorded


async def test_pod_deletion_enqueues_recreate_deployment() -> None:
    """TestPodDeletionEnqueuesRecreateDeployment / TestPodDeletionDoesntEnqueueRecreateDeployment /
    TestPodDeletionPartialReplicaSetOwnershipEnqueueRecreateDeployment (rolling: never)."""
    for strategy, others, enqueued in (
        ({"type": "Recreate"}, 0, True),
        ({"type": "Recreate"}, 1, False),
        ({"type": "RollingUpdate"}, 0, False),
    ):
        harness = Harness()
        deployment = new_deployment("foo", 1, strategy=strategy)
        made = rs("foo-1", 1, owner=deployment)
        pod = builders.pod(
            "p", namespace=NAMESPACE, uid="p", labels={"foo": "bar"}, owners=[builders.owner_ref(made)]
        )
        remaining = [
            builders.pod(
                f"q{i}",
                namespace=NAMESPACE,
                uid=f"q{i}",
                labels={"foo": "bar"},
                owners=[builders.owner_ref(made)],
            )
            for i in range(others)
        ]
        harness.add(deployment, made, *remaining)
        harness.controller.handlers.on_pod_delete(pod)
        assert (len(harness.controller.queue) == 1) is enqueued, strategy


async def test_paused_deployment_scales_but_does_not_roll() -> None:
    """A paused Deployment gets Progressing Unknown/DeploymentPaused, scales its ReplicaSets on a replica
    change, creates no new ReplicaSet for a new template; resumed, it says DeploymentResumed and rolls."""
    harness = Harness(mirror=True)
    harness.add(new_deployment("foo", 2, max_surge=1))
    await harness.sync()
    harness.mark_available()
    await harness.sync()
    (first,) = harness.replicasets()
    paused = copy.deepcopy(harness.deployment())
    paused["spec"]["paused"] = True
    paused["spec"]["replicas"] = 4
    paused["spec"]["template"]["spec"]["containers"][0]["image"] = "foo/new"
    paused["metadata"]["generation"] = 2
    harness.add(paused)
    assert (await harness.sync()).error is None
    condition = get_condition(harness.deployment()["status"], keys.PROGRESSING)
    assert condition is not None
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "Unknown",
        keys.PAUSED,
        "Deployment is paused",
    )
    (only,) = harness.replicasets()
    assert only["metadata"]["uid"] == first["metadata"]["uid"]
    assert only["spec"]["replicas"] == 4
    assert harness.deployment()["status"]["observedGeneration"] == 2
    resumed = copy.deepcopy(harness.deployment())
    resumed["spec"]["paused"] = False
    harness.add(resumed)
    assert (await harness.sync()).error is None
    condition = get_condition(harness.deployment()["status"], keys.PROGRESSING)
    assert condition is not None
    assert condition["reason"] in (keys.RESUMED, keys.NEW_REPLICA_SET_CREATED, keys.REPLICA_SET_UPDATED)
    assert len(harness.replicasets()) == 2
    assert any(
        e
        == (
            keys.NORMAL,
            keys.SCALING_REPLICA_SET,
            f"Scaled up replica set {first['metadata']['name']} from 2 to 4",
        )
        for e in harness.events.recorded
    )


def check_fences(harness: Harness) -> None:
    deployment = harness.deployment()
    rss = harness.replicasets()
    wanted = deployment["spec"]["replicas"]
    assert replica_count(rss) <= wanted + max_surge(deployment), "more pods asked for than maxSurge allows"
    assert available_count(rss) >= wanted - max_unavailable(deployment), (
        "fewer available than maxUnavailable allows"
    )


async def roll(harness: Harness, *, fences: bool = False, rounds: int = 60) -> int:
    """Sync, then let the pods the ReplicaSets ask for exist, available a round later, until nothing
    moves; with ``fences``, maxSurge and maxUnavailable are checked after every step. The rounds taken."""
    for count in range(rounds):
        before = copy.deepcopy((harness.deployment(), harness.replicasets()))
        result = await harness.sync()
        assert result.error is None, result.error
        if fences:
            check_fences(harness)
        harness.mark_available(lag=True)
        if fences:
            check_fences(harness)
        if (harness.deployment(), harness.replicasets()) == before:
            return count
    raise AssertionError("the rollout did not settle")


async def test_rolling_update_rolls_within_the_fences_and_keeps_revisions() -> None:
    """A template change: a new ReplicaSet (revision 2) grows within maxSurge while old pods go within
    maxUnavailable; complete, the old one is at 0 and Progressing says NewReplicaSetAvailable."""
    harness = Harness(mirror=True)
    harness.add(new_deployment("foo", 4, max_surge=1, max_unavailable=1))
    await roll(harness)
    (first,) = harness.replicasets()
    assert revision_of(first) == "1"
    assert revision_of(harness.deployment()) == "1"
    changed = copy.deepcopy(harness.deployment())
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "foo/v2"
    changed["metadata"]["generation"] = 2
    harness.add(changed)
    assert await roll(harness, fences=True) > 4  # in steps, not at once
    old, new = harness.replicasets()
    assert (old["metadata"]["uid"], old["spec"]["replicas"]) == (first["metadata"]["uid"], 0)
    assert (revision_of(new), new["spec"]["replicas"]) == ("2", 4)
    assert new["metadata"]["annotations"][keys.DESIRED_REPLICAS] == "4"
    assert new["metadata"]["annotations"][keys.MAX_REPLICAS] == "5"
    deployment = harness.deployment()
    assert revision_of(deployment) == "2"
    status = deployment["status"]
    assert (
        status["observedGeneration"],
        status["replicas"],
        status["updatedReplicas"],
        status["availableReplicas"],
    ) == (
        2,
        4,
        4,
        4,
    )
    assert "unavailableReplicas" not in status
    progressing = get_condition(status, keys.PROGRESSING)
    available = get_condition(status, keys.AVAILABLE)
    assert progressing is not None
    assert available is not None
    assert (progressing["reason"], progressing["message"]) == (
        keys.NEW_RS_AVAILABLE,
        f'ReplicaSet "{new["metadata"]["name"]}" has successfully progressed.',
    )
    assert (available["status"], available["reason"]) == ("True", keys.MINIMUM_REPLICAS_AVAILABLE)
    messages = [e[2] for e in harness.events.recorded]
    assert f"Scaled down replica set {old['metadata']['name']} from 4 to 3" in messages

    # kubectl rollout undo: the template goes back; the old ReplicaSet becomes revision 3 with history "1"
    undone = copy.deepcopy(harness.deployment())
    undone["spec"]["template"] = copy.deepcopy(first["spec"]["template"])
    del undone["spec"]["template"]["metadata"]["labels"][H]
    undone["metadata"]["generation"] = 3
    harness.add(undone)
    await roll(harness, fences=True)
    back = next(r for r in harness.replicasets() if r["metadata"]["uid"] == first["metadata"]["uid"])
    assert revision_of(back) == "3"
    assert back["metadata"]["annotations"][keys.REVISION_HISTORY] == "1"
    assert back["spec"]["replicas"] == 4
    assert revision_of(harness.deployment()) == "3"


async def test_recreate_scales_old_down_before_the_new_one_up() -> None:
    harness = Harness(mirror=True)
    harness.add(new_deployment("foo", 3, strategy={"type": "Recreate"}))
    await roll(harness)
    changed = copy.deepcopy(harness.deployment())
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "foo/v2"
    changed["metadata"]["generation"] = 2
    harness.add(changed)
    await harness.sync()
    (old,) = harness.replicasets()
    assert old["spec"]["replicas"] == 0  # scaled down, the new one not created yet
    await harness.sync()
    assert len(harness.replicasets()) == 1  # the old ReplicaSet still reports its pods
    harness.mark_available()
    await roll(harness)
    old, new = harness.replicasets()
    assert (old["spec"]["replicas"], new["spec"]["replicas"], revision_of(new)) == (0, 3, "2")


async def test_revision_history_limit_deletes_the_oldest_empty_replica_sets() -> None:
    harness = Harness(mirror=True)
    harness.add(new_deployment("foo", 1, revision_history_limit=1, max_surge=1))
    await roll(harness)
    for generation, image in enumerate(("foo/v2", "foo/v3"), start=2):
        changed = copy.deepcopy(harness.deployment())
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = image
        changed["metadata"]["generation"] = generation
        harness.add(changed)
        harness.clock._now += 60  # later creation times
        await roll(harness)
    assert [revision_of(r) for r in harness.replicasets()] == ["2", "3"]
    assert [a.name for a in harness.api.of("delete")] == [
        next(a.obj["metadata"]["name"] for a in harness.api.of("create") if revision_of(a.obj) == "1")
    ]


async def test_a_stuck_rollout_times_out_after_its_deadline() -> None:
    """progressDeadlineSeconds: requeued for the deadline, then ProgressDeadlineExceeded."""
    harness = Harness(mirror=True)
    harness.add(new_deployment("foo", 2, max_surge=1, progressDeadlineSeconds=30))
    results = [await harness.sync() for _ in range(3)]  # no pod ever becomes available
    assert results[-1].after == 31.0
    await harness.clock.advance(31)
    await harness.sync()
    condition = get_condition(harness.deployment()["status"], keys.PROGRESSING)
    assert condition is not None
    assert (condition["status"], condition["reason"]) == ("False", keys.TIMED_OUT)
    assert condition["message"].endswith("has timed out progressing.")
    assert (await harness.sync()).after is None


async def test_status_is_written_only_when_it_changes() -> None:
    harness = Harness(mirror=True)
    harness.add(new_deployment("foo", 2))
    await roll(harness)
    harness.api.actions.clear()
    assert (await harness.sync()).error is None
    assert harness.api.actions == []


def test_replica_set_events_enqueue_their_deployment() -> None:
    harness = Harness()
    deployment = new_deployment("foo", 1)
    harness.add(deployment)
    owned = rs("foo-1", 1, owner=deployment)
    handlers = harness.controller.handlers
    handlers.on_replicaset_add(owned)
    assert len(harness.controller.queue) == 1
    orphan: Obj = rs("orphan", 1)
    handlers.on_replicaset_add(orphan)  # the matching Deployment may adopt it
    changed = copy.deepcopy(orphan)
    changed["metadata"]["resourceVersion"] = "2"
    changed["metadata"]["labels"] = {"foo": "other"}
    handlers.on_replicaset_update(orphan, changed)
    assert len(harness.controller.queue) == 1  # de-duplicated: the same key
