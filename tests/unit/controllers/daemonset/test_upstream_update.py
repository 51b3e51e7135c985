"""Upstream's rolling-update unit cases (``update_test.go``), R1-R12 of ``upstream-daemonset.md`` §5.3,
ported to our controller on the ported harness.

Each ``expect_sync`` is upstream's ``clearExpectations`` + ``expectSyncDaemonSets``: the recorded writes
and the expectations are reset, one sync runs, and its (creates, deletes) are checked. Pods the
controller creates land in the cache at once, so a sync's rolling update sees what its own manage step
just created or deleted. Template changes go through ``Harness.update_daemonset``, which bumps the
generation and the template-generation annotation as the API server does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import NamedTuple

import pytest

from everynode.controllers.daemonset.placement import Placement
from everynode.controllers.daemonset.rolling import desired_node_pods
from everynode.controllers.daemonset.scaling import unavailable_and_surge
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.pods import is_deleting, is_ready
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from tests import builders
from tests.unit.controllers.daemonset.harness import (
    SIMPLE_LABELS,
    Harness,
    new_daemonset,
    new_node,
    rolling,
    uid,
)

HASH = "controller-revision-hash"
GENERATION = "pod-template-generation"


def change(
    *,
    image: str | None = None,
    strategy: Obj | None = None,
    min_ready: int | None = None,
    tolerations: list[Obj] | None = None,
) -> Callable[[Obj], None]:
    """A change to a DaemonSet's spec, for ``Harness.update_daemonset``."""

    def apply(ds: Obj) -> None:
        spec = ds["spec"]
        if image is not None:
            spec["template"]["spec"]["containers"][0]["image"] = image
        if strategy is not None:
            spec["updateStrategy"] = copy.deepcopy(strategy)
        if min_ready is not None:
            spec["minReadySeconds"] = min_ready
        if tolerations is not None:
            if tolerations:
                spec["template"]["spec"]["tolerations"] = copy.deepcopy(tolerations)
            else:
                spec["template"]["spec"].pop("tolerations", None)

    return apply


async def expect_syncs(h: Harness, ds: Obj, *steps: tuple[int, int]) -> None:
    """One sync per (creates, deletes), each after upstream's ``clearExpectations``."""
    for number, (creates, deletes) in enumerate(steps, 1):
        h.reset_counts()
        error = await h.sync(ds)
        got = (len(h.api.created), len(h.api.deleted))
        assert got == (creates, deletes), f"sync {number}: (creates, deletes) = {got}; error: {error}"
        assert h.events.controller_events() == []


def ready_names(h: Harness) -> set[str]:
    return {pod["metadata"]["name"] for pod in h.pods() if is_ready(pod)}


def set_readiness(h: Harness, ready: bool, count: int, choose: Callable[[Obj], bool]) -> None:
    """Upstream's ``setPodReadiness``: flip the first ``count`` live pods ``choose`` accepts, now."""
    for pod in h.pods():
        if count <= 0:
            break
        if is_deleting(pod) or is_ready(pod) == ready or not choose(pod):
            continue
        h.set_ready(pod, ready)
        count -= 1
    assert count == 0, f"could not mark {count} more pods ready={ready}"


def current_hash(h: Harness, ds: Obj) -> str:
    return h.current_hash(h.daemonset(ds))


def pods_by_node_with_hash(h: Harness, hash_: str) -> dict[str, list[str]]:
    by_node: dict[str, list[str]] = {}
    for pod in h.pods():
        if pod["metadata"].get("labels", {}).get(HASH) == hash_:
            by_node.setdefault(str(pinned_node_name(pod)), []).append(pod["metadata"]["name"])
    return by_node


async def five_ready_pods(ds: Obj | None = None) -> tuple[Harness, Obj]:
    """Five nodes, a DaemonSet (OnDelete, as upstream's ``newDaemonSet``) and its five pods, ready."""
    h = Harness()
    h.add_nodes(5)
    ds = ds or new_daemonset()
    h.add(ds)
    await h.expect_sync(ds, 5, 0)
    h.mark_ready()
    return h, ds


async def test_r1_updates_pods() -> None:
    """TestDaemonSetUpdatesPods — maxUnavailable 2: delete 2, recreate 2, until all are new."""
    h, ds = await five_ready_pods()
    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(2)))
    await expect_syncs(h, ds, (0, 2), (2, 0))
    h.mark_ready()
    await expect_syncs(h, ds, (0, 2), (2, 0))
    h.mark_ready()
    await expect_syncs(h, ds, (0, 1), (1, 0))
    h.mark_ready()
    await expect_syncs(h, ds, (0, 0))
    assert {pod["metadata"]["labels"][HASH] for pod in h.pods()} == {current_hash(h, ds)}


