"""The worker loop: retries with the rate limiter, forgets on success, one key at a time."""

from __future__ import annotations

import asyncio
import contextlib

from everynode.core.clock import FakeClock
from everynode.runtime.controller import run_workers
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import ItemExponentialFailureRateLimiter


async def wait_for(condition: object, *, steps: int = 200) -> None:
    for _ in range(steps):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


async def test_a_failing_key_is_retried_with_backoff_and_forgotten_once_it_succeeds() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue(clock, ItemExponentialFailureRateLimiter(1.0, 100.0))
    attempts: list[float] = []

    async def reconcile(key: str) -> None:
        attempts.append(clock.now())
        if len(attempts) < 3:
            raise RuntimeError("not yet")

    workers = asyncio.create_task(run_workers(queue, reconcile, 2, name="test"))
    queue.add("a")
    await wait_for(lambda: len(attempts) == 1)
    assert queue.num_requeues("a") == 1
    await clock.advance(0.9)
    assert len(attempts) == 1  # the first retry waits 1 s
    await clock.advance(0.2)
    await wait_for(lambda: len(attempts) == 2)
    await clock.advance(2.1)  # the second waits 2 s
    await wait_for(lambda: len(attempts) == 3)
    assert attempts[1] - attempts[0] >= 1.0
    assert attempts[2] - attempts[1] >= 2.0  # the delay doubled
    await wait_for(lambda: queue.num_requeues("a") == 0)  # success forgets the failures
    workers.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await workers


async def test_one_key_is_never_reconciled_twice_at_once() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue(clock, ItemExponentialFailureRateLimiter())
    running: set[str] = set()
    overlaps = 0
    runs = 0
    release = asyncio.Event()

    async def reconcile(key: str) -> None:
        nonlocal overlaps, runs
        if key in running:
            overlaps += 1
        running.add(key)
        runs += 1
        await release.wait()
        running.discard(key)

    workers = asyncio.create_task(run_workers(queue, reconcile, 4, name="test"))
    queue.add("k")
    await wait_for(lambda: runs == 1)
    queue.add("k")  # a change while it runs: queued again, not run beside it
    queue.add("other")
    await wait_for(lambda: runs == 2)
    assert running == {"k", "other"}
    release.set()
    await wait_for(lambda: runs == 3)  # "k" again, after the first run finished
    assert overlaps == 0
    queue.shutdown()
    await asyncio.wait_for(workers, 5)  # workers end when the queue shuts down
