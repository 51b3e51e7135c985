"""The worker loop: a failed result is retried with the rate limiter, a done one forgotten, a
delayed one comes back after its delay; a reconcile that raises is logged and retried; one key at a
time."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from everynode.core.clock import FakeClock
from everynode.runtime.controller import run_workers
from everynode.runtime.result import DONE, Result, failed, requeue_after
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

    async def reconcile(key: str) -> Result:
        attempts.append(clock.now())
        return failed(RuntimeError("not yet")) if len(attempts) < 3 else DONE

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

    async def reconcile(key: str) -> Result:
        nonlocal overlaps, runs
        if key in running:
            overlaps += 1
        running.add(key)
        runs += 1
        await release.wait()
        running.discard(key)
        return DONE

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


async def test_a_delayed_result_comes_back_after_its_delay_with_its_failures_forgotten() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue(clock, ItemExponentialFailureRateLimiter(1.0, 100.0))
    attempts: list[float] = []

    async def reconcile(key: str) -> Result:
        attempts.append(clock.now())
        if len(attempts) == 1:
            return failed(RuntimeError("once"))
        return requeue_after(30.0) if len(attempts) == 2 else DONE

    workers = asyncio.create_task(run_workers(queue, reconcile, 1, name="test"))
    queue.add("a")
    await wait_for(lambda: len(attempts) == 1)
    await clock.advance(1.0)
    await wait_for(lambda: len(attempts) == 2)
    await wait_for(lambda: queue.num_requeues("a") == 0)  # not a failure: the limiter forgets
    await clock.advance(29.9)
    assert len(attempts) == 2
    await clock.advance(0.2)
    await wait_for(lambda: len(attempts) == 3)
    assert attempts[2] - attempts[1] >= 30.0
    workers.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await workers


async def test_a_failure_that_also_asks_for_a_delay_gets_both() -> None:
    """Upstream's DaemonSet sync both returns an error and enqueues itself for later."""
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue(clock, ItemExponentialFailureRateLimiter(1.0, 100.0))
    attempts: list[float] = []

    async def reconcile(key: str) -> Result:
        attempts.append(clock.now())
        return failed(RuntimeError("down")).sooner(5.0) if len(attempts) == 1 else DONE

    workers = asyncio.create_task(run_workers(queue, reconcile, 1, name="test"))
    queue.add("a")
    await wait_for(lambda: len(attempts) == 1)
    assert queue.num_requeues("a") == 1
    await clock.advance(1.0)  # the backoff's retry comes first
    await wait_for(lambda: len(attempts) == 2)
    workers.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await workers


async def test_a_reconcile_that_raises_is_logged_with_its_traceback_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue(clock, ItemExponentialFailureRateLimiter(1.0, 100.0))
    attempts = 0

    async def reconcile(key: str) -> Result:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise KeyError("a bug")
        return DONE

    workers = asyncio.create_task(run_workers(queue, reconcile, 1, name="buggy"))
    queue.add("a")
    await wait_for(lambda: attempts == 1)
    await clock.advance(1.0)
    await wait_for(lambda: attempts == 2)
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "buggy: reconciling 'a' raised" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError
    workers.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await workers


def test_results_combine_the_sooner_delay_and_the_first_failure() -> None:
    first, second = RuntimeError("first"), RuntimeError("second")
    assert DONE.sooner(None) is DONE
    assert DONE.sooner(5.0).sooner(3.0).sooner(4.0).after == 3.0
    assert failed(first).failing(second).error is first
    assert DONE.failing(None) is DONE
    assert requeue_after(-1.0).after == 0.0
    cause = ValueError("cause")
    assert failed(first, cause=cause).error.__cause__ is cause  # type: ignore[union-attr]
