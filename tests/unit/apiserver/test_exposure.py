"""Loopback only: which addresses the server may listen on, and which Host names it answers to."""

from __future__ import annotations

import pytest

from everynode.apiserver.edge.exposure import check_bind, host_name, is_loopback_host


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_addresses_may_be_bound(host: str) -> None:
    check_bind(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_every_interface_is_refused_with_a_reason(host: str) -> None:
    with pytest.raises(ValueError, match="listens only on loopback addresses"):
        check_bind(host)


def test_a_name_that_does_not_resolve_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="cannot listen on"):
        check_bind("no-such-host.invalid")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:6443", "localhost"),
        ("LOCALHOST.", "localhost"),
        ("[::1]:6443", "::1"),
        ("::1", "::1"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("example.com", "example.com"),
        ("[::1", ""),
    ],
)
def test_host_name_strips_port_brackets_and_the_trailing_dot(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    ("header", "loopback"),
    [
        ("localhost", True),
        ("api.localhost:6443", True),
        ("127.0.0.1:6443", True),
        ("127.1.2.3", True),
        ("[::1]:6443", True),
        ("evil.example.com", False),
        ("localhost.evil.example.com", False),
        ("10.0.0.1:6443", False),
        ("[::ffff:10.0.0.1]", False),
        ("", False),
    ],
)
def test_only_names_of_this_machine_are_loopback_hosts(header: str, loopback: bool) -> None:
    assert is_loopback_host(header) is loopback
