"""Whole syncs of the ReplicaSet controller on the unit harness, mapped to upstream's
``replica_set_test.go`` cases (each test names its upstream case), plus the pod template, events,
scale-down order and the ReplicaFailure condition's lifecycle."""

from __future__ import annotations

import copy

import pytest

from everynode.controllers.replicaset.manage import BURST_REPLICAS
from everynode.controllers.replicaset.status import AVAILABILITY_SLACK, REPLICA_FAILURE
from everynode.core import errors
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.core.wellknown import ANNOTATION_POD_DELETION_COST
from everynode.runtime.claims import ClaimError
from tests.unit.controllers.replicaset.harness import (
    START,
    Harness,
    key_of,
    new_pod,
    new_replicaset,
    ref_to,
    uid,
)

LABELS = {"foo": "bar"}


def fake_error() -> errors.ApiError:
    return errors.InternalError("fake Error")


def with_status(h: Harness, rs: Obj, **status: int) -> Obj:
    """The cached ReplicaSet with its status replaced (upstream's tests edit the cached pointer)."""
    changed = copy.deepcopy(h.replicaset(rs))
    changed["status"] = dict(status)
    h.add(changed)
    return changed


async def test_sync_does_nothing_when_the_count_is_right() -> None:
    """``TestSyncReplicaSetDoesNothing``: 2 running pods, 2 replicas: no create, delete or patch."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    h.add_pods(rs, 2, "Running")
    result = await h.expect_sync(rs, 0, 0)
    assert result.error is None


async def test_create_failures_stop_the_slow_start() -> None:
    """``TestSyncReplicaSetCreateFailures``: 100 wanted, a quota-like limit of 10: 10 creates and at
    most 1 + 2 + 4 + 8 calls; the failure is the sync's error and the ReplicaFailure condition."""
    h = Harness()
    h.api.create_limit = 10
    rs = new_replicaset(100, LABELS)
    h.add(rs)
    result = await h.expect_sync(rs, 10, 0)
    assert h.api.create_calls <= 15
    assert isinstance(result.error, errors.Forbidden)
    assert h.events.reasons().count("SuccessfulCreate") == 10
    assert h.events.reasons().count("FailedCreate") == h.api.create_calls - 10
    (condition,) = h.api.status_updates[-1]["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        REPLICA_FAILURE,
        "True",
        "FailedCreate",
    )
    assert "limit 10 already reached" in condition["message"]
    # the creates that were never made (or failed) are not awaited: only the 10 made ones are
    assert h.expectations.pending(key_of(rs)) == (10, 0)