async def test_r2_updates_pods_with_max_surge() -> None:
    """TestDaemonSetUpdatesPodsWithMaxSurge — maxSurge 2: create 2 beside old ones, then swap."""
    h, ds = await five_ready_pods()
    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(0, 2)))
    await expect_syncs(h, ds, (2, 0), (0, 0))
    h.mark_ready()
    await expect_syncs(h, ds, (2, 2), (0, 0))
    h.mark_ready()
    await expect_syncs(h, ds, (5 % 2, 2), (0, 0))
    h.mark_ready()
    await expect_syncs(h, ds, (0, 5 % 2), (0, 0))
    assert len(h.pods()) == 5


async def test_r3_surge_onto_nodes_whose_taints_no_longer_match() -> None:
    """TestDaemonSetUpdatesPodsNotMatchTainstWithMaxSurge — an untolerated node's pod goes last."""
    # the pod on the node the new template no longer tolerates goes only while more pods are
    # available than desired
    control_plane = "node-role.kubernetes.io/control-plane"
    ds = new_daemonset(strategy=rolling(0, 1))
    ds["spec"]["template"]["spec"]["tolerations"] = [{"key": control_plane, "operator": "Exists"}]
    h = Harness()
    h.add(ds)
    h.add_nodes(5)
    h.add(new_node("node-0", taints=[{"key": control_plane, "effect": "NoSchedule"}]))
    await h.expect_sync(ds, 5, 0)
    h.mark_ready()

    ds = h.update_daemonset(ds, change(tolerations=[]))
    for _ in range(4):
        await expect_syncs(h, ds, (1, 1), (0, 0))
        h.mark_ready()
    await expect_syncs(h, ds, (0, 1), (0, 0))
    assert sorted(str(pinned_node_name(pod)) for pod in h.pods()) == ["node-1", "node-2", "node-3", "node-4"]


async def test_r4_updates_stop_when_new_pods_are_not_ready() -> None:
    """TestDaemonSetUpdatesWhenNewPodIsNotReady — maxUnavailable 3 unready new pods and no more."""
    h, ds = await five_ready_pods()
    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(3)))
    await expect_syncs(h, ds, (0, 3), (3, 0), (0, 0))


async def test_r5_some_old_pods_not_ready() -> None:
    """TestDaemonSetUpdatesSomeOldPodsNotReady — unready old pods are replaced, ready ones kept."""
    h, ds = await five_ready_pods()
    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(2)))
    await expect_syncs(h, ds, (0, 2), (2, 0), (0, 0))
    ds = h.update_daemonset(ds, change(image="foo2/bar3"))
    await expect_syncs(h, ds, (0, 2), (2, 0), (0, 0))
    assert len(ready_names(h)) == 5 - 2


async def test_r6_old_healthy_pods_are_saved() -> None:
    """TestDaemonSetUpdatesSaveOldHealthyPods — ready old pods survive any small maxUnavailable."""
    h = Harness()
    h.add_nodes(20)
    ds = new_daemonset()
    h.add(ds)
    await h.expect_sync(ds, 20, 0)
    h.mark_ready()

    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(10)))
    await expect_syncs(h, ds, (0, 10), (10, 0), (0, 0))
    old_ready = ready_names(h)
    assert len(old_ready) == 10

    # upstream draws maxUnavailable at random from 0..9, ten times; every value is tried here
    for max_unavailable in range(10):
        ds = h.update_daemonset(
            ds, change(image=f"foo2/bar3-{max_unavailable}", strategy=rolling(max_unavailable))
        )
        await expect_syncs(h, ds, (0, 10), (10, 0), (0, 0))
        assert ready_names(h) >= old_ready, f"maxUnavailable {max_unavailable} touched a ready pod"

    ds = h.update_daemonset(ds, change(image="foo2/bar4", strategy=rolling(11)))
    await expect_syncs(h, ds, (0, 11), (11, 0), (0, 0))
    assert len(ready_names(h)) == 9


