"""A queue whose keys can be added after a delay (``add_after``), and the rate-limited queue on it.

Delayed keys wait in a heap ordered by ready time; one background task moves them into the queue
when their time comes. A key already waiting keeps the earlier of its two ready times.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable, Hashable
from typing import TypeVar

from everynode.core.clock import Clock
from everynode.workqueue.queue import Queue
from everynode.workqueue.ratelimiters import RateLimiter

K = TypeVar("K", bound=Hashable)


class DelayingQueue(Queue[K]):
    def __init__(self, clock: Clock, *, urgent: Callable[[K], bool] | None = None) -> None:
        super().__init__(urgent=urgent)
        self.clock = clock
        self._heap: list[tuple[float, int, K]] = []
        self._ready_at: dict[K, float] = {}
        self._counter = itertools.count()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add_after(self, key: K, delay: float) -> None:
        if self.shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready = self.clock.now() + delay
        if key in self._ready_at and self._ready_at[key] <= ready:
            return
        self._ready_at[key] = ready
        heapq.heappush(self._heap, (ready, next(self._counter), key))
        self._changed.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="workqueue-delays")

    @property
    def waiting(self) -> int:
        return len(self._ready_at)

    async def _run(self) -> None:
        while not self.shutting_down:
            self._changed.clear()
            now = self.clock.now()
            while self._heap and self._heap[0][0] <= now:
                ready, _, key = heapq.heappop(self._heap)
                if self._ready_at.get(key) == ready:
                    del self._ready_at[key]
                    self.add(key)
            if not self._heap:
                await self._changed.wait()
                continue
            sleeper = asyncio.ensure_future(self.clock.sleep(self._heap[0][0] - now))
            changed = asyncio.ensure_future(self._changed.wait())
            await asyncio.wait({sleeper, changed}, return_when=asyncio.FIRST_COMPLETED)
            for pending in (sleeper, changed):
                if not pending.done():
                    pending.cancel()

    def shutdown(self) -> None:
        super().shutdown()
        self._changed.set()

    async def close(self) -> None:
        self.shutdown()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class RateLimitingQueue(DelayingQueue[K]):
    def __init__(
        self, clock: Clock, limiter: RateLimiter, *, urgent: Callable[[K], bool] | None = None
    ) -> None:
        super().__init__(clock, urgent=urgent)
        self.limiter = limiter

    def add_rate_limited(self, key: K) -> None:
        self.add_after(key, self.limiter.when(key))

    def forget(self, key: K) -> None:
        self.limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self.limiter.num_requeues(key)
