"""The scheduler cache: bound pods, assumed pods, terminal pods, nodes coming and going."""

from __future__ import annotations

from everynode.scheduler.cache import SchedulerCache
from everynode.scheduler.nodeinfo import Resources
from tests.unit.scheduler.objects import node, pod


def requested(cache: SchedulerCache, name: str) -> Resources:
    info = cache.node_info(name)
    assert info is not None
    return info.requested


def test_bound_pods_count_on_their_node() -> None:
    cache = SchedulerCache()
    cache.set_node(node("a", cpu="4"))
    cache.upsert_pod(pod("x", cpu="1", node_name="a"))
    cache.upsert_pod(pod("y", cpu="500m"))  # unbound: not counted
    assert requested(cache, "a") == Resources(1000, 0)
    assert cache.placed_on("default/x") == "a"
    assert cache.placed_on("default/y") is None


def test_terminal_and_deleted_pods_free_their_room() -> None:
    cache = SchedulerCache()
    cache.set_node(node("a"))
    cache.upsert_pod(pod("x", cpu="1", node_name="a"))
    cache.upsert_pod(pod("y", cpu="1", node_name="a"))
    cache.upsert_pod(pod("x", cpu="1", node_name="a", phase="Succeeded"))
    assert requested(cache, "a") == Resources(1000, 0)
    assert cache.remove_pod(pod("y")) == "a"
    assert requested(cache, "a") == Resources(0, 0)
    assert cache.remove_pod(pod("y")) is None


def test_an_assumed_pod_counts_until_its_binding_is_seen() -> None:
    cache = SchedulerCache()
    cache.set_node(node("a", cpu="2"))
    subject = pod("x", cpu="1500m")
    cache.assume(subject, "a")
    assert cache.is_assumed("default/x")
    assert requested(cache, "a") == Resources(1500, 0)
    # An update of the still-unbound pod (its status, say) does not undo the assumption.
    cache.upsert_pod(pod("x", cpu="1500m"))
    assert requested(cache, "a") == Resources(1500, 0)
    # The informer reports it bound: now a fact.
    cache.upsert_pod(pod("x", cpu="1500m", node_name="a"))
    assert not cache.is_assumed("default/x")
    assert requested(cache, "a") == Resources(1500, 0)
    assert cache.forget("default/x") is None  # not assumed any more: nothing to forget


def test_forgetting_an_assumed_pod_frees_its_room() -> None:
    cache = SchedulerCache()
    cache.set_node(node("a"))
    cache.assume(pod("x", cpu="1"), "a")
    assert cache.forget("default/x") == "a"
    assert requested(cache, "a") == Resources(0, 0)
    assert not cache.is_assumed("default/x")


def test_a_pod_bound_elsewhere_than_assumed_moves() -> None:
    cache = SchedulerCache()
    cache.set_node(node("a"))
    cache.set_node(node("b"))
    cache.assume(pod("x", cpu="1"), "a")
    cache.upsert_pod(pod("x", cpu="1", node_name="b"))
    assert requested(cache, "a") == Resources(0, 0)
    assert requested(cache, "b") == Resources(1000, 0)


def test_deleting_an_assumed_pod_forgets_it() -> None:
    cache = SchedulerCache()
    cache.set_node(node("a"))
    cache.assume(pod("x", cpu="1"), "a")
    assert cache.remove_pod(pod("x")) == "a"
    assert not cache.is_assumed("default/x")
    assert requested(cache, "a") == Resources(0, 0)


def test_nodes_appear_in_the_snapshot_in_name_order() -> None:
    cache = SchedulerCache()
    cache.set_node(node("b"))
    cache.set_node(node("a"))
    assert list(cache.snapshot().order) == ["a", "b"]
    cache.set_node(node("c"))
    assert list(cache.snapshot().order) == ["a", "b", "c"]
    cache.remove_node("b")
    assert list(cache.snapshot().order) == ["a", "c"]
    assert cache.node_info("b") is None


def test_pods_on_an_unknown_node_are_kept_until_the_node_arrives() -> None:
    cache = SchedulerCache()
    cache.upsert_pod(pod("x", cpu="1", node_name="later"))
    assert len(cache.snapshot()) == 0
    cache.set_node(node("later", cpu="2"))
    snapshot = cache.snapshot()
    info = snapshot.get("later")
    assert info is not None
    assert info.requested == Resources(1000, 0)
    cache.remove_node("later")
    assert cache.node_info("later") is not None  # still holds a pod
    cache.remove_pod(pod("x"))
    assert cache.node_info("later") is None


def test_a_node_update_keeps_its_pods() -> None:
    cache = SchedulerCache()
    cache.set_node(node("a", cpu="1"))
    cache.upsert_pod(pod("x", cpu="1", node_name="a"))
    cache.set_node(node("a", cpu="8"))
    info = cache.node_info("a")
    assert info is not None
    assert info.allocatable == Resources(8000, 0)
    assert info.requested == Resources(1000, 0)
