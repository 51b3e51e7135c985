"""The rollout annotations everynode reads on an ``apps/v1`` DaemonSet (issue "rollouts beyond
upstream"): their names, which are an interface users' manifests depend on, and how each value reads.

A DaemonSet without them behaves exactly as upstream's. Values are strings, as every annotation's:
``parse_*`` return the value, or raise ``ValueError`` with the reason (the API server's validation turns
it into a 422 naming the annotation; a controller that meets one anyway treats it as absent).
"""

from __future__ import annotations

import re

PARTITION = "rollout.everynode.io/partition"
NODE_SELECTOR = "rollout.everynode.io/node-selector"
PAUSED = "rollout.everynode.io/paused"
PROGRESS_DEADLINE_SECONDS = "rollout.everynode.io/progress-deadline-seconds"
MAX_FAILED = "rollout.everynode.io/max-failed"
AUTO_ROLLBACK = "rollout.everynode.io/auto-rollback"
WAVES = "rollout.everynode.io/waves"
WAVE_PAUSE_SECONDS = "rollout.everynode.io/wave-pause-seconds"
READINESS_GATE = "everynode.io/readiness-gate"

ANNOTATIONS = (
    PARTITION,
    NODE_SELECTOR,
    PAUSED,
    PROGRESS_DEADLINE_SECONDS,
    MAX_FAILED,
    AUTO_ROLLBACK,
    WAVES,
    WAVE_PAUSE_SECONDS,
    READINESS_GATE,
)

_COUNT = re.compile(r"^(0|[1-9][0-9]{0,17})$")
_PERCENT = re.compile(r"^(0|[1-9][0-9]?|100)%$")


def parse_count_or_percent(value: str) -> int | str:
    """``"3"`` → 3, ``"25%"`` → ``"25%"`` (0 to 100 %); anything else is a ValueError."""
    if _COUNT.match(value):
        return int(value)
    if _PERCENT.match(value):
        return value
    raise ValueError("must be a non-negative integer or a percentage from 0% to 100%")


def parse_seconds(value: str, *, positive: bool) -> int:
    """A whole number of seconds (above 0 when ``positive``)."""
    if not _COUNT.match(value) or (positive and int(value) == 0):
        raise ValueError(f"must be a {'positive' if positive else 'non-negative'} whole number of seconds")
    return int(value)


def parse_flag(value: str) -> bool:
    """``"true"`` or ``"false"``, as written (a typo must not silently mean false)."""
    if value not in ("true", "false"):
        raise ValueError('must be "true" or "false"')
    return value == "true"
