"""A Deployment's status computed from its ReplicaSets (upstream ``calculateStatus``), and whether it
differs from the stored one.

Counters are summed over the ReplicaSets' own statuses (written by the ReplicaSet controller):
``replicas`` = pods that exist, ``updatedReplicas`` = the new ReplicaSet's pods, ``readyReplicas``,
``availableReplicas``, and ``unavailableReplicas`` = pods asked for (``spec.replicas`` summed) minus
available, never below 0. ``observedGeneration`` is the Deployment's generation; ``collisionCount`` and
the conditions are carried over, then ``Available`` is set: True (MinimumReplicasAvailable) once at
least ``replicas - maxUnavailable`` pods are available, else False (MinimumReplicasUnavailable).

Zero counters are left out, as the API serialises them (``omitempty``), so a status read back compares
equal to the one computed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.conditions import new_condition, set_condition
from everynode.controllers.deployment.fenceposts import max_unavailable
from everynode.controllers.deployment.replicasets import (
    RS,
    actual_count,
    available_count,
    ready_count,
    replica_count,
    replicas,
)

COUNTERS = (
    "observedGeneration",
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
)


def calculate_status(
    all_rss: Sequence[RS | None], new_rs: RS | None, deployment: RS, now: str
) -> dict[str, Any]:
    available = available_count(all_rss)
    unavailable = max(0, replica_count(all_rss) - available)
    old: Mapping[str, Any] = deployment.get("status") or {}
    counters = {
        "observedGeneration": int((deployment.get("metadata") or {}).get("generation") or 0),
        "replicas": actual_count(all_rss),
        "updatedReplicas": actual_count([new_rs]),
        "readyReplicas": ready_count(all_rss),
        "availableReplicas": available,
        "unavailableReplicas": unavailable,
    }
    status: dict[str, Any] = {key: value for key, value in counters.items() if value}
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = copy.deepcopy(list(old["conditions"]))
    if available >= replicas(deployment) - max_unavailable(deployment):
        condition = new_condition(
            keys.AVAILABLE,
            "True",
            keys.MINIMUM_REPLICAS_AVAILABLE,
            "Deployment has minimum availability.",
            now,
        )
    else:
        condition = new_condition(
            keys.AVAILABLE,
            "False",
            keys.MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    set_condition(status, condition)
    return status


def counter(status: Mapping[str, Any], name: str) -> int:
    return int(status.get(name) or 0)


def normalized(status: Mapping[str, Any] | None) -> dict[str, Any]:
    """``status`` without the zero values the API leaves out, for comparing."""
    found = dict(status or {})
    return {key: value for key, value in found.items() if value not in (None, 0, [], {})}


def status_equal(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> bool:
    """``reflect.DeepEqual`` of two statuses as the API would serialise them."""
    return normalized(first) == normalized(second)
