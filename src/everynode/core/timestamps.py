"""Kubernetes timestamps, read and written one way by every layer: ``metav1.Time`` is RFC 3339 in
UTC to the second (``2024-01-02T03:04:05Z``), ``metav1.MicroTime`` to the microsecond."""

from __future__ import annotations

import functools
import math
import re
import time
from datetime import UTC, datetime, timedelta, timezone

LATEST_SECOND = 253402300799  # 9999-12-31T23:59:59Z: the last second RFC 3339 can write


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_time(value: str | None) -> float | None:
    """RFC 3339 to epoch seconds (memoized: the same timestamps recur across thousands of pods)."""
    if not isinstance(value, str):
        return None
    return _parse_time(value)


@functools.lru_cache(maxsize=16384)
def _parse_time(value: str) -> float | None:
    """RFC 3339 (``2024-01-02T03:04:05Z``, fractional seconds and ``±hh:mm`` offsets allowed) to
    epoch seconds; ``None`` if not RFC 3339 (a time without an offset is not)."""
    m = _RFC3339.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zulu, sign, off_hours, off_minutes = m.groups()[6:]
    if zulu:
        tz = UTC
    else:
        if int(off_hours) > 23 or int(off_minutes) > 59:
            return None
        offset = timedelta(hours=int(off_hours), minutes=int(off_minutes))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
    return moment.timestamp() + (float(fraction) if fraction else 0.0)


def format_time(epoch: float) -> str:
    """Epoch seconds as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC; fractions are dropped, as ``metav1.Time`` does."""
    t = time.gmtime(math.floor(epoch))  # years before 1000 (Go's zero time is year 1) zero-padded too
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"


def now_time(offset_seconds: float = 0) -> str:
    """Now plus ``offset_seconds`` as a ``metav1.Time``; an offset past the year 9999 (a grace
    period of 2**63 s is valid) gives the last second RFC 3339 can write."""
    return format_time(min(max(time.time() + offset_seconds, 0.0), LATEST_SECOND))


def format_micro_time(moment: datetime | None = None) -> str:
    """A ``metav1.MicroTime``: RFC 3339 in UTC with microseconds, ``2024-01-02T03:04:05.123456Z``."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
