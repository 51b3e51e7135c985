"""One decision: pinned pods, spreading, and upstream's FailedScheduling message, to the character."""

from __future__ import annotations

import pytest

from everynode.scheduler.decide import (
    NO_NODES,
    Scheduled,
    Unschedulable,
    decide,
    feasible_nodes_to_find,
    fit_error_message,
    least_allocated,
)
from everynode.scheduler.filters import Rejection
from everynode.scheduler.nodeinfo import NodeInfo, Resources, Snapshot, snapshot_of
from tests.unit.scheduler.objects import node, pinned, pod, required, taint

NOT_HELPFUL = "Preemption is not helpful for scheduling"


def message_of(decision: Scheduled | Unschedulable) -> str:
    assert isinstance(decision, Unschedulable), decision
    return decision.message


def node_of(decision: Scheduled | Unschedulable) -> str:
    assert isinstance(decision, Scheduled), decision
    return decision.node


# -- where a pod goes --------------------------------------------------------------------------------


def test_a_pod_goes_to_a_node_that_fits() -> None:
    snapshot = snapshot_of([node("a", taints=[taint("t")]), node("b", labels={"disk": "ssd"}), node("c")])
    assert node_of(decide(pod(nodeSelector={"disk": "ssd"}), snapshot)) == "b"


def test_a_pinned_pod_goes_to_its_node_and_only_that_node_is_examined() -> None:
    nodes = [node(f"n{i}") for i in range(50)]
    decision = decide(pinned("ds-x", "n37"), snapshot_of(nodes))
    assert decision == Scheduled("n37", evaluated=1, feasible=1)


def test_a_pinned_pod_looks_at_its_node_even_when_other_nodes_are_emptier() -> None:
    snapshot = snapshot_of([node("a", cpu="1"), node("b", cpu="8")], [pod("busy", cpu="900m", node_name="a")])
    assert node_of(decide(pinned("d", "a", cpu="100m"), snapshot)) == "a"


def test_pods_spread_to_the_node_with_the_most_room() -> None:
    snapshot = snapshot_of(
        [
            node("a", cpu="4", memory="4Gi"),
            node("b", cpu="4", memory="4Gi"),
            node("c", cpu="4", memory="4Gi"),
        ],
        [pod("x", cpu="2", memory="1Gi", node_name="a"), pod("y", cpu="1", memory="1Gi", node_name="b")],
    )
    assert node_of(decide(pod(cpu="100m", memory="100Mi"), snapshot)) == "c"


def test_pods_without_requests_spread_by_the_default_request() -> None:
    # Both nodes have room; "a" holds a pod without requests, which still counts as 100m/200Mi.
    snapshot = snapshot_of(
        [node("a", cpu="1", memory="1Gi"), node("b", cpu="1", memory="1Gi")], [pod("x", node_name="a")]
    )
    assert node_of(decide(pod(), snapshot)) == "b"


def test_without_allocatable_the_node_with_fewer_pods_wins_then_the_name() -> None:
    nodes = [node("c"), node("b"), node("a")]
    assert node_of(decide(pod(), snapshot_of(nodes))) == "a"
    assert node_of(decide(pod(), snapshot_of(nodes, [pod("x", node_name="a")]))) == "b"
    busy = [pod("x", node_name="a"), pod("y", node_name="b"), pod("z", node_name="a")]
    assert node_of(decide(pod(), snapshot_of(nodes, busy))) == "c"


def test_prefer_no_schedule_taints_are_avoided_when_possible() -> None:
    nodes = [node("a", taints=[taint("soft", effect="PreferNoSchedule")]), node("b")]
    busy = [pod("x", node_name="b"), pod("y", node_name="b")]
    assert node_of(decide(pod(), snapshot_of(nodes, busy))) == "b"
    tolerant = pod(tolerations=[{"key": "soft", "operator": "Exists"}])
    assert node_of(decide(tolerant, snapshot_of(nodes, busy))) == "a"
    # ... but they do not filter.
    assert node_of(decide(pod(), snapshot_of(nodes[:1]))) == "a"


