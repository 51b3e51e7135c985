"""The watch cache: one storage watch per resource, fanned out to every API watcher from memory.

Like kube-apiserver's cacher, each resource keeps the current objects and a window of recent
events, fed by a single list-then-watch of storage. Lists at ``resourceVersion=0`` (and consistent
lists, once the cache has caught up with storage) are answered from here, and every API watch is
served from here, so N watchers cost one storage watch.

The history a watch can resume from is kept as the stored bytes, not decoded objects (a decoded pod
is about four times its JSON in Python), and only as long as it is fresh: like the cacher's
dynamic capacity, events older than ``fresh_seconds`` are dropped once more than ``min_history``
are kept, so a burst of writes does not pin memory for good. A watch resuming from further back
gets 410 and relists, as it would from kube-apiserver.

A watcher never stalls the cache or other watchers: each has a bounded queue, and one that
overflows is dropped (its HTTP stream ends; the client re-watches from its last resourceVersion,
or relists on 410). If the storage watch itself is compacted away, the cache relists and drops
every watcher, since it can no longer promise them a gap-free stream.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from everynode.apiserver.registry.codec import decode, with_revision
from everynode.core.errors import Gone
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj
from everynode.storage import Backend, Compacted, EventType, KeyValue, StorageError, Watch

log = logging.getLogger(__name__)
_MAX_OWN_WRITES = 4096  # announced writes kept at once (each is forgotten when it fails)

Predicate = Callable[[Obj], bool]


@dataclass(slots=True)
class CachedEvent:
    type: str  # ADDED, MODIFIED, DELETED
    key: str
    obj: Obj  # for DELETED: the last state, with the deletion's resourceVersion
    prev: Obj | None
    revision: int
    _obj_json: bytes | None = field(default=None, repr=False)

    @property
    def obj_json(self) -> bytes:
        if self._obj_json is None:
            self._obj_json = orjson.dumps(self.obj)
        return self._obj_json


@dataclass(slots=True)
class _Recorded:
    """One event in the history, compact: the stored bytes, decoded again only for a replay."""

    type: str
    key: str
    revision: int
    value: bytes  # the new value; for DELETED, the last one
    prev: KeyValue | None  # the version it replaced
    arrived: float

    def event(self) -> CachedEvent:
        prev = decode(self.prev.value, self.prev.mod_revision) if self.prev is not None else None
        return CachedEvent(self.type, self.key, decode(self.value, self.revision), prev, self.revision)


class CacheWatcher:
    """One API watch: a bounded queue of (type, event) the HTTP handler drains."""

    def __init__(self, cache: WatchCache, predicate: Predicate, max_queued: int) -> None:
        self._cache = cache
        self.predicate = predicate
        self.max_queued = max_queued
        self.queue: deque[tuple[str, CachedEvent]] = deque()
        self.dropped = False
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, event: CachedEvent) -> None:
        """Route one event through this watcher's filter (selector transitions become ADDED/DELETED)."""
        if self.dropped or self.closed:
            return
        kind = event.type
        if kind == "MODIFIED":
            now, before = self.predicate(event.obj), event.prev is not None and self.predicate(event.prev)
            if now and not before:
                kind = "ADDED"
            elif before and not now:
                kind = "DELETED"
            elif not now:
                return
        elif not self.predicate(event.obj):
            return
        if len(self.queue) >= self.max_queued:
            self.dropped = True
            self.queue.clear()
            log.info("dropped a slow %s watcher", self._cache.info.resource)
        else:
            self.queue.append((kind, event))
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self) -> None:
        if self.queue or self.dropped or self.closed:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def close(self) -> None:
        self.closed = True
        self._cache.unsubscribe(self)
        self._wake()


