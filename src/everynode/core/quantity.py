"""Reading ``resource.Quantity`` values as whole numbers, for arithmetic on requests and capacity.

The scheduler adds up container requests and compares them with a node's ``status.allocatable``,
as upstream does with ``Quantity.MilliValue()`` (cpu) and ``Quantity.Value()`` (memory, pods): both
round *up* to the next whole unit, so ``0.1m`` of cpu counts as ``1m`` and ``0.5`` bytes as one byte.

Accepted spellings are apimachinery's: a signed decimal number, then either a decimal SI suffix
(``n u m "" k M G T P E``), a binary suffix (``Ki Mi Gi Ti Pi Ei``) or an exponent (``e3``, ``E-2``).
A bare JSON number is read the same way. Stored objects were validated by the API server; anything
that still does not parse raises ``ValueError``.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<exponent>[eE][+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?"
)
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def parse(raw: object) -> Fraction:
    """The exact amount a quantity stands for (``"1.5Gi"`` → ``1610612736``, ``"100m"`` → ``1/10``)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(f"not a quantity: {raw!r}")
    if isinstance(raw, int):
        return Fraction(raw)
    return _parse_text(repr(raw) if isinstance(raw, float) else raw.strip())


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> Fraction:
    # Memoized: thousands of pods repeat the same few request strings.
    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise ValueError(f"not a quantity: {text!r}")
    amount = Fraction(match["number"])
    if match["exponent"]:
        amount *= Fraction(10) ** int(match["exponent"][1:])
    elif match["suffix"] in _BINARY:
        amount *= 2 ** _BINARY[match["suffix"]]
    elif match["suffix"]:
        amount *= Fraction(10) ** _DECIMAL[match["suffix"]]
    return amount


def value(raw: object) -> int:
    """Whole units, rounded up (``Quantity.Value``): memory in bytes, a pod count."""
    return math.ceil(parse(raw))


def milli_value(raw: object) -> int:
    """Thousandths of a unit, rounded up (``Quantity.MilliValue``): cpu in millicores."""
    return math.ceil(parse(raw) * 1000)