def test_preferred_node_affinity_weighs_in() -> None:
    nodes = [node("a", labels={"zone": "1"}), node("b", labels={"zone": "2"})]
    preferred = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["2"]}]},
                }
            ]
        }
    }
    assert node_of(decide(pod(affinity=preferred), snapshot_of(nodes))) == "b"


def test_a_decision_is_reproducible() -> None:
    nodes = [node(f"n{i}", cpu="2") for i in range(20)]
    snapshot = snapshot_of(nodes, [pod(f"p{i}", cpu="1", node_name=f"n{i}") for i in range(0, 20, 3)])
    first = decide(pod(cpu="1"), snapshot)
    assert all(decide(pod(cpu="1"), snapshot) == first for _ in range(5))


def test_start_rotates_the_scan_but_not_the_choice_among_few_nodes() -> None:
    snapshot = snapshot_of([node("a"), node("b"), node("c")])
    assert {node_of(decide(pod(), snapshot, start=start)) for start in range(3)} == {"a"}


def test_large_clusters_stop_scanning_once_enough_nodes_fit() -> None:
    nodes = [node(f"n{i:04d}") for i in range(1000)]
    snapshot = snapshot_of(nodes)
    decision = decide(pod(), snapshot, start=500)
    assert isinstance(decision, Scheduled)
    assert decision.feasible == decision.evaluated == feasible_nodes_to_find(1000) == 420
    assert decision.node == "n0500"  # the first node examined (all equal) wins by name
    wrapped = decide(pod(), snapshot, start=900)
    assert isinstance(wrapped, Scheduled)
    assert wrapped.node == "n0000"  # the scan wrapped around


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, 0),
        (1, 1),
        (99, 99),
        (100, 100),
        (200, 100),
        (1000, 420),
        (5000, 500),
        (6000, 300),
        (10000, 500),
        (100000, 5000),
    ],
)
def test_feasible_nodes_to_find(total: int, expected: int) -> None:
    assert feasible_nodes_to_find(total) == expected


def test_least_allocated() -> None:
    info = NodeInfo("n", node("n", cpu="4", memory="4Gi"))
    assert least_allocated(Resources(1000, 1024 * 2**20), info) == 75
    assert least_allocated(Resources(4000, 0), info) == 50  # cpu full (0), memory empty (100)
    assert least_allocated(Resources(5000, 0), info) == 50  # over capacity scores 0, not negative
    assert least_allocated(Resources(), NodeInfo("n", node("n"))) == 0


# -- two pods, one node's worth of room ----------------------------------------------------------------


def test_the_second_big_pod_goes_elsewhere_once_the_first_is_counted() -> None:
    nodes = [node("a", cpu="2"), node("b", cpu="2")]
    first = node_of(decide(pod("p1", cpu="1500m"), snapshot_of(nodes)))
    second = node_of(
        decide(pod("p2", cpu="1500m"), snapshot_of(nodes, [pod("p1", cpu="1500m", node_name=first)]))
    )
    assert {first, second} == {"a", "b"}


# -- failure messages ----------------------------------------------------------------------------------


def test_no_nodes() -> None:
    assert message_of(decide(pod(), snapshot_of([]))) == NO_NODES == "no nodes available to schedule pods"


def test_message_counts_reasons_per_node_and_sorts_them() -> None:
    nodes = [
        node("a", labels={"x": "1"}),
        node("b", taints=[taint("node.kubernetes.io/unreachable", effect="NoExecute")]),
        node("c", taints=[taint("node.kubernetes.io/unreachable", effect="NoExecute")]),
    ]
    assert message_of(decide(pod(nodeSelector={"x": "2"}), snapshot_of(nodes))) == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_reasons_sort_as_strings_not_numbers() -> None:
    # "10 ..." sorts before "3 ...", as Go's sort.Strings puts it.
    nodes = [node(f"t{i:02d}", taints=[taint("t")]) for i in range(10)]
    nodes += [node(f"u{i}", unschedulable=True) for i in range(3)]
    assert message_of(decide(pod(), snapshot_of(nodes))) == (
        "0/13 nodes are available: 10 node(s) had untolerated taint {t: }, 3 node(s) were unschedulable. "
        "preemption: 0/13 nodes are available: 13 Preemption is not helpful for scheduling."
    )


