"""A ReplicaSet's status as upstream computes it (``calculateStatus``, the condition helpers and the
steady-state check of ``updateReplicaSetStatus`` in ``replica_set_utils.go``).

The counters describe the active pods the ReplicaSet owns after claiming: ``replicas`` all of them,
``fullyLabeledReplicas`` those carrying every label of the template, ``readyReplicas`` the Ready
ones, ``availableReplicas`` those Ready for more than ``minReadySeconds``. A failed create or delete
sets the ``ReplicaFailure`` condition (reason ``FailedCreate`` or ``FailedDelete``, the error as its
message) if it is not set already; a sync that manages without error removes it. Counters that are
zero are left out when written, as Go's ``omitempty`` leaves them out (``replicas`` is always written).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from everynode.core.pods import is_available, is_ready, ready_condition
from everynode.core.timestamps import format_time, parse_time
from everynode.core.types import Obj

REPLICA_FAILURE = "ReplicaFailure"
COUNTERS = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")
_OMIT_WHEN_ZERO = ("fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration")
AVAILABILITY_SLACK = 0.05  # seconds past the moment a pod becomes available, so the recheck lands after it


def desired_replicas(rs: Mapping[str, Any]) -> int:
    """``spec.replicas`` (the API server defaults it to 1)."""
    value = (rs.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def min_ready_seconds(rs: Mapping[str, Any]) -> int:
    return int((rs.get("spec") or {}).get("minReadySeconds") or 0)


def get_condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    """Upstream ``GetCondition``."""
    for condition in status.get("conditions") or ():
        if condition.get("type") == kind:
            return condition  # type: ignore[no-any-return]
    return None


def new_condition(kind: str, status: str, reason: str, message: str, now: float) -> Obj:
    """Upstream ``NewReplicaSetCondition`` (an empty reason or message is left out)."""
    condition: Obj = {"type": kind, "status": status, "lastTransitionTime": format_time(now)}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def set_condition(status: Obj, condition: Obj) -> None:
    """Upstream ``SetCondition``: add or replace the condition of its type, unless one with the same
    status and reason is there already."""
    current = get_condition(status, condition["type"])
    if (
        current is not None
        and current.get("status") == condition.get("status")
        and current.get("reason") == condition.get("reason")
    ):
        return
    status["conditions"] = [
        *(c for c in status.get("conditions") or () if c.get("type") != condition["type"]),
        condition,
    ]


def remove_condition(status: Obj, kind: str) -> None:
    """Upstream ``RemoveCondition`` (no conditions left: the field goes)."""
    kept = [c for c in status.get("conditions") or () if c.get("type") != kind]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def _fully_labeled(template_labels: Mapping[str, str], pod: Mapping[str, Any]) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(key) == value for key, value in template_labels.items())


def calculate_status(
    rs: Mapping[str, Any],
    active_pods: Sequence[Mapping[str, Any]],
    manage_error: Exception | None,
    now: float,
) -> Obj:
    """The new status (a fresh dict; the ReplicaSet is not changed). Fields this controller does not
    compute (``observedGeneration``, other conditions) are carried over."""
    status: Obj = dict(rs.get("status") or {})
    if status.get("conditions"):
        status["conditions"] = [dict(c) for c in status["conditions"]]
    template_labels = (((rs.get("spec") or {}).get("template") or {}).get("metadata") or {}).get(
        "labels"
    ) or {}
    min_ready = min_ready_seconds(rs)
    fully_labeled = ready = available = 0
    for pod in active_pods:
        if _fully_labeled(template_labels, pod):
            fully_labeled += 1
        if is_ready(pod):
            ready += 1
            if is_available(pod, min_ready, now):
                available += 1
    failure = get_condition(status, REPLICA_FAILURE)
    if manage_error is not None and failure is None:
        diff = len(active_pods) - desired_replicas(rs)
        reason = "FailedCreate" if diff < 0 else ("FailedDelete" if diff > 0 else "")
        set_condition(status, new_condition(REPLICA_FAILURE, "True", reason, str(manage_error), now))
    elif manage_error is None and failure is not None:
        remove_condition(status, REPLICA_FAILURE)
    status["replicas"] = len(active_pods)
    status["fullyLabeledReplicas"] = fully_labeled
    status["readyReplicas"] = ready
    status["availableReplicas"] = available
    return status


def status_unchanged(rs: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    """No write needed: every counter and condition is as stored and the generation was observed
    (a missing counter or condition list reads as zero or empty, as in Go)."""
    current = rs.get("status") or {}
    if int(current.get("observedGeneration") or 0) != int((rs.get("metadata") or {}).get("generation") or 0):
        return False
    if any(int(current.get(name) or 0) != int(status.get(name) or 0) for name in COUNTERS):
        return False
    return list(current.get("conditions") or ()) == list(status.get("conditions") or ())


def with_status(rs: Mapping[str, Any], status: Mapping[str, Any], generation: int) -> Obj:
    """A copy of ``rs`` carrying ``status`` with ``observedGeneration`` set to ``generation`` — the
    generation the sync acted on — and zero counters left out."""
    written: Obj = {**status, "observedGeneration": generation}
    for name in _OMIT_WHEN_ZERO:
        if not written.get(name):
            written.pop(name, None)
    if not written.get("conditions"):
        written.pop("conditions", None)
    written["replicas"] = int(status.get("replicas") or 0)
    return {**rs, "status": written}


def available_after(rs: Mapping[str, Any], pods: Iterable[Mapping[str, Any]], now: float) -> float | None:
    """Seconds until the first Ready-but-not-yet-available pod becomes available, so the status can be
    rewritten then; None when no pod is waiting (or none can: a Ready condition without a time never
    becomes available)."""
    min_ready = min_ready_seconds(rs)
    if min_ready <= 0:
        return None
    due: float | None = None
    for pod in pods:
        if not is_ready(pod) or is_available(pod, min_ready, now):
            continue
        since = parse_time((ready_condition(pod) or {}).get("lastTransitionTime"))
        if since is None:
            continue
        remaining = max(since + min_ready - now, 0.0) + AVAILABILITY_SLACK
        due = remaining if due is None else min(due, remaining)
    return due
