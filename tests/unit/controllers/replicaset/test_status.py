"""The status of a ReplicaSet: upstream ``TestCalculateStatus``, ``TestCalculateStatusConditions``
(replica_set_utils_test.go), ``TestGetCondition``/``TestSetCondition``/``TestRemoveCondition``
(replica_set_test.go), the steady-state check of ``updateReplicaSetStatus``, and when a Ready pod
becomes available."""

from __future__ import annotations

import copy

import pytest

from everynode.controllers.replicaset.status import (
    AVAILABILITY_SLACK,
    REPLICA_FAILURE,
    available_after,
    calculate_status,
    get_condition,
    remove_condition,
    set_condition,
    status_unchanged,
    with_status,
)
from everynode.core.types import Obj
from tests.unit.controllers.replicaset.harness import START, new_pod, new_replicaset

NOW = START
LABELS = {"name": "foo"}
FULL_LABELS = {"name": "foo", "type": "production"}

not_fully_labelled = new_replicaset(1, LABELS)
fully_labelled = new_replicaset(2, FULL_LABELS)  # 2 replicas, for the condition cases
long_min_ready = new_replicaset(1, FULL_LABELS, minReadySeconds=3600)


def running(name: str, rs: Obj, **kwargs: object) -> Obj:
    return new_pod(name, rs, "Running", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rs", "pods", "expected"),
    [
        pytest.param(
            fully_labelled, [running("pod1", fully_labelled)], (1, 1, 1, 1), id="1 fully labelled pod"
        ),
        pytest.param(
            not_fully_labelled,
            [running("pod1", not_fully_labelled)],
            (1, 0, 1, 1),
            id="1 not fully labelled pod",
        ),
        pytest.param(
            fully_labelled,
            [running("pod1", fully_labelled), running("pod2", fully_labelled)],
            (2, 2, 2, 2),
            id="2 fully labelled pods",
        ),
        pytest.param(
            not_fully_labelled,
            [running("pod1", not_fully_labelled), running("pod2", not_fully_labelled)],
            (2, 0, 2, 2),
            id="2 not fully labelled pods",
        ),
        pytest.param(
            not_fully_labelled,
            [running("pod1", not_fully_labelled), running("pod2", fully_labelled)],
            (2, 1, 2, 2),
            id="1 fully labelled pod, 1 not fully labelled pod",
        ),
        pytest.param(
            fully_labelled, [new_pod("pod1", fully_labelled, "Pending")], (1, 1, 0, 0), id="1 non-ready pod"
        ),
        pytest.param(
            long_min_ready,
            [running("pod1", long_min_ready, ready_since=NOW - 10)],
            (1, 1, 1, 0),
            id="1 ready but non-available pod",
        ),
    ],
)
def test_calculate_status(rs: Obj, pods: list[Obj], expected: tuple[int, int, int, int]) -> None:
    """Upstream ``TestCalculateStatus``: (replicas, fullyLabeled, ready, available)."""
    status = calculate_status(rs, pods, None, NOW)
    counted = (
        status["replicas"],
        status["fullyLabeledReplicas"],
        status["readyReplicas"],
        status["availableReplicas"],
    )
    assert counted == expected
    assert "conditions" not in status


def test_available_once_ready_for_longer_than_min_ready_seconds() -> None:
    """``IsPodAvailable``: Ready strictly longer than minReadySeconds; a Ready condition without a
    transition time never counts with minReadySeconds > 0."""
    rs = new_replicaset(3, FULL_LABELS, minReadySeconds=10)
    pods = [
        running("long-ago", rs, ready_since=NOW - 11),
        running("exactly", rs, ready_since=NOW - 10),
        running("no-time", rs),
    ]
    status = calculate_status(rs, pods, None, NOW)
    assert (status["readyReplicas"], status["availableReplicas"]) == (3, 1)


FAILURE_RS = new_replicaset(10, LABELS, status={"conditions": [{"type": REPLICA_FAILURE, "status": "True"}]})
CONDITION_RS = new_replicaset(2, LABELS)


@pytest.mark.parametrize(
    ("rs", "pod_count", "error", "expected"),
    [
        pytest.param(
            CONDITION_RS,
            1,
            RuntimeError("fake manageReplicasErr"),
            [
                {
                    "type": REPLICA_FAILURE,
                    "status": "True",
                    "reason": "FailedCreate",
                    "message": "fake manageReplicasErr",
                }
            ],
            id="manageReplicasErr != nil && failureCond == nil, diff < 0",
        ),
        pytest.param(
            CONDITION_RS,
            3,
            RuntimeError("fake manageReplicasErr"),
            [
                {
                    "type": REPLICA_FAILURE,
                    "status": "True",
                    "reason": "FailedDelete",
                    "message": "fake manageReplicasErr",
                }
            ],
            id="manageReplicasErr != nil && failureCond == nil, diff > 0",
        ),
        pytest.param(FAILURE_RS, 1, None, None, id="manageReplicasErr == nil && failureCond != nil"),
        pytest.param(
            FAILURE_RS,
            1,
            RuntimeError("fake manageReplicasErr"),
            [{"type": REPLICA_FAILURE, "status": "True"}],
            id="manageReplicasErr != nil && failureCond != nil",
        ),
        pytest.param(CONDITION_RS, 1, None, None, id="manageReplicasErr == nil && failureCond == nil"),
    ],
)
def test_calculate_status_conditions(
    rs: Obj, pod_count: int, error: Exception | None, expected: list[Obj] | None
) -> None:
    """Upstream ``TestCalculateStatusConditions`` (the transition time is whatever was set)."""
    pods = [running(f"pod{i}", rs) for i in range(pod_count)]
    before = copy.deepcopy(rs)
    conditions = calculate_status(rs, pods, error, NOW).get("conditions")
    assert rs == before  # a new status; the ReplicaSet is not changed
    if conditions:
        for condition in conditions:
            condition.pop("lastTransitionTime", None)
    assert conditions == expected


