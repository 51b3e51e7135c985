"""Pod requests (containers, init containers, sidecars, overhead) and per-node accounting."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.core.types import Obj
from everynode.scheduler.nodeinfo import (
    DEFAULT_MAX_PODS,
    DEFAULT_MEMORY,
    DEFAULT_MILLI_CPU,
    NodeInfo,
    PodRequest,
    Resources,
    pod_request,
    snapshot_of,
)
from tests import builders
from tests.unit.scheduler.objects import container, node, pod

MI = 2**20


def spec_pod(containers: list[Obj], init: list[Obj] | None = None, **spec: Any) -> Obj:
    return builders.pod(
        "p", namespace="ns", containers=containers, **builders.present(initContainers=init), **spec
    )


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        # One container: its requests.
        (spec_pod([container(cpu="250m", memory="64Mi")]), Resources(250, 64 * MI)),
        # Regular containers run together: their requests add up.
        (
            spec_pod([container("a", cpu="1", memory="1Gi"), container("b", cpu="500m")]),
            Resources(1500, 1024 * MI),
        ),
        # No requests at all.
        (spec_pod([container()]), Resources(0, 0)),
        # Init containers run one at a time: the largest counts, per resource, against the sum.
        (
            spec_pod(
                [container("c1", cpu="2", memory="1G"), container("c2", cpu="1", memory="1G")],
                [container("i1", cpu="2", memory="1G"), container("i2", cpu="2", memory="3G")],
            ),
            Resources(3000, 3 * 10**9),
        ),
        (spec_pod([container(cpu="100m")], [container("init", cpu="2")]), Resources(2000, 0)),
        # A sidecar (restartPolicy Always) runs beside the regular containers and later init containers.
        (
            spec_pod(
                [container(cpu="1")],
                [container("side", cpu="500m", restartPolicy="Always"), container("init", cpu="1200m")],
            ),
            Resources(1700, 0),
        ),
        (
            spec_pod([container(cpu="1")], [container("side", cpu="500m", restartPolicy="Always")]),
            Resources(1500, 0),
        ),
        # Overhead (RuntimeClass) is added on top.
        (
            spec_pod([container(cpu="1", memory="1Gi")], overhead={"cpu": "250m", "memory": "120Mi"}),
            Resources(1250, 1144 * MI),
        ),
        # Limits are not requests (the API server copies limits into missing requests when it defaults).
        (spec_pod([{"name": "c", "resources": {"limits": {"cpu": "2"}}}]), Resources(0, 0)),
        # A pod with no spec requests nothing.
        ({"metadata": {"name": "p"}}, Resources(0, 0)),
    ],
)
def test_pod_request(subject: Obj, expected: Resources) -> None:
    assert pod_request(subject).requested == expected


def test_nonzero_request_fills_in_upstream_defaults_per_container() -> None:
    request = pod_request(
        spec_pod([container("a"), container("b", cpu="1"), container("c", cpu="0", memory="0")])
    )
    assert request.requested == Resources(1000, 0)
    # a: both defaults; b: memory default; c: explicit zeros stay zero
    assert request.nonzero == Resources(DEFAULT_MILLI_CPU + 1000, 2 * DEFAULT_MEMORY)


def test_allocatable_is_read_from_status() -> None:
    info = NodeInfo("n", node("n", cpu="3500m", memory="8Gi", pods="30"))
    assert info.allocatable == Resources(3500, 8 * 1024 * MI)
    assert info.allowed_pods == 30


def test_missing_allocatable_is_zero_but_pods_default_to_110() -> None:
    info = NodeInfo("n", node("n"))
    assert info.allocatable == Resources(0, 0)
    assert info.allowed_pods == DEFAULT_MAX_PODS == 110
    explicit_zero = NodeInfo("n", node("n", pods="0"))
    assert explicit_zero.allowed_pods == 0


def test_add_and_remove_keep_the_sums() -> None:
    info = NodeInfo("n", node("n", cpu="4"))
    info.add("ns/a", PodRequest(Resources(100, 10), Resources(100, 20)))
    info.add("ns/b", PodRequest(Resources(200, 0), Resources(200, 5)))
    info.add("ns/a", PodRequest(Resources(300, 0), Resources(300, 0)))  # replaces, not adds
    assert info.requested == Resources(500, 0)
    assert info.nonzero == Resources(500, 5)
    assert len(info.pods) == 2
    assert info.remove("ns/b")
    assert not info.remove("ns/b")
    assert info.requested == Resources(300, 0)
    info.set_node(None)
    assert info.allocatable == Resources(0, 0)


def test_snapshot_of_counts_bound_pods_that_are_not_terminal() -> None:
    snapshot = snapshot_of(
        [node("b"), node("a")],
        [
            pod("p1", cpu="1", node_name="a"),
            pod("p2", cpu="1", node_name="a", phase="Succeeded"),
            pod("p3", cpu="1", node_name="a", phase="Failed"),
            pod("p4", cpu="1"),  # not bound
            pod("p5", cpu="1", node_name="gone"),  # bound to a node that does not exist
        ],
    )
    assert list(snapshot.order) == ["a", "b"]
    assert len(snapshot) == 2
    a = snapshot.get("a")
    assert a is not None
    assert list(a.pods) == ["default/p1"]
    assert a.requested == Resources(1000, 0)
    assert snapshot.get("gone") is None
