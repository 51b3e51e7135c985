"""String formats a CRD schema may name, checked as kube-openapi's default ``strfmt`` registry checks
them (``pkg/validation/strfmt``), restricted to the formats apiextensions-apiserver supports at the
compatibility version (``pkg/apiserver/validation/formats.go``; the ``k8s-*`` names come in 1.34).

Format names are compared without dashes (``date-time`` is ``datetime``). A format the registry does not
know is dropped from the schema before validation (``StripUnsupportedFormatsPostProcessor``); so is a
format on a type it does not belong to (integers take ``int32``/``int64``, numbers ``float``/``double``).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable
from datetime import date

_HOSTNAME_LABEL = "[^\\W_]"  # a letter or digit of any script (Go: [a-zA-Z0-9\p{S}\p{L}])
_HOSTNAME = re.compile(
    rf"^({_HOSTNAME_LABEL}((-?{_HOSTNAME_LABEL}{{0,62}})?)|"
    rf"({_HOSTNAME_LABEL}(([^\W_]|-){{0,61}}{_HOSTNAME_LABEL})?(\.)){{1,}}([^\W\d_]){{2,63}})$"
)
_UUID = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_UUID3 = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_UUID4 = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
_UUID5 = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
_CREDIT_CARD = re.compile(
    r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|"
    r"3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35[0-9]{3})[0-9]{11})$"
)
_ISBN10 = re.compile(r"^(?:[0-9]{9}X|[0-9]{10})$")
_ISBN13 = re.compile(r"^(?:[0-9]{13})$")
_HEX_COLOR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_OCTET = r"(0|[1-9][0-9]?|1[0-9][0-9]?|2[0-4][0-9]|25[0-5])"
_RGB_COLOR = re.compile(rf"^rgb\(\s*{_OCTET}\s*,\s*{_OCTET}\s*,\s*{_OCTET}\s*\)$")
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")
_SSN = re.compile(r"^[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_TIME = re.compile(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")
_GO_DURATION = re.compile(r"^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$")
_LOOSE_DURATION = re.compile(r"([0-9]+)\s*([A-Za-zµ]+)")
_DURATION_UNITS: tuple[tuple[str, ...], ...] = (
    ("ns", "nano"),
    ("us", "µs", "micro"),
    ("ms", "milli"),
    ("s", "sec"),
    ("m", "min"),
    ("h", "hr", "hour"),
    ("d", "day"),
    ("w", "wk", "week"),
)
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ADDRESS = r'[^<>@\s"]+@[^<>@\s".]+(\.[^<>@\s".]+)*'
_EMAIL = re.compile(rf"^(?:[^<>@]*<{_ADDRESS}>|{_ADDRESS})$")


def is_hostname(text: str) -> bool:
    if _HOSTNAME.match(text) is None or len(text) > 255:
        return False
    return all(len(part) <= 63 for part in text.split("."))


def _sloppy_ipv4(text: str) -> bool:
    """Go's ``ParseIPSloppy`` on a dotted quad: four decimal parts up to 255, leading zeros allowed."""
    parts = text.split(".")
    return len(parts) == 4 and all(
        p.isascii() and p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts
    )


def _ipv6(text: str) -> bool:
    if "%" in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def is_ipv4(text: str) -> bool:
    return "." in text and (_sloppy_ipv4(text) or _ipv6(text))


def is_ipv6(text: str) -> bool:
    return ":" in text and (_sloppy_ipv4(text) or _ipv6(text))


def is_cidr(text: str) -> bool:
    address, slash, bits = text.partition("/")
    if not slash or not bits.isascii() or not bits.isdigit() or len(bits) > 3:
        return False
    if _sloppy_ipv4(address):
        return int(bits) <= 32
    return _ipv6(address) and int(bits) <= 128


def is_uri(text: str) -> bool:
    """``url.ParseRequestURI``: an absolute URI or an absolute path, without control characters."""
    if not text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return False
    if text.startswith("/"):
        return True
    if _URI_SCHEME.match(text) is None:
        return False
    rest = text.split(":", 1)[1]
    if rest.startswith("//"):
        host = rest[2:].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
        return " " not in host
    return True


def is_email(text: str) -> bool:
    return _EMAIL.match(text) is not None


