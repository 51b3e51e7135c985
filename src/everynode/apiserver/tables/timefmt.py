"""Ages as kubectl prints them: apimachinery's ``duration.HumanDuration`` / ``ShortHumanDuration`` and the
printers' ``translateTimestampSince``.

Go truncates durations toward zero (``int(d.Seconds())``), so a clock that is up to 1.999s behind still
reads ``0s`` and only -2s or worse reads ``<invalid>``. Python's ``//`` floors, hence ``_seconds``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

UNKNOWN = "<unknown>"
_MICROS_PER_SECOND = 1_000_000
_DAYS_PER_YEAR = 365
# Go's zero time.Time serialises as this; metav1.Time.IsZero() is true for it (and for null / absent).
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def _seconds(d: timedelta) -> int:
    """Whole seconds, truncated toward zero like Go's ``int(d.Seconds())``."""
    micros = d // timedelta(microseconds=1)
    whole = abs(micros) // _MICROS_PER_SECOND
    return whole if micros >= 0 else -whole


def human_duration(d: timedelta) -> str:
    """About two significant figures: ``119s``, ``3m10s``, ``70m``, ``7h59m``, ``47h``, ``2d1h``, ``8d``,
    ``2y1d``, ``8y``."""
    seconds = _seconds(d)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 2 * 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 3 * 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d" if rest == 0 else f"{days}d{rest}h"
    if days < _DAYS_PER_YEAR * 2:
        return f"{days}d"
    years = days // _DAYS_PER_YEAR
    if days < _DAYS_PER_YEAR * 8:
        rest = days % _DAYS_PER_YEAR
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{years}y"


def short_human_duration(d: timedelta) -> str:
    """One unit only: ``59s``, ``1m``, ``23h``, ``364d``, ``1y``."""
    seconds = _seconds(d)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * _DAYS_PER_YEAR:
        return f"{hours // 24}d"
    return f"{hours // 24 // _DAYS_PER_YEAR}y"


def parse_time(value: Any) -> datetime | None:
    """A ``metav1.Time`` / ``MicroTime`` string as an aware datetime.

    ``None`` for a zero, absent or unreadable time (all print as ``<unknown>``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return None if parsed == GO_ZERO_TIME else parsed


def since(value: Any, now: datetime) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a zero timestamp, else the human duration until now."""
    parsed = parse_time(value)
    return UNKNOWN if parsed is None else human_duration(now - parsed)
