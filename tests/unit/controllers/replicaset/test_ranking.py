"""Which pods go first on scale-down: upstream ``TestGetPodsToDelete`` (replica_set_test.go) and
``TestSortingActivePodsWithRanks`` (controller_utils_test.go), plus the deletion-cost parsing of
``GetDeletionCostFromPodAnnotations`` and ``FilterActivePods``."""

from __future__ import annotations

import pytest

from everynode.controllers.replicaset.ranking import (
    deletion_cost,
    filter_active,
    pods_to_delete,
    sort_for_deletion,
)
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.core.wellknown import ANNOTATION_POD_DELETION_COST as POD_DELETION_COST
from tests import builders
from tests.unit.controllers.replicaset.harness import START, new_pod, new_replicaset

NOW = START
HOUR = 3600.0


def with_node(pod: Obj, node: str) -> Obj:
    pod["spec"]["nodeName"] = node
    return pod


def with_ready(pod: Obj, ready: bool) -> Obj:
    pod["status"]["conditions"] = [builders.condition("Ready", ready)]
    return pod


# -- TestGetPodsToDelete -------------------------------------------------------------------------------

_rs = new_replicaset(1, {"name": "foo"})
UNSCHEDULED_PENDING = new_pod("unscheduled-pending-pod", _rs, "Pending")
SCHEDULED_PENDING = with_node(new_pod("scheduled-pending-pod", _rs, "Pending"), "fake-node")
RUNNING_NOT_READY = with_ready(
    with_node(new_pod("scheduled-running-not-ready-pod", _rs, "Running"), "fake-node"), False
)
READY_ON_NODE_1 = with_ready(
    with_node(new_pod("scheduled-running-ready-pod-on-node-1", _rs, "Running"), "fake-node-1"), True
)
READY_ON_NODE_2 = with_ready(
    with_node(new_pod("scheduled-running-ready-pod-on-node-2", _rs, "Running"), "fake-node-2"), True
)

GET_PODS_TO_DELETE = [
    pytest.param([], None, 0, [], id="len(pods) = 0 (i.e., diff = 0 too)"),
    pytest.param(
        [RUNNING_NOT_READY, READY_ON_NODE_1],
        None,
        2,
        [RUNNING_NOT_READY, READY_ON_NODE_1],
        id="diff = len(pods)",
    ),
    pytest.param([READY_ON_NODE_1, RUNNING_NOT_READY], None, 1, [RUNNING_NOT_READY], id="diff < len(pods)"),
    pytest.param(
        [
            READY_ON_NODE_1,
            READY_ON_NODE_1,
            READY_ON_NODE_2,
            RUNNING_NOT_READY,
            SCHEDULED_PENDING,
            UNSCHEDULED_PENDING,
        ],
        None,
        6,
        [
            READY_ON_NODE_1,
            READY_ON_NODE_1,
            READY_ON_NODE_2,
            RUNNING_NOT_READY,
            SCHEDULED_PENDING,
            UNSCHEDULED_PENDING,
        ],
        id="various pod phases and conditions, diff = len(pods)",
    ),
    pytest.param(
        [
            READY_ON_NODE_1,
            READY_ON_NODE_1,
            READY_ON_NODE_2,
            RUNNING_NOT_READY,
            SCHEDULED_PENDING,
            UNSCHEDULED_PENDING,
        ],
        [],
        6,
        [
            READY_ON_NODE_1,
            READY_ON_NODE_1,
            READY_ON_NODE_2,
            RUNNING_NOT_READY,
            SCHEDULED_PENDING,
            UNSCHEDULED_PENDING,
        ],
        id="various pod phases and conditions, diff = len(pods), relatedPods empty",
    ),
    pytest.param(
        [SCHEDULED_PENDING, UNSCHEDULED_PENDING],
        None,
        1,
        [UNSCHEDULED_PENDING],
        id="scheduled vs unscheduled",
    ),
    pytest.param(
        [READY_ON_NODE_1, RUNNING_NOT_READY, RUNNING_NOT_READY],
        None,
        2,
        [RUNNING_NOT_READY, RUNNING_NOT_READY],
        id="ready vs not-ready, diff < len(pods)",
    ),
    pytest.param(
        [READY_ON_NODE_1, READY_ON_NODE_2],
        [READY_ON_NODE_1, READY_ON_NODE_2, READY_ON_NODE_2],
        1,
        [READY_ON_NODE_2],
        id="ready and colocated with another ready pod vs not colocated",
    ),
    pytest.param(
        [SCHEDULED_PENDING, RUNNING_NOT_READY], None, 1, [SCHEDULED_PENDING], id="pending vs running"
    ),
    pytest.param(
        [READY_ON_NODE_1, READY_ON_NODE_2, RUNNING_NOT_READY, SCHEDULED_PENDING, UNSCHEDULED_PENDING],
        None,
        3,
        [UNSCHEDULED_PENDING, SCHEDULED_PENDING, RUNNING_NOT_READY],
        id="various pod phases and conditions, diff < len(pods)",
    ),
]


