"""The storage contract, run against every backend: memory, SQLite and a real etcd."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from everynode.storage import (
    Backend,
    Compacted,
    Conflict,
    Event,
    EventType,
    FutureRevision,
    InvalidContinueToken,
    KeyExists,
    NotFound,
)
from everynode.storage.compactor import compact_periodically
from tests.contract.support import WATCH_DEADLINE, take


async def test_create_then_get_returns_the_value_and_revisions(backend: Backend, root: str) -> None:
    created = await backend.create(root + "a", b'{"n":1}')
    assert created.create_revision == created.mod_revision > 0
    got = await backend.get(root + "a")
    assert got == created
    assert await backend.current_revision() >= created.mod_revision


async def test_create_of_an_existing_key_raises_key_exists_and_keeps_the_value(
    backend: Backend, root: str
) -> None:
    await backend.create(root + "a", b"first")
    with pytest.raises(KeyExists):
        await backend.create(root + "a", b"second")
    assert (await backend.get(root + "a")).value == b"first"


async def test_get_of_a_missing_key_raises_not_found(backend: Backend, root: str) -> None:
    with pytest.raises(NotFound):
        await backend.get(root + "missing")


async def test_update_at_the_current_revision_replaces_the_value(backend: Backend, root: str) -> None:
    created = await backend.create(root + "a", b"1")
    updated = await backend.update(root + "a", b"2", expected_revision=created.mod_revision)
    assert updated.mod_revision > created.mod_revision
    assert updated.create_revision == created.create_revision
    assert await backend.get(root + "a") == updated


async def test_update_at_a_stale_revision_raises_conflict_with_the_current_version(
    backend: Backend, root: str
) -> None:
    created = await backend.create(root + "a", b"1")
    updated = await backend.update(root + "a", b"2", expected_revision=created.mod_revision)
    with pytest.raises(Conflict) as caught:
        await backend.update(root + "a", b"3", expected_revision=created.mod_revision)
    assert caught.value.current == updated
    assert (await backend.get(root + "a")).value == b"2"


async def test_update_of_a_missing_key_raises_not_found(backend: Backend, root: str) -> None:
    with pytest.raises(NotFound):
        await backend.update(root + "missing", b"x", expected_revision=1)


async def test_delete_removes_the_key_and_returns_the_last_version(backend: Backend, root: str) -> None:
    created = await backend.create(root + "a", b"1")
    deleted = await backend.delete(root + "a", expected_revision=created.mod_revision)
    assert deleted.prev == created
    assert deleted.revision > created.mod_revision
    with pytest.raises(NotFound):
        await backend.get(root + "a")
    with pytest.raises(NotFound):
        await backend.delete(root + "a")


async def test_conditional_delete_at_a_stale_revision_raises_conflict(backend: Backend, root: str) -> None:
    created = await backend.create(root + "a", b"1")
    await backend.update(root + "a", b"2", expected_revision=created.mod_revision)
    with pytest.raises(Conflict):
        await backend.delete(root + "a", expected_revision=created.mod_revision)
    assert (await backend.get(root + "a")).value == b"2"


async def test_a_key_created_again_after_delete_has_a_new_create_revision(
    backend: Backend, root: str
) -> None:
    first = await backend.create(root + "a", b"1")
    await backend.delete(root + "a")
    second = await backend.create(root + "a", b"2")
    assert second.create_revision > first.create_revision


async def test_revisions_increase_across_keys(backend: Backend, root: str) -> None:
    revisions = [(await backend.create(f"{root}k{i}", b"x")).mod_revision for i in range(5)]
    assert revisions == sorted(set(revisions))
    assert await backend.current_revision() == revisions[-1]


async def test_list_returns_keys_under_the_prefix_in_byte_order(backend: Backend, root: str) -> None:
    for name in ["b", "a", "c/d", "ab", "é"]:
        await backend.create(root + name, name.encode())
    page = await backend.list(root)
    assert [kv.key[len(root) :] for kv in page.items] == ["a", "ab", "b", "c/d", "é"]
    assert page.continue_token is None
    assert page.revision == await backend.current_revision()


async def test_prefixes_are_isolated_in_lists_and_watches(backend: Backend, root: str) -> None:
    start = await backend.current_revision()
    await backend.create(root + "a/1", b"in")
    await backend.create(root + "ab/1", b"out")
    await backend.create(root + "a/2", b"in")
    assert [kv.key for kv in (await backend.list(root + "a/")).items] == [root + "a/1", root + "a/2"]
    events = await take(backend, root + "a/", start, 2)
    assert [e.key for e in events] == [root + "a/1", root + "a/2"]


async def test_paged_list_reads_every_key_once_at_the_first_page_revision(
    backend: Backend, root: str
) -> None:
    for i in range(10):
        await backend.create(f"{root}k{i:02d}", str(i).encode())
    first = await backend.list(root, limit=3)
    assert len(first.items) == 3
    assert first.continue_token is not None
    # Writes between pages must not show up in later pages.
    await backend.delete(f"{root}k05")
    await backend.create(f"{root}k99", b"late")
    items, token = list(first.items), first.continue_token
    while token is not None:
        page = await backend.list(root, limit=3, continue_token=token)
        assert page.revision == first.revision
        items += page.items
        token = page.continue_token
    assert [kv.key for kv in items] == [f"{root}k{i:02d}" for i in range(10)]


async def test_get_and_list_at_a_past_revision_see_the_past(backend: Backend, root: str) -> None:
    a1 = await backend.create(root + "a", b"1")
    await backend.create(root + "b", b"1")
    past = await backend.current_revision()
    await backend.update(root + "a", b"2", expected_revision=a1.mod_revision)
    await backend.delete(root + "b")
    await backend.create(root + "c", b"1")
    assert (await backend.get(root + "a", revision=past)).value == b"1"
    assert (await backend.get(root + "b", revision=past)).value == b"1"
    with pytest.raises(NotFound):
        await backend.get(root + "c", revision=past)
    then = await backend.list(root, revision=past)
    assert [(kv.key, kv.value) for kv in then.items] == [(root + "a", b"1"), (root + "b", b"1")]
    assert then.revision == past
    now = await backend.list(root)
    assert [(kv.key, kv.value) for kv in now.items] == [(root + "a", b"2"), (root + "c", b"1")]


async def test_a_future_revision_raises_future_revision(backend: Backend, root: str) -> None:
    await backend.create(root + "a", b"1")
    future = await backend.current_revision() + 1000
    with pytest.raises(FutureRevision):
        await backend.list(root, revision=future)
    with pytest.raises(FutureRevision):
        await backend.get(root + "a", revision=future)


async def test_a_forged_continue_token_is_rejected(backend: Backend, root: str) -> None:
    with pytest.raises(InvalidContinueToken):
        await backend.list(root, limit=1, continue_token="not-a-token")


async def test_racing_writers_on_one_key_exactly_one_wins_each_round(backend: Backend, root: str) -> None:
    current = await backend.create(root + "hot", b"0")
    for round_number in range(1, 6):
        expected = current.mod_revision

        async def attempt(writer: int, expected: int = expected, round_number: int = round_number) -> object:
            try:
                return await backend.update(
                    root + "hot", f"{round_number}:{writer}".encode(), expected_revision=expected
                )
            except Conflict as conflict:
                return conflict

        outcomes = await asyncio.gather(*(attempt(w) for w in range(8)))
        winners = [o for o in outcomes if not isinstance(o, Conflict)]
        assert len(winners) == 1, outcomes
        current = await backend.get(root + "hot")
        assert current == winners[0]
        assert all(isinstance(o, Conflict) for o in outcomes if o is not winners[0])


async def test_watch_from_an_old_revision_replays_exactly_the_missed_events(
    backend: Backend, root: str
) -> None:
    start = await backend.current_revision()
    a = await backend.create(root + "a", b"1")
    a2 = await backend.update(root + "a", b"2", expected_revision=a.mod_revision)
    b = await backend.create(root + "b", b"1")
    deleted = await backend.delete(root + "a")
    events = await take(backend, root, start, 4)
    assert [(e.type, e.key, e.revision, e.value, e.prev_value) for e in events] == [
        (EventType.PUT, root + "a", a.mod_revision, b"1", None),
        (EventType.PUT, root + "a", a2.mod_revision, b"2", b"1"),
        (EventType.PUT, root + "b", b.mod_revision, b"1", None),
        (EventType.DELETE, root + "a", deleted.revision, None, b"2"),
    ]
    assert events[0].is_create
    assert not events[1].is_create
    # From the middle: only what came after.
    later = await take(backend, root, a2.mod_revision, 2)
    assert [e.revision for e in later] == [b.mod_revision, deleted.revision]


async def test_watch_continues_from_history_into_live_events(backend: Backend, root: str) -> None:
    start = await backend.current_revision()
    await backend.create(root + "old", b"1")
    got: list[Event] = []
    async with backend.watch(root, after_revision=start) as watch:
        iterator = aiter(watch)
        got.append(await asyncio.wait_for(anext(iterator), WATCH_DEADLINE))
        await backend.create(root + "new", b"2")
        got.append(await asyncio.wait_for(anext(iterator), WATCH_DEADLINE))
    assert [e.key for e in got] == [root + "old", root + "new"]


async def test_watch_sees_concurrent_writes_in_revision_order(backend: Backend, root: str) -> None:
    start = await backend.current_revision()
    writers, per_writer = 16, 25
    watching = asyncio.create_task(take(backend, root, start, writers * per_writer))

    async def write(writer: int) -> list[int]:
        revisions = []
        for i in range(per_writer):
            kv = await backend.create(f"{root}w{writer:02d}/{i:03d}", f"{writer}:{i}".encode())
            revisions.append(kv.mod_revision)
        return revisions

    written = await asyncio.gather(*(write(w) for w in range(writers)))
    events = await watching
    revisions = [e.revision for e in events]
    assert revisions == sorted(revisions)
    assert len(set(revisions)) == len(revisions)
    assert sorted(revisions) == sorted(r for batch in written for r in batch)
    assert {(e.key, e.value) for e in events} == {
        (f"{root}w{w:02d}/{i:03d}", f"{w}:{i}".encode()) for w in range(writers) for i in range(per_writer)
    }


async def test_compaction_makes_older_revisions_unreadable(backend: Backend, root: str) -> None:
    kv = await backend.create(root + "a", b"0")
    before = kv.mod_revision
    await backend.create(root + "a0", b"0")
    page = await backend.list(root, limit=1)
    assert page.continue_token is not None
    for i in range(1, 5):
        kv = await backend.update(root + "a", str(i).encode(), expected_revision=kv.mod_revision)
    await backend.create(root + "b", b"1")
    gone = await backend.create(root + "gone", b"1")
    await backend.delete(root + "gone", expected_revision=gone.mod_revision)
    compact_at = kv.mod_revision
    await backend.compact(compact_at)
    await backend.compact(compact_at)  # compacting again is a no-op

    with pytest.raises(Compacted):
        await backend.get(root + "a", revision=before)
    with pytest.raises(Compacted):
        await backend.list(root, revision=before)
    with pytest.raises(Compacted):
        await take(backend, root, before, 1)
    # The state at the compacted revision and after is intact.
    assert (await backend.get(root + "a", revision=compact_at)).value == b"4"
    assert [kv.key for kv in (await backend.list(root)).items] == [root + "a", root + "a0", root + "b"]
    events = await take(backend, root, compact_at, 3)
    assert [(e.type, e.key) for e in events] == [
        (EventType.PUT, root + "b"),
        (EventType.PUT, root + "gone"),
        (EventType.DELETE, root + "gone"),
    ]
    # A continue token issued at a revision that is now compacted has expired.
    assert page.revision < compact_at
    with pytest.raises(Compacted):
        await backend.list(root, limit=1, continue_token=page.continue_token)


async def test_large_values_round_trip(backend: Backend, root: str) -> None:
    start = await backend.current_revision()
    big = bytes(range(256)) * 4096  # 1 MiB
    values = {f"{root}big{i}": big[i:] + big[:i] for i in range(3)}
    for key, value in values.items():
        await backend.create(key, value)
    for key, value in values.items():
        assert (await backend.get(key)).value == value
    listed = await backend.list(root)
    assert {kv.key: kv.value for kv in listed.items} == values
    events = await take(backend, root, start, 3)
    assert {e.key: e.value for e in events} == values


async def test_a_watch_from_the_very_beginning_of_a_compacted_store_raises_compacted(
    backend: Backend, root: str
) -> None:
    kv = await backend.create(root + "a", b"1")
    await backend.update(root + "a", b"2", expected_revision=kv.mod_revision)
    await backend.compact(await backend.current_revision())
    with pytest.raises(Compacted):
        await take(backend, root, 0, 1)


async def test_background_compaction_keeps_one_interval_of_history(backend: Backend, root: str) -> None:
    kv = await backend.create(root + "a", b"0")
    first = kv.mod_revision
    task = asyncio.create_task(compact_periodically(backend, interval=0.05))
    try:
        deadline = asyncio.get_running_loop().time() + WATCH_DEADLINE
        while True:  # keep writing until the revision of the first write is compacted away
            kv = await backend.update(root + "a", b"x", expected_revision=kv.mod_revision)
            try:
                await backend.get(root + "a", revision=first)
            except Compacted:
                break
            assert asyncio.get_running_loop().time() < deadline, "no compaction happened"
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # The newest revision is never compacted by the background task.
    assert (await backend.get(root + "a", revision=kv.mod_revision)).value == b"x"
