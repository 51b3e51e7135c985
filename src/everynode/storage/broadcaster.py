"""In-process fan-out of committed writes to watchers, and the watch stream built on it.

The memory and SQLite backends publish each committed batch of events here, in revision order,
from the event loop. A watcher never slows the writer: each subscription has a bounded queue, and
one that overflows is emptied and flagged. Its ``LocalWatch`` then catches up by replaying the
missed revisions from the backend's history and carries on live (or raises ``Compacted`` if that
history is gone), so a slow consumer costs only its own replay.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Self

from everynode.storage.errors import StorageUnavailable
from everynode.storage.records import Event

ReplayFn = Callable[[str, int, int], Awaitable[list[Event]]]
"""``replay(prefix, after, upto)``: the events under ``prefix`` with ``after < revision <= upto``.

Raises ``Compacted`` when ``after`` is below the compacted revision.
"""


class Subscription:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.queue: deque[Event] = deque()
        self.overflowed = False
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None


class Broadcaster:
    """Hands every published event to the subscriptions whose prefix it falls under."""

    def __init__(self, *, max_queued: int = 10_000) -> None:
        self.max_queued = max_queued
        self.published_revision = 0
        self._subscriptions: set[Subscription] = set()
        self._closed = False

    def subscribe(self, prefix: str) -> Subscription:
        sub = Subscription(prefix)
        if self._closed:
            sub.closed = True
        else:
            self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        self.published_revision = events[-1].revision
        for sub in self._subscriptions:
            if sub.overflowed:
                continue
            matching = events if not sub.prefix else [e for e in events if e.key.startswith(sub.prefix)]
            if not matching:
                continue
            if len(sub.queue) + len(matching) > self.max_queued:
                sub.queue.clear()
                sub.overflowed = True
            else:
                sub.queue.extend(matching)
            sub.wake()

    def close(self) -> None:
        self._closed = True
        for sub in self._subscriptions:
            sub.closed = True
            sub.wake()
        self._subscriptions.clear()


class LocalWatch:
    """A ``Watch`` over a ``Broadcaster``: replay from history first, then live events, gap-free."""

    supports_progress = True

    def __init__(self, broadcaster: Broadcaster, prefix: str, after_revision: int, replay: ReplayFn) -> None:
        if after_revision < 0:
            raise ValueError("after_revision must be >= 0")
        self._broadcaster = broadcaster
        self._prefix = prefix
        self._replay = replay
        self._position = after_revision  # highest revision already taken into _buffer
        self._buffer: deque[Event] = deque()
        self._sub: Subscription | None = None
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        while True:
            if self._buffer:
                return self._buffer.popleft()
            if self._closed:
                raise StopAsyncIteration
            sub = self._sub
            if sub is None or sub.overflowed:
                await self._catch_up()
            elif sub.queue:
                position = self._position
                for event in sub.queue:
                    if event.revision > position:
                        self._buffer.append(event)
                        position = event.revision
                sub.queue.clear()
                self._position = position
            elif sub.closed:
                raise StorageUnavailable("the store was closed")
            else:
                await sub.wait()

    async def _catch_up(self) -> None:
        """(Re)subscribe, then replay what was committed before the subscription started."""
        if self._sub is not None:
            self._broadcaster.unsubscribe(self._sub)
        self._sub = self._broadcaster.subscribe(self._prefix)
        upto = self._broadcaster.published_revision
        if upto > self._position:
            self._buffer.extend(await self._replay(self._prefix, self._position, upto))
            self._position = max(self._position, upto)

    def progress_revision(self) -> int | None:
        """Every published event for this prefix has been yielded once nothing is buffered or queued."""
        sub = self._sub
        if sub is None or sub.overflowed or sub.queue or self._buffer:
            return None
        return max(self._position, self._broadcaster.published_revision)

    async def close(self) -> None:
        self._closed = True
        if self._sub is not None:
            self._broadcaster.unsubscribe(self._sub)
            self._sub.wake()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