@pytest.mark.parametrize(("pods", "related", "diff", "expected"), GET_PODS_TO_DELETE)
def test_get_pods_to_delete(
    pods: list[Obj], related: list[Obj] | None, diff: int, expected: list[Obj]
) -> None:
    """Upstream ``TestGetPodsToDelete`` (related defaults to the pods themselves)."""
    chosen = pods_to_delete(pods, pods if related is None else related, diff, NOW)
    assert [pod["metadata"]["name"] for pod in chosen] == [pod["metadata"]["name"] for pod in expected]


# -- TestSortingActivePodsWithRanks --------------------------------------------------------------------


def pod(
    name: str,
    node: str,
    phase: str,
    ready: bool,
    *,
    restarts: int = 0,
    ready_since: float | None = None,
    created: float | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    """Upstream's helper of the same test: ``None`` times are Go's zero time (left out)."""
    condition = builders.condition("Ready", ready)
    if ready_since is not None:
        condition["lastTransitionTime"] = format_time(ready_since)
    return builders.pod(
        name,
        node=node or None,
        annotations=annotations,
        created=None if created is None else format_time(created),
        phase=phase,
        conditions=[condition],
        status={"containerStatuses": [{"name": "main", "restartCount": restarts}]},
    )


MONTH_AGO = NOW - 30 * 24 * HOUR
UNSCHEDULED = pod("unscheduled", "", "Pending", False)
SCHEDULED_PENDING_POD = pod("pending", "node", "Pending", False)
UNKNOWN_PHASE = pod("unknown-phase", "node", "Unknown", False)
RUNNING_NOT_READY_POD = pod("not-ready", "node", "Running", False)
READY_NO_TRANSITION = pod("ready-no-last-transition-time", "node", "Running", True)
READY_NOW = pod("ready-now", "node", "Running", True, ready_since=NOW, created=NOW)
READY_THEN = pod("ready-then", "node", "Running", True, ready_since=MONTH_AGO, created=MONTH_AGO)
READY_NOW_HIGH_RESTARTS = pod(
    "ready-high-restarts", "node", "Running", True, restarts=9001, ready_since=NOW, created=NOW
)
READY_NOW_CREATED_THEN = pod(
    "ready-now-created-then", "node", "Running", True, ready_since=NOW, created=MONTH_AGO
)
LOW_COST = pod(
    "low-deletion-cost",
    "node",
    "Running",
    True,
    ready_since=NOW,
    created=MONTH_AGO,
    annotations={POD_DELETION_COST: "10"},
)
HIGH_COST = pod(
    "high-deletion-cost",
    "node",
    "Running",
    True,
    ready_since=NOW,
    created=MONTH_AGO,
    annotations={POD_DELETION_COST: "100"},
)
UNSCHEDULED_5H = pod(
    "unscheduled-5-hours", "", "Pending", False, ready_since=NOW - 5 * HOUR, created=NOW - 5 * HOUR
)
UNSCHEDULED_8H = pod(
    "unscheduled-10-hours", "", "Pending", False, ready_since=NOW - 8 * HOUR, created=NOW - 8 * HOUR
)
READY_2H = pod("ready-2-hours", "", "Running", True, ready_since=NOW - 2 * HOUR, created=MONTH_AGO)
READY_5H = pod("ready-5-hours", "", "Running", True, ready_since=NOW - 5 * HOUR, created=MONTH_AGO)
READY_8H = pod("ready-10-hours", "", "Running", True, ready_since=NOW - 8 * HOUR, created=MONTH_AGO)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (UNSCHEDULED, None),
        (SCHEDULED_PENDING_POD, None),
        (UNKNOWN_PHASE, None),
        (RUNNING_NOT_READY_POD, None),
        (READY_NOW_CREATED_THEN, None),
        (READY_NOW, None),
        (READY_THEN, None),
        (READY_NOW_HIGH_RESTARTS, None),
        (UNSCHEDULED_5H, UNSCHEDULED_8H),  # the same power of two of age: a tie (equal, empty uids)
        (READY_5H, READY_8H),
    ],
)
def test_sorting_equal_pods(first: Obj, second: Obj | None) -> None:
    """``TestSortingActivePodsWithRanks`` equality cases: neither sorts before the other, so the
    (stable) order given is kept both ways round."""
    other = first if second is None else second
    for pair in ([first, other], [other, first]):
        assert sort_for_deletion(pair, [1, 1], NOW) == pair


