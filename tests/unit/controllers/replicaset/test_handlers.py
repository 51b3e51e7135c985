"""What informer events enqueue, and the cache lookups behind them: upstream ``TestPodControllerLookup``,
``TestGetReplicaSetsWithSameController``, ``TestRelatedPodsLookup``, ``TestUpdatePods``,
``TestDeletionTimestamp``, ``TestOverlappingRSs``, ``TestDeleteFinalStateUnknown``,
``TestWatchPods`` and the expectations part of ``TestExpectationsOnRecreate``."""

from __future__ import annotations

import copy

import pytest

from everynode.controllers.replicaset.caches import Caches
from everynode.controllers.replicaset.handlers import EventHandlers
from everynode.core.clock import FakeClock
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.runtime.expectations import UIDTrackingExpectations, pod_key
from tests import builders
from tests.unit.controllers.replicaset.harness import START, key_of, new_pod, new_replicaset, ref_to

LABELS_1 = {"foo": "bar"}
LABELS_2 = {"bar": "foo"}


class Recorder:
    def __init__(self) -> None:
        self.caches = Caches()
        self.expectations = UIDTrackingExpectations(FakeClock(START))
        self.keys: list[str] = []
        self.later: list[tuple[str, float]] = []
        self.handlers = EventHandlers(
            self.caches.owners,
            self.keys.append,
            self.expectations,
            lambda key, delay: self.later.append((key, delay)),
        )

    def add(self, *objects: Obj) -> None:
        for obj in objects:
            (self.caches.replicasets if obj["kind"] == "ReplicaSet" else self.caches.pods).upsert(obj)

    def names(self) -> set[str]:
        return {key.rsplit("/", 1)[-1] for key in self.keys}


def bare_replicaset(name: str, namespace: str | None, selector: dict[str, str] | None) -> Obj:
    rs = builders.replicaset(name, namespace=namespace, uid=f"uid-{name}", match_labels=selector or {})
    if selector is None:
        del rs["spec"]["selector"]
    return rs


@pytest.mark.parametrize(
    ("replicaset", "pod", "found"),
    [
        pytest.param(
            bare_replicaset("basic", None, None), builders.pod("foo1"), None, id="no labels: no match"
        ),
        pytest.param(
            bare_replicaset("foo", None, LABELS_1),
            builders.pod("foo2", namespace="ns", labels=LABELS_1),
            None,
            id="matching labels, not namespace",
        ),
        pytest.param(
            bare_replicaset("bar", "ns", LABELS_1),
            builders.pod("foo3", namespace="ns", labels=LABELS_1),
            "bar",
            id="matching namespace and labels",
        ),
    ],
)
def test_pod_controller_lookup(replicaset: Obj, pod: Obj, found: str | None) -> None:
    """``TestPodControllerLookup``: an orphan's ReplicaSets are those of its namespace that select it."""
    r = Recorder()
    r.add(replicaset)
    matches = [rs["metadata"]["name"] for rs in r.caches.owners.adopters(pod)]
    assert matches == ([] if found is None else [found])


def test_an_empty_selector_adopts_nothing() -> None:
    r = Recorder()
    r.add(bare_replicaset("everything", "ns", {}))
    assert r.caches.owners.adopters(builders.pod("p", namespace="ns", labels=LABELS_1)) == []


def family() -> tuple[Obj, Obj, Obj, Obj]:
    some = new_replicaset(1, {"foo": "bar"}, name="rs1")
    related = new_replicaset(1, {"foo": "baz"}, name="rs2")
    unrelated = new_replicaset(1, {"foo": "quux"}, name="rs3", owner_uid="456")
    deleting = new_replicaset(1, {"foo": "xyzzy"}, name="rs4", owner_uid="789")
    deleting["metadata"]["deletionTimestamp"] = format_time(START)
    return some, related, unrelated, deleting


def test_replicasets_with_the_same_controller() -> None:
    """``TestGetReplicaSetsWithSameController``."""
    some, related, unrelated, deleting = family()
    r = Recorder()
    r.add(some, related, unrelated, deleting)

    def names(rs: Obj) -> list[str]:
        return sorted(found["metadata"]["name"] for found in r.caches.with_same_controller(rs))

    assert names(deleting) == ["rs4"]
    assert names(some) == ["rs1", "rs2"]
    assert r.caches.with_same_controller(new_replicaset(1, {"a": "b"}, owner_uid=None)) == []


