"""Rollout progress: complete, progressing, timed out, and the ``Progressing`` condition written while a
rollout runs (upstream ``progress.go`` ``syncRolloutStatus``/``requeueStuckDeployment`` and
``DeploymentComplete``/``DeploymentProgressing``/``DeploymentTimedOut`` of ``deployment_util.go``).

With ``progressDeadlineSeconds`` set (and not MaxInt32), each rollout sync sets ``Progressing``:
True/NewReplicaSetAvailable once complete; True/ReplicaSetUpdated, with a fresh ``lastUpdateTime``,
whenever pods were updated, became ready or available, or old ones went away; False/
ProgressDeadlineExceeded when the last progress is older than the deadline. Without a deadline there
is no ``Progressing`` condition. The ``ReplicaFailure`` condition mirrors the new ReplicaSet's (or any
ReplicaSet's). ``kubectl rollout status`` fails on ProgressDeadlineExceeded and otherwise waits on
``observedGeneration``, ``updatedReplicas``, ``replicas`` and ``availableReplicas``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.conditions import (
    Condition,
    from_replica_set_condition,
    get_condition,
    new_condition,
    remove_condition,
    set_condition,
)
from everynode.controllers.deployment.replicasets import RS, name, replicas
from everynode.controllers.deployment.status import calculate_status, counter
from everynode.core.timestamps import parse_time


def progress_deadline(deployment: RS) -> int | None:
    """``progressDeadlineSeconds``, or None when there is none (absent, or MaxInt32: no deadline)."""
    value = (deployment.get("spec") or {}).get("progressDeadlineSeconds")
    if value is None or int(value) == keys.MAX_INT32:
        return None
    return int(value)


def has_progress_deadline(deployment: RS) -> bool:
    return progress_deadline(deployment) is not None


def revision_history_limit(deployment: RS) -> int | None:
    """``revisionHistoryLimit``, or None when every revision is kept (absent, or MaxInt32)."""
    value = (deployment.get("spec") or {}).get("revisionHistoryLimit")
    if value is None or int(value) == keys.MAX_INT32:
        return None
    return int(value)


def deployment_complete(deployment: RS, status: Mapping[str, Any]) -> bool:
    """Every desired replica updated and available, no old pod left, the generation observed."""
    wanted = replicas(deployment)
    generation = int((deployment.get("metadata") or {}).get("generation") or 0)
    return (
        counter(status, "updatedReplicas") == wanted
        and counter(status, "replicas") == wanted
        and counter(status, "availableReplicas") == wanted
        and counter(status, "observedGeneration") >= generation
    )


def deployment_progressing(deployment: RS, status: Mapping[str, Any]) -> bool:
    """Compared with the stored status: more updated, ready or available pods, or fewer old ones."""
    old: Mapping[str, Any] = deployment.get("status") or {}
    old_old = counter(old, "replicas") - counter(old, "updatedReplicas")
    new_old = counter(status, "replicas") - counter(status, "updatedReplicas")
    return (
        counter(status, "updatedReplicas") > counter(old, "updatedReplicas")
        or new_old < old_old
        or counter(status, "readyReplicas") > counter(old, "readyReplicas")
        or counter(status, "availableReplicas") > counter(old, "availableReplicas")
    )


def deployment_timed_out(deployment: RS, status: Mapping[str, Any], now: float) -> bool:
    """The ``Progressing`` condition of ``status`` already says so, or its ``lastUpdateTime`` is more
    than the deadline before ``now``. Never after a complete rollout (the condition catches up)."""
    deadline = progress_deadline(deployment)
    if deadline is None:
        return False
    condition = get_condition(status, keys.PROGRESSING)
    if condition is None or condition.get("reason") == keys.NEW_RS_AVAILABLE:
        return False
    if condition.get("reason") == keys.TIMED_OUT:
        return True
    since = parse_time(condition.get("lastUpdateTime"))
    since = 0.0 if since is None else since
    return since + deadline < now


def replica_failures(all_rss: Sequence[RS | None], new_rs: RS | None) -> list[Condition]:
    """The ``ReplicaFailure`` conditions to show: the new ReplicaSet's, else any ReplicaSet's."""

    def failures(rs: RS) -> list[Condition]:
        return [
            from_replica_set_condition(c)
            for c in (rs.get("status") or {}).get("conditions") or ()
            if c.get("type") == keys.REPLICA_FAILURE
        ]

    if new_rs is not None and (found := failures(new_rs)):
        return found
    return [c for rs in all_rss if rs is not None for c in failures(rs)]


def rollout_status(
    all_rss: Sequence[RS | None], new_rs: RS | None, deployment: RS, *, now: float, now_text: str
) -> dict[str, Any]:
    """The status a rollout sync writes (``syncRolloutStatus`` before its write)."""
    status = calculate_status(all_rss, new_rs, deployment, now_text)
    if not has_progress_deadline(deployment):
        remove_condition(status, keys.PROGRESSING)
    current = get_condition(deployment.get("status") or {}, keys.PROGRESSING)
    complete_already = (
        counter(status, "replicas") == counter(status, "updatedReplicas")
        and current is not None
        and current.get("reason") == keys.NEW_RS_AVAILABLE
    )
    if has_progress_deadline(deployment) and not complete_already:
        subject = f'ReplicaSet "{name(new_rs)}"' if new_rs is not None else f'Deployment "{name(deployment)}"'
        if deployment_complete(deployment, status):
            set_condition(
                status,
                new_condition(
                    keys.PROGRESSING,
                    "True",
                    keys.NEW_RS_AVAILABLE,
                    f"{subject} has successfully progressed.",
                    now_text,
                ),
            )
        elif deployment_progressing(deployment, status):
            condition = new_condition(
                keys.PROGRESSING, "True", keys.REPLICA_SET_UPDATED, f"{subject} is progressing.", now_text
            )
            if current is not None:
                if current.get("status") == "True":
                    condition["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(status, keys.PROGRESSING)
            set_condition(status, condition)
        elif deployment_timed_out(deployment, status, now):
            set_condition(
                status,
                new_condition(
                    keys.PROGRESSING,
                    "False",
                    keys.TIMED_OUT,
                    f"{subject} has timed out progressing.",
                    now_text,
                ),
            )
    failures = replica_failures(all_rss, new_rs)
    if failures:
        set_condition(status, failures[0])
    else:
        remove_condition(status, keys.REPLICA_FAILURE)
    return status


def stuck_recheck(deployment: RS, status: Mapping[str, Any], now: float) -> float | None:
    """``requeueStuckDeployment``: how long until a deadline may pass without any event to notice it.

    None: no deadline, no ``Progressing`` condition yet, complete, or already timed out — and also when
    the condition says NewReplicaSetAvailable (``deployment_timed_out`` never fires on it, so a recheck
    could change nothing; upstream rechecks anyway). 0.0: now (less than a second is left). Otherwise
    the seconds left until ``lastUpdateTime + progressDeadlineSeconds`` (``recheck_delay`` adds upstream's
    extra second)."""
    deadline = progress_deadline(deployment)
    current = get_condition(deployment.get("status") or {}, keys.PROGRESSING)
    if deadline is None or current is None:
        return None
    if deployment_complete(deployment, status) or current.get("reason") in (
        keys.TIMED_OUT,
        keys.NEW_RS_AVAILABLE,
    ):
        return None
    since = parse_time(current.get("lastUpdateTime"))
    remaining = (0.0 if since is None else since) + deadline - now
    return 0.0 if remaining < 1.0 else remaining


def recheck_delay(remaining: float) -> float:
    """When to requeue for ``stuck_recheck``'s answer: a second past the deadline (upstream adds one
    against clock skew), and a second from now for "now" (upstream requeues rate-limited at once; a
    plain second keeps a deadline that is still a fraction away from spinning the queue)."""
    return 1.0 if remaining <= 0.0 else remaining + 1.0