@pytest.mark.parametrize(
    ("lesser", "lesser_rank", "greater", "greater_rank"),
    [
        (UNSCHEDULED, 1, SCHEDULED_PENDING_POD, 2),
        (UNSCHEDULED, 2, SCHEDULED_PENDING_POD, 1),
        (SCHEDULED_PENDING_POD, 1, UNKNOWN_PHASE, 2),
        (UNKNOWN_PHASE, 1, RUNNING_NOT_READY_POD, 2),
        (RUNNING_NOT_READY_POD, 1, READY_NO_TRANSITION, 1),
        (READY_NO_TRANSITION, 1, READY_NOW, 1),
        (READY_NOW, 2, READY_NO_TRANSITION, 1),
        (READY_NOW, 1, READY_THEN, 1),
        (READY_NOW, 2, READY_THEN, 1),
        (READY_NOW_HIGH_RESTARTS, 1, READY_NOW, 1),
        (READY_NOW, 2, READY_NOW_HIGH_RESTARTS, 1),
        (READY_NOW, 1, READY_NOW_CREATED_THEN, 1),
        (READY_NOW_CREATED_THEN, 2, READY_NOW, 1),
        (LOW_COST, 2, HIGH_COST, 1),
        (READY_2H, 1, READY_5H, 1),
    ],
)
def test_sorting_unequal_pods(lesser: Obj, lesser_rank: int, greater: Obj, greater_rank: int) -> None:
    """``TestSortingActivePodsWithRanks`` inequality cases (pod-deletion-cost and logarithmic
    scale-down on, as by default): the lesser pod goes first whatever order they come in."""
    assert sort_for_deletion([greater, lesser], [greater_rank, lesser_rank], NOW) == [lesser, greater]
    assert sort_for_deletion([lesser, greater], [lesser_rank, greater_rank], NOW) == [lesser, greater]


def test_without_a_reference_time_times_compare_directly() -> None:
    """With no ``now`` (upstream's zero ``Now``) the more recent time always goes first."""
    five, eight = UNSCHEDULED_5H, UNSCHEDULED_8H
    assert sort_for_deletion([eight, five], [0, 0], None) == [five, eight]


def test_same_age_bucket_ties_are_broken_by_uid() -> None:
    """Logarithmic scale-down: pods created 5 h and 8 h ago are alike; the smaller uid goes first."""
    older = dict(UNSCHEDULED_8H, metadata={**UNSCHEDULED_8H["metadata"], "uid": "a"})
    newer = dict(UNSCHEDULED_5H, metadata={**UNSCHEDULED_5H["metadata"], "uid": "b"})
    assert sort_for_deletion([newer, older], [0, 0], NOW) == [older, newer]


@pytest.mark.parametrize(
    ("value", "cost"),
    [
        (None, 0),
        ("10", 10),
        ("-5", -5),
        ("0", 0),
        ("+10", 0),
        ("008", 0),
        ("", 0),
        ("abc", 0),
        ("2147483647", 2147483647),
        ("2147483648", 0),
        ("-2147483648", -2147483648),
        ("1.5", 0),
    ],
)
def test_deletion_cost_annotation(value: str | None, cost: int) -> None:
    """``GetDeletionCostFromPodAnnotations``: a canonical int32, else 0."""
    annotations = None if value is None else {POD_DELETION_COST: value}
    assert deletion_cost(builders.pod("p", annotations=annotations)) == cost


def test_filter_active_pods() -> None:
    """``FilterActivePods``: terminal and deleting pods are not active."""
    rs = new_replicaset(1, {"foo": "bar"})
    running = new_pod("running", rs, "Running")
    pending = new_pod("pending", rs, "Pending")
    failed = new_pod("failed", rs, "Failed")
    succeeded = new_pod("succeeded", rs, "Succeeded")
    deleting = new_pod("deleting", rs, "Running")
    deleting["metadata"]["deletionTimestamp"] = format_time(NOW)
    assert filter_active([running, pending, failed, succeeded, deleting]) == [running, pending]
