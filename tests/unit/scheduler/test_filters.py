"""Each filter on its own, table-driven, with upstream's reason text; then their order."""

from __future__ import annotations

import pytest

from everynode.core.types import Obj
from everynode.scheduler.filters import (
    INSUFFICIENT_CPU,
    INSUFFICIENT_MEMORY,
    NODE_AFFINITY_MISMATCH,
    NODE_NAME_MISMATCH,
    TOO_MANY_PODS,
    UNSCHEDULABLE,
    Rejection,
    candidate_nodes,
    filter_node,
    node_affinity,
    node_name,
    node_unschedulable,
    resources_fit,
    taint_toleration,
    untolerated_taint_reason,
)
from everynode.scheduler.nodeinfo import NodeInfo, PodRequest, Resources, pod_request
from tests.unit.scheduler.objects import node, pinned, pod, required, taint

UNSCHEDULABLE_TOLERATION = {
    "key": "node.kubernetes.io/unschedulable",
    "operator": "Exists",
    "effect": "NoSchedule",
}


# -- NodeUnschedulable --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tolerations", "cordoned", "expected"),
    [
        ([], False, None),
        ([], True, UNSCHEDULABLE),
        ([UNSCHEDULABLE_TOLERATION], True, None),  # daemon pods carry this toleration
        ([{"operator": "Exists"}], True, None),  # tolerates everything
        (
            [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}],
            True,
            UNSCHEDULABLE,
        ),
        ([{"key": "other", "operator": "Exists"}], True, UNSCHEDULABLE),
    ],
)
def test_node_unschedulable(tolerations: list[Obj], cordoned: bool, expected: str | None) -> None:
    assert node_unschedulable(pod(tolerations=tolerations), node("n", unschedulable=cordoned)) == expected


def test_unschedulable_wording() -> None:
    assert UNSCHEDULABLE == "node(s) were unschedulable"


# -- NodeName -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [(None, None), ("n1", None), ("n2", "node(s) didn't match the requested node name")],
)
def test_node_name(wanted: str | None, expected: str | None) -> None:
    assert node_name(pod(node_name=wanted), node("n1")) == expected


# -- TaintToleration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taints", "tolerations", "expected"),
    [
        ([], [], None),
        ([taint("dedicated", "gpu")], [], "node(s) had untolerated taint {dedicated: gpu}"),
        ([taint("dedicated", "gpu", "NoExecute")], [], "node(s) had untolerated taint {dedicated: gpu}"),
        # PreferNoSchedule does not filter.
        ([taint("dedicated", "gpu", "PreferNoSchedule")], [], None),
        # An empty value prints as nothing after the colon.
        (
            [taint("node.kubernetes.io/unreachable", effect="NoExecute")],
            [],
            "node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
        ),
        ([taint("dedicated", "gpu")], [{"key": "dedicated", "operator": "Equal", "value": "gpu"}], None),
        (
            [taint("dedicated", "gpu")],
            [{"key": "dedicated", "operator": "Equal", "value": "cpu"}],
            "node(s) had untolerated taint {dedicated: gpu}",
        ),
        (
            [taint("dedicated", "gpu")],
            [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}],
            "node(s) had untolerated taint {dedicated: gpu}",
        ),
        # The first untolerated taint, in the node's order, is the one reported.
        (
            [taint("a", "1"), taint("b", "2"), taint("c", "3")],
            [{"key": "a", "operator": "Exists"}],
            "node(s) had untolerated taint {b: 2}",
        ),
        ([taint("a", "1", "PreferNoSchedule"), taint("b", "2")], [], "node(s) had untolerated taint {b: 2}"),
    ],
)
def test_taint_toleration(taints: list[Obj], tolerations: list[Obj], expected: str | None) -> None:
    assert taint_toleration(pod(tolerations=tolerations), node("n", taints=taints)) == expected


def test_untolerated_taint_reason_format() -> None:
    assert untolerated_taint_reason({"key": "k", "value": "v"}) == "node(s) had untolerated taint {k: v}"
    assert untolerated_taint_reason({"key": "k"}) == "node(s) had untolerated taint {k: }"


# -- NodeAffinity -------------------------------------------------------------------------------------

ZONE_A = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}