async def test_dormancy_while_expectations_are_pending() -> None:
    """``TestSyncReplicaSetDormancy``: one create sets expectations; while they are pending the sync
    writes only status; a failed create lowers its own expectation, so the next sync retries; and the
    status is PUT only when it changed (twice in all)."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    h.add_pods(rs, 1, "Running")
    rs = with_status(h, rs, replicas=1, readyReplicas=1, availableReplicas=1)
    await h.expect_sync(rs, 1, 0)

    rs = with_status(h, rs, replicas=0, readyReplicas=0, availableReplicas=0)
    await h.expect_sync(rs, 0, 0)  # expectations prevent replicas, not a status update

    h.expectations.creation_observed(key_of(rs))  # the pod is seen: the sync may create again
    rs = with_status(h, rs, replicas=1, readyReplicas=1, availableReplicas=1)
    h.api.error = errors.InternalError("fake Error")
    result = await h.expect_sync(rs, 1, 0)
    assert result.error is not None

    h.api.error = None  # no lowering needed: the failed create was not awaited
    result = await h.expect_sync(rs, 1, 0)
    assert result.error is None
    assert len(h.api.status_updates) == 2


async def test_deleting_the_replicaset_drops_its_expectations() -> None:
    """``TestDeleteControllerAndExpectations``: a deleted ReplicaSet's expectations are gone and a
    late pod event changes nothing."""
    h = Harness(burst=10)
    rs = new_replicaset(1, LABELS)
    h.add(rs)
    await h.expect_sync(rs, 1, 0)
    key = key_of(rs)
    assert key in h.expectations
    h.caches.replicasets.remove(rs)
    h.controller.handlers.on_replicaset_delete(rs)
    await h.sync(rs)
    assert key not in h.expectations
    h.expectations.creation_observed(key)  # no effect: nothing is recorded for it
    assert key not in h.expectations
    await h.expect_sync(rs, 0, 0)


@pytest.mark.parametrize(("burst", "replicas"), [(5, 30), (5, 12), (3, 2)])
async def test_burst_replicas(burst: int, replicas: int) -> None:
    """``TestControllerBurstReplicas``: scale up then down to 0, ``burst`` pods per sync; the
    ReplicaSet sleeps until every pod of a burst is observed (added, or its deletion seen once)."""
    h = Harness(burst=burst)
    rs = new_replicaset(replicas, LABELS)
    h.add(rs)
    key = key_of(rs)
    handlers = h.controller.handlers
    spares = [new_pod(f"pod{i}", rs, "Pending") for i in range(replicas)]
    for target in (replicas, 0):
        rs = copy.deepcopy(h.replicaset(rs))
        rs["spec"]["replicas"] = target
        h.add(rs)
        for _ in range(0, replicas, burst):
            h.clear()
            await h.sync(rs)
            active = len(h.caches.pods)
            if target:
                expected = min(target - active, burst)
                assert (len(h.api.created), len(h.api.deleted)) == (expected, 0)
                for pod in spares[: expected - 1]:  # all but one of the burst are observed
                    h.add(pod)
                    handlers.on_pod_add(pod)
                assert h.expectations.pending(key) == (1, 0)
            else:
                expected = min(active - target, burst)
                assert (len(h.api.created), len(h.api.deleted)) == (0, expected)
                awaited = sorted(h.expectations.awaited_deletions(key))
                for pod_key in awaited[1:]:  # all but one deletion observed
                    victim = h.caches.pods.get(pod_key)
                    assert victim is not None
                    h.caches.pods.remove(victim)
                    handlers.on_pod_delete(victim)
                    handlers.on_pod_delete(victim)  # seen twice (update, then delete): counted once
                assert h.expectations.pending(key) == (0, 1)
            await h.expect_sync(rs, 0, 0)  # asleep until the last one is seen
            if target:
                last = spares[expected - 1]
                h.add(last)
                handlers.on_pod_add(last)
            else:
                (last_key,) = h.expectations.awaited_deletions(key)
                victim = h.caches.pods.get(last_key)
                assert victim is not None
                h.caches.pods.remove(victim)
                handlers.on_pod_delete(victim)
            spares = spares[expected:]
        assert len(h.caches.pods) == target
        spares = [new_pod(f"pod{i}", rs, "Running") for i in range(replicas)]


async def test_expectations_are_read_before_the_pods() -> None:
    """``TestRSSyncExpectations``: a pod that arrives between the expectations check and the pod
    listing must not make the sync create a replacement for it."""
    h = Harness(burst=2)
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    first, late = (new_pod(f"pod{i}", rs, "Pending") for i in range(2))
    h.add(first)
    original = h.controller.expectations.satisfied

    def satisfied_then_pod_arrives(key: str) -> bool:
        h.add(late)
        return original(key)

    h.controller.expectations.satisfied = satisfied_then_pod_arrives  # type: ignore[method-assign]
    await h.expect_sync(rs, 0, 0)


async def test_pods_of_other_controllers_are_not_patched() -> None:
    """``TestDoNotPatchPodWithOtherControlRef``: a matching pod controlled by another owner is left
    alone, so both replicas are created."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    pod = new_pod("pod", rs, "Running")
    pod["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "AnotherRS", "uid": uid(), "controller": True}
    ]
    h.add(pod)
    result = await h.expect_sync(rs, 2, 0, 0)
    assert result.error is None