def test_resource_shortages_are_counted_per_resource_and_preemption_finds_no_victims() -> None:
    nodes = [
        node("a", cpu="1", memory="1Gi"),
        node("b", cpu="1", memory="8Gi"),
        node("c", unschedulable=True),
    ]
    assert message_of(decide(pod(cpu="2", memory="2Gi"), snapshot_of(nodes))) == (
        "0/3 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )


def test_too_many_pods() -> None:
    snapshot = snapshot_of([node("a", pods=1)], [pod("x", node_name="a")])
    assert message_of(decide(pod(), snapshot)) == (
        "0/1 nodes are available: 1 Too many pods. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )


def test_a_pinned_pod_reports_its_node_and_the_rest_as_not_satisfying_node_affinity() -> None:
    nodes = [node("a"), node("b", taints=[taint("dedicated", "infra")]), node("c")]
    assert message_of(decide(pinned("d", "b"), snapshot_of(nodes))) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: infra}, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_a_pinned_pod_that_does_not_fit_its_node_for_resources() -> None:
    nodes = [node("a", cpu="1"), node("b", cpu="8")]
    assert message_of(decide(pinned("d", "a", cpu="2"), snapshot_of(nodes))) == (
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling."
    )


def test_a_pod_pinned_to_a_node_that_does_not_exist() -> None:
    assert message_of(decide(pinned("d", "gone"), snapshot_of([node("a"), node("b")]))) == (
        "0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_a_pinned_pod_whose_node_also_fails_its_label_terms() -> None:
    term = {
        "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}],
        "matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}],
    }
    assert message_of(decide(pod(affinity=required(term)), snapshot_of([node("a"), node("b")]))) == (
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_conflicting_name_terms() -> None:
    term = {
        "matchFields": [
            {"key": "metadata.name", "operator": "In", "values": ["a"]},
            {"key": "metadata.name", "operator": "In", "values": ["b"]},
        ]
    }
    assert message_of(decide(pod(affinity=required(term)), snapshot_of([node("a"), node("b")]))) == (
        "0/2 nodes are available: pod affinity terms conflict. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_preemption_policy_never() -> None:
    assert message_of(decide(pod(cpu="1", preemptionPolicy="Never"), snapshot_of([node("a")]))) == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    )


def test_unschedulable_decision_carries_the_rejections() -> None:
    decision = decide(pod(cpu="1"), snapshot_of([node("a"), node("b", unschedulable=True)]))
    assert isinstance(decision, Unschedulable)
    assert decision.rejections == {
        "a": Rejection(("Insufficient cpu",), resolvable=True),
        "b": Rejection(("node(s) were unschedulable",)),
    }


def test_fit_error_message_directly() -> None:
    rejections = {"a": Rejection(("r1", "r2"), resolvable=True), "b": Rejection(("r1",))}
    assert fit_error_message(pod(), 4, rejections, absent_reason="elsewhere") == (
        "0/4 nodes are available: 1 r2, 2 elsewhere, 2 r1. "
        "preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 "
        + NOT_HELPFUL
        + "."
    )


def test_snapshot_ignores_infos_without_a_node() -> None:
    infos = {"ghost": NodeInfo("ghost"), "a": NodeInfo("a", node("a"))}
    snapshot = Snapshot(infos)
    assert list(snapshot.order) == ["a"]
    assert node_of(decide(pod(), snapshot)) == "a"
