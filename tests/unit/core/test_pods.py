"""Pod state helpers: RFC 3339 times, terminal/deleting/ready/available, and the per-node sort order."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.core.pods import (
    creation_phase_sort_key,
    is_available,
    is_deleting,
    is_ready,
    is_terminal,
    ready_condition,
)
from everynode.core.timestamps import format_time, now_time, parse_time
from tests import builders

T0 = 1704164645.0  # 2024-01-02T03:04:05Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", T0),
        ("2024-01-02t03:04:05z", T0),
        ("2024-01-02T03:04:05.5Z", T0 + 0.5),
        ("2024-01-02T03:04:05.123456789Z", T0 + 0.123456789),
        ("2024-01-02T03:04:05+00:00", T0),
        ("2024-01-02T04:04:05+01:00", T0),
        ("2024-01-01T22:34:05-04:30", T0),
        ("2024-01-02T04:04:05.25+01:00", T0 + 0.25),
        ("1970-01-01T00:00:00Z", 0.0),
    ],
)
def test_parse_time(text: str, expected: float) -> None:
    assert parse_time(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "yesterday",
        "2024-01-02",
        "2024-01-02T03:04:05",  # no offset
        "2024-01-02 03:04:05Z",
        "2024-01-02T03:04Z",
        "2024-13-02T03:04:05Z",
        "2024-02-30T03:04:05Z",
        "2024-01-02T24:00:00Z",
        "2024-01-02T03:04:60Z",
        "2024-01-02T03:04:05+24:00",
        "2024-01-02T03:04:05+01:60",
        "2024-01-02T03:04:05.Z",
        " 2024-01-02T03:04:05Z",
        "20240102T030405Z",
    ],
)
def test_parse_time_rejects(text: str | None) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (T0, "2024-01-02T03:04:05Z"),
        (T0 + 0.999, "2024-01-02T03:04:05Z"),
        (0, "1970-01-01T00:00:00Z"),
    ],
)
def test_format_time(epoch: float, text: str) -> None:
    assert format_time(epoch) == text
    assert parse_time(text) == int(epoch)


@pytest.mark.parametrize(
    ("phase", "terminal"),
    [
        ("Failed", True),
        ("Succeeded", True),
        ("Running", False),
        ("Pending", False),
        ("Unknown", False),
        (None, False),
    ],
)
def test_is_terminal(phase: str | None, terminal: bool) -> None:
    assert is_terminal({"status": {"phase": phase}}) is terminal


def test_is_terminal_without_status() -> None:
    assert is_terminal({}) is False


@pytest.mark.parametrize(
    ("metadata", "deleting"),
    [
        ({}, False),
        ({"deletionTimestamp": None}, False),
        ({"deletionTimestamp": "2024-01-02T03:04:05Z"}, True),
    ],
)
def test_is_deleting(metadata: dict[str, Any], deleting: bool) -> None:
    assert is_deleting({"metadata": metadata}) is deleting


def pod_with(*conditions: dict[str, Any]) -> dict[str, Any]:
    return builders.pod("p", conditions=list(conditions))


def ready(status: str = "True", since: str | None = "2024-01-02T03:04:05Z") -> dict[str, Any]:
    condition = {"type": "Ready", "status": status}
    if since is not None:
        condition["lastTransitionTime"] = since
    return condition


def test_ready_condition_is_the_first_ready_entry() -> None:
    scheduled = {"type": "PodScheduled", "status": "True"}
    first, second = ready("False"), ready("True")
    assert ready_condition(pod_with(scheduled, first, second)) is first
    assert ready_condition(pod_with(scheduled)) is None
    assert ready_condition({}) is None


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        (pod_with(ready("True")), True),
        (pod_with(ready("False")), False),
        (pod_with(ready("Unknown")), False),
        (pod_with(ready("true")), False),
        (pod_with({"type": "ContainersReady", "status": "True"}), False),
        (pod_with(), False),
        ({"status": {}}, False),
    ],
)
def test_is_ready(pod: dict[str, Any], expected: bool) -> None:
    assert is_ready(pod) is expected


@pytest.mark.parametrize(
    ("pod", "min_ready", "now", "expected"),
    [
        pytest.param(pod_with(ready()), 0, T0 - 100, True, id="minready-0-ignores-time"),
        pytest.param(pod_with(ready(since=None)), 0, T0, True, id="minready-0-no-transition-time"),
        pytest.param(pod_with(ready("False")), 0, T0 + 100, False, id="not-ready"),
        pytest.param(pod_with(ready("False")), 10, T0 + 100, False, id="not-ready-minready"),
        pytest.param(pod_with(ready()), 10, T0 + 9, False, id="before"),
        pytest.param(pod_with(ready()), 10, T0 + 10, False, id="exactly-at-boundary"),
        pytest.param(pod_with(ready()), 10, T0 + 10.001, True, id="just-after"),
        pytest.param(pod_with(ready()), 10, T0 + 11, True, id="after"),
        pytest.param(pod_with(ready(since=None)), 10, T0 + 1000, False, id="no-transition-time"),
        pytest.param(pod_with(ready(since="garbage")), 10, T0 + 1000, False, id="bad-transition-time"),
    ],
)
def test_is_available(pod: dict[str, Any], min_ready: int, now: float, expected: bool) -> None:
    assert is_available(pod, min_ready, now) is expected


def pod(name: str, created: str | None, node: str | None = "n1") -> dict[str, Any]:
    return builders.pod(name, created=created, node=node)


def test_sort_bound_first_then_oldest_then_name() -> None:
    pods = [
        pod("unbound-old", "2024-01-01T00:00:00Z", node=None),
        pod("unbound-empty", "2024-01-01T00:00:00Z", node=""),
        pod("b-new", "2024-01-03T00:00:00Z"),
        pod("z-mid", "2024-01-02T00:00:00Z"),
        pod("a-mid", "2024-01-02T00:00:00Z"),
        pod("c-offset", "2024-01-02T01:00:00+02:00"),  # 2024-01-01T23:00:00Z: older than the "mid" pods
        pod("no-timestamp", None),
        pod("bad-timestamp", "soon"),
    ]
    ordered = [p["metadata"]["name"] for p in sorted(pods, key=creation_phase_sort_key)]
    assert ordered == [
        "bad-timestamp",
        "no-timestamp",
        "c-offset",
        "a-mid",
        "z-mid",
        "b-new",
        "unbound-empty",
        "unbound-old",
    ]


def test_sort_key_is_total_on_sparse_pods() -> None:
    assert sorted([{}, {"metadata": {"name": "a"}}], key=creation_phase_sort_key) == [
        {},
        {"metadata": {"name": "a"}},
    ]


def test_now_time_stops_at_the_last_second_rfc_3339_can_write() -> None:
    assert now_time(2**63) == "9999-12-31T23:59:59Z"
    assert now_time(-(2**63)) == "1970-01-01T00:00:00Z"
    assert parse_time(now_time()) is not None