@pytest.mark.parametrize(
    ("spec", "labels", "name", "matches"),
    [
        ({}, {}, "n1", True),
        ({"nodeSelector": {"disk": "ssd"}}, {"disk": "ssd"}, "n1", True),
        ({"nodeSelector": {"disk": "ssd"}}, {"disk": "hdd"}, "n1", False),
        ({"nodeSelector": {"disk": "ssd"}}, {}, "n1", False),
        ({"affinity": required(ZONE_A)}, {"zone": "a"}, "n1", True),
        ({"affinity": required(ZONE_A)}, {"zone": "b"}, "n1", False),
        # nodeSelector and affinity must both hold.
        ({"affinity": required(ZONE_A), "nodeSelector": {"disk": "ssd"}}, {"zone": "a"}, "n1", False),
        # matchFields metadata.name pins a pod to one node.
        (
            {
                "affinity": required(
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
                )
            },
            {},
            "n1",
            True,
        ),
        (
            {
                "affinity": required(
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
                )
            },
            {},
            "n2",
            False,
        ),
        (
            {
                "affinity": required(
                    {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}
                )
            },
            {},
            "n2",
            True,
        ),
        # Terms are ORed.
        (
            {
                "affinity": required(
                    ZONE_A, {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}
                )
            },
            {},
            "n2",
            True,
        ),
    ],
)
def test_node_affinity(spec: Obj, labels: dict[str, str], name: str, matches: bool) -> None:
    subject = {"metadata": {"name": "p"}, "spec": {"containers": [], **spec}}
    expected = None if matches else "node(s) didn't match Pod's node affinity/selector"
    assert node_affinity(subject, node(name, labels=labels)) == expected


# -- NodeResourcesFit ---------------------------------------------------------------------------------


def info_with(
    *requests: Resources, cpu: str | None = None, memory: str | None = None, pods: int | None = None
) -> NodeInfo:
    info = NodeInfo("n", node("n", cpu=cpu, memory=memory, pods=pods))
    for index, request in enumerate(requests):
        info.add(f"ns/p{index}", PodRequest(request, request))
    return info


@pytest.mark.parametrize(
    ("request_", "info", "expected"),
    [
        # Fits exactly: request == allocatable - requested.
        (Resources(1000, 0), info_with(Resources(1000, 0), cpu="2"), ()),
        (Resources(1001, 0), info_with(Resources(1000, 0), cpu="2"), (INSUFFICIENT_CPU,)),
        (Resources(0, 512), info_with(Resources(0, 512), memory="1Ki"), ()),
        (Resources(0, 513), info_with(Resources(0, 512), memory="1Ki"), (INSUFFICIENT_MEMORY,)),
        (Resources(3000, 2048), info_with(cpu="2", memory="1Ki"), (INSUFFICIENT_CPU, INSUFFICIENT_MEMORY)),
        # Pod count: allocatable pods, counting the pods already there.
        (Resources(), info_with(Resources(), Resources(), pods=2), (TOO_MANY_PODS,)),
        (Resources(), info_with(Resources(), pods=2), ()),
        (Resources(1, 0), info_with(Resources(), pods=1, cpu="1"), (TOO_MANY_PODS,)),
        (Resources(2000, 0), info_with(Resources(), pods=1, cpu="1"), (TOO_MANY_PODS, INSUFFICIENT_CPU)),
        # No allocatable cpu/memory reported: zero, so only pods requesting none of it fit.
        (Resources(), info_with(), ()),
        (Resources(1, 0), info_with(), (INSUFFICIENT_CPU,)),
        (Resources(0, 1), info_with(), (INSUFFICIENT_MEMORY,)),
        # ... while a missing pod count reads as 110.
        (Resources(), info_with(*[Resources()] * 109), ()),
        (Resources(), info_with(*[Resources()] * 110), (TOO_MANY_PODS,)),
        # Overcommitted node (allocatable shrank): a pod requesting nothing of it still fits.
        (Resources(0, 0), info_with(Resources(5000, 0), cpu="1"), ()),
        (Resources(0, 1), info_with(Resources(5000, 0), cpu="1", memory="1"), ()),
    ],
)
def test_resources_fit(request_: Resources, info: NodeInfo, expected: tuple[str, ...]) -> None:
    assert resources_fit(request_, info) == expected


