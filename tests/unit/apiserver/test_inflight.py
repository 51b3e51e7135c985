"""The API server's seat pools: a bounded first-come-first-served queue in front of the limit."""

from __future__ import annotations

import asyncio

from everynode.apiserver.edge.inflight import SeatPool


async def test_a_request_beyond_the_limit_waits_for_the_next_free_seat() -> None:
    pool = SeatPool(1)
    assert await pool.acquire()
    second = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    assert not second.done()
    pool.release()
    assert await second
    assert pool.in_use == 1
    pool.release()
    assert pool.in_use == 0


async def test_the_queue_holds_as_many_as_the_limit_and_refuses_the_rest() -> None:
    pool = SeatPool(1)
    assert await pool.acquire()
    queued = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    assert await pool.acquire() is False  # the queue (of one) is full
    pool.release()
    assert await queued


async def test_a_request_that_waits_too_long_is_refused_and_leaks_no_seat() -> None:
    pool = SeatPool(1, max_wait=0.05)
    assert await pool.acquire()
    assert await pool.acquire() is False
    pool.release()
    assert pool.in_use == 0
    assert await pool.acquire()


async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    pool = SeatPool(1)
    assert await pool.acquire()
    waiter = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    pool.release()
    assert pool.in_use == 0


async def test_zero_means_no_limit() -> None:
    pool = SeatPool(0)
    assert all([await pool.acquire() for _ in range(1000)])
