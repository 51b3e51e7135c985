"""``maxUnavailable`` / ``maxSurge``: an int, or a percentage of the desired nodes rounded up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.core.intstr import scaled_value


def scaled(value: int | str | None, total: int, *, field: str) -> int:
    """``value`` scaled against ``total``, rounded up; ``ValueError('invalid value for <field>: …')``
    when malformed."""
    return scaled_value(value, total, round_up=True, field=field)


def _rolling(ds: Mapping[str, Any]) -> Mapping[str, Any]:
    strategy = ds.get("spec", {}).get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return {}
    return strategy.get("rollingUpdate") or {}


def is_rolling_update(ds: Mapping[str, Any]) -> bool:
    strategy: Mapping[str, Any] = ds.get("spec", {}).get("updateStrategy") or {}
    return bool(strategy.get("type", "RollingUpdate") == "RollingUpdate")


def allows_surge(ds: Mapping[str, Any]) -> bool:
    """Whether the strategy surges (create the new pod before deleting the old one) on a single node."""
    if not is_rolling_update(ds):
        return False
    try:
        return scaled(_rolling(ds).get("maxSurge"), 1, field="MaxSurge") != 0
    except ValueError:
        return False


def unavailable_and_surge(ds: Mapping[str, Any], desired: int) -> tuple[int, int]:
    """(maxUnavailable, maxSurge) for ``desired`` nodes; at least one may be unavailable when both are 0."""
    rolling = _rolling(ds)
    max_unavailable = scaled(rolling.get("maxUnavailable"), desired, field="MaxUnavailable")
    max_surge = scaled(rolling.get("maxSurge"), desired, field="MaxSurge")
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1
    return max_unavailable, max_surge
