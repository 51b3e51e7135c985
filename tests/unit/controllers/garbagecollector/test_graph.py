"""The ownership graph: what each informer event links, unlinks and queues."""

from __future__ import annotations

from typing import Any

from everynode.controllers.garbagecollector.graph import AbsentOwners, Graph, owner_diff
from everynode.controllers.garbagecollector.refs import Identity, OwnerRef
from everynode.core import resources as r
from everynode.core.types import Obj
from tests import builders

T = "2024-01-01T00:00:00Z"


class Recorder:
    def __init__(self) -> None:
        self.deletes: list[str] = []
        self.orphans: list[str] = []
        self.requeues: list[str] = []
        self.graph = Graph(self.deletes.append, self.orphans.append, requeue_delete=self.requeues.append)

    def clear(self) -> None:
        self.deletes.clear()
        self.orphans.clear()
        self.requeues.clear()


def ds(name: str = "ds", uid: str = "u-ds", **meta: Any) -> Obj:
    return builders.daemonset(name, namespace="ns", uid=uid, resource_version="1", metadata=meta)


def ref(name: str = "ds", uid: str = "u-ds", *, kind: str = "DaemonSet", block: bool = True) -> Obj:
    api_version = "v1" if kind in ("Pod", "Node") else "apps/v1"
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "blockOwnerDeletion": block}


def pod(name: str, uid: str, owners: list[Obj], namespace: str = "ns", **meta: Any) -> Obj:
    return builders.pod(name, namespace=namespace, uid=uid, owners=owners, metadata=meta)


def test_a_dependent_seen_before_its_owner_makes_a_virtual_owner_and_queues_it() -> None:
    rec = Recorder()
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref()]))
    owner = rec.graph.get("u-ds")
    assert owner is not None
    assert not owner.observed
    assert owner.identity == Identity("apps/v1", "DaemonSet", "ns", "ds", "u-ds")
    assert owner.dependents == {"u-p1"}
    assert rec.deletes == ["u-ds"]
    # a second dependent joins the same virtual node without queueing it again
    rec.clear()
    rec.graph.observe(r.PODS, pod("p2", "u-p2", [ref()]))
    assert owner.dependents == {"u-p1", "u-p2"}
    assert rec.deletes == []
    # then the owner is observed: the node becomes real, nothing is queued
    rec.graph.observe(r.DAEMONSETS, ds())
    assert owner.observed
    assert rec.deletes == []


def test_a_cluster_scoped_owner_is_not_placed_in_the_dependents_namespace() -> None:
    rec = Recorder()
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref("n1", "u-n1", kind="Node")]))
    node = rec.graph.get("u-n1")
    assert node is not None
    assert node.identity.namespace == ""


def test_deleting_an_owner_queues_its_dependents_and_remembers_it_absent() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref()]))
    rec.graph.observe(r.PODS, pod("p2", "u-p2", [ref()]))
    rec.clear()
    rec.graph.observe_delete(r.DAEMONSETS, ds())
    assert rec.graph.get("u-ds") is None
    assert sorted(rec.deletes) == ["u-p1", "u-p2"]
    assert Identity("apps/v1", "DaemonSet", "ns", "ds", "u-ds") in rec.graph.absent
    assert Identity("apps/v1", "DaemonSet", "ns", "ds", "u-other") not in rec.graph.absent


def test_a_dependent_going_away_unlinks_it_and_wakes_an_owner_deleting_dependents() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref()]))
    rec.graph.observe(r.DAEMONSETS, ds(deletionTimestamp=T, finalizers=["foregroundDeletion"]), ds())
    rec.clear()
    rec.graph.observe_delete(r.PODS, pod("p1", "u-p1", [ref()]))
    owner = rec.graph.get("u-ds")
    assert owner is not None
    assert owner.dependents == set()
    assert rec.deletes == ["u-ds"]


def test_foreground_deletion_marks_the_owner_and_queues_it_with_its_dependents() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref()]))
    rec.graph.observe(r.CONTROLLER_REVISIONS, pod("rev", "u-rev", [ref()]))
    rec.clear()
    rec.graph.observe(r.DAEMONSETS, ds(deletionTimestamp=T, finalizers=["foregroundDeletion"]), ds())
    owner = rec.graph.get("u-ds")
    assert owner is not None
    assert owner.deleting_dependents
    assert owner.being_deleted
    assert rec.deletes == ["u-p1", "u-rev", "u-ds"]
    # a later update (status, labels…) does not start it again
    rec.clear()
    again = ds(deletionTimestamp=T, finalizers=["foregroundDeletion"], labels={"a": "b"})
    rec.graph.observe(r.DAEMONSETS, again, ds(deletionTimestamp=T, finalizers=["foregroundDeletion"]))
    assert rec.deletes == []


def test_an_object_first_seen_in_foreground_deletion_starts_it() -> None:
    """After a restart, the informer's first list shows owners already being deleted."""
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds(deletionTimestamp=T, finalizers=["foregroundDeletion"]))
    owner = rec.graph.get("u-ds")
    assert owner is not None
    assert owner.deleting_dependents
    assert rec.deletes == ["u-ds"]


