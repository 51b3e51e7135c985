from __future__ import annotations

from everynode.core.clock import FakeClock
from everynode.workqueue.delaying import DelayingQueue, RateLimitingQueue
from everynode.workqueue.ratelimiters import ItemExponentialFailureRateLimiter


async def test_a_delayed_key_arrives_when_its_time_comes() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(clock)
    queue.add_after("later", 10.0)
    await clock.advance(9.9)
    assert len(queue) == 0
    await clock.advance(0.2)
    assert len(queue) == 1
    assert await queue.get() == "later"
    await queue.close()


async def test_the_earlier_of_two_delays_wins() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(clock)
    queue.add_after("k", 10.0)
    queue.add_after("k", 2.0)
    queue.add_after("k", 5.0)
    await clock.advance(2.5)
    assert len(queue) == 1
    assert queue.waiting == 0
    await queue.close()


async def test_keys_arrive_in_ready_order() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(clock)
    queue.add_after("c", 3.0)
    queue.add_after("a", 1.0)
    queue.add_after("b", 2.0)
    await clock.advance(5.0)
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]
    await queue.close()


async def test_rate_limited_adds_back_off_per_key() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue(clock, ItemExponentialFailureRateLimiter(1.0, 60.0))
    queue.add_rate_limited("k")  # 1 s
    await clock.advance(1.0)
    assert await queue.get() == "k"
    queue.done("k")
    queue.add_rate_limited("k")  # 2 s
    await clock.advance(1.5)
    assert len(queue) == 0
    await clock.advance(0.5)
    assert len(queue) == 1
    assert queue.num_requeues("k") == 2
    queue.forget("k")
    assert queue.num_requeues("k") == 0
    await queue.close()