def is_date(text: str) -> bool:
    """``time.Parse("2006-01-02", s)``: a real calendar day."""
    match = _DATE.match(text)
    if match is None:
        return False
    try:
        date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def is_date_time(text: str) -> bool:
    if len(text) < 4:
        return False
    parts = text.lower().split("t")
    if len(parts) < 2 or not is_date(parts[0]):
        return False
    match = _TIME.match(parts[1])
    return match is not None and match.group(1) <= "23" and match.group(2) <= "59" and match.group(3) <= "59"


def is_duration(text: str) -> bool:
    """Go's ``time.ParseDuration``, or the looser ``3 days`` form kube-openapi also takes."""
    if _GO_DURATION.match(text):
        return True
    for _, found in _LOOSE_DURATION.findall(text):
        unit = found.lower().strip()
        for variants in _DURATION_UNITS:
            last = len(variants) - 1
            if any((i == last and unit.startswith(v)) or unit == v.lower() for i, v in enumerate(variants)):
                return True
    return False


def _isbn10(text: str) -> bool:
    digits = re.sub(r"[\s-]+", "", text)
    if _ISBN10.match(digits) is None:
        return False
    total = sum((i + 1) * int(digits[i]) for i in range(9))
    total += 100 if digits[9] == "X" else 10 * int(digits[9])
    return total % 11 == 0


def _isbn13(text: str) -> bool:
    digits = re.sub(r"[\s-]+", "", text)
    if _ISBN13.match(digits) is None:
        return False
    total = sum((1, 3)[i % 2] * int(digits[i]) for i in range(12))
    return int(digits[12]) - (10 - total % 10) % 10 == 0


def _credit_card(text: str) -> bool:
    digits = re.sub(r"[^0-9]+", "", text)
    if _CREDIT_CARD.match(digits) is None:
        return False
    total, double = 0, False
    for char in reversed(digits):
        value = int(char) * (2 if double else 1)
        total += value % 10 + 1 if value >= 10 else value
        double = not double
    return total % 10 == 0


def _mac(text: str) -> bool:
    """``net.ParseMAC``: 6, 8 or 20 octets split by ``:`` or ``-``, or groups of four hex digits by ``.``."""
    hexdigits = set("0123456789abcdefABCDEF")
    for sep, sizes, width in ((":", (6, 8, 20), 2), ("-", (6, 8, 20), 2), (".", (3, 4, 10), 4)):
        parts = text.split(sep)
        if len(parts) in sizes and all(len(p) == width and set(p) <= hexdigits for p in parts):
            return True
    return False


def _bson_object_id(text: str) -> bool:
    return len(text) == 24 and all(c in "0123456789abcdefABCDEF" for c in text)


def _base64(text: str) -> bool:
    if _BASE64.match(text) is None:
        return False
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda text: pattern.match(text) is not None


# Normalized name -> check. Every format supported before 1.34, as the registry checks it.
_CHECKS: dict[str, Callable[[str], bool]] = {
    "bsonobjectid": _bson_object_id,
    "uri": is_uri,
    "email": is_email,
    "hostname": is_hostname,
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "cidr": is_cidr,
    "mac": _mac,
    "uuid": _matches(_UUID),
    "uuid3": _matches(_UUID3),
    "uuid4": _matches(_UUID4),
    "uuid5": _matches(_UUID5),
    "isbn": lambda text: _isbn10(text) or _isbn13(text),
    "isbn10": _isbn10,
    "isbn13": _isbn13,
    "creditcard": _credit_card,
    "ssn": lambda text: len(text) == 11 and _SSN.match(text) is not None,
    "hexcolor": _matches(_HEX_COLOR),
    "rgbcolor": _matches(_RGB_COLOR),
    "byte": _base64,
    "password": lambda text: True,
    "date": is_date,
    "duration": is_duration,
    "datetime": is_date_time,
}


def normalize(name: str) -> str:
    return name.replace("-", "")


def supported_format(schema_type: str, name: str) -> str:
    """The format validation uses for a schema node (``""`` when it is stripped)."""
    if not name:
        return ""
    if schema_type in ("", "string"):
        return name if normalize(name) in _CHECKS else ""
    if schema_type == "integer":
        return name if name in ("int32", "int64") else ""
    if schema_type == "number":
        return name if name in ("float", "double") else ""
    return ""


def known(name: str) -> bool:
    """Whether the registry has a check for strings of this format."""
    return normalize(name) in _CHECKS


def check(name: str, text: str) -> bool:
    """Whether ``text`` is a valid ``name`` (a known format)."""
    return _CHECKS[normalize(name)](text)
