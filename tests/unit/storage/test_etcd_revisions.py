"""Store revisions on etcd: slot headers in stored values, and batches taken from the update queue."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from everynode.storage.etcd_batch import _Write, take_batch
from everynode.storage.etcd_revisions import (
    SLOTS,
    RevisionBook,
    from_etcd,
    split_stored,
    stored_value,
    to_etcd,
)


@pytest.mark.parametrize("value", [b"", b"{}", b'{"a":1}', b"\x00", b"\x00\x07x", b"x\x00"])
@pytest.mark.parametrize("slot", [0, 1, SLOTS - 1])
def test_a_stored_value_splits_back_into_value_and_slot(value: bytes, slot: int) -> None:
    assert split_stored(stored_value(value, slot)) == (value, slot)


def test_only_a_slot_or_a_leading_zero_byte_adds_a_header() -> None:
    assert stored_value(b'{"a":1}', 0) == b'{"a":1}'
    assert stored_value(b'{"a":1}', 5) == b'\x00\x05{"a":1}'
    assert stored_value(b"\x00", 0) == b"\x00\x00\x00"
    with pytest.raises(ValueError, match="outside"):
        stored_value(b"{}", SLOTS)


def test_revisions_map_both_ways_and_order_by_transaction_then_slot() -> None:
    assert to_etcd(from_etcd(42, 7)) == 42
    assert from_etcd(42, SLOTS - 1) < from_etcd(43, 0)
    book = RevisionBook(capacity=2)
    assert book.newest(0) == 0
    assert book.newest(9) == from_etcd(9, SLOTS - 1)  # not seen: any slot is possible
    book.record(9, 3)
    assert book.newest(9) == from_etcd(9, 3)
    book.record(10, 0)
    book.record(11, 0)  # the oldest entry, 9, is forgotten
    assert book.newest(9) == from_etcd(9, SLOTS - 1)
    assert book.newest(11) == from_etcd(11, 0)


async def test_a_batch_takes_distinct_keys_in_order_within_its_limits() -> None:
    loop = asyncio.get_running_loop()

    def update(key: str, size: int = 1) -> _Write:
        return _Write(key, b"x" * size, 128, loop.create_future())

    a1, b, a2, c, d = update("a"), update("b"), update("a"), update("c"), update("d")
    queue = deque([a1, b, a2, c, d])
    assert take_batch(queue, limit=3) == [a1, b, c]
    assert list(queue) == [a2, d]  # left out: the repeated key, and what was past the limit
    cancelled = update("e")
    cancelled.future.cancel()
    big1, big2 = update("f", 600), update("g", 600)
    queue = deque([cancelled, big1, big2])
    assert take_batch(queue, max_bytes=1000) == [big1]  # a caller that stopped waiting is dropped
    assert list(queue) == [big2]
    assert take_batch(deque([update("h", 5000)]), max_bytes=1000)  # too big alone still goes