async def test_failed_adoptions_fail_the_sync() -> None:
    """``TestPatchPodFails``: both orphans are tried, both patches fail; the sync fails (and is retried)
    without creating anything."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    h.add(new_pod("pod1", rs, "Running", owned=False), new_pod("pod2", rs, "Running", owned=False))
    h.api.error = fake_error()
    result = await h.expect_sync(rs, 0, 0, 2)
    assert isinstance(result.error, ClaimError)
    assert "fake Error" in str(result.error)
    assert not h.api.status_updates


async def test_no_adoption_or_creation_while_being_deleted() -> None:
    """``TestDoNotAdoptOrCreateIfBeingDeleted``: a ReplicaSet being deleted neither adopts nor creates."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    rs["metadata"]["deletionTimestamp"] = format_time(START)
    h.add(rs)
    h.add(new_pod("pod1", rs, "Running", owned=False))
    result = await h.expect_sync(rs, 0, 0, 0)
    assert result.error is None


async def test_no_adoption_when_the_server_says_it_is_being_deleted() -> None:
    """``TestDoNotAdoptOrCreateIfBeingDeletedRace``: the cache says alive, the uncached read says
    deleted: the sync fails without patching or creating."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    h.api.get_answer = dict(rs, metadata={**rs["metadata"], "deletionTimestamp": format_time(START)})
    h.add(new_pod("pod1", rs, "Running", owned=False))
    result = await h.expect_sync(rs, 0, 0, 0)
    assert result.error is not None
    assert "has just been deleted" in str(result.error)


async def test_no_adoption_when_the_server_has_another_replicaset_of_that_name() -> None:
    """``RecheckDeletionTimestamp``'s uid check: a recreated ReplicaSet does not adopt for the old one."""
    h = Harness()
    rs = new_replicaset(1, LABELS)
    h.add(rs)
    h.api.get_answer = dict(rs, metadata={**rs["metadata"], "uid": "someone-else"})
    h.add(new_pod("pod1", rs, "Running", owned=False))
    result = await h.expect_sync(rs, 0, 0, 0)
    assert "is gone: got uid someone-else" in str(result.error)


async def test_status_update_is_retried_once_after_a_fresh_read() -> None:
    """``TestControllerUpdateStatusWithFailure``: two failed PUTs, one GET between them, and both PUTs
    carry the new counters (not the fetched ones)."""
    h = Harness()
    rs = new_replicaset(1, LABELS)
    h.add(rs)
    h.api.status_errors = [fake_error(), fake_error()]
    status = {"replicas": 10, "fullyLabeledReplicas": 0, "readyReplicas": 0, "availableReplicas": 0}
    with pytest.raises(errors.InternalError):
        await h.controller.update_status(rs, status)
    assert h.api.gets == 1
    assert [update["status"]["replicas"] for update in h.api.status_updates] == [10, 10]


async def test_a_failed_status_update_fails_the_sync() -> None:
    """``TestControllerUpdateRequeue``: the status cannot be written: the sync fails (rate-limited retry)."""
    h = Harness()
    rs = new_replicaset(1, LABELS, status={"replicas": 2})
    h.add(rs)
    h.add_pods(rs, 1, "Running")
    h.api.status_errors = [fake_error(), fake_error()]
    result = await h.sync(rs)
    assert isinstance(result.error, errors.InternalError)


