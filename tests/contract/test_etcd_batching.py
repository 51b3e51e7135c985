"""Concurrent updates share etcd transactions, and every write still has a revision of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from everynode.spawn.etcd import EtcdProcess
from everynode.storage import Conflict, KeyExists, KeyValue
from everynode.storage.etcd import EtcdBackend
from everynode.storage.etcd_revisions import SLOTS, to_etcd
from tests.contract.support import take

pytestmark = pytest.mark.etcd


@pytest.fixture
async def backend(etcd_server: EtcdProcess) -> AsyncIterator[EtcdBackend]:
    store = EtcdBackend([etcd_server.endpoint])
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def created(backend: EtcdBackend, root: str, count: int) -> list[KeyValue]:
    return [await backend.create(f"{root}k{i:03d}", b"v0") for i in range(count)]


async def test_concurrent_updates_share_transactions_with_a_revision_each(
    backend: EtcdBackend, root: str
) -> None:
    keys = await created(backend, root, 40)
    before = await backend.current_revision()
    sent = backend._writes.transactions
    updated = await asyncio.gather(
        *(backend.update(kv.key, b"v1", expected_revision=kv.mod_revision) for kv in keys)
    )
    assert backend._writes.transactions - sent < len(keys)  # they did share
    revisions = [kv.mod_revision for kv in updated]
    assert len(set(revisions)) == len(revisions)
    assert len({to_etcd(revision) for revision in revisions}) < len(revisions)
    assert all(kv.create_revision == old.create_revision for kv, old in zip(updated, keys, strict=True))
    assert await backend.current_revision() == max(revisions)
    for kv in updated:  # reads give back the value as written, at the revision the write reported
        assert await backend.get(kv.key) == kv
    listed = await backend.list(root)
    assert listed.items == sorted(updated, key=lambda kv: kv.key)
    assert listed.revision == max(revisions)
    events = await take(backend, root, before, len(keys))
    assert sorted((e.revision, e.key, e.value, e.prev_value) for e in events) == sorted(
        (kv.mod_revision, kv.key, b"v1", b"v0") for kv in updated
    )
    assert [e.revision for e in events] == sorted(e.revision for e in events)


async def test_a_watch_resumed_inside_a_transaction_gets_exactly_the_rest(
    backend: EtcdBackend, root: str
) -> None:
    keys = await created(backend, root, 12)
    updated = await asyncio.gather(
        *(backend.update(kv.key, b"v1", expected_revision=kv.mod_revision) for kv in keys)
    )
    shared = max((kv for kv in updated), key=lambda kv: (kv.mod_revision % SLOTS, kv.mod_revision))
    assert shared.mod_revision % SLOTS > 0, "no update shared a transaction"
    later = sorted(kv.mod_revision for kv in updated if kv.mod_revision > shared.mod_revision)
    last = await backend.update(
        keys[0].key, b"v2", expected_revision=(await backend.get(keys[0].key)).mod_revision
    )
    events = await take(backend, root, shared.mod_revision, len(later) + 1)
    assert [e.revision for e in events] == [*later, last.mod_revision]


async def test_a_stale_update_fails_alone_and_its_companions_are_written(
    backend: EtcdBackend, root: str
) -> None:
    keys = await created(backend, root, 10)
    moved = await backend.update(keys[3].key, b"moved", expected_revision=keys[3].mod_revision)
    outcomes = await asyncio.gather(
        *(backend.update(kv.key, b"v1", expected_revision=kv.mod_revision) for kv in keys),
        return_exceptions=True,
    )
    conflict = outcomes[3]
    assert isinstance(conflict, Conflict)
    assert conflict.current == moved
    for i, outcome in enumerate(outcomes):
        if i != 3:
            assert isinstance(outcome, KeyValue)
            assert outcome.value == b"v1"
            assert await backend.get(keys[i].key) == outcome
    assert (await backend.get(keys[3].key)).value == b"moved"


async def test_two_updates_of_one_key_never_share_a_transaction(backend: EtcdBackend, root: str) -> None:
    (kv,) = await created(backend, root, 1)
    outcomes = await asyncio.gather(
        *(backend.update(kv.key, f"w{i}".encode(), expected_revision=kv.mod_revision) for i in range(6)),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if isinstance(o, KeyValue)]
    assert len(winners) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o is not winners[0])
    assert await backend.get(kv.key) == winners[0]


async def test_a_value_beginning_with_a_zero_byte_reads_back_unchanged(
    backend: EtcdBackend, root: str
) -> None:
    kv = await backend.create(root + "z", b"\x00\x05raw")
    assert (await backend.get(root + "z")).value == b"\x00\x05raw"
    updated = await backend.update(root + "z", b"\x00", expected_revision=kv.mod_revision)
    assert await backend.get(root + "z") == updated
    assert updated.value == b"\x00"


async def test_an_update_naming_a_revision_before_any_write_is_refused(
    backend: EtcdBackend, root: str
) -> None:
    kv = await backend.create(root + "a", b"1")
    with pytest.raises(Conflict):
        await backend.update(root + "a", b"2", expected_revision=1)
    assert await backend.get(root + "a") == kv


async def test_concurrent_creates_share_transactions_and_each_key_keeps_its_create_revision(
    backend: EtcdBackend, root: str
) -> None:
    before = await backend.current_revision()
    sent = backend._writes.transactions
    keys = [f"{root}c{i:03d}" for i in range(40)]
    created = await asyncio.gather(*(backend.create(key, f"v{key}".encode()) for key in keys))
    assert backend._writes.transactions - sent < len(keys)  # they did share
    revisions = [kv.mod_revision for kv in created]
    assert len(set(revisions)) == len(revisions)
    assert len({to_etcd(revision) for revision in revisions}) < len(revisions)
    for kv in created:  # the creating transaction's revision, before or at the key's first write
        assert kv.create_revision == to_etcd(kv.mod_revision) * SLOTS <= kv.mod_revision
        assert await backend.get(kv.key) == kv
    updated = await asyncio.gather(
        *(backend.update(kv.key, b"v1", expected_revision=kv.mod_revision) for kv in created)
    )
    assert [kv.create_revision for kv in updated] == [kv.create_revision for kv in created]
    events = await take(backend, root, before, len(keys))
    assert sorted((e.revision, e.key, e.value, e.prev_value, e.create_revision) for e in events) == sorted(
        (kv.mod_revision, kv.key, kv.value, None, kv.create_revision) for kv in created
    )


async def test_a_create_of_an_existing_key_fails_alone_and_its_companions_are_written(
    backend: EtcdBackend, root: str
) -> None:
    taken = await backend.create(root + "c003", b"first")
    outcomes = await asyncio.gather(
        *(backend.create(f"{root}c{i:03d}", b"new") for i in range(10)), return_exceptions=True
    )
    assert isinstance(outcomes[3], KeyExists)
    assert await backend.get(root + "c003") == taken
    for i, outcome in enumerate(outcomes):
        if i != 3:
            assert isinstance(outcome, KeyValue)
            assert await backend.get(f"{root}c{i:03d}") == outcome
    same = [backend.create(root + "same", b"x") for _ in range(5)]
    twice = await asyncio.gather(*same, return_exceptions=True)
    assert sum(isinstance(o, KeyValue) for o in twice) == 1
    assert sum(isinstance(o, KeyExists) for o in twice) == 4
