"""Serve a watch: chunked JSON lines, from the watch cache, until the timeout or the client leaves."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from everynode.apiserver import tables
from everynode.apiserver.kinds import Kind
from everynode.apiserver.registry.codec import decode
from everynode.apiserver.watch.cache import CachedEvent, CacheWatcher, Predicate, WatchCache
from everynode.core import errors

DEFAULT_TIMEOUT = 1800.0  # kube-apiserver's --min-request-timeout; each watch gets [1x, 2x) of it
FRESHNESS_TIMEOUT = 10.0


def event_line(kind: str, event: CachedEvent) -> bytes:
    return b'{"type":"' + kind.encode() + b'","object":' + event.obj_json + b"}\n"


def _converted_lines(kind: Kind) -> Callable[[str, CachedEvent], bytes]:
    """Watch events of a custom resource served at a version other than its storage's: each object
    with this version's apiVersion (encoded per watch, not shared with the storage version's)."""

    def line(event_type: str, event: CachedEvent) -> bytes:
        return orjson.dumps({"type": event_type, "object": kind.served(event.obj)}) + b"\n"

    return line


def _table_lines(printed: Kind, include: str, version: str) -> Callable[[str, CachedEvent], bytes]:
    """Watch events whose object is a one-row Table of ``printed``'s columns; column definitions only
    on the first."""
    first = [True]

    def line(kind: str, event: CachedEvent) -> bytes:
        obj = tables.render_watch_object(
            printed, event.obj, include_object=include, with_columns=first[0], version=version
        )
        first[0] = False
        return orjson.dumps({"type": kind, "object": obj}) + b"\n"

    return line


def status_line(error: errors.ApiError) -> bytes:
    return orjson.dumps({"type": "ERROR", "object": error.status()}) + b"\n"


async def serve_watch(
    request: web.Request,
    cache: WatchCache,
    predicate: Predicate,
    *,
    resource_version: str,
    timeout_seconds: float | None,
    bookmarks: bool,
    bookmark_interval: float,
    send_initial_events: bool | None,
    table: tuple[Kind, str, str] | None = None,
    served: Kind | None = None,
) -> web.StreamResponse:
    """``table``: (the kind, includeObject, Table version) when the client asked for Tables (kubectl
    get -w)."""
    line = event_line if table is None else _table_lines(*table)
    if served is not None and served.storage_api_version is not None and table is None:
        line = _converted_lines(served)
    after = await _start_after(cache, resource_version)
    if send_initial_events is not None:
        after = None if send_initial_events else (after if after is not None else cache.revision)
    from_storage: list[tuple[str, CachedEvent]] | None = None
    if after is None and resource_version == "" and not await cache.consistent(FRESHNESS_TIMEOUT):
        # The cache cannot prove it is current: take the current state from storage instead.
        from_storage, after = await _storage_snapshot(cache, predicate)
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        initial, watcher = cache.watch(after, predicate)
    except errors.Gone as gone:
        await response.write(status_line(gone))
        return response
    if from_storage is not None:
        initial = from_storage + initial
    try:
        await _send_initial(response, initial, line, cache if send_initial_events else None)
        del initial, from_storage  # not kept by this frame for the watch's life (see _send_initial)
        limit = timeout_seconds if timeout_seconds is not None else DEFAULT_TIMEOUT * (1 + random.random())
        stream = _Stream(
            response, cache, watcher, floor=after if after is not None else cache.revision, line=line
        )
        await stream.run(time.monotonic() + limit, bookmark_interval if bookmarks else None)
    except ConnectionResetError:
        pass
    finally:
        watcher.close()
    return response


async def _send_initial(
    response: web.StreamResponse,
    initial: list[tuple[str, CachedEvent]],
    line: Callable[[str, CachedEvent], bytes],
    end_bookmark_of: WatchCache | None,
) -> None:
    """The initial events (and the initial-events-end bookmark), in one write. A function of its
    own so that nothing it built outlives it: a watch lives half an hour or more, and at 5,000
    nodes the initial lists and their encoded lines held ~50 MB across the open watches."""
    lines = [line(kind, event) for kind, event in initial]
    if end_bookmark_of is not None:
        lines.append(_bookmark(end_bookmark_of, initial_events_end=True))
    if lines:
        await response.write(b"".join(lines))


async def _start_after(cache: WatchCache, resource_version: str) -> int | None:
    """The revision the watch continues after; ``None`` for "what exists now, as ADDED events"."""
    if resource_version == "":
        return None
    if resource_version == "0":
        await cache.ready.wait()
        return None
    try:
        return int(resource_version)
    except ValueError:
        raise errors.BadRequest(f'invalid resourceVersion "{resource_version}"') from None


async def _storage_snapshot(
    cache: WatchCache, predicate: Predicate
) -> tuple[list[tuple[str, CachedEvent]], int]:
    """Synthetic ADDED events for what storage holds now, and the revision they were read at."""
    events: list[tuple[str, CachedEvent]] = []
    prefix = cache.info.key_prefix()
    page = await cache.backend.list(prefix, limit=1000)
    revision = page.revision
    while True:
        for kv in page.items:
            obj = decode(kv.value, kv.mod_revision)
            if predicate(obj):
                events.append(("ADDED", CachedEvent("ADDED", kv.key, obj, None, kv.mod_revision)))
        if page.continue_token is None:
            return events, revision
        page = await cache.backend.list(prefix, limit=1000, continue_token=page.continue_token)


class _Stream:
    """Moves a watcher's queued events onto the HTTP response, with bookmarks, until the deadline."""

    def __init__(
        self,
        response: web.StreamResponse,
        cache: WatchCache,
        watcher: CacheWatcher,
        floor: int,
        line: Callable[[str, CachedEvent], bytes],
    ):
        self.line = line
        self.response = response
        self.cache = cache
        self.watcher = watcher
        self.floor = floor

    async def run(self, deadline: float, bookmark_interval: float | None) -> None:
        watcher = self.watcher
        next_bookmark = time.monotonic() + (bookmark_interval or 0)
        while not watcher.dropped and not watcher.closed:
            now = time.monotonic()
            if now >= deadline:
                return
            wait = deadline - now
            if bookmark_interval is not None:
                wait = min(wait, next_bookmark - now)
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    await watcher.wait()
            except TimeoutError:
                if bookmark_interval is not None and time.monotonic() >= next_bookmark:
                    await self.response.write(_bookmark(self.cache))
                    next_bookmark = time.monotonic() + bookmark_interval
                continue
            await self._drain()

    async def _drain(self) -> None:
        batch = []
        queue = self.watcher.queue
        while queue:
            kind, event = queue.popleft()
            if event.revision > self.floor:
                batch.append(self.line(kind, event))
        if batch:
            await self.response.write(b"".join(batch))


def _bookmark(cache: WatchCache, *, initial_events_end: bool = False) -> bytes:
    metadata: dict[str, Any] = {"resourceVersion": str(cache.revision)}
    if initial_events_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    obj = {"kind": cache.info.kind, "apiVersion": cache.info.api_version, "metadata": metadata}
    return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"
