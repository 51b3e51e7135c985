"""Values as Go prints them in the messages apiextensions-apiserver and kube-openapi write.

Custom resources arrive as JSON: integers that fit an ``int64`` stay integers (Go's ``int64``), all
other numbers are ``float64``. Messages print them with ``%v`` (``fmt``): integers in decimal, floats
in the shortest form that reads back, with an exponent from ``1e+06`` up or ``1e-05`` down.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def is_int64(value: Any) -> bool:
    """A JSON integer Go decodes as ``int64`` (``bool`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_go_number(value: Any) -> Any:
    """An integer beyond ``int64`` as the ``float64`` Go decodes it to; anything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool) and not is_int64(value):
        return float(value)
    return value


def _digits(value: float) -> tuple[str, int]:
    """The shortest decimal digits of ``abs(value)`` and the position of the decimal point in them."""
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    assert isinstance(exponent, int)
    return text, len(text) + exponent


def go_float(value: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)``, which is what ``%v`` prints for a ``float64``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    digits, point = _digits(value)
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_float_decimal(value: float) -> str:
    """``strconv.FormatFloat(f, 'f', -1, 64)``: the shortest digits, never an exponent."""
    if math.isnan(value) or math.isinf(value):
        return go_float(value)
    return format(Decimal(repr(value)).normalize(), "f")


def go_v(value: Any) -> str:
    """``%v`` of a number (an ``int64`` or a ``float64``)."""
    value = as_go_number(value)
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def go_json(value: Any) -> str:
    """``json.Marshal`` of a JSON value: compact, keys sorted, integral floats without a fraction."""
    return json.dumps(_json_ready(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def value_text(value: Any) -> str | None:
    """How a field error prints a bad value, where that differs from ``render_value``: floats as Go
    prints them, objects and lists as JSON the way Go encodes them. ``None`` means the default."""
    value = as_go_number(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, dict | list):
        return go_json(value)
    return None


def go_deep_equal(a: Any, b: Any) -> bool:
    """``reflect.DeepEqual`` on decoded JSON: an ``int64`` never equals a ``float64``."""
    a, b = as_go_number(a), as_go_number(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(go_deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(go_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
