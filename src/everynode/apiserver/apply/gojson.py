"""JSON and quoting exactly as Go writes them, where server-side apply puts Go's bytes in front of users.

Three places need Go's spelling rather than Python's: the keys of associative-list and set items inside
``fieldsV1`` (``k:{"containerPort":80,"protocol":"TCP"}``, written by structured-merge-diff with
json-iterator in its standard-library mode), the ``kubectl.kubernetes.io/last-applied-configuration``
annotation (``encoding/json`` through apimachinery's unstructured encoder, which ends with a newline),
and conflict messages (``fmt``'s ``%q`` and ``%v``).

What Go does that Python's ``json`` does not: object keys sorted, ``<``, ``>`` and ``&`` escaped as
``\\u003c``..., U+2028/U+2029 escaped, and a float written without a trailing ``.0`` (``1`` for 1.0,
``1e+21`` from 1e21 up).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - set(_SHORT) - set(_HTML)
_ESCAPED = re.compile(r'[^\x20-\x7e]|["\\<>&]')  # a character Go writes escaped


def _string(text: str, *, short_bf: bool) -> str:
    """A JSON string as Go escapes it (HTML-safe); ``short_bf``: ``\\b``/``\\f`` as encoding/json
    writes them (json-iterator writes ``\\u0008``/``\\u000c``)."""
    if _ESCAPED.search(text) is None:
        return '"' + text + '"'
    out = ['"']
    for c in text:
        if c in _PLAIN or (ord(c) > 0x7F and c not in _HTML):
            out.append(c)
        elif c in _SHORT:
            out.append(_SHORT[c])
        elif c in _HTML:
            out.append(_HTML[c])
        elif short_bf and c == "\b":
            out.append("\\b")
        elif short_bf and c == "\f":
            out.append("\\f")
        else:
            out.append(f"\\u{ord(c):04x}")
    out.append('"')
    return "".join(out)


def float_text(value: float) -> str:
    """A float64 as encoding/json writes it: the shortest digits, positional between 1e-6 and 1e21
    (``1`` for 1.0), exponent form outside (``1e+21``, ``1e-07``)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {value!r}")
    magnitude = abs(value)
    if magnitude == 0 or 1e-6 <= magnitude < 1e21:
        return _positional(value)
    return _exponent(value)


def _positional(value: float) -> str:
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") and value == 0 else text


def _exponent(value: float) -> str:
    """``1e+21``, ``-1.5e-07``: the shortest mantissa, a signed exponent of at least two digits."""
    digits, exponent = Decimal(repr(value)).normalize().as_tuple()[1:]
    assert isinstance(exponent, int)
    text = "".join(str(d) for d in digits)
    power = exponent + len(text) - 1
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    sign = "-" if value < 0 else ""
    return f"{sign}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"


def dumps(value: Any, *, short_bf: bool = True) -> str:
    """Compact JSON as Go's ``json.Marshal`` writes ``map[string]interface{}``: keys sorted."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value, short_bf=short_bf)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, dict):
        items = sorted(value.items())
        return (
            "{"
            + ",".join(
                _string(str(k), short_bf=short_bf) + ":" + dumps(v, short_bf=short_bf) for k, v in items
            )
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v, short_bf=short_bf) for v in value) + "]"
    raise TypeError(f"json: unsupported type: {type(value).__name__}")


def quote(text: str) -> str:
    """``strconv.Quote`` (``fmt``'s ``%q``): printable characters kept, the rest escaped Go's way."""
    out = ['"']
    for c in text:
        code = ord(c)
        if c in {'"', "\\"}:
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif c in "\a\b\f\n\r\t\v":
            out.append(
                {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[c]
            )
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def format_v(value: Any) -> str:
    """A value as structured-merge-diff's ``value.ToString`` prints it in a path: strings quoted
    (``%q``), numbers and booleans as ``%v``, lists in brackets, ``null``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_g(value)
    if isinstance(value, list):
        return "[" + ",".join(format_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "".join(f"{k}={format_v(v)}" for k, v in sorted(value.items()))
    return str(value)


def _float_g(value: float) -> str:
    """``%v`` of a float64 (``strconv``'s shortest ``g``): exponent form below 1e-4 or from 1e6."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    power = math.floor(math.log10(abs(value)))
    return _positional(value) if -4 <= power < 6 else _exponent(value)
