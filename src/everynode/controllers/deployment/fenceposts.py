"""How far a rollout may go: maxSurge and maxUnavailable resolved against the replica count, and how
big the new ReplicaSet may grow (upstream ``ResolveFenceposts``, ``MaxSurge``, ``MaxUnavailable``,
``MinAvailable``, ``NewRSNewReplicas``).

Percentages of ``spec.replicas``: surge rounds up, unavailability rounds down; when both come out 0
(validation forbids both being written as 0, but rounding down can make it so) unavailability is 1,
on the theory that surging might be impossible because of a quota.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.replicasets import RS, replica_count, replicas
from everynode.core.intstr import scaled_value


def strategy_type(deployment: RS) -> str:
    strategy: Mapping[str, Any] = (deployment.get("spec") or {}).get("strategy") or {}
    return str(strategy.get("type") or "")


def is_rolling_update(deployment: RS) -> bool:
    return strategy_type(deployment) == keys.ROLLING_UPDATE


def _rolling(deployment: RS) -> Mapping[str, Any]:
    strategy: Mapping[str, Any] = (deployment.get("spec") or {}).get("strategy") or {}
    found: Mapping[str, Any] = strategy.get("rollingUpdate") or {}
    return found


def resolve_fenceposts(
    max_surge: int | str | None, max_unavailable: int | str | None, desired: int
) -> tuple[int, int]:
    """(surge, unavailable) for ``desired`` replicas; ``None`` counts as 0. ValueError for a value that
    is neither an int nor a percentage."""
    surge = scaled_value(max_surge, desired, round_up=True, field="maxSurge")
    unavailable = scaled_value(max_unavailable, desired, round_up=False, field="maxUnavailable")
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deployment: RS) -> int:
    """``MaxSurge``: 0 unless RollingUpdate."""
    if not is_rolling_update(deployment):
        return 0
    rolling = _rolling(deployment)
    return resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas(deployment))[0]


def max_unavailable(deployment: RS) -> int:
    """``MaxUnavailable``: 0 unless RollingUpdate with replicas; never more than ``spec.replicas``."""
    wanted = replicas(deployment)
    if not is_rolling_update(deployment) or wanted == 0:
        return 0
    rolling = _rolling(deployment)
    unavailable = resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), wanted)[1]
    return min(unavailable, wanted)


def min_available(deployment: RS) -> int:
    """``MinAvailable``: 0 unless RollingUpdate."""
    if not is_rolling_update(deployment):
        return 0
    return replicas(deployment) - max_unavailable(deployment)


def new_rs_new_replicas(deployment: RS, all_rss: Iterable[RS | None], new_rs: RS) -> int:
    """``NewRSNewReplicas``: the size the new ReplicaSet may have now. RollingUpdate: grow while all
    ReplicaSets together stay within ``replicas + maxSurge``, never past ``replicas``; Recreate: the
    full count at once. ValueError for another strategy or a bad maxSurge."""
    kind = strategy_type(deployment)
    wanted = replicas(deployment)
    current = replicas(new_rs)
    if kind == keys.ROLLING_UPDATE:
        surge = scaled_value(_rolling(deployment).get("maxSurge"), wanted, round_up=True, field="maxSurge")
        pods = replica_count(all_rss)
        most = wanted + surge
        if pods >= most:
            return current
        return current + min(most - pods, wanted - current)
    if kind == keys.RECREATE:
        return wanted
    raise ValueError(f"deployment type {kind} isn't supported")
