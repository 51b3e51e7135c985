"""Ages: HumanDuration / ShortHumanDuration boundaries and translateTimestampSince."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from everynode.apiserver.tables import human_duration, short_human_duration
from everynode.apiserver.tables.timefmt import parse_time, since

S = timedelta(seconds=1)
MS = timedelta(milliseconds=1)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
Y = 365 * D


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (-3 * S, "<invalid>"),
        (-2 * S, "<invalid>"),
        (-2 * S + US, "0s"),  # up to ~2s of clock skew still reads as "now"
        (-S, "0s"),
        (timedelta(0), "0s"),
        (S - MS, "0s"),
        (5 * S, "5s"),
        (95 * S, "95s"),
        (2 * M - MS, "119s"),
        (2 * M, "2m"),
        (2 * M + 7 * S, "2m7s"),
        (3 * M + 58 * S, "3m58s"),
        (10 * M - MS, "9m59s"),
        (10 * M, "10m"),
        (10 * M + 30 * S, "10m"),
        (95 * M, "95m"),
        (3 * H - MS, "179m"),
        (3 * H, "3h"),
        (3 * H + 20 * M, "3h20m"),
        (8 * H - MS, "7h59m"),
        (8 * H, "8h"),
        (8 * H + 45 * M, "8h"),
        (30 * H, "30h"),
        (2 * D - MS, "47h"),
        (2 * D, "2d"),
        (2 * D + 3 * H, "2d3h"),
        (8 * D - MS, "7d23h"),
        (8 * D, "8d"),
        (8 * D + 20 * H, "8d"),
        (400 * D, "400d"),
        (2 * Y - MS, "729d"),
        (2 * Y, "2y"),
        (2 * Y + 23 * H + 59 * M, "2y"),
        (2 * Y + D, "2y1d"),
        (3 * Y + 40 * D, "3y40d"),
        (8 * Y - MS, "7y364d"),
        (8 * Y, "8y"),
        (8 * Y + 300 * D, "8y"),
        (12 * Y, "12y"),
    ],
)
def test_human_duration(elapsed: timedelta, expected: str) -> None:
    assert human_duration(elapsed) == expected


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (-2 * S, "<invalid>"),
        (-2 * S + US, "0s"),
        (timedelta(0), "0s"),
        (S, "1s"),
        (2 * S - MS, "1s"),
        (M - MS, "59s"),
        (M, "1m"),
        (2 * M - MS, "1m"),
        (H - MS, "59m"),
        (H, "1h"),
        (D - MS, "23h"),
        (D, "1d"),
        (Y - MS, "364d"),
        (Y, "1y"),
        (2 * Y - MS, "1y"),
        (2 * Y, "2y"),
    ],
)
def test_short_human_duration(elapsed: timedelta, expected: str) -> None:
    assert short_human_duration(elapsed) == expected


NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-05-01T11:56:02Z", "3m58s"),
        ("2024-05-01T11:56:02.500000Z", "3m57s"),  # MicroTime: fractions truncate
        ("2024-05-01T13:56:02+02:00", "3m58s"),
        ("2024-05-01T12:00:05Z", "<invalid>"),
        ("2024-05-01T12:00:01Z", "0s"),
        (None, "<unknown>"),
        ("", "<unknown>"),
        ("0001-01-01T00:00:00Z", "<unknown>"),  # Go's zero time
        ("yesterday", "<unknown>"),
        (17, "<unknown>"),
    ],
)
def test_since(stamp: object, expected: str) -> None:
    assert since(stamp, NOW) == expected


def test_parse_time_assumes_utc_without_offset() -> None:
    assert parse_time("2024-05-01T12:00:00") == NOW
