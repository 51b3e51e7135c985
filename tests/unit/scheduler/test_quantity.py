"""``core.quantity``: quantities read as whole millicores, bytes and counts, rounded up as upstream."""

from __future__ import annotations

from fractions import Fraction

import pytest

from everynode.core.quantity import milli_value, parse, value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", Fraction(1)),
        ("0", Fraction(0)),
        ("100m", Fraction(1, 10)),
        ("1.5", Fraction(3, 2)),
        (".5", Fraction(1, 2)),
        ("5.", Fraction(5)),
        ("+2", Fraction(2)),
        ("-1", Fraction(-1)),
        ("250u", Fraction(1, 4000)),
        ("3n", Fraction(3, 10**9)),
        ("1k", Fraction(1000)),
        ("2M", Fraction(2 * 10**6)),
        ("1G", Fraction(10**9)),
        ("1T", Fraction(10**12)),
        ("1P", Fraction(10**15)),
        ("1E", Fraction(10**18)),
        ("1Ki", Fraction(1024)),
        ("128Mi", Fraction(128 * 2**20)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("1Ti", Fraction(2**40)),
        ("1Pi", Fraction(2**50)),
        ("1Ei", Fraction(2**60)),
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("12e-1", Fraction(6, 5)),
        (" 2Gi ", Fraction(2 * 2**30)),
        (3, Fraction(3)),
        (0.5, Fraction(1, 2)),
    ],
)
def test_parse(raw: object, expected: Fraction) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "1Mb", "1 Gi", "abc", "1..2", "1ki", "--1", "1e2147483648", None, True, [1]]
)
def test_not_a_quantity(raw: object) -> None:
    with pytest.raises(ValueError, match="quantit"):  # apimachinery's messages
        parse(raw)


@pytest.mark.parametrize(
    ("raw", "millis", "whole"),
    [
        ("1e999999999", 2**63 - 1, 2**63 - 1),  # exact, and capped where whole units are read
        ("-1e999999999", -(2**63), -(2**63)),
        ("1e-999999999", 1, 1),  # rounded up to a nano on parse, then to whole units
        ("9" * 400, 2**63 - 1, 2**63 - 1),
    ],
)
def test_huge_and_tiny_quantities_are_read_at_once_within_int64(raw: str, millis: int, whole: int) -> None:
    assert (milli_value(raw), value(raw)) == (millis, whole)


@pytest.mark.parametrize(
    ("raw", "millis", "whole"),
    [
        ("100m", 100, 1),  # Value rounds 0.1 up to 1
        ("1", 1000, 1),
        ("1.5", 1500, 2),
        ("0.1m", 1, 1),  # MilliValue rounds 0.0001 up to 1m
        ("250u", 1, 1),
        ("2", 2000, 2),
        ("0", 0, 0),
        ("1Ki", 1024000, 1024),
        (4, 4000, 4),
    ],
)
def test_milli_value_and_value_round_up(raw: object, millis: int, whole: int) -> None:
    assert milli_value(raw) == millis
    assert value(raw) == whole
