"""Progress conditions and the deadline recheck, case by case from upstream's ``progress_test.go``
(TestRequeueStuckDeployment, TestSyncRolloutStatus), on a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.conditions import get_condition
from everynode.controllers.deployment.controller import Sync
from everynode.controllers.deployment.progress import recheck_delay, stuck_recheck
from everynode.core.timestamps import parse_time
from everynode.core.types import Obj
from tests import builders
from tests.unit.controllers.deployment.harness import Harness, rs_with_available

PDS = 60
TEST_TIME = "2017-02-15T18:49:00Z"


def epoch(text: str) -> float:
    found = parse_time(text)
    assert found is not None
    return found


def counts(replicas: int, updated: int, available: int) -> dict[str, int]:
    return {"replicas": replicas, "updatedReplicas": updated, "availableReplicas": available}


def current_deployment(
    pds: int | None,
    replicas: int,
    status: tuple[int, int, int],
    conditions: list[Obj] | None,
) -> Obj:
    """Upstream's ``currentDeployment``: Recreate, observed."""
    spec: dict[str, Any] = {} if pds is None else {"progressDeadlineSeconds": pds}
    written: dict[str, Any] = counts(*status)
    if conditions is not None:
        written["conditions"] = conditions
    return builders.deployment(
        "progress-test",
        namespace="default",
        replicas=replicas,
        strategy={"type": "Recreate"},
        status=written,
        **spec,
    )


FAILED = [{"type": keys.PROGRESSING, "status": "False", "reason": keys.TIMED_OUT}]
STUCK = [{"type": keys.PROGRESSING, "status": "True", "lastUpdateTime": TEST_TIME}]


@pytest.mark.parametrize(
    ("deployment", "status", "now", "expected"),
    [
        (current_deployment(None, 4, (3, 3, 2), None), counts(3, 3, 2), TEST_TIME, None),  # nil deadline
        (
            current_deployment(keys.MAX_INT32, 4, (3, 3, 2), None),
            counts(3, 3, 2),
            TEST_TIME,
            None,
        ),  # infinite
        (current_deployment(PDS, 4, (3, 3, 2), None), counts(3, 3, 2), TEST_TIME, None),  # no condition
        (current_deployment(PDS, 3, (3, 3, 3), None), counts(3, 3, 3), TEST_TIME, None),  # complete
        (current_deployment(PDS, 3, (3, 3, 0), FAILED), counts(3, 3, 0), TEST_TIME, None),  # already failed
        (current_deployment(PDS, 3, (3, 3, 1), STUCK), counts(3, 3, 1), "2017-02-15T18:49:30Z", 30.0),
        (current_deployment(PDS, 3, (3, 3, 1), STUCK), counts(3, 3, 1), "2017-02-15T18:49:59Z", 1.0),
        (current_deployment(PDS, 3, (3, 3, 1), STUCK), counts(3, 3, 1), "2017-02-15T18:50:00Z", 0.0),  # now
        (
            current_deployment(PDS, 3, (3, 3, 1), STUCK),
            counts(3, 3, 1),
            "2017-02-15T18:50:01Z",
            0.0,
        ),  # 1s after
        (
            current_deployment(PDS, 3, (3, 3, 1), STUCK),
            counts(3, 3, 1),
            "2017-02-15T18:51:00Z",
            0.0,
        ),  # 60s after
    ],
)
def test_requeue_stuck_deployment(
    deployment: Obj, status: dict[str, int], now: str, expected: float | None
) -> None:
    """TestRequeueStuckDeployment: None is upstream's -1 (no requeue), 0.0 its "now"."""
    assert stuck_recheck(deployment, status, epoch(now)) == expected


def test_requeue_stuck_deployment_just_under_a_second_is_now() -> None:
    """ "failed deployment - less than a second => now": 18:49:59 plus a moment (upstream: a nanosecond)."""
    deployment = current_deployment(PDS, 3, (3, 3, 1), STUCK)
    assert stuck_recheck(deployment, counts(3, 3, 1), epoch("2017-02-15T18:49:59Z") + 0.001) == 0.0


def test_recheck_delay_adds_a_second() -> None:
    assert recheck_delay(30.0) == 31.0
    assert recheck_delay(0.0) == 1.0


def test_no_recheck_after_a_completed_rollout() -> None:
    """NewReplicaSetAvailable never times out, so a recheck could change nothing (a deviation: upstream
    requeues, rate-limited)."""
    done = [
        {
            "type": keys.PROGRESSING,
            "status": "True",
            "reason": keys.NEW_RS_AVAILABLE,
            "lastUpdateTime": TEST_TIME,
        }
    ]
    deployment = current_deployment(PDS, 3, (3, 3, 2), done)
    assert stuck_recheck(deployment, counts(3, 3, 2), epoch(TEST_TIME) + 600) is None