def test_orphan_deletion_queues_the_owner_for_orphaning() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref()]))
    rec.clear()
    rec.graph.observe(r.DAEMONSETS, ds(deletionTimestamp=T, finalizers=["orphan"]), ds())
    assert rec.orphans == ["u-ds"]
    assert rec.deletes == []
    owner = rec.graph.get("u-ds")
    assert owner is not None
    assert not owner.deleting_dependents


def test_removing_or_unblocking_a_blocking_reference_queues_the_owner() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.graph.observe(r.DAEMONSETS, ds("other", "u-other"))
    before = pod("p1", "u-p1", [ref(), ref("other", "u-other")])
    rec.graph.observe(r.PODS, before)
    rec.clear()
    after = pod("p1", "u-p1", [ref(block=False)])
    rec.graph.observe(r.PODS, after, before)
    assert sorted(rec.deletes) == ["u-ds", "u-other"]
    other = rec.graph.get("u-other")
    owner = rec.graph.get("u-ds")
    assert other is not None
    assert owner is not None
    assert other.dependents == set()
    assert owner.dependents == {"u-p1"}
    assert rec.graph.blocking_dependents("u-ds") == []
    # a non-blocking reference that goes away wakes nobody
    rec.clear()
    rec.graph.observe(r.PODS, pod("p1", "u-p1", []), after)
    assert rec.deletes == []
    assert owner.dependents == set()


def test_blocking_dependents_are_those_whose_reference_blocks() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref()]))
    rec.graph.observe(r.PODS, pod("p2", "u-p2", [ref(block=False)]))
    assert [n.uid for n in rec.graph.blocking_dependents("u-ds")] == ["u-p1"]
    assert [n.uid for n in rec.graph.dependents("u-ds")] == ["u-p1", "u-p2"]


def test_a_reference_to_a_known_owner_with_other_coordinates_is_checked() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.clear()
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref("not-its-name")]))
    assert rec.deletes == ["u-p1"]
    rec.clear()
    rec.graph.observe(r.PODS, pod("p2", "u-p2", [ref()], namespace="elsewhere"))
    assert rec.deletes == ["u-p2"]


def test_a_virtual_delete_removes_the_virtual_node_and_queues_its_dependents() -> None:
    rec = Recorder()
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref()]))
    rec.clear()
    rec.graph.virtual_delete(Identity("apps/v1", "DaemonSet", "ns", "ds", "u-ds"))
    assert rec.graph.get("u-ds") is None
    assert rec.deletes == ["u-p1"]


def test_a_virtual_delete_with_disagreeing_dependents_tries_the_other_identity() -> None:
    rec = Recorder()
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref("first")]))
    rec.graph.observe(r.PODS, pod("p2", "u-p2", [ref("second")]))
    rec.clear()
    absent = Identity("apps/v1", "DaemonSet", "ns", "first", "u-ds")
    rec.graph.virtual_delete(absent)
    node = rec.graph.get("u-ds")
    assert node is not None, "the node stays: some dependents name another object"
    assert node.identity.name == "second"
    assert rec.deletes == ["u-p1"]
    assert rec.requeues == ["u-ds"]
    assert absent in rec.graph.absent


def test_a_virtual_delete_does_not_remove_an_observed_node_of_other_coordinates() -> None:
    rec = Recorder()
    rec.graph.observe(r.DAEMONSETS, ds())
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref("stale-name")]))
    rec.clear()
    rec.graph.virtual_delete(Identity("apps/v1", "DaemonSet", "ns", "stale-name", "u-ds"))
    assert rec.graph.get("u-ds") is not None
    assert rec.deletes == ["u-p1"]


def test_a_virtual_node_observed_under_other_coordinates_requeues_mismatched_dependents() -> None:
    rec = Recorder()
    rec.graph.observe(r.PODS, pod("p1", "u-p1", [ref("wrong")]))
    rec.graph.observe(r.PODS, pod("p2", "u-p2", [ref()]))
    rec.clear()
    rec.graph.observe(r.DAEMONSETS, ds())
    assert rec.deletes == ["u-p1"]
    node = rec.graph.get("u-ds")
    assert node is not None
    assert node.identity.name == "ds"


def test_the_absent_owner_cache_forgets_the_least_recently_used() -> None:
    cache = AbsentOwners(size=2)
    a, b, c = (Identity("v1", "Pod", "ns", name, f"u-{name}") for name in "abc")
    cache.add(a)
    cache.add(b)
    assert a in cache  # a is now the most recently used
    cache.add(c)
    assert a in cache
    assert b not in cache
    assert c in cache
    assert len(cache) == 2


def test_owner_diff() -> None:
    one = OwnerRef("apps/v1", "DaemonSet", "a", "u-a", block_owner_deletion=True)
    two = OwnerRef("apps/v1", "DaemonSet", "b", "u-b")
    one_unblocked = OwnerRef("apps/v1", "DaemonSet", "a", "u-a")
    three = OwnerRef("v1", "Node", "n", "u-n")
    added, removed, changed = owner_diff([one, two], [one_unblocked, three])
    assert added == [three]
    assert removed == [two]
    assert changed == [(one, one_unblocked)]
