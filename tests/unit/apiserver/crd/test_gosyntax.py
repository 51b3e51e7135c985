"""Go behaviour the CRD code reproduces: RE2 patterns (``regexp``), ``%v`` of numbers, and the
``strfmt`` format checks (upstream kube-openapi ``strfmt/default_test.go``)."""

from __future__ import annotations

import pytest

from everynode.apiserver.crd import formats
from everynode.apiserver.crd.gofmt import go_float, go_json
from everynode.apiserver.crd.goregex import matches, pattern_error


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("+", "error parsing regexp: missing argument to repetition operator: `+`"),
        ("(abc", "error parsing regexp: missing closing ): `(abc`"),
        ("abc)", "error parsing regexp: unexpected ): `abc)`"),
        ("[abc", "error parsing regexp: missing closing ]: `[abc`"),
        ("\\q", "error parsing regexp: invalid escape sequence: `\\q`"),
        ("[z-a]", "error parsing regexp: invalid character class range: `z-a`"),
        ("a(?!b)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"),
        ("(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"),
        ("a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"),
        ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", None),
        ("^(\\d+|\\*)$", None),
    ],
)
def test_pattern_errors(pattern: str, message: str | None) -> None:
    assert pattern_error(pattern) == message


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("^[a-z]+$", "abc", True),
        ("^[a-z]+$", "abc\n", False),  # Go's $ is the end of the text
        ("b", "abc", True),  # a search, not a full match
        ("\\d", "\u0663", False),  # ASCII digits only
        ("a(?i)b", "aB", True),  # a flag set mid-pattern applies to the rest
        ("[[:alpha:]]+", "abc", True),
        ("\\p{L}+", "é", True),
        ("(?P<x>a)(?<y>b)", "ab", True),
        ("\\Qa.b\\E", "axb", False),
    ],
)
def test_matching(pattern: str, text: str, found: bool) -> None:
    assert matches(pattern, text) is found


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (3.0, "3"),
        (-2.5, "-2.5"),
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text


def test_go_json() -> None:
    assert go_json({"b": 1.0, "a": [2.5, "x"]}) == '{"a":[2.5,"x"],"b":1}'


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("date", "2024-02-29", "2023-02-29"),
        ("date-time", "2024-01-02T03:04:05.123Z", "2024-01-02 03:04:05"),
        ("datetime", "2024-01-02t03:04:05+01:00", "2024-01-02T25:04:05Z"),
        ("duration", "1h30m", "soon"),
        ("hostname", "a-b.example.com", "-bad-.example.com"),
        ("ipv4", "010.0.0.1", "1.2.3"),
        ("ipv6", "2001:db8::1", "2001:db8::g"),
        ("cidr", "2001:db8::/32", "10.0.0.0/33"),
        ("mac", "01-23-45-67-89-ab", "01:23:45"),
        ("uuid", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "6ba7b810"),
        ("uuid4", "f47ac10b-58cc-4372-a567-0e02b2c3d479", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        ("isbn10", "0321751043", "0321751044"),
        ("isbn13", "978-0321751041", "978-0321751042"),
        ("creditcard", "4111 1111 1111 1111", "4111 1111 1111 1112"),
        ("ssn", "111-11-1111", "111111111"),
        ("hexcolor", "#FFF", "#FFFF"),
        ("rgbcolor", "rgb(255, 0, 0)", "rgb(256,0,0)"),
        ("byte", "aGVsbG8=", "aGVsbG8"),
        ("uri", "mailto:ops@example.com", "relative/path"),
        ("email", "Ops <ops@example.com>", "not-an-address"),
        ("bsonobjectid", "507f1f77bcf86cd799439011", "507f1f77"),
    ],
)
def test_formats(name: str, good: str, bad: str) -> None:
    assert formats.check(name, good)
    assert not formats.check(name, bad)


def test_supported_formats_depend_on_the_type() -> None:
    assert formats.supported_format("integer", "int32") == "int32"
    assert formats.supported_format("integer", "date") == ""
    assert formats.supported_format("number", "double") == "double"
    assert formats.supported_format("string", "k8s-short-name") == ""  # from 1.34 only
    assert formats.supported_format("", "date-time") == "date-time"
