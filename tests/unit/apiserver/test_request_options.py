"""Query parameters read as upstream reads them: strict integers in range, booleans, ListOptions rules."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from everynode.apiserver.edge.plain_request import LeanRequest
from everynode.apiserver.request import options as request_options
from everynode.apiserver.request.options import INT64_MAX, integer, list_options, resource_version
from everynode.core import errors


def request(query: str) -> LeanRequest:
    return LeanRequest("GET", "/api/v1/pods?" + query, CIMultiDictProxy(CIMultiDict()), b"", {})


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("42", 42), ("+7", 7), ("007", 7), (str(INT64_MAX), INT64_MAX), ("0" * 5000 + "1", 1)],
)
def test_integers_are_read_as_go_reads_them(text: str, value: int) -> None:
    assert integer(text, "limit") == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1_000",  # Python's int() reads these four; Go's strconv.ParseInt does not
        " 1",
        "\u0661",
        "1.0",
        "0x10",
        "1e3",
        "--1",
    ],
)
def test_what_is_not_a_decimal_integer_is_a_400(text: str) -> None:
    with pytest.raises(errors.BadRequest, match="must be an integer"):
        integer(text, "limit")


@pytest.mark.parametrize("text", [str(INT64_MAX + 1), "99999999999999999999999", "1" * 5000])
def test_integers_beyond_64_bits_are_a_400_not_an_overflow(text: str) -> None:
    with pytest.raises(errors.BadRequest, match="out of range"):
        integer(text, "limit")


def test_a_minimum_is_enforced_unless_signed_values_are_allowed() -> None:
    with pytest.raises(errors.BadRequest, match="less than 0"):
        integer("-1", "limit")
    assert integer("-1", "gracePeriodSeconds", minimum=None) == -1
    with pytest.raises(errors.BadRequest, match="out of range"):
        integer(str(-INT64_MAX - 2), "gracePeriodSeconds", minimum=None)


@pytest.mark.parametrize("text", ["-1", "+1", "abc", str(INT64_MAX + 1)])
def test_resource_versions_are_non_negative_decimal_int64(text: str) -> None:
    with pytest.raises(errors.BadRequest):
        resource_version(text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", False),
        ("watch=true", True),
        ("watch=1", True),
        ("watch=", True),  # upstream: present and not 0/false is true
        ("watch=yes", True),
        ("watch=0", False),
        ("watch=FALSE", False),
        ("watch=false", False),
    ],
)
def test_booleans_are_true_unless_absent_zero_or_false(query: str, expected: bool) -> None:
    assert request_options.flag(request(query), "watch") is expected


def test_list_options_carry_every_parameter() -> None:
    options = list_options(
        request("limit=5&resourceVersion=12&resourceVersionMatch=NotOlderThan&timeoutSeconds=3")
    )
    assert (options.limit, options.revision, options.timeout_seconds, options.match) == (
        5,
        12,
        3,
        "NotOlderThan",
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("resourceVersionMatch=Exact", "forbidden unless resourceVersion is provided"),
        ("resourceVersion=0&resourceVersionMatch=Exact", "forbidden for resourceVersion"),
        ("resourceVersion=1&resourceVersionMatch=Newest", "Unsupported value"),
        ("resourceVersion=1&resourceVersionMatch=Exact&continue=abc", "forbidden when continue is provided"),
        ("sendInitialEvents=true", "sendInitialEvents is forbidden for list"),
        ("watch=1&sendInitialEvents=true", "requires setting resourceVersionMatch to NotOlderThan"),
        ("watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan", "unless sendInitialEvents"),
        ("watch=1&sendInitialEvents=true&resourceVersionMatch=Exact", "Unsupported value"),
    ],
)
def test_combinations_upstream_forbids_are_a_422_naming_list_options(query: str, message: str) -> None:
    with pytest.raises(errors.Invalid, match=message) as caught:
        list_options(request(query))
    assert str(caught.value).startswith('ListOptions.meta.k8s.io "" is invalid')


def test_a_watch_list_request_as_client_go_sends_it_is_accepted() -> None:
    options = list_options(request("watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"))
    assert options.watch
    assert options.send_initial_events is True


@pytest.mark.parametrize("parameter", ["limit", "timeoutSeconds"])
@pytest.mark.parametrize("value", ["-1", "x", "9223372036854775808"])
def test_bad_numbers_in_list_options_are_a_400(parameter: str, value: str) -> None:
    with pytest.raises(errors.BadRequest):
        list_options(request(f"{parameter}={value}"))
