"""``status.conditions`` of a Deployment (upstream ``NewDeploymentCondition``, ``GetDeploymentCondition``,
``SetDeploymentCondition``, ``RemoveDeploymentCondition``, ``ReplicaSetToDeploymentCondition``).

Statuses are plain dicts; these functions change the ``conditions`` list of the status they are given
(a status being built, never a cached object). Setting a condition that already holds with the same
status and reason changes nothing, times included; a new reason with the same status keeps
``lastTransitionTime``; the condition set goes to the end of the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Condition = dict[str, Any]


def new_condition(kind: str, status: str, reason: str, message: str, now: str) -> Condition:
    return {
        "type": kind,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def get_condition(status: Mapping[str, Any], kind: str) -> Condition | None:
    for condition in status.get("conditions") or ():
        if condition.get("type") == kind:
            return dict(condition)
    return None


def set_condition(status: dict[str, Any], condition: Condition) -> None:
    current = get_condition(status, condition["type"])
    if current is not None and current.get("status") == condition["status"]:
        if current.get("reason") == condition.get("reason"):
            return
        condition = {**condition, "lastTransitionTime": current.get("lastTransitionTime")}
    others = [c for c in status.get("conditions") or () if c.get("type") != condition["type"]]
    status["conditions"] = [*others, condition]


def remove_condition(status: dict[str, Any], kind: str) -> None:
    remaining = [c for c in status.get("conditions") or () if c.get("type") != kind]
    if remaining:
        status["conditions"] = remaining
    else:
        status.pop("conditions", None)


def from_replica_set_condition(condition: Mapping[str, Any]) -> Condition:
    """A ReplicaSet's condition as the Deployment's (its transition time is both of the times)."""
    converted = {
        "type": condition.get("type"),
        "status": condition.get("status"),
        "lastUpdateTime": condition.get("lastTransitionTime"),
        "lastTransitionTime": condition.get("lastTransitionTime"),
        "reason": condition.get("reason"),
        "message": condition.get("message"),
    }
    return {key: value for key, value in converted.items() if value is not None}