class WatchCache:
    def __init__(
        self,
        backend: Backend,
        info: ResourceInfo,
        *,
        history: int = 100_000,
        min_history: int = 100,
        fresh_seconds: float = 75.0,
        max_queued: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.backend = backend
        self.info = info
        self.objects: dict[str, Obj] = {}
        self._stored: dict[str, KeyValue] = {}  # key → its current version as storage returned it
        self._own_writes: dict[str, tuple[bytes, Obj]] = {}  # key → (value, object) this server is writing
        self.revision = 0
        self.oldest = 0  # every event with a revision above this is in the history
        self._history: deque[_Recorded] = deque()
        self._max_history = history
        self._min_history = min(min_history, history)
        self._fresh_seconds = fresh_seconds
        self._clock = clock
        self._watchers: set[CacheWatcher] = set()
        self._max_queued = max_queued
        self._revision_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._watch: Watch | None = None
        self.ready = asyncio.Event()

    # -- feeding ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """List, then watch, forever; relist when the storage history is compacted away."""
        prefix = self.info.key_prefix()
        while True:
            try:
                await self._list(prefix)
                async with self.backend.watch(prefix, after_revision=self.revision) as watch:
                    self._watch = watch
                    async for event in watch:
                        self._apply(event)
                        if self._revision_waiters:
                            self._catch_up_with_progress()
            except Compacted:
                log.warning("%s watch cache fell behind compaction; relisting", self.info.resource)
            except StorageError as exc:
                log.error("%s watch cache lost storage: %s; relisting", self.info.resource, exc)
                await asyncio.sleep(1.0)
            self._watch = None
            self._drop_all_watchers()

    def _catch_up_with_progress(self) -> None:
        """Advance to the storage watch's progress: writes to other prefixes move our revision too."""
        progress = self._watch.progress_revision() if self._watch is not None else None
        if progress is not None and progress > self.revision:
            self._set_revision(progress)

    async def _list(self, prefix: str) -> None:
        objects: dict[str, Obj] = {}
        stored: dict[str, KeyValue] = {}
        page = await self.backend.list(prefix, limit=1000)
        while True:
            for kv in page.items:
                objects[kv.key] = decode(kv.value, kv.mod_revision)
                stored[kv.key] = kv
            if page.continue_token is None:
                break
            page = await self.backend.list(prefix, limit=1000, continue_token=page.continue_token)
        self.objects = objects
        self._stored = stored
        self._history.clear()
        self.oldest = page.revision
        self._set_revision(max(page.revision, self.revision))
        self.ready.set()

    def _apply(self, event: Any) -> None:
        revision: int = event.revision
        key: str = event.key
        stored_before = self._stored.get(key)
        if event.type is EventType.DELETE:
            prev = self.objects.pop(key, None)
            self._stored.pop(key, None)
            last_value: bytes = stored_before.value if stored_before is not None else event.prev_value
            obj = decode(last_value, revision)
            cached = CachedEvent("DELETED", key, obj, prev, revision)
            recorded = _Recorded("DELETED", key, revision, last_value, stored_before, self._clock())
        else:
            own = self._own_writes.pop(key, None) if self._own_writes else None
            if own is not None and own[0] == event.value:
                obj = with_revision(own[1], revision)
            else:
                obj = decode(event.value, revision)
            prev = self.objects.get(key)
            self.objects[key] = obj
            self._stored[key] = KeyValue(key, event.value, event.create_revision, revision)
            kind = "ADDED" if prev is None else "MODIFIED"
            cached = CachedEvent(kind, key, obj, prev, revision)
            recorded = _Recorded(kind, key, revision, event.value, stored_before, self._clock())
        self._record(recorded)
        for watcher in list(self._watchers):
            watcher.offer(cached)
        self._set_revision(revision)

    def _record(self, recorded: _Recorded) -> None:
        history = self._history
        history.append(recorded)
        stale = recorded.arrived - self._fresh_seconds
        while len(history) > self._max_history or (
            len(history) > self._min_history and history[0].arrived < stale
        ):
            self.oldest = history.popleft().revision

    def _set_revision(self, revision: int) -> None:
        self.revision = revision
        if self._revision_waiters:
            waiting = []
            for wanted, future in self._revision_waiters:
                if wanted <= revision:
                    if not future.done():
                        future.set_result(None)
                else:
                    waiting.append((wanted, future))
            self._revision_waiters = waiting

    def _drop_all_watchers(self) -> None:
        for watcher in list(self._watchers):
            watcher.dropped = True
            watcher._wake()
        self._watchers.clear()

    # -- serving ---------------------------------------------------------------------------------

    async def wait_for(self, revision: int) -> None:
        """Wait until the cache has seen ``revision`` (callers bound it with ``asyncio.timeout``)."""
        await self.ready.wait()
        if self.revision < revision:
            self._catch_up_with_progress()
        if self.revision >= revision:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._revision_waiters.append((revision, future))
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    async def consistent(self, patience: float = 5.0) -> bool:
        """Whether the cache holds everything storage has acknowledged so far (a consistent read).

        With a backend whose watch reports progress this waits (briefly) for the cache to catch
        up. Without (etcd here), the cache can only prove it when the newest write was its own;
        ``False`` tells the caller to read storage instead, which is always consistent.
        """
        return await self.reaches(await self.backend.current_revision(), patience)

    async def reaches(self, target: int, patience: float = 5.0) -> bool:
        """Whether the cache is (or, within ``patience`` seconds, gets) at least at revision ``target``."""
        await self.ready.wait()
        if self.revision >= target:
            return True
        watch = self._watch
        if watch is None or not watch.supports_progress:
            return False
        try:
            async with asyncio.timeout(patience):
                await self.wait_for(target)
        except TimeoutError:
            return False
        return True

    def list_objects(self, namespace: str | None, predicate: Predicate) -> list[Obj]:
        prefix = self.info.key_prefix(namespace) if namespace else None
        items = [
            obj
            for key, obj in self.objects.items()
            if (prefix is None or key.startswith(prefix)) and predicate(obj)
        ]
        items.sort(key=_sort_key)
        return items

    def get(self, key: str) -> Obj | None:
        return self.objects.get(key)

    def expect_write(self, key: str, value: bytes, obj: Obj) -> None:
        """This server is writing ``value`` (``obj`` encoded) at ``key``: when the write comes back
        through the watch with exactly that value, the cache takes ``obj`` rather than decoding the
        bytes again (decoding was ~4 % of the API server's CPU at 5,000 nodes). The writer hands
        ``obj`` over: neither it nor anyone it returns ``obj`` to may change it afterwards."""
        own = self._own_writes
        own.pop(key, None)
        own[key] = (value, obj)
        if len(own) > _MAX_OWN_WRITES:  # writes that failed and were never forgotten: drop the oldest
            del own[next(iter(own))]

    def forget_write(self, key: str, value: bytes) -> None:
        """The write ``expect_write`` announced did not happen (or its outcome is unknown)."""
        own = self._own_writes.get(key)
        if own is not None and own[0] is value:
            del self._own_writes[key]

    def stored(self, key: str) -> KeyValue | None:
        """The version of ``key`` the cache last saw, as storage returned it (possibly stale: a
        read-modify-write that starts from it must write with it as its precondition)."""
        return self._stored.get(key)

    def watch(
        self, after_revision: int | None, predicate: Predicate
    ) -> tuple[list[tuple[str, CachedEvent]], CacheWatcher]:
        """Start a watcher. ``after_revision=None`` means: synthetic ADDED for what exists now.

        Returns the initial events (replayed history or synthetic ADDEDs) and the live watcher.
        Raises ``Gone`` if the history no longer reaches back to ``after_revision``.
        """
        watcher = CacheWatcher(self, predicate, self._max_queued)
        initial: list[tuple[str, CachedEvent]] = []
        if after_revision is None:
            for key, obj in sorted(self.objects.items()):
                if predicate(obj):
                    revision = int(obj["metadata"]["resourceVersion"])
                    initial.append(("ADDED", CachedEvent("ADDED", key, obj, None, revision)))
        else:
            if after_revision < self.oldest:
                raise Gone(f"too old resource version: {after_revision} ({self.oldest})")
            revisions = [e.revision for e in self._history]
            start = bisect.bisect_right(revisions, after_revision)
            replay = CacheWatcher(self, predicate, len(self._history) + 1)
            for recorded in list(self._history)[start:]:
                replay.offer(recorded.event())
            initial = list(replay.queue)
        self._watchers.add(watcher)
        return initial, watcher

    def unsubscribe(self, watcher: CacheWatcher) -> None:
        self._watchers.discard(watcher)

    def close_watchers(self) -> None:
        """End every watch (the server is shutting down): each stream returns and its response ends."""
        for watcher in list(self._watchers):
            watcher.close()

    @property
    def watcher_count(self) -> int:
        return len(self._watchers)


def _sort_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return (meta.get("namespace", ""), meta.get("name", ""))


async def run_caches(caches: list[WatchCache]) -> None:
    async with asyncio.TaskGroup() as group:
        for cache in caches:
            group.create_task(cache.run())