IMAGE_PULL_BACKOFF = {"type": "ImagePullBackOff", "status": "True", "reason": "NonExistentImage"}
FAILURE = {"type": REPLICA_FAILURE, "status": "True", "reason": "OtherFailure"}
FAILURE_2 = {"type": REPLICA_FAILURE, "status": "True", "reason": "AnotherFailure"}


def test_get_condition() -> None:
    """Upstream ``TestGetCondition``."""
    status = {"conditions": [FAILURE]}
    assert get_condition(status, REPLICA_FAILURE) == FAILURE
    assert get_condition(status, "ImagePullBackOff") is None


@pytest.mark.parametrize(
    ("conditions", "condition", "expected"),
    [
        pytest.param([], FAILURE, [FAILURE], id="set for the first time"),
        pytest.param([IMAGE_PULL_BACKOFF], FAILURE, [IMAGE_PULL_BACKOFF, FAILURE], id="simple set"),
        pytest.param([FAILURE], FAILURE_2, [FAILURE_2], id="overwrite"),
        pytest.param(
            [FAILURE], {**FAILURE, "message": "newer"}, [FAILURE], id="same status and reason: kept"
        ),
    ],
)
def test_set_condition(conditions: list[Obj], condition: Obj, expected: list[Obj]) -> None:
    """Upstream ``TestSetCondition``."""
    status: Obj = {"conditions": list(conditions)}
    set_condition(status, condition)
    assert status["conditions"] == expected


@pytest.mark.parametrize(
    ("conditions", "kind", "expected"),
    [
        pytest.param(None, REPLICA_FAILURE, None, id="remove from empty status"),
        pytest.param([FAILURE], REPLICA_FAILURE, None, id="simple remove"),
        pytest.param([FAILURE], "ImagePullBackOff", [FAILURE], id="doesn't remove anything"),
    ],
)
def test_remove_condition(conditions: list[Obj] | None, kind: str, expected: list[Obj] | None) -> None:
    """Upstream ``TestRemoveCondition``."""
    status: Obj = {} if conditions is None else {"conditions": list(conditions)}
    remove_condition(status, kind)
    assert status.get("conditions") == expected


def test_status_unchanged_needs_equal_counters_conditions_and_observed_generation() -> None:
    """``updateReplicaSetStatus``'s steady state: no write when counters, conditions and the observed
    generation all agree (a missing counter reads as 0)."""
    rs = new_replicaset(1, LABELS, generation=2, status={"replicas": 1, "observedGeneration": 2})
    same = {"replicas": 1, "fullyLabeledReplicas": 0, "readyReplicas": 0, "availableReplicas": 0}
    assert status_unchanged(rs, same)
    assert not status_unchanged(rs, {**same, "readyReplicas": 1})
    assert not status_unchanged(rs, {**same, "conditions": [FAILURE]})
    stale = new_replicaset(1, LABELS, generation=3, status={"replicas": 1, "observedGeneration": 2})
    assert not status_unchanged(stale, same)


def test_with_status_sets_observed_generation_and_leaves_out_zero_counters() -> None:
    rs = new_replicaset(1, LABELS, generation=4)
    status = {"replicas": 0, "fullyLabeledReplicas": 0, "readyReplicas": 0, "availableReplicas": 0}
    written = with_status(rs, status, 4)
    assert written["status"] == {"replicas": 0, "observedGeneration": 4}
    assert written["spec"] == rs["spec"]
    assert "observedGeneration" not in rs["status"]


def test_available_after_the_remaining_part_of_min_ready_seconds() -> None:
    """A pod Ready for 4 s of 10 is due to become available in 6 s; available or not-ready pods and a
    Ready condition without a time set no deadline."""
    rs = new_replicaset(3, LABELS, minReadySeconds=10)
    due = available_after(
        rs,
        [
            running("young", rs, ready_since=NOW - 4),
            running("younger", rs, ready_since=NOW - 1),
            running("available", rs, ready_since=NOW - 60),
            running("timeless", rs),
            new_pod("pending", rs, "Pending"),
        ],
        NOW,
    )
    assert due == pytest.approx(6 + AVAILABILITY_SLACK)
    assert available_after(rs, [running("available", rs, ready_since=NOW - 60)], NOW) is None
    assert available_after(new_replicaset(1, LABELS), [running("p", rs, ready_since=NOW)], NOW) is None
