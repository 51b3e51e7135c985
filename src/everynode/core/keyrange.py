"""Byte-ordered key ranges, as etcd defines them.

Keys are compared as UTF-8 bytes (etcd's order, and SQLite's BLOB order). A prefix scan covers
``[prefix, prefix_end(prefix))``.
"""

from __future__ import annotations

_BYTE_MAX = 0xFF


def prefix_end(prefix: bytes) -> bytes:
    """The smallest key greater than every key that starts with ``prefix``.

    Returns ``b""`` when no such key exists (an empty prefix, or one made only of 0xFF bytes),
    meaning "no upper bound".
    """
    end = bytearray(prefix)
    while end:
        if end[-1] < _BYTE_MAX:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return b""


def in_prefix(key: str, prefix: str) -> bool:
    """Whether ``key`` lies under ``prefix`` (the empty prefix holds every key)."""
    return key.startswith(prefix)