async def test_r7_old_unready_pods_replaced_despite_unavailable_new_ones() -> None:
    """TestDaemonSetUpdatesAllOldNotReadyPodsAndNewNotReadyPods — unready old pods go regardless."""
    # 88 unavailable new pods do not stop the 2 unavailable old pods from being replaced
    h = Harness()
    h.add_nodes(100)
    ds = new_daemonset()
    h.add(ds)
    await h.expect_sync(ds, 100, 0)
    h.mark_ready()
    first = h.pods()[0]["metadata"]["labels"]
    old_labels = {HASH: first[HASH], GENERATION: first[GENERATION]}

    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(10)))
    for _ in range(10):
        await expect_syncs(h, ds, (0, 10), (10, 0))
        h.mark_ready()
    await expect_syncs(h, ds, (0, 0))

    # 10 available old pods, 2 unavailable old pods, 88 unavailable new pods
    old_unavailable = set()
    for index, listed in enumerate(h.pods()):
        pod = h.set_ready(listed, False) if index >= 10 else listed
        if index < 12:
            pod["metadata"]["labels"].update(old_labels)  # an old pod carries the old template's labels
            if index >= 10:
                old_unavailable.add(pod["metadata"]["name"])

    await expect_syncs(h, ds, (0, 2), (2, 0), (0, 0))
    assert old_unavailable.isdisjoint(pod["metadata"]["name"] for pod in h.pods())


async def test_r8_all_old_pods_not_ready() -> None:
    """TestDaemonSetUpdatesAllOldPodsNotReady — unavailable old pods are all replaced at once."""
    h = Harness()
    h.add_nodes(5)
    ds = new_daemonset()
    h.add(ds)
    await h.expect_sync(ds, 5, 0)
    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(3)))
    await expect_syncs(h, ds, (0, 5), (5, 0), (0, 0))


async def advance_to(h: Harness, moment: float) -> None:
    await h.clock.advance(moment - h.clock.wall())


async def test_r9_all_old_pods_not_ready_with_max_surge() -> None:
    """TestDaemonSetUpdatesAllOldPodsNotReadyMaxSurge — surge, then minReadySeconds holds deletes."""
    h = Harness(start=50)
    h.add_nodes(5)
    ds = new_daemonset()
    h.add(ds)
    await h.expect_sync(ds, 5, 0)
    ds = h.update_daemonset(ds, change(image="foo2/bar2", strategy=rolling(0, 3)))

    await advance_to(h, 100)  # all old pods are unavailable, so every node is surged
    await expect_syncs(h, ds, (5, 0))
    await advance_to(h, 200)  # the new pods are not ready either; the unready old pods go
    await expect_syncs(h, ds, (0, 5))

    set_readiness(h, True, 5, lambda pod: True)
    ds = h.update_daemonset(ds, change(min_ready=15, image="foo3/bar3"))
    await advance_to(h, 300)
    await expect_syncs(h, ds, (3, 0))

    hash_ = current_hash(h, ds)
    current = pods_by_node_with_hash(h, hash_)
    set_readiness(h, True, 2, lambda pod: pod["metadata"]["labels"].get(HASH) == hash_)
    set_readiness(
        h,
        False,
        1,
        lambda pod: (
            pod["metadata"]["labels"].get(HASH) != hash_ and not current.get(str(pinned_node_name(pod)))
        ),
    )

    await advance_to(h, 310)  # the ready new pods are not available for 15 s yet; surge the unready old one
    await expect_syncs(h, ds, (1, 0))
    await advance_to(h, 320)  # now they are: delete their old pods, and the unready old one; surge again
    await expect_syncs(h, ds, (1, 3))

    set_readiness(h, True, 3, lambda pod: pod["metadata"]["labels"].get(HASH) == hash_)
    await advance_to(h, 340)
    await expect_syncs(h, ds, (0, 2))
    await advance_to(h, 350)  # done
    await expect_syncs(h, ds, (0, 0))
    assert sorted(pod["metadata"]["labels"][HASH] for pod in h.pods()) == [hash_] * 5


async def test_r10_no_template_change_no_update() -> None:
    """TestDaemonSetUpdatesNoTemplateChanged."""
    h = Harness()
    h.add_nodes(5)
    ds = new_daemonset()
    h.add(ds)
    await h.expect_sync(ds, 5, 0)
    ds = h.update_daemonset(ds, change(strategy=rolling(3)))
    await expect_syncs(h, ds, (0, 0))