async def test_pods_made_from_the_template() -> None:
    """``GetPodFromTemplate``: generateName ``<rs>-``, the template's labels, annotations and spec, one
    controller reference (apps/v1 ReplicaSet, blockOwnerDeletion), no finalizer; SuccessfulCreate."""
    h = Harness()
    rs = new_replicaset(1, LABELS, template_labels={"foo": "bar", "tier": "web"})
    rs["spec"]["template"]["metadata"]["annotations"] = {"note": "hi"}
    h.add(rs)
    await h.expect_sync(rs, 1, 0)
    (pod,) = h.api.created
    meta = pod["metadata"]
    assert meta["generateName"] == "foobar-"
    assert meta["labels"] == {"foo": "bar", "tier": "web"}
    assert meta["annotations"] == {"note": "hi"}
    assert "finalizers" not in meta
    assert "name" not in meta
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "foobar",
            "uid": rs["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert pod["spec"] == rs["spec"]["template"]["spec"]
    assert h.events.recorded == [("Normal", "SuccessfulCreate", "Created pod: foobar-00001")]


async def test_burst_limits_one_sync() -> None:
    """BurstReplicas: at most 500 creates per sync, however many are missing."""
    h = Harness()
    rs = new_replicaset(BURST_REPLICAS + 100, LABELS)
    h.add(rs)
    await h.expect_sync(rs, BURST_REPLICAS, 0)
    assert h.expectations.pending(key_of(rs)) == (BURST_REPLICAS, 0)


async def test_scale_down_deletes_the_least_valuable_pods_and_records_events() -> None:
    """Too many pods: the unassigned, the pending and the not-ready go before the ready ones; each
    delete is awaited by key and recorded as SuccessfulDelete (``TestSyncReplicaSetDeletes``)."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    ready = [new_pod(f"ready{i}", rs, "Running", node="n1", ready_since=START - 60) for i in range(2)]
    pending = new_pod("pending", rs, "Pending", node="n1")
    unassigned = new_pod("unassigned", rs, "Pending")
    h.add(*ready, pending, unassigned)
    result = await h.expect_sync(rs, 0, 2)
    assert result.error is None
    assert sorted(h.api.deleted) == ["pending", "unassigned"]
    assert h.expectations.awaited_deletions(key_of(rs)) == {"default/pending", "default/unassigned"}
    assert sorted(h.events.recorded) == [
        ("Normal", "SuccessfulDelete", "Deleted pod: pending"),
        ("Normal", "SuccessfulDelete", "Deleted pod: unassigned"),
    ]


async def test_pod_deletion_cost_decides_among_equals() -> None:
    h = Harness()
    rs = new_replicaset(1, LABELS)
    h.add(rs)
    cheap, dear = (
        new_pod(name, rs, "Running", node="n1", ready_since=START - 60) for name in ("cheap", "dear")
    )
    cheap["metadata"]["annotations"] = {ANNOTATION_POD_DELETION_COST: "-1"}
    dear["metadata"]["annotations"] = {ANNOTATION_POD_DELETION_COST: "100"}
    h.add(dear, cheap)
    await h.expect_sync(rs, 0, 1)
    assert h.api.deleted == ["cheap"]


async def test_a_failed_delete_sets_failed_delete_and_a_later_success_clears_it() -> None:
    """FailedDelete event and ReplicaFailure/FailedDelete; the expectation of the failed delete is
    dropped at once; the next sync that manages without error removes the condition."""
    h = Harness(mirror=True)
    rs = new_replicaset(1, LABELS)
    h.add(rs)
    h.add_pods(rs, 2, "Running")
    h.api.error = errors.Forbidden("no deletes today")
    result = await h.expect_sync(rs, 0, 1)
    assert str(result.error) == "unable to delete pods: no deletes today"
    assert ("Warning", "FailedDelete", "Error deleting: no deletes today") in h.events.recorded
    assert h.expectations.satisfied(key_of(rs))
    (condition,) = h.replicaset(rs)["status"]["conditions"]
    assert (condition["reason"], condition["message"]) == (
        "FailedDelete",
        "unable to delete pods: no deletes today",
    )

    h.api.error = None
    result = await h.expect_sync(rs, 0, 1)
    assert result.error is None
    status = h.replicaset(rs)["status"]
    assert "conditions" not in status
    assert status["replicas"] == 2  # counted before this sync's delete is observed
    await h.expect_sync(rs, 0, 0)
    assert h.replicaset(rs)["status"]["replicas"] == 1


async def test_a_pod_already_gone_is_not_a_delete_failure() -> None:
    h = Harness()
    rs = new_replicaset(1, LABELS)
    h.add(rs)
    h.add_pods(rs, 2, "Running")
    h.api.error = errors.not_found("pods", "", "pod0")
    result = await h.expect_sync(rs, 0, 1)
    assert result.error is None
    assert "FailedDelete" not in h.events.reasons()
    assert h.expectations.satisfied(key_of(rs))


async def test_creates_in_a_terminating_namespace_are_quiet() -> None:
    """A create refused because the namespace is terminating: no event, no error, and (as upstream)
    the expectation stays until it expires or the ReplicaSet goes."""
    h = Harness()
    rs = new_replicaset(1, LABELS)
    h.add(rs)
    h.api.error = errors.namespace_terminating("default")
    result = await h.expect_sync(rs, 1, 0)
    assert result.error is None
    assert h.events.recorded == []
    assert not h.expectations.satisfied(key_of(rs))


async def test_adopts_matching_orphans_and_releases_pods_that_stopped_matching() -> None:
    """``ClaimPods``: an orphan that matches is adopted (a strategic patch naming the ReplicaSet as
    controller, with the pod's uid as precondition) and counted; an owned pod whose labels no longer
    match is released; a terminal or deleting orphan is not adopted."""
    h = Harness()
    rs = new_replicaset(2, LABELS)
    h.add(rs)
    orphan = new_pod("orphan", rs, "Running", owned=False)
    stray = new_pod("stray", rs, "Running", labels={"foo": "other"})
    kept = new_pod("kept", rs, "Running")
    finished = new_pod("finished", rs, "Succeeded", owned=False)
    h.add(orphan, stray, kept, finished)
    result = await h.expect_sync(rs, 0, 0, 2)
    assert result.error is None
    patches = dict(h.api.patched)
    ref = dict(ref_to(rs), blockOwnerDeletion=True)
    assert patches["orphan"] == {"metadata": {"ownerReferences": [ref], "uid": orphan["metadata"]["uid"]}}
    assert patches["stray"] == {
        "metadata": {
            "ownerReferences": [{"$patch": "delete", "uid": rs["metadata"]["uid"]}],
            "uid": stray["metadata"]["uid"],
        }
    }
    assert h.api.status_updates[-1]["status"]["replicas"] == 2  # kept + orphan


async def test_min_ready_seconds_brings_the_sync_back_when_a_pod_becomes_available() -> None:
    h = Harness()
    rs = new_replicaset(1, LABELS, minReadySeconds=30)
    h.add(rs)
    h.add(new_pod("pod", rs, "Running", ready_since=START - 10))
    result = await h.sync(rs)
    assert result.error is None
    assert result.after == pytest.approx(20 + AVAILABILITY_SLACK)
    status = h.api.status_updates[-1]["status"]
    assert (status["readyReplicas"], status.get("availableReplicas", 0)) == (1, 0)


async def test_observed_generation_and_unchanged_status_are_not_rewritten() -> None:
    h = Harness(mirror=True)
    rs = new_replicaset(1, LABELS, generation=3)
    h.add(rs)
    h.add(new_pod("pod", rs, "Running"))
    await h.sync(rs)
    # fullyLabeledReplicas is 0 (the pod lacks the template's labels) and, like Go's omitempty, left out
    assert h.replicaset(rs)["status"] == {
        "replicas": 1,
        "readyReplicas": 1,
        "availableReplicas": 1,
        "observedGeneration": 3,
    }
    writes = len(h.api.status_updates)
    await h.sync(h.replicaset(rs))
    assert len(h.api.status_updates) == writes


async def test_a_missing_replicaset_forgets_its_expectations() -> None:
    h = Harness()
    h.expectations.expect_creations("default/gone", 3)
    result = await h.controller.reconcile("default/gone")
    assert result.error is None
    assert "default/gone" not in h.expectations
