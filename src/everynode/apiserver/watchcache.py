"""The watch cache: one storage watch per resource, fanned out to every API watcher from memory.

Like kube-apiserver's cacher, each resource keeps the current objects and a window of recent
events, fed by a single list-then-watch of storage. Lists at ``resourceVersion=0`` (and consistent
lists, once the cache has caught up with storage) are answered from here, and every API watch is
served from here, so N watchers cost one storage watch.

A watcher never stalls the cache or other watchers: each has a bounded queue, and one that
overflows is dropped (its HTTP stream ends; the client re-watches from its last resourceVersion,
or relists on 410). If the storage watch itself is compacted away, the cache relists and drops
every watcher, since it can no longer promise them a gap-free stream.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from everynode.core.errors import Gone
from everynode.core.resources import ResourceInfo
from everynode.storage import Backend, Compacted, EventType, StorageError, Watch

log = logging.getLogger(__name__)

Obj = dict[str, Any]
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


def decode(value: bytes, revision: int) -> Obj:
    obj: Obj = orjson.loads(value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
    return obj


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
        self, backend: Backend, info: ResourceInfo, *, history: int = 100_000, max_queued: int = 10_000
    ):
        self.backend = backend
        self.info = info
        self.objects: dict[str, Obj] = {}
        self.revision = 0
        self.oldest = 0  # every event with a revision above this is in the history
        self._history: deque[CachedEvent] = deque(maxlen=history)
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
        page = await self.backend.list(prefix, limit=1000)
        while True:
            for kv in page.items:
                objects[kv.key] = decode(kv.value, kv.mod_revision)
            if page.continue_token is None:
                break
            page = await self.backend.list(prefix, limit=1000, continue_token=page.continue_token)
        self.objects = objects
        self._history.clear()
        self.oldest = page.revision
        self._set_revision(max(page.revision, self.revision))
        self.ready.set()

    def _apply(self, event: Any) -> None:
        revision: int = event.revision
        if event.type is EventType.DELETE:
            prev = self.objects.pop(event.key, None)
            last = prev if prev is not None else decode(event.prev_value, revision)
            obj = orjson.loads(orjson.dumps(last))
            obj["metadata"]["resourceVersion"] = str(revision)
            cached = CachedEvent("DELETED", event.key, obj, prev, revision)
        else:
            obj = decode(event.value, revision)
            prev = self.objects.get(event.key)
            self.objects[event.key] = obj
            cached = CachedEvent("ADDED" if prev is None else "MODIFIED", event.key, obj, prev, revision)
        if len(self._history) == self._history.maxlen:
            self.oldest = self._history[0].revision
        self._history.append(cached)
        for watcher in list(self._watchers):
            watcher.offer(cached)
        self._set_revision(revision)

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
            for event in list(self._history)[start:]:
                replay.offer(event)
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
