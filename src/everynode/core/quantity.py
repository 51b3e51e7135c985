"""``resource.Quantity``, read as apimachinery reads it: parsed (``parse_quantity``), compared,
printed in canonical form (``500m``, ``0.5`` and ``5e-1`` are one amount, stored as ``500m``), and
as whole units for arithmetic on requests and capacity (``value``, ``milli_value``).

Accepted spellings are apimachinery's: a signed decimal number, then a decimal SI suffix
(``n u m "" k M G T P E``), a binary suffix (``Ki Mi Gi Ti Pi Ei``) or an exponent (``e3``,
``E-2``, which must fit in an int32 as upstream's does); a bare JSON number is read the same way.
Amounts are exact decimals, rounded up to nano precision on parse. A huge exponent costs nothing:
the arithmetic keeps exponents apart (``1e999999999`` is a valid quantity upstream too), and the
whole-unit readings are capped at the int64 range, as upstream's ``Value()`` holds them.
"""

from __future__ import annotations

import decimal
import functools
import math
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Any, Literal

Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
NUMERIC = "unable to parse numeric part of quantity"
SUFFIX = "unable to parse quantity's suffix"

# Exponents as wide as Python allows: 1e999999999 multiplies in no time, and never overflows.
_CONTEXT = decimal.Context(prec=80, rounding=ROUND_UP, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
_INT32 = 2**31
_INT64_MAX = Decimal(2**63 - 1)
_INT64_MIN = Decimal(-(2**63))
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
    if len(suffix) > 1 and suffix[0] in "eE" and len(suffix) < 14:
        try:
            exponent = int(suffix[1:])
        except ValueError:
            raise QuantityError(SUFFIX) from None
        if -_INT32 <= exponent < _INT32:  # upstream parses it as an int32
            return 10, exponent, "DecimalExponent"
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
        amount = Decimal(value_text if value_text not in ("", "+", "-") else value_text + "0", _CONTEXT)
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


def parse(raw: object) -> Decimal:
    """The exact amount a quantity stands for (``"1.5Gi"`` → ``1610612736``, ``"100m"`` → ``0.1``);
    ``QuantityError`` (a ``ValueError``) if it is not one."""
    if isinstance(raw, str):
        return _parse_text(raw)
    return parse_quantity(raw).value


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> Decimal:
    # Memoized: thousands of pods repeat the same few request strings.
    return parse_quantity(text).value


def value(raw: object) -> int:
    """Whole units, rounded up (``Quantity.Value``): memory in bytes, a pod count; int64 at most."""
    return math.ceil(_int64(parse(raw)))


def milli_value(raw: object) -> int:
    """Thousandths of a unit, rounded up (``Quantity.MilliValue``): cpu in millicores; int64 at most."""
    with decimal.localcontext(_CONTEXT):
        return math.ceil(_int64(parse(raw) * 1000))


def add(a: Decimal, b: Decimal) -> Decimal:
    """``a + b`` exactly, whatever their exponents (the default decimal context overflows past 1e999999)."""
    with decimal.localcontext(_CONTEXT):
        return a + b


def _int64(amount: Decimal) -> Decimal:
    return min(max(amount, _INT64_MIN), _INT64_MAX)