def test_resource_reasons_wording() -> None:
    assert (INSUFFICIENT_CPU, INSUFFICIENT_MEMORY, TOO_MANY_PODS) == (
        "Insufficient cpu",
        "Insufficient memory",
        "Too many pods",
    )


def test_resources_use_the_init_container_rule() -> None:
    subject = pod(
        cpu="500m",
        initContainers=[{"name": "init", "image": "x", "resources": {"requests": {"cpu": "1500m"}}}],
    )
    request = pod_request(subject).requested
    assert request == Resources(1500, 0)
    assert resources_fit(request, info_with(cpu="1500m")) == ()
    assert resources_fit(request, info_with(Resources(1, 0), cpu="1500m")) == (INSUFFICIENT_CPU,)


# -- all of them, in order -----------------------------------------------------------------------------


def test_filter_node_stops_at_the_first_failing_filter_in_upstream_order() -> None:
    everything_wrong = node("n", labels={}, taints=[taint("t", "v")], unschedulable=True, cpu="0", pods=0)
    subject = pod(cpu="1", nodeSelector={"x": "y"})
    info = NodeInfo("n", everything_wrong)
    assert filter_node(subject, pod_request(subject).requested, info) == Rejection((UNSCHEDULABLE,))
    everything_wrong["spec"].pop("unschedulable")
    info.set_node(everything_wrong)
    assert filter_node(subject, Resources(1000, 0), info) == Rejection(
        ("node(s) had untolerated taint {t: v}",)
    )
    everything_wrong["spec"].pop("taints")
    info.set_node(everything_wrong)
    assert filter_node(subject, Resources(1000, 0), info) == Rejection((NODE_AFFINITY_MISMATCH,))
    everything_wrong["metadata"]["labels"] = {"x": "y"}
    info.set_node(everything_wrong)
    assert filter_node(subject, Resources(1000, 0), info) == Rejection(
        (TOO_MANY_PODS, INSUFFICIENT_CPU), resolvable=True
    )
    assert filter_node(subject, Resources(), NodeInfo("n", node("n", labels={"x": "y"}))) is None


def test_filter_node_checks_the_requested_node_name_before_taints() -> None:
    subject = pod(node_name="other")
    info = NodeInfo("n", node("n", taints=[taint("t")]))
    assert filter_node(subject, Resources(), info) == Rejection((NODE_NAME_MISMATCH,))


def test_only_resource_rejections_are_resolvable() -> None:
    cordoned = filter_node(pod(), Resources(), NodeInfo("n", node("n", unschedulable=True)))
    assert cordoned is not None
    assert not cordoned.resolvable
    rejection = filter_node(pod(), Resources(1, 0), NodeInfo("n", node("n")))
    assert rejection is not None
    assert rejection.resolvable


# -- the name pre-filter ------------------------------------------------------------------------------


def name_in(*names: str) -> Obj:
    return {"key": "metadata.name", "operator": "In", "values": list(names)}


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (pod(), None),
        (pod(nodeSelector={"a": "b"}), None),
        (pinned("p", "n1"), frozenset({"n1"})),
        (pod(affinity=required(ZONE_A)), None),
        # Two terms naming nodes: either.
        (
            pod(affinity=required({"matchFields": [name_in("n1")]}, {"matchFields": [name_in("n2")]})),
            frozenset({"n1", "n2"}),
        ),
        # One term without names lets every node through.
        (pod(affinity=required({"matchFields": [name_in("n1")]}, ZONE_A)), None),
        # Requirements in one term intersect; disjoint ones conflict.
        (
            pod(affinity=required({"matchFields": [name_in("n1", "n2"), name_in("n2", "n3")]})),
            frozenset({"n2"}),
        ),
        (pod(affinity=required({"matchFields": [name_in("n1"), name_in("n2")]})), frozenset()),
        # NotIn names nothing.
        (
            pod(
                affinity=required(
                    {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}
                )
            ),
            None,
        ),
        # Labels next to the name narrow the node, not the candidates.
        (pod(affinity=required({"matchFields": [name_in("n1")], **ZONE_A})), frozenset({"n1"})),
        (pod(affinity={"nodeAffinity": {}}), None),
        (pod(affinity=required()), None),
    ],
)
def test_candidate_nodes(subject: Obj, expected: frozenset[str] | None) -> None:
    assert candidate_nodes(subject) == expected
