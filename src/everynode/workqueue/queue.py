"""The de-duplicating FIFO at the bottom of every controller.

Invariants (client-go's): ``dirty`` holds every key waiting to be processed, ``processing`` every key
handed out and not yet ``done``; a key is in ``queue`` only if it is dirty and not processing. So
the same key never runs twice at once, and a change seen while it runs is not lost.

With ``urgent`` (a predicate on keys, asked when a key enters the queue), keys it accepts wait in a
lane of their own that ``get`` empties first — controller-runtime's priority queue in its simplest
form: the node agent starts pods ahead of stopping old ones, so a burst of deletions in a rollout does
not hold up new pods becoming Ready.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class ShutDown(Exception):
    """``get`` on a queue that was shut down and is empty."""


class Queue(Generic[K]):
    def __init__(self, *, urgent: Callable[[K], bool] | None = None) -> None:
        self._queue: deque[K] = deque()
        self._urgent_queue: deque[K] = deque()
        self._urgent = urgent
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False

    def __len__(self) -> int:
        return len(self._queue) + len(self._urgent_queue)

    def add(self, key: K) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return  # queued again by done()
        self._push(key)

    async def get(self) -> K:
        """The next key; blocks while empty. Raises ``ShutDown`` once shut down and drained."""
        while not (self._queue or self._urgent_queue):
            if self._shutting_down:
                raise ShutDown
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
        key = self._urgent_queue.popleft() if self._urgent_queue else self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: K) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._push(key)

    def _push(self, key: K) -> None:
        if self._urgent is not None and self._urgent(key):
            self._urgent_queue.append(key)
        else:
            self._queue.append(key)
        self._wake_one()

    def shutdown(self) -> None:
        self._shutting_down = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
