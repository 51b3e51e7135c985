"""Store revisions on etcd, where one transaction may carry several writes.

etcd gives every write of a transaction the same revision; the storage contract (``backend.py``)
gives every write a revision of its own, which watches resume from. Concurrent creates and updates
share a transaction (``etcd_batch.py``), so the revision this backend reports for a write is
``etcd_revision * SLOTS + slot``, the slot being the write's place in its transaction. Deletes
always travel alone (slot 0): a delete leaves no value to carry a slot. A key's create revision is
its creating transaction's, ``etcd create_revision * SLOTS``, on every version: a later version's
value no longer says which slot created the key. So a key created in slot ``s > 0`` of a shared
transaction has a create revision ``s`` below its first ``mod_revision`` (the contract asks only that
it stay the same and mark when the key was created; Kubernetes never shows it).

The slot is kept in the stored value as a two-byte header — ``\\x00`` and the slot — written only
when the slot is not 0 or the value itself begins with ``\\x00`` (a JSON object never does), so
what etcd holds stays the plain object for every unbatched write.
"""

from __future__ import annotations

SLOT_BITS = 7
SLOTS = 1 << SLOT_BITS  # 128: etcd's default --max-txn-ops bounds a transaction to 128 operations
_HEADER = 0


def stored_value(value: bytes, slot: int) -> bytes:
    """What to put in etcd for ``value`` written in place ``slot`` of its transaction."""
    if not 0 <= slot < SLOTS:
        raise ValueError(f"slot {slot} is outside 0..{SLOTS - 1}")
    if slot or value[:1] == b"\x00":
        return bytes((_HEADER, slot)) + value
    return value


def split_stored(raw: bytes) -> tuple[bytes, int]:
    """(the value, its slot) from what etcd holds."""
    if raw[:1] == b"\x00" and len(raw) >= 2:
        return raw[2:], raw[1]
    return raw, 0


def to_etcd(revision: int) -> int:
    """The etcd revision that store revision ``revision`` belongs to."""
    return revision >> SLOT_BITS


def from_etcd(etcd_revision: int, slot: int = 0) -> int:
    return (etcd_revision << SLOT_BITS) | slot


class RevisionBook:
    """The last slot of this backend's recent transactions, so that the newest store revision can be
    told exactly (``current_revision`` is the newest write's, which lets the API server's watch
    cache prove it is current); for a transaction it did not see, any slot is possible."""

    def __init__(self, capacity: int = 4096) -> None:
        self._last_slot: dict[int, int] = {}
        self._capacity = capacity

    def record(self, etcd_revision: int, last_slot: int) -> None:
        self._last_slot[etcd_revision] = last_slot
        if len(self._last_slot) > self._capacity:
            del self._last_slot[next(iter(self._last_slot))]  # the oldest entered

    def newest(self, etcd_revision: int) -> int:
        """A store revision at or after every write of ``etcd_revision``: what a read at it saw."""
        if not etcd_revision:
            return 0
        return from_etcd(etcd_revision, self._last_slot.get(etcd_revision, SLOTS - 1))