def _ready_pod(h: Harness, name: str, node: str, *, deleting: bool = False) -> Obj:
    pod = h.pod(node, None, labels=SIMPLE_LABELS, name=name, ready=True, add=False)
    if deleting:
        pod["metadata"]["deletionTimestamp"] = format_time(h.clock.wall())
    return pod


class UnavailableCase(NamedTuple):
    nodes: int
    strategy: Obj
    pods: list[tuple[str, str, bool]]  # (name, node, terminating)
    max_surge: int
    max_unavailable: int
    desired: int
    empty: int  # desired nodes without pods


TWO_PODS = [("pod-0", "node-0", False), ("pod-1", "node-1", False)]
UNAVAILABLE_CASES = {
    "No nodes": UnavailableCase(0, rolling(0), [], 0, 0, 0, 0),
    "Two nodes with ready pods": UnavailableCase(2, rolling(1), TWO_PODS, 0, 1, 2, 0),
    "Two nodes, one node without pods": UnavailableCase(2, rolling(0), TWO_PODS[:1], 0, 1, 2, 1),
    "Two nodes, one node without pods, surge": UnavailableCase(2, rolling(0, 0), TWO_PODS[:1], 0, 1, 2, 1),
    "Two nodes with pods, MaxUnavailable in percents": UnavailableCase(
        2, rolling("50%"), TWO_PODS, 0, 1, 2, 0
    ),
    "Two nodes with pods, MaxUnavailable in percents, surge": UnavailableCase(
        2, rolling(0, "50%"), TWO_PODS, 1, 0, 2, 0
    ),
    "Two nodes with pods, MaxUnavailable is 100%, surge": UnavailableCase(
        2, rolling(0, "100%"), TWO_PODS, 2, 0, 2, 0
    ),
    "Two nodes with pods, MaxUnavailable in percents, pod terminating": UnavailableCase(
        3, rolling("50%"), [("pod-0", "node-0", False), ("pod-1", "node-1", True)], 0, 2, 3, 1
    ),
}


@pytest.mark.parametrize("case", UNAVAILABLE_CASES.values(), ids=UNAVAILABLE_CASES.keys())
def test_r11_get_unavailable_numbers(case: UnavailableCase) -> None:
    """TestGetUnavailableNumbers — upstream's updatedDesiredNodeCounts, on our pure functions."""
    # desired_node_pods gives desired nodes without pods an empty entry; unavailable_and_surge scales
    h = Harness()
    ds = new_daemonset("x", strategy=copy.deepcopy(case.strategy))
    by_name = {node["metadata"]["name"]: node for node in h.add_nodes(case.nodes)}
    node_pods: dict[str, list[Obj]] = {}
    for name, node, deleting in case.pods:
        node_pods.setdefault(node, []).append(_ready_pod(h, name, node, deleting=deleting))
    per_node, desired = desired_node_pods(by_name, node_pods, Placement(ds))
    max_unavailable, max_surge = unavailable_and_surge(ds, desired)
    assert (max_surge, max_unavailable, desired) == (case.max_surge, case.max_unavailable, case.desired)
    assert sum(1 for entry in per_node.values() if not entry) == case.empty


def _revision(name: str, namespace: str, labels: dict[str, str], owner: Obj | None) -> Obj:
    owners = None if owner is None else [builders.owner_ref(owner)]
    return builders.revision(
        name,
        namespace=namespace,
        number=0,
        uid=uid(),
        labels=dict(labels),
        resource_version="1",
        owners=owners,
    )


@pytest.mark.parametrize("same_namespace", [True, False], ids=["same namespace", "other namespace"])
async def test_r12_controlled_histories(same_namespace: bool) -> None:
    """TestControlledHistories — orphans in the namespace are adopted, other namespaces ignored."""
    h = Harness()
    ds = new_daemonset("ds1")
    h.add(ds)
    labels = ds["spec"]["template"]["metadata"]["labels"]
    if same_namespace:
        revisions = [
            _revision("ds1-x1", "default", labels, ds),
            _revision("ds1-x2", "default", labels, None),
        ]
    else:
        revisions = [_revision("ds1-x3", "default-other", labels, None)]
    h.add(*revisions)
    found = await h.controller.controlled_histories(ds)
    assert sorted(r["metadata"]["name"] for r in found) == sorted(
        r["metadata"]["name"] for r in revisions if same_namespace
    )
    for revision in found:
        (ref,) = revision["metadata"]["ownerReferences"]
        assert (ref["uid"], ref["controller"]) == (ds["metadata"]["uid"], True)
