from __future__ import annotations

import pytest

from everynode.core import names

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize("value", ["a", "fluentd", "node-1.example.com", "1-2", "a" * 253])
def test_valid_subdomains(value: str) -> None:
    assert names.is_dns1123_subdomain(value) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Foo", [SUBDOMAIN_MSG]),
        ("-a", [SUBDOMAIN_MSG]),
        ("a..b", [SUBDOMAIN_MSG]),
        ("", [SUBDOMAIN_MSG]),
        ("a" * 254, ["must be no more than 253 characters"]),
        ("A" * 254, ["must be no more than 253 characters", SUBDOMAIN_MSG]),
    ],
)
def test_invalid_subdomains(value: str, expected: list[str]) -> None:
    assert names.is_dns1123_subdomain(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("web", []),
        ("a" * 63, []),
        ("a.b", ["must not contain dots"]),
        ("Web", [LABEL_MSG]),
        ("a_b", [LABEL_MSG]),
        ("a" * 64, ["must be no more than 63 characters"]),
        ("A" * 64, ["must be no more than 63 characters", LABEL_MSG]),
    ],
)
def test_dns_labels(value: str, expected: list[str]) -> None:
    assert names.is_dns1123_label(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("app", []),
        ("app.kubernetes.io/name", []),
        ("My_Key.1", []),
        ("/name", ["prefix part must be non-empty"]),
        ("example.com/", ["name part must be non-empty", NAME_PART_MSG]),
        ("Example.com/x", ["prefix part " + SUBDOMAIN_MSG]),
        ("NoUppercaseOrSpecialCharsLike=Equals", [NAME_PART_MSG]),
        ("x" * 64, ["name part must be no more than 63 characters"]),
    ],
)
def test_qualified_names(value: str, expected: list[str]) -> None:
    assert names.is_qualified_name(value) == expected


def test_a_qualified_name_with_two_slashes_is_explained_as_a_whole() -> None:
    (msg,) = names.is_qualified_name("a/b/c")
    assert msg.startswith("a qualified name must consist of alphanumeric characters")
    assert msg.endswith("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("v1.2_3-x", []),
        ("-x", [LABEL_VALUE_MSG]),
        ("a b", [LABEL_VALUE_MSG]),
        ("a" * 64, ["must be no more than 63 characters"]),
    ],
)
def test_label_values(value: str, expected: list[str]) -> None:
    assert names.is_valid_label_value(value) == expected


def test_generate_name_may_end_with_a_dash() -> None:
    assert names.name_is_dns_subdomain("fluentd-", True) == []
    assert names.name_is_dns_subdomain("fluentd-", False) == [SUBDOMAIN_MSG]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50%", []),
        ("0%", []),
        (
            "abc",
            [
                "a valid percent string must be a numeric string followed by an ending '%' "
                "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
            ],
        ),
    ],
)
def test_percent(value: str, expected: list[str]) -> None:
    assert names.is_valid_percent(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http", []),
        ("web-80", []),
        ("80", ["must contain at least one letter (a-z)"]),
        ("-a", ["must not begin or end with a hyphen"]),
        ("a--b", ["must not contain consecutive hyphens"]),
        ("abcdefghijklmnop", ["must be no more than 15 characters"]),
        ("Web", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"]),
    ],
)
def test_port_names(value: str, expected: list[str]) -> None:
    assert names.is_valid_port_name(value) == expected


def test_port_numbers() -> None:
    assert names.is_valid_port_num(1) == []
    assert names.is_valid_port_num(65536) == ["must be between 1 and 65535, inclusive"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PATH", []),
        ("1_weird-but.ok", []),
        ("", ["environment variable name must be non-empty"]),
        (
            "A=B",
            [
                "a valid environment variable name must consist only of printable ASCII characters other "
                "than '='"
            ],
        ),
    ],
)
def test_relaxed_env_var_names(value: str, expected: list[str]) -> None:
    assert names.is_relaxed_env_var_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ok", []), (".", ["may not be '.'"]), ("a/b%c", ["may not contain '/'", "may not contain '%'"])],
)
def test_path_segment_names(value: str, expected: list[str]) -> None:
    assert names.is_valid_path_segment_name(value) == expected


def test_config_map_keys() -> None:
    assert names.is_config_map_key("app.conf") == []
    assert names.is_config_map_key("..x") == ["must not start with '..'"]


DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


@pytest.mark.parametrize(
    ("value", "prefix", "expected"),
    [
        ("metrics", False, []),
        ("kube-dns", False, []),
        ("1metrics", False, [DNS1035_MSG]),
        ("metrics.svc", False, [DNS1035_MSG]),
        ("metrics-", False, [DNS1035_MSG]),
        ("metrics-", True, []),
        ("a" * 64, False, ["must be no more than 63 characters"]),
    ],
)
def test_dns1035_names(value: str, prefix: bool, expected: list[str]) -> None:
    assert names.name_is_dns1035_label(value, prefix) == expected
