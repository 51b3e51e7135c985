"""``resource.Quantity``: parsing, comparing and printing in canonical form, as apimachinery does.

``500m``, ``0.5`` and ``5e-1`` are the same amount; the API server stores and returns the canonical
spelling (``500m``), rounded up to nano precision on parse and to milli precision for resource lists.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Any, Literal

Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
NUMERIC = "unable to parse numeric part of quantity"
SUFFIX = "unable to parse quantity's suffix"

_CONTEXT = decimal.Context(prec=80, rounding=ROUND_UP)
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXPONENT = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BINARY_BY_STEP = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
_SUFFIX_CHARS = set("eEinumkKMGTP")
_NANO = Decimal("1e-9")
_MILLI = Decimal("1e-3")


class QuantityError(ValueError):
    """A string that is not a quantity; the message is apimachinery's."""


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Decimal
    format: Format

    def __str__(self) -> str:
        return canonical(self)


def _split(text: str) -> tuple[str, str]:
    """Split into the numeric part and the suffix, as ``parseQuantityString`` scans them."""
    end, pos = len(text), 0
    if text and text[0] in "+-":
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return text, ""
    while pos < end and text[pos].isdigit():
        pos += 1
    if pos < end and text[pos] == ".":
        pos += 1
        while pos < end and text[pos].isdigit():
            pos += 1
    value, suffix_start = text[:pos], pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos].isdigit():
        pos += 1
    if pos < end:
        raise QuantityError(FORMAT_WRONG)
    return value, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, Format]:
    """``(base, exponent, format)`` for a suffix, or raise."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], "DecimalSI"
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], "BinarySI"
    if len(suffix) > 1 and suffix[0] in "eE":
        try:
            return 10, int(suffix[1:]), "DecimalExponent"
        except ValueError:
            pass
    raise QuantityError(SUFFIX)


def parse_quantity(raw: Any) -> Quantity:
    """A quantity from its JSON form (a string, or a number written without quotes)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise QuantityError(FORMAT_WRONG)
    text = repr(raw) if isinstance(raw, float) else str(raw)
    text = text.strip()
    if not text:
        raise QuantityError(FORMAT_WRONG)
    value_text, suffix = _split(text)
    base, exponent, fmt = _interpret(suffix)
    try:
        amount = Decimal(value_text if value_text not in ("", "+", "-") else value_text + "0")
    except decimal.InvalidOperation:
        raise QuantityError(NUMERIC) from None
    if not amount.is_finite():
        raise QuantityError(NUMERIC)
    with decimal.localcontext(_CONTEXT):
        amount = amount * (Decimal(10) ** exponent if base == 10 else Decimal(2) ** exponent)
        if amount != 0 and _exponent(amount) < -9:
            amount = amount.quantize(_NANO, rounding=ROUND_UP)
    if fmt == "BinarySI" and 0 < abs(amount) < 1:
        fmt = "DecimalSI"
    return Quantity(amount, fmt)


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def round_up_milli(q: Quantity) -> Quantity:
    """Round away from zero to milli precision, as the defaulting of resource lists does."""
    if _exponent(q.value) < -3:
        with decimal.localcontext(_CONTEXT):
            return Quantity(q.value.quantize(_MILLI, rounding=ROUND_UP), q.format)
    return q


def canonical(q: Quantity) -> str:
    """The canonical spelling (``CanonicalizeBytes``): ``1500``, ``1k``, ``500m``, ``1536Mi``, ``1e3``."""
    value = q.value
    if value == 0:
        return "0"
    fmt = q.format
    if fmt == "BinarySI" and (-1024 < value < 1024 or value != value.to_integral_value()):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        n, step = abs(int(value)), 0
        while n % 1024 == 0 and step < len(_BINARY_BY_STEP) - 1:
            n, step = n // 1024, step + 1
        return ("-" if value < 0 else "") + str(n) + _BINARY_BY_STEP[step]
    sign, digits, exp = value.normalize(_CONTEXT).as_tuple()
    assert isinstance(exp, int)
    mantissa = int("".join(str(d) for d in digits))
    shift = exp % 3
    mantissa, exp = mantissa * 10**shift, exp - shift
    number = ("-" if sign else "") + str(mantissa)
    if fmt == "DecimalSI" and exp in _DECIMAL_BY_EXPONENT:
        return number + _DECIMAL_BY_EXPONENT[exp]
    return number + ("" if exp == 0 else f"e{exp}")


def canonical_text(raw: Any, *, milli: bool = False) -> Any:
    """``raw`` in canonical form when it parses (rounded to milli when asked), else ``raw`` unchanged so
    that validation can report it."""
    try:
        q = parse_quantity(raw)
    except QuantityError:
        return raw
    return canonical(round_up_milli(q) if milli else q)