def test_related_pods() -> None:
    """``TestRelatedPodsLookup``: the pods of every ReplicaSet sharing the controller, not others'."""
    some, related, unrelated, deleting = family()
    r = Recorder()
    r.add(some, related, unrelated, deleting)
    pods = [
        new_pod("pod1", some, "Running"),
        new_pod("pod2", some, "Running"),
        new_pod("pod3", related, "Running"),
        new_pod("pod4", unrelated, "Running"),
        new_pod("pod", deleting, "Running"),
    ]
    r.add(*pods)

    def names(rs: Obj) -> list[str]:
        return sorted(pod["metadata"]["name"] for pod in r.caches.related_pods(rs))

    assert names(deleting) == ["pod"]
    assert names(some) == ["pod1", "pod2", "pod3"]
    assert names(new_replicaset(1, LABELS_1, owner_uid=None)) == []


def test_update_pods_enqueues_old_and_new_controllers_and_matching_orphan_owners() -> None:
    """``TestUpdatePods``, its four cases."""
    rs1 = new_replicaset(1, LABELS_1)
    rs2 = copy.deepcopy(rs1)
    rs2["metadata"]["name"] = "barfoo"
    rs2["spec"]["selector"] = {"matchLabels": LABELS_2}
    r = Recorder()
    r.add(rs1, rs2)
    ref1, ref2 = ref_to(rs1), ref_to(rs2)

    def update(
        labels_1: dict[str, str], refs_1: list[Obj], labels_2: dict[str, str], refs_2: list[Obj]
    ) -> set[str]:
        r.keys.clear()
        old = new_pod("pod0", rs1, "Running", labels=labels_1, resource_version="1")
        old["metadata"]["ownerReferences"] = refs_1
        new = copy.deepcopy(old)
        new["metadata"]["labels"] = labels_2
        new["metadata"]["ownerReferences"] = refs_2
        new["metadata"]["resourceVersion"] = "2"
        r.handlers.on_pod_update(old, new)
        return r.names()

    # 1: a pod with a controller reference changes labels: its controller only
    assert update(LABELS_1, [ref1], LABELS_2, [ref1]) == {"foobar"}
    # 2: the reference goes (orphaned): the ReplicaSets matching its labels
    assert update(LABELS_2, [ref2], LABELS_2, []) == {"barfoo"}
    # 3: orphaned by one, matching another: both
    assert update(LABELS_2, [ref1], LABELS_2, []) == {"foobar", "barfoo"}
    # 4: keeps its reference, changes labels: the owner
    assert update(LABELS_1, [ref2], LABELS_2, [ref2]) == {"barfoo"}


def test_a_resync_enqueues_nothing() -> None:
    rs = new_replicaset(1, LABELS_1)
    r = Recorder()
    r.add(rs)
    pod = new_pod("pod", rs, "Running")
    r.handlers.on_pod_update(pod, copy.deepcopy(pod))
    assert r.keys == []


def test_deletion_timestamp_counts_a_deletion_once() -> None:
    """``TestDeletionTimestamp``: a pod added already being deleted, or updated to being deleted, is an
    observed deletion — once; a later delete event for it does not count again."""
    rs = new_replicaset(1, LABELS_1)
    r = Recorder()
    r.add(rs)
    key = key_of(rs)
    pod = new_pod("pod0", rs, "Pending", resource_version="1")
    pod["metadata"]["deletionTimestamp"] = format_time(START)

    r.expectations.expect_deletions(key, [pod_key(pod)])
    r.handlers.on_pod_add(pod)
    assert r.keys == [key]
    assert r.expectations.satisfied(key)

    r.keys.clear()
    old = new_pod("pod0", rs, "Pending", resource_version="2")
    r.expectations.expect_deletions(key, [pod_key(pod)])
    r.handlers.on_pod_update(old, pod)
    assert r.keys == [key]
    assert r.expectations.satisfied(key)

    second = builders.pod("secondPod", namespace="default", labels=LABELS_1, owners=[ref_to(rs)])
    r.expectations.expect_deletions(key, [pod_key(second)])
    old["metadata"]["deletionTimestamp"] = format_time(START)
    r.handlers.on_pod_update(old, pod)  # the deletion timestamp changes again: not a second delete
    assert not r.expectations.satisfied(key)
    r.handlers.on_pod_delete(pod)  # already counted
    assert not r.expectations.satisfied(key)

    r.keys.clear()
    r.handlers.on_pod_delete(second)
    assert r.keys == [key]
    assert r.expectations.satisfied(key)


