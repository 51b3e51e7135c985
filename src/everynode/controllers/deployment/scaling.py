"""Scaling a Deployment's ReplicaSets on a scaling event or while paused (upstream ``sync.go``
``scale``, ``isScalingEvent`` and ``deployment_util.go`` ``GetProportion``/``getReplicaSetFraction``).

A scaling event (``spec.replicas`` changed, seen as an active ReplicaSet whose ``desired-replicas``
annotation differs) is applied without advancing the rollout:

- one active ReplicaSet (or none: then the newest) takes the whole count;
- a saturated new ReplicaSet (sized, annotated and available for every replica) means old ones go to 0;
- otherwise, for RollingUpdate, the difference between ``replicas + maxSurge`` and what the active
  ReplicaSets ask for is shared among them in proportion to their size, as they were sized for the
  ``max-replicas`` annotation: larger ReplicaSets first, newer first among equals when adding and older
  first when removing, rounding leftovers onto the first.

The result is a list of ``Scale`` steps for the I/O shell to carry out in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.annotations import int_annotation
from everynode.controllers.deployment.fenceposts import is_rolling_update, max_surge
from everynode.controllers.deployment.replicasets import (
    RS,
    active,
    by_creation,
    by_size_newer,
    by_size_older,
    find_active_or_latest,
    is_saturated,
    name,
    replica_count,
    replicas,
)
from everynode.controllers.deployment.status import counter


@dataclass(frozen=True, slots=True)
class Scale:
    """Size ``rs`` to ``to``. ``operation`` None: upstream's ``scaleReplicaSetAndRecordEvent`` (nothing
    to do at the same size; "up" or "down" from the sizes); "up"/"down"/"": ``scaleReplicaSet`` (also
    refreshes the replica annotations at the same size)."""

    rs: RS
    to: int
    operation: str | None = None


def round_half_away(value: float) -> int:
    """``integer.RoundToInt32``: halves away from zero."""
    return int(value - 0.5) if value < 0 else int(value + 0.5)


def replica_set_fraction(rs: RS, deployment: RS) -> int:
    """``getReplicaSetFraction``: how many replicas ``rs`` gains (or, negative, loses) when the
    Deployment's ``replicas + maxSurge`` replaces what ``rs`` was sized for (its ``max-replicas``
    annotation, or the Deployment's ``status.replicas`` without one)."""
    wanted = replicas(deployment)
    if wanted == 0:
        return -replicas(rs)
    total = wanted + max_surge(deployment)
    annotated = int_annotation(rs, keys.MAX_REPLICAS)
    if annotated is None:
        annotated = counter(deployment.get("status") or {}, "replicas")
    if annotated == 0:
        return 0  # upstream never scales proportionally from zero; avoid dividing by it
    return round_half_away(replicas(rs) * total / annotated) - replicas(rs)


def proportion(rs: RS | None, deployment: RS, to_add: int, added: int) -> int:
    """``GetProportion``: ``rs``'s share of ``to_add``, never past what is left of it after ``added``."""
    if rs is None or replicas(rs) == 0 or to_add in (0, added):
        return 0
    fraction = replica_set_fraction(rs, deployment)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def is_scaling_event(deployment: RS, all_rss: Sequence[RS | None]) -> bool:
    """An active ReplicaSet's ``desired-replicas`` annotation differs from ``spec.replicas``."""
    wanted = replicas(deployment)
    for rs in active(all_rss):
        desired = int_annotation(rs, keys.DESIRED_REPLICAS)
        if desired is not None and desired != wanted:
            return True
    return False


def scale(deployment: RS, new_rs: RS | None, old_rss: Sequence[RS]) -> list[Scale]:
    """The steps of upstream's ``scale``."""
    wanted = replicas(deployment)
    only = find_active_or_latest(new_rs, old_rss)
    if only is not None:
        return [] if replicas(only) == wanted else [Scale(only, wanted)]
    if is_saturated(deployment, new_rs):
        return [Scale(rs, 0) for rs in active(old_rss)]
    if not is_rolling_update(deployment):
        return []
    newest_first = list(reversed(by_creation(old_rss)))  # upstream's FindActiveOrLatest left them so
    running = active([*newest_first, new_rs])
    allowed = wanted + max_surge(deployment) if wanted > 0 else 0
    to_add = allowed - replica_count(running)
    operation = ""
    if to_add > 0:
        running, operation = by_size_newer(running), "up"
    elif to_add < 0:
        running, operation = by_size_older(running), "down"
    sizes: dict[str, int] = {}
    added = 0
    for rs in running:
        if to_add != 0:
            share = proportion(rs, deployment, to_add, added)
            sizes[name(rs)] = replicas(rs) + share
            added += share
        else:
            sizes[name(rs)] = replicas(rs)
    steps = []
    for index, rs in enumerate(running):
        if index == 0 and to_add != 0:
            sizes[name(rs)] = max(0, sizes[name(rs)] + to_add - added)
        steps.append(Scale(rs, sizes[name(rs)], operation))
    return steps


__all__ = ["Scale", "is_scaling_event", "proportion", "replica_set_fraction", "round_half_away", "scale"]
