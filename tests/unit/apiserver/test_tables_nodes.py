"""Node rows: STATUS, ROLES, VERSION and the wide cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.tables import render_table
from everynode.core.types import Obj
from tests import builders

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def node(
    *,
    ready: str | None = "True",
    unschedulable: bool | None = None,
    labels: dict[str, str] | None = None,
    conditions: list[Obj] | None = None,
    info: Obj | None = None,
    addresses: list[Obj] | None = None,
) -> Obj:
    if conditions is None:
        conditions = [builders.condition("MemoryPressure", False)]
        if ready is not None:
            conditions.append(builders.condition("Ready", ready))
    return builders.node(
        "node-a",
        labels=labels or {},
        created=(NOW - timedelta(days=12)).isoformat().replace("+00:00", "Z"),
        unschedulable=unschedulable,
        conditions=conditions,
        status=builders.present(
            nodeInfo={"kubeletVersion": "v1.31.0"} if info is None else info, addresses=addresses
        ),
    )


def cell(n: Obj, index: int) -> Any:
    (row,) = render_table(kind_of("nodes"), [n], now=NOW)["rows"]
    return row["cells"][index]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        pytest.param(node(), "Ready", id="ready"),
        pytest.param(node(ready="False"), "NotReady", id="not-ready"),
        pytest.param(node(ready="Unknown"), "NotReady", id="ready-unknown"),
        pytest.param(node(ready=None), "Unknown", id="no-ready-condition"),
        pytest.param(node(conditions=[]), "Unknown", id="no-conditions"),
        pytest.param(node(unschedulable=True), "Ready,SchedulingDisabled", id="cordoned"),
        pytest.param(
            node(ready="False", unschedulable=True), "NotReady,SchedulingDisabled", id="cordoned-down"
        ),
        pytest.param(
            node(ready=None, unschedulable=True), "Unknown,SchedulingDisabled", id="cordoned-unknown"
        ),
        pytest.param(node(unschedulable=False), "Ready", id="explicitly-schedulable"),
        pytest.param(
            node(conditions=[{"type": "Ready", "status": "True"}, {"type": "Ready", "status": "False"}]),
            "NotReady",
            id="last-ready-condition-wins",
        ),
    ],
)
def test_node_status(n: Obj, expected: str) -> None:
    assert cell(n, 1) == expected


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({}, "<none>"),
        ({"kubernetes.io/hostname": "node-a"}, "<none>"),
        ({"node-role.kubernetes.io/control-plane": ""}, "control-plane"),
        (
            {"node-role.kubernetes.io/worker": "true", "node-role.kubernetes.io/control-plane": ""},
            "control-plane,worker",
        ),
        ({"kubernetes.io/role": "master", "node-role.kubernetes.io/master": ""}, "master"),
        ({"kubernetes.io/role": "edge", "node-role.kubernetes.io/infra": "x"}, "edge,infra"),
        ({"node-role.kubernetes.io/": "x"}, "<none>"),
        ({"kubernetes.io/role": ""}, "<none>"),
    ],
)
def test_node_roles(labels: dict[str, str], expected: str) -> None:
    assert cell(node(labels=labels), 2) == expected


def test_node_row_with_wide_cells() -> None:
    n = node(
        labels={"node-role.kubernetes.io/worker": ""},
        info={
            "kubeletVersion": "v1.31.0",
            "osImage": "Ubuntu 24.04 LTS",
            "kernelVersion": "6.8.0-31-generic",
            "containerRuntimeVersion": "containerd://1.7.12",
        },
        addresses=[
            {"type": "Hostname", "address": "node-a"},
            {"type": "InternalIP", "address": "10.0.0.4"},
            {"type": "InternalIP", "address": "10.0.0.5"},
            {"type": "ExternalIP", "address": "203.0.113.4"},
        ],
    )
    (row,) = render_table(kind_of("nodes"), [n], now=NOW)["rows"]
    assert row["cells"] == [
        "node-a",
        "Ready",
        "worker",
        "12d",
        "v1.31.0",
        "10.0.0.4",
        "203.0.113.4",
        "Ubuntu 24.04 LTS",
        "6.8.0-31-generic",
        "containerd://1.7.12",
    ]


def test_node_row_without_info() -> None:
    (row,) = render_table(kind_of("nodes"), [node(info={})], now=NOW)["rows"]
    assert row["cells"] == [
        "node-a",
        "Ready",
        "<none>",
        "12d",
        "",
        "<none>",
        "<none>",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]


def test_node_columns() -> None:
    table = render_table(kind_of("nodes"), [], now=NOW)
    assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", 0),
        ("Status", 0),
        ("Roles", 0),
        ("Age", 0),
        ("Version", 0),
        ("Internal-IP", 1),
        ("External-IP", 1),
        ("OS-Image", 1),
        ("Kernel-Version", 1),
        ("Container-Runtime", 1),
    ]
