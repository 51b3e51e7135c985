from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from everynode.core.quantity import (
    FORMAT_WRONG,
    SUFFIX,
    QuantityError,
    canonical,
    canonical_text,
    parse_quantity,
    round_up_milli,
)


@pytest.mark.parametrize(
    ("raw", "value", "text"),
    [
        ("500m", Decimal("0.5"), "500m"),
        ("0.5", Decimal("0.5"), "500m"),
        (2, Decimal(2), "2"),
        (0.25, Decimal("0.25"), "250m"),
        ("1000", Decimal(1000), "1k"),
        ("1500", Decimal(1500), "1500"),
        ("128Mi", Decimal(128 * 2**20), "128Mi"),
        ("1024Mi", Decimal(2**30), "1Gi"),
        ("1.5Gi", Decimal(3 * 2**29), "1536Mi"),
        ("1e3", Decimal(1000), "1e3"),
        ("1G", Decimal(10**9), "1G"),
        ("0", Decimal(0), "0"),
        ("-2", Decimal(-2), "-2"),
    ],
)
def test_parse_and_print(raw: Any, value: Decimal, text: str) -> None:
    q = parse_quantity(raw)
    assert q.value == value
    assert canonical(q) == text


def test_tiny_amounts_round_up_to_milli_in_resource_lists() -> None:
    assert canonical(parse_quantity("1n")) == "1n"
    assert canonical(round_up_milli(parse_quantity("1n"))) == "1m"
    assert canonical_text("0.0001", milli=True) == "1m"


@pytest.mark.parametrize(
    ("raw", "message"),
    [("", FORMAT_WRONG), ("two", FORMAT_WRONG), ("1x", FORMAT_WRONG), ("1e", SUFFIX), (True, FORMAT_WRONG)],
)
def test_bad_quantities(raw: Any, message: str) -> None:
    with pytest.raises(QuantityError, match=re.escape(message)):
        parse_quantity(raw)


def test_canonical_text_leaves_garbage_for_validation() -> None:
    assert canonical_text("lots") == "lots"
