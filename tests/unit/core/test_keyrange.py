from __future__ import annotations

import pytest

from everynode.core.keyrange import in_prefix, prefix_end


@pytest.mark.parametrize(
    ("prefix", "end"),
    [
        (b"/registry/pods/", b"/registry/pods0"),
        (b"a", b"b"),
        (b"a\xff", b"b"),
        (b"\xff\xff", b""),
        (b"", b""),
    ],
)
def test_prefix_end_is_the_first_key_after_the_prefix(prefix: bytes, end: bytes) -> None:
    assert prefix_end(prefix) == end


def test_every_key_under_a_prefix_sorts_below_its_end() -> None:
    prefix = b"/registry/pods/"
    end = prefix_end(prefix)
    for key in ["/registry/pods/", "/registry/pods/default/x", "/registry/pods/\U0010ffff"]:
        assert prefix <= key.encode() < end
    assert not end > b"/registry/podsx"


def test_in_prefix() -> None:
    assert in_prefix("/a/b", "/a/")
    assert in_prefix("/a/b", "")
    assert not in_prefix("/ab", "/a/")