def test_a_pod_adds_only_its_own_controller_among_overlapping_replicasets() -> None:
    """``TestOverlappingRSs``: nine ReplicaSets select the pod; its controller reference decides."""
    r = Recorder()
    replicasets = []
    for j in range(1, 10):
        rs = new_replicaset(1, LABELS_1, name=f"rs{j}")
        replicasets.append(rs)
        r.add(rs)
    owner = replicasets[3]
    r.expectations.expect_creations(key_of(owner), 1)
    r.handlers.on_pod_add(new_pod("pod", owner, "Pending"))
    assert r.keys == [key_of(owner)]
    assert r.expectations.satisfied(key_of(owner))


def test_an_orphan_added_enqueues_matching_replicasets_without_observing() -> None:
    rs = new_replicaset(1, LABELS_1)
    r = Recorder()
    r.add(rs)
    r.expectations.expect_creations(key_of(rs), 1)
    r.handlers.on_pod_add(new_pod("orphan", rs, "Running", owned=False))
    assert r.keys == [key_of(rs)]
    assert not r.expectations.satisfied(key_of(rs))  # nobody waits for an orphan


def test_a_deleted_pod_enqueues_its_controller() -> None:
    """``TestDeleteFinalStateUnknown`` (a delete seen late, from a relist, still reaches the owner)."""
    rs = new_replicaset(1, LABELS_1)
    r = Recorder()
    r.add(rs)
    r.handlers.on_pod_delete(new_pod("pod0", rs, "Running"))
    assert r.keys == [key_of(rs)]
    r.keys.clear()
    r.handlers.on_pod_delete(new_pod("orphan", rs, "Running", owned=False))
    assert r.keys == []


def test_a_failed_pod_enqueues_its_controller() -> None:
    """``TestWatchPods``: a pod turning Failed wakes its ReplicaSet."""
    rs = new_replicaset(1, LABELS_1)
    r = Recorder()
    r.add(rs)
    old = new_pod("pod0", rs, "Running", resource_version="1")
    failed = copy.deepcopy(old)
    failed["status"]["phase"] = "Failed"
    failed["metadata"]["resourceVersion"] = "2"
    r.handlers.on_pod_update(old, failed)
    assert r.keys == [key_of(rs)]


def test_a_pod_becoming_ready_rechecks_after_min_ready_seconds() -> None:
    rs = new_replicaset(1, LABELS_1, minReadySeconds=7)
    r = Recorder()
    r.add(rs)
    old = new_pod("pod0", rs, "Pending", resource_version="1")
    ready = new_pod("pod0", rs, "Running", resource_version="2", ready_since=START)
    r.handlers.on_pod_update(old, ready)
    assert r.later == [(key_of(rs), 8.0)]


def test_a_recreated_replicaset_starts_with_clean_expectations() -> None:
    """``TestExpectationsOnRecreate``: deleting a ReplicaSet, or replacing it under the same name,
    drops its expectations and enqueues the key."""
    old = new_replicaset(1, LABELS_1)
    r = Recorder()
    r.add(old)
    key = key_of(old)
    r.expectations.expect_creations(key, 1)
    r.handlers.on_replicaset_delete(old)
    assert key not in r.expectations
    assert r.keys == [key]

    r.keys.clear()
    r.expectations.expect_creations(key, 1)
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "a-new-uid"
    r.handlers.on_replicaset_update(old, new)
    assert key not in r.expectations
    assert r.keys == [key, key]


def test_owner_references_of_other_kinds_or_uids_are_not_resolved() -> None:
    rs = new_replicaset(1, LABELS_1)
    r = Recorder()
    r.add(rs)
    assert r.caches.owners.resolve("default", ref_to(rs)) is rs
    assert r.caches.owners.resolve("default", {**ref_to(rs), "kind": "DaemonSet"}) is None
    assert r.caches.owners.resolve("default", {**ref_to(rs), "uid": "another"}) is None
    assert r.caches.owners.resolve("other", ref_to(rs)) is None