NEW_RS_AVAILABLE = {
    "type": keys.PROGRESSING,
    "status": "True",
    "reason": keys.NEW_RS_AVAILABLE,
    "lastUpdateTime": TEST_TIME,
    "lastTransitionTime": TEST_TIME,
}
REPLICA_SET_UPDATED = {**NEW_RS_AVAILABLE, "reason": keys.REPLICA_SET_UPDATED}
FAILED_TIMED_OUT = {"type": keys.PROGRESSING, "status": "False", "reason": keys.TIMED_OUT}
ROLLOUT_CASES: list[tuple[str, Obj, list[Obj], Obj | None, tuple[str, str] | None, bool, bool]] = [
    # (name, deployment, allRSs, newRS, (status, reason) expected, lastUpdate kept, lastTransition kept)
    (
        "General: remove Progressing condition and do not estimate progress if deployment has no Progress "
        "Deadline",
        current_deployment(None, 3, (2, 2, 2), [REPLICA_SET_UPDATED]),
        [rs_with_available("bar", 0, 1, 1)],
        rs_with_available("foo", 3, 2, 2),
        None,
        False,
        False,
    ),
    (
        "General: do not estimate progress of deployment with only one active ReplicaSet",
        current_deployment(PDS, 3, (3, 3, 3), [NEW_RS_AVAILABLE]),
        [rs_with_available("bar", 3, 3, 3)],
        None,
        ("True", keys.NEW_RS_AVAILABLE),
        True,
        True,
    ),
    (
        "DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True",
        current_deployment(PDS, 3, (2, 2, 2), [REPLICA_SET_UPDATED]),
        [rs_with_available("bar", 0, 1, 1)],
        rs_with_available("foo", 3, 2, 2),
        ("True", keys.REPLICA_SET_UPDATED),
        False,
        True,
    ),
    (
        "DeploymentProgressing: update everything if deployment has Progressing=False",
        current_deployment(PDS, 3, (2, 2, 2), [FAILED_TIMED_OUT]),
        [rs_with_available("bar", 0, 1, 1)],
        rs_with_available("foo", 3, 2, 2),
        ("True", keys.REPLICA_SET_UPDATED),
        False,
        False,
    ),
    (
        "DeploymentProgressing: create Progressing condition if it does not exist",
        current_deployment(PDS, 3, (2, 2, 2), []),
        [rs_with_available("bar", 0, 1, 1)],
        rs_with_available("foo", 3, 2, 2),
        ("True", keys.REPLICA_SET_UPDATED),
        False,
        False,
    ),
    (
        "DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True",
        current_deployment(PDS, 3, (3, 3, 3), [REPLICA_SET_UPDATED]),
        [],
        rs_with_available("foo", 3, 3, 3),
        ("True", keys.NEW_RS_AVAILABLE),
        False,
        True,
    ),
    (
        "DeploymentComplete: update everything if deployment has Progressing=False",
        current_deployment(PDS, 3, (3, 3, 3), [FAILED_TIMED_OUT]),
        [],
        rs_with_available("foo", 3, 3, 3),
        ("True", keys.NEW_RS_AVAILABLE),
        False,
        False,
    ),
    (
        "DeploymentComplete: create Progressing condition if it does not exist",
        current_deployment(PDS, 3, (3, 3, 3), []),
        [],
        rs_with_available("foo", 3, 3, 3),
        ("True", keys.NEW_RS_AVAILABLE),
        False,
        False,
    ),
    (
        "DeploymentComplete: defend against NPE when newRS=nil",
        current_deployment(PDS, 0, (3, 3, 3), [REPLICA_SET_UPDATED]),
        [rs_with_available("foo", 0, 0, 0)],
        None,
        ("True", keys.NEW_RS_AVAILABLE),
        False,
        False,
    ),
    (
        "DeploymentTimedOut: update status if rollout exceeds Progress Deadline",
        current_deployment(PDS, 3, (2, 2, 2), [REPLICA_SET_UPDATED]),
        [],
        rs_with_available("foo", 3, 2, 2),
        ("False", keys.TIMED_OUT),
        False,
        False,
    ),
    (
        "DeploymentTimedOut: do not update status if deployment has existing timedOut condition",
        current_deployment(PDS, 3, (2, 2, 2), [FAILED_TIMED_OUT]),
        [],
        rs_with_available("foo", 3, 2, 2),
        ("False", keys.TIMED_OUT),
        False,
        False,
    ),
]


@pytest.mark.parametrize("case", ROLLOUT_CASES, ids=[case[0] for case in ROLLOUT_CASES])
async def test_sync_rollout_status(
    case: tuple[str, Obj, list[Obj], Obj | None, tuple[str, str] | None, bool, bool],
) -> None:
    """TestSyncRolloutStatus (the fake clock stands months after the conditions' times)."""
    _, deployment, all_rss, new_rs, expected, update_kept, transition_kept = case
    harness = Harness()
    sync = Sync(harness.controller, deployment)
    everything: list[Obj | None] = [*all_rss, *([new_rs] if new_rs is not None else [])]
    await sync.sync_rollout_status(everything, new_rs)
    found = get_condition(sync.d["status"], keys.PROGRESSING)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert (found["status"], found["reason"]) == expected
    if update_kept:
        assert found["lastUpdateTime"] == TEST_TIME
    if transition_kept:
        assert found["lastTransitionTime"] == TEST_TIME


async def test_replica_failure_is_copied_from_the_new_replica_set() -> None:
    """getReplicaFailures: the new ReplicaSet's ReplicaFailure condition becomes the Deployment's, and
    goes when it goes."""
    harness = Harness()
    deployment = current_deployment(PDS, 3, (0, 0, 0), [])
    failure = {
        "type": keys.REPLICA_FAILURE,
        "status": "True",
        "reason": "FailedCreate",
        "message": "pods is forbidden",
        "lastTransitionTime": TEST_TIME,
    }
    new_rs = rs_with_available("foo", 3, 0, 0)
    new_rs["status"]["conditions"] = [failure]
    sync = Sync(harness.controller, deployment)
    await sync.sync_rollout_status([new_rs], new_rs)
    found = get_condition(sync.d["status"], keys.REPLICA_FAILURE)
    assert found == {**failure, "lastUpdateTime": TEST_TIME}
    new_rs["status"]["conditions"] = []
    await sync.sync_rollout_status([new_rs], new_rs)
    assert get_condition(sync.d["status"], keys.REPLICA_FAILURE) is None
