"""IntOrString as upstream's helpers read it."""

from __future__ import annotations

import pytest

from everynode.core.intstr import percent, scaled_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30%", 30),
        ("0%", 0),
        ("100%", 100),
        ("5", None),
        ("%", None),
        ("-5%", None),
        ("9" * 5000 + "%", None),
        (5, None),
        (None, None),
    ],
)
def test_percent(value: object, expected: int | None) -> None:
    assert percent(value) == expected


@pytest.mark.parametrize(
    ("value", "total", "up", "down"),
    [
        (3, 10, 3, 3),
        ("30%", 10, 3, 3),
        ("25%", 10, 3, 2),
        ("1%", 5000, 50, 50),
        ("10%", 1, 1, 0),
        (None, 7, 0, 0),
    ],
)
def test_scaled_value_rounds_as_asked(value: int | str | None, total: int, up: int, down: int) -> None:
    assert scaled_value(value, total, round_up=True, field="f") == up
    assert scaled_value(value, total, round_up=False, field="f") == down


@pytest.mark.parametrize("value", ["abc", "5", True, "9" * 5000 + "%"])
def test_anything_else_is_an_invalid_value_for_the_field(value: object) -> None:
    with pytest.raises(ValueError, match="invalid value for MaxSurge"):
        scaled_value(value, 10, round_up=True, field="MaxSurge")  # type: ignore[arg-type]
