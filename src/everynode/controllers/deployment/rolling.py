"""RollingUpdate decisions (upstream ``rolling.go``): grow the new ReplicaSet within maxSurge, shrink
the old ones within maxUnavailable.

A rollout sync first tries to scale the new ReplicaSet up (``reconcile_new``); only if it did not does
it scale old ReplicaSets down (``reconcile_old``): first away from pods that are not available anyway
(``cleanup_unhealthy``, which cannot lower availability), then, oldest ReplicaSet first, as far as the
available pods exceed ``replicas - maxUnavailable``. Unavailable pods of the new ReplicaSet count
against the old ones' scale-down, so a broken new template cannot drain the old pods.

The functions are pure: they return ``Scale`` steps (each on the ReplicaSet as the previous steps
left it) for the I/O shell to carry out in order.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

from everynode.controllers.deployment.fenceposts import max_unavailable, new_rs_new_replicas
from everynode.controllers.deployment.replicasets import (
    RS,
    available_count,
    by_creation,
    replica_count,
    replicas,
    status_count,
)
from everynode.controllers.deployment.scaling import Scale


@dataclass
class OldPlan:
    """Scale-down steps for old ReplicaSets; ``error`` when a step could not be planned (upstream
    gives up on the scale-down then, after the steps before it)."""

    steps: list[Scale] = field(default_factory=list)
    error: str | None = None


def reconcile_new(all_rss: Sequence[RS | None], new_rs: RS, deployment: RS) -> int | None:
    """``reconcileNewReplicaSet``: the size to give the new ReplicaSet, or None to leave it."""
    wanted = replicas(deployment)
    current = replicas(new_rs)
    if current == wanted:
        return None
    if current > wanted:
        return wanted
    target = new_rs_new_replicas(deployment, all_rss, new_rs)
    return None if target == current else target


def _resized(rs: RS, size: int) -> RS:
    copied = copy.deepcopy(dict(rs))
    copied.setdefault("spec", {})["replicas"] = size
    return copied


def cleanup_unhealthy(
    old_rss: Sequence[RS], deployment: RS, max_cleanup: int
) -> tuple[list[RS], OldPlan, int]:
    """``cleanupUnhealthyReplicas``: scale old ReplicaSets (oldest first) down by their unavailable pods,
    ``max_cleanup`` in all. Returns the old ReplicaSets as resized, the plan and the count removed."""
    old = by_creation(old_rss)
    plan = OldPlan()
    total = 0
    for index, rs in enumerate(old):
        if total >= max_cleanup:
            break
        size = replicas(rs)
        available = status_count(rs, "availableReplicas")
        if size in (0, available):
            continue
        count = min(max_cleanup - total, size - available)
        target = size - count
        if target > size:
            name = (rs.get("metadata") or {}).get("name")
            plan.error = (
                f"cleaning up unhealthy replicas: invalid request to scale down {name} {size} -> {target}"
            )
            return old, plan, total
        plan.steps.append(Scale(rs, target))
        old[index] = _resized(rs, target)
        total += count
    return old, plan, total


def scale_down_old_for_rolling_update(
    all_rss: Sequence[RS | None], old_rss: Sequence[RS], deployment: RS
) -> list[Scale]:
    """``scaleDownOldReplicaSetsForRollingUpdate``: oldest first, remove as many pods as the available
    ones exceed ``replicas - maxUnavailable``."""
    min_available = replicas(deployment) - max_unavailable(deployment)
    available = available_count(all_rss)
    if available <= min_available:
        return []
    steps = []
    total, goal = 0, available - min_available
    for rs in by_creation(old_rss):
        if total >= goal:
            break
        size = replicas(rs)
        if size == 0:
            continue
        count = min(size, goal - total)
        steps.append(Scale(rs, size - count))
        total += count
    return steps


def reconcile_old(all_rss: Sequence[RS | None], old_rss: Sequence[RS], new_rs: RS, deployment: RS) -> OldPlan:
    """``reconcileOldReplicaSets`` (``old_rss``: the active old ones): how far old pods may go now."""
    if replica_count(old_rss) == 0:
        return OldPlan()
    all_pods = replica_count(all_rss)
    min_available = replicas(deployment) - max_unavailable(deployment)
    new_unavailable = replicas(new_rs) - status_count(new_rs, "availableReplicas")
    max_scaled_down = all_pods - min_available - new_unavailable
    if max_scaled_down <= 0:
        return OldPlan()
    old, plan, _ = cleanup_unhealthy(old_rss, deployment, max_scaled_down)
    if plan.error is not None:
        return plan
    plan.steps.extend(scale_down_old_for_rolling_update([*old, new_rs], old, deployment))
    return plan
