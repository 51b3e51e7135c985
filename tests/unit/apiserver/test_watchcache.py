from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
import pytest

from everynode.apiserver.watch.cache import WatchCache
from everynode.core import resources as r
from everynode.core.errors import Gone
from everynode.storage.memory import MemoryBackend
from tests import builders


def pod(name: str, app: str = "web") -> bytes:
    return orjson.dumps(builders.pod(name, namespace="default", labels={"app": app}))


def key(name: str) -> str:
    return r.PODS.key("default", name)


@pytest.fixture
async def cache() -> AsyncIterator[WatchCache]:
    backend = MemoryBackend()
    await backend.start()
    watch_cache = WatchCache(backend, r.PODS, history=10, max_queued=3)
    task = asyncio.create_task(watch_cache.run())
    await watch_cache.ready.wait()
    yield watch_cache
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await backend.close()


async def settle(cache: WatchCache) -> None:
    assert await cache.consistent(patience=5)


def web(obj: dict) -> bool:
    return bool(obj["metadata"]["labels"].get("app") == "web")


async def test_the_cache_follows_storage(cache: WatchCache) -> None:
    created = await cache.backend.create(key("a"), pod("a"))
    await settle(cache)
    assert cache.get(key("a"))["metadata"]["resourceVersion"] == str(created.mod_revision)
    await cache.backend.delete(key("a"))
    await settle(cache)
    assert cache.get(key("a")) is None


async def test_selector_transitions_become_added_and_deleted(cache: WatchCache) -> None:
    kv = await cache.backend.create(key("a"), pod("a", "web"))
    await settle(cache)
    _, watcher = cache.watch(cache.revision, web)
    kv = await cache.backend.update(key("a"), pod("a", "db"), expected_revision=kv.mod_revision)
    await cache.backend.update(key("a"), pod("a", "web"), expected_revision=kv.mod_revision)
    await settle(cache)
    assert [kind for kind, _ in watcher.queue] == ["DELETED", "ADDED"]


async def test_a_watcher_that_falls_behind_is_dropped_and_others_are_not(cache: WatchCache) -> None:
    _, slow = cache.watch(cache.revision, lambda obj: True)
    _, other = cache.watch(cache.revision, lambda obj: True)
    for i in range(3):
        await cache.backend.create(key(f"p{i}"), pod(f"p{i}"))
        await settle(cache)
        other.queue.clear()  # this one keeps up
    await cache.backend.create(key("p3"), pod("p3"))
    await settle(cache)
    assert slow.dropped
    assert not other.dropped
    assert len(other.queue) == 1


async def test_resuming_replays_history_and_too_old_is_gone(cache: WatchCache) -> None:
    first = await cache.backend.create(key("a"), pod("a"))
    second = await cache.backend.create(key("b"), pod("b"))
    await settle(cache)
    initial, _ = cache.watch(first.mod_revision, lambda obj: True)
    assert [(kind, e.revision) for kind, e in initial] == [("ADDED", second.mod_revision)]
    for i in range(12):  # push the first events out of the 10-event window
        await cache.backend.create(key(f"x{i}"), pod(f"x{i}"))
    await settle(cache)
    with pytest.raises(Gone, match="too old resource version"):
        cache.watch(first.mod_revision, lambda obj: True)


async def test_a_watch_from_now_starts_with_synthetic_added_events(cache: WatchCache) -> None:
    await cache.backend.create(key("b"), pod("b"))
    await cache.backend.create(key("a"), pod("a", "db"))
    await settle(cache)
    initial, _ = cache.watch(None, lambda obj: True)
    assert [(kind, e.obj["metadata"]["name"]) for kind, e in initial] == [("ADDED", "a"), ("ADDED", "b")]


async def test_the_cache_is_consistent_after_writes_to_other_resources(cache: WatchCache) -> None:
    await cache.backend.create(key("a"), pod("a"))
    await settle(cache)
    before = cache.revision
    # A write under another prefix moves the store's revision, not this cache's events.
    await cache.backend.create(r.NODES.key(None, "n1"), b'{"metadata": {"name": "n1"}}')
    assert await cache.consistent(patience=5)
    assert cache.revision > before


async def test_a_replay_rebuilds_objects_selector_transitions_and_deletions() -> None:
    backend = MemoryBackend()
    await backend.start()
    watch_cache = WatchCache(backend, r.PODS, history=100)
    task = asyncio.create_task(watch_cache.run())
    try:
        await watch_cache.ready.wait()
        start = await backend.create(key("a"), pod("a", "web"))
        moved = await backend.update(key("a"), pod("a", "db"), expected_revision=start.mod_revision)
        back = await backend.update(key("a"), pod("a", "web"), expected_revision=moved.mod_revision)
        gone = await backend.delete(key("a"))
        await settle(watch_cache)
        initial, _ = watch_cache.watch(start.mod_revision, web)
        assert [(kind, e.obj["metadata"]["resourceVersion"]) for kind, e in initial] == [
            ("DELETED", str(moved.mod_revision)),
            ("ADDED", str(back.mod_revision)),
            ("DELETED", str(gone.revision)),
        ]
        assert initial[0][1].prev is not None
        assert initial[0][1].prev["metadata"]["resourceVersion"] == str(start.mod_revision)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await backend.close()


async def test_history_older_than_the_freshness_window_is_dropped_beyond_the_minimum() -> None:
    now = [0.0]
    backend = MemoryBackend()
    await backend.start()
    watch_cache = WatchCache(
        backend, r.PODS, history=100, min_history=2, fresh_seconds=75, clock=lambda: now[0]
    )
    task = asyncio.create_task(watch_cache.run())
    try:
        await watch_cache.ready.wait()
        old = [await backend.create(key(f"old{i}"), pod(f"old{i}")) for i in range(5)]
        await settle(watch_cache)
        initial, _ = watch_cache.watch(old[0].mod_revision, lambda obj: True)
        assert len(initial) == 4  # fresh: everything is kept
        now[0] = 100.0
        fresh = await backend.create(key("new"), pod("new"))
        await settle(watch_cache)
        # the stale events beyond the minimum of two went; a resume from before them is 410
        with pytest.raises(Gone):
            watch_cache.watch(old[0].mod_revision, lambda obj: True)
        initial, _ = watch_cache.watch(old[3].mod_revision, lambda obj: True)
        assert [e.revision for _, e in initial] == [old[4].mod_revision, fresh.mod_revision]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await backend.close()
