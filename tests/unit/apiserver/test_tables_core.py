"""Namespace, Event and Lease rows, and the generic table for other resources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.tables import GENERIC, render_table
from everynode.core.types import Obj

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def ago(**elapsed: float) -> str:
    return (NOW - timedelta(**elapsed)).isoformat().replace("+00:00", "Z")


def micro_ago(**elapsed: float) -> str:
    return (NOW - timedelta(**elapsed)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_cells(resource: str, obj: Obj) -> list[Any]:
    (row,) = render_table(kind_of(resource), [obj], now=NOW)["rows"]
    return list(row["cells"])


def column_names(resource: str) -> list[tuple[str, int]]:
    return [
        (c["name"], c["priority"]) for c in render_table(kind_of(resource), [], now=NOW)["columnDefinitions"]
    ]


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        (
            {
                "metadata": {"name": "default", "creationTimestamp": ago(days=30)},
                "status": {"phase": "Active"},
            },
            ["default", "Active", "30d"],
        ),
        (
            {
                "metadata": {"name": "old", "creationTimestamp": ago(hours=1)},
                "status": {"phase": "Terminating"},
            },
            ["old", "Terminating", "60m"],
        ),
        ({"metadata": {"name": "new"}}, ["new", "", "<unknown>"]),
    ],
)
def test_namespace_rows(ns: Obj, expected: list[Any]) -> None:
    assert column_names("namespaces") == [("Name", 0), ("Status", 0), ("Age", 0)]
    assert row_cells("namespaces", ns) == expected


@pytest.mark.parametrize(
    ("lease", "expected"),
    [
        (
            {
                "metadata": {"name": "node-a", "creationTimestamp": ago(minutes=7)},
                "spec": {"holderIdentity": "node-a"},
            },
            ["node-a", "node-a", "7m"],
        ),
        (
            {"metadata": {"name": "free", "creationTimestamp": ago(seconds=30)}, "spec": {}},
            ["free", "", "30s"],
        ),
    ],
)
def test_lease_rows(lease: Obj, expected: list[Any]) -> None:
    assert column_names("leases") == [("Name", 0), ("Holder", 0), ("Age", 0)]
    assert row_cells("leases", lease) == expected


def event(**fields: Any) -> Obj:
    base: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "agent.17c1", "namespace": "default", "creationTimestamp": ago(minutes=10)},
        "involvedObject": {"kind": "DaemonSet", "name": "agent", "namespace": "default"},
        "type": "Normal",
        "reason": "SuccessfulCreate",
        "message": "Created pod: agent-x7k2p",
    }
    base.update(fields)
    return base


def test_event_columns() -> None:
    assert column_names("events") == [
        ("Last Seen", 0),
        ("Type", 0),
        ("Reason", 0),
        ("Object", 0),
        ("Subobject", 1),
        ("Source", 1),
        ("Message", 0),
        ("First Seen", 1),
        ("Count", 1),
        ("Name", 1),
    ]


@pytest.mark.parametrize(
    ("ev", "expected"),
    [
        pytest.param(
            event(
                firstTimestamp=ago(minutes=10),
                lastTimestamp=ago(minutes=2),
                count=4,
                source={"component": "daemonset-controller"},
            ),
            [
                "2m",
                "Normal",
                "SuccessfulCreate",
                "daemonset/agent",
                "",
                "daemonset-controller",
                "Created pod: agent-x7k2p",
                "10m",
                4,
                "agent.17c1",
            ],
            id="legacy-event",
        ),
        pytest.param(
            event(
                firstTimestamp=ago(hours=4),
                lastTimestamp=ago(hours=2, minutes=59),
                count=1,
                type="Warning",
                reason="BackOff",
                message="  Back-off restarting failed container\n",
                involvedObject={"kind": "Pod", "name": "agent-x7k2p", "fieldPath": "spec.containers{app}"},
                source={"component": "kubelet", "host": "node-a"},
            ),
            [
                "179m",
                "Warning",
                "BackOff",
                "pod/agent-x7k2p",
                "spec.containers{app}",
                "kubelet, node-a",
                "Back-off restarting failed container",
                "4h",
                1,
                "agent.17c1",
            ],
            id="kubelet-event-trimmed-message",
        ),
        pytest.param(
            event(
                eventTime=micro_ago(minutes=3, seconds=30),
                reportingComponent="everynode/daemonset",
                reportingInstance="controller-0",
            ),
            [
                "3m30s",
                "Normal",
                "SuccessfulCreate",
                "daemonset/agent",
                "",
                "everynode/daemonset, controller-0",
                "Created pod: agent-x7k2p",
                "3m30s",
                1,
                "agent.17c1",
            ],
            id="events-api-singleton",
        ),
        pytest.param(
            event(
                eventTime=micro_ago(hours=1),
                series={"count": 12, "lastObservedTime": micro_ago(seconds=40)},
                count=3,
                reportingComponent="scheduler",
                source={"host": "node-b"},
            ),
            [
                "40s",
                "Normal",
                "SuccessfulCreate",
                "daemonset/agent",
                "",
                "scheduler, node-b",
                "Created pod: agent-x7k2p",
                "60m",
                12,
                "agent.17c1",
            ],
            id="events-api-series",
        ),
        pytest.param(
            event(involvedObject={"kind": "Node"}, lastTimestamp=ago(seconds=5)),
            [
                "5s",
                "Normal",
                "SuccessfulCreate",
                "node",
                "",
                "",
                "Created pod: agent-x7k2p",
                "<unknown>",
                1,
                "agent.17c1",
            ],
            id="no-involved-name-no-first-seen",
        ),
    ],
)
def test_event_rows(ev: Obj, expected: list[Any]) -> None:
    assert row_cells("events", ev) == expected


def test_unknown_resource_gets_generic_table() -> None:
    table = render_table(
        GENERIC,
        [
            {"metadata": {"name": "w1", "creationTimestamp": "2024-04-30T10:11:12+02:00"}},
            {"metadata": {"name": "w2"}},
        ],
        now=NOW,
    )
    assert [(c["name"], c["type"], c["format"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", "name"),
        ("Created At", "date", ""),
    ]
    assert [r["cells"] for r in table["rows"]] == [
        ["w1", "2024-04-30T08:11:12Z"],
        ["w2", "0001-01-01T00:00:00Z"],
    ]
