"""``intstr.IntOrString`` as upstream's helpers read it: an integer, or a percentage (``"30%"``)
of some total, as ``maxUnavailable``, ``maxSurge`` (and the rollout annotations) take them."""

from __future__ import annotations

import math
import re

_PERCENT = re.compile(r"([0-9]{1,10})%")  # more digits than this is no percentage anyone means


def percent(value: object) -> int | None:
    """The number in ``"30%"``; ``None`` for anything else."""
    if not isinstance(value, str):
        return None
    match = _PERCENT.fullmatch(value)
    return int(match.group(1)) if match else None


def scaled_value(value: int | str | None, total: int, *, round_up: bool, field: str) -> int:
    """``GetScaledValueFromIntOrPercent``: an int as it is, a percentage of ``total`` (rounded up or
    down); ``None`` is 0; ``ValueError('invalid value for <field>: …')`` for anything else."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    share = percent(value)
    if share is None:
        raise ValueError(f"invalid value for {field}: {value!r}")
    scaled = share * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)
