from __future__ import annotations

import pytest

from everynode.core.clock import FakeClock
from everynode.workqueue.ratelimiters import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)


def test_exponential_per_key_doubles_up_to_the_cap_and_forget_resets() -> None:
    limiter = ItemExponentialFailureRateLimiter(base=0.005, maximum=0.04)
    assert [limiter.when("a") for _ in range(6)] == [0.005, 0.01, 0.02, 0.04, 0.04, 0.04]
    assert limiter.when("b") == 0.005, "keys back off independently"
    assert limiter.num_requeues("a") == 6
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == 0.005


def test_exponential_never_overflows() -> None:
    limiter = ItemExponentialFailureRateLimiter(base=0.005, maximum=1000.0)
    for _ in range(200):
        delay = limiter.when("k")
    assert delay == 1000.0


def test_bucket_allows_a_burst_then_spaces_by_qps() -> None:
    clock = FakeClock()
    limiter = BucketRateLimiter(clock, qps=10.0, burst=3)
    assert [limiter.when(i) for i in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.when(3) == pytest.approx(0.1)
    assert limiter.when(4) == pytest.approx(0.2)


async def test_bucket_refills_with_time() -> None:
    clock = FakeClock()
    limiter = BucketRateLimiter(clock, qps=10.0, burst=1)
    assert limiter.when("a") == 0.0
    await clock.advance(0.1)  # a tenth of a second later: one token back
    assert limiter.when("b") == pytest.approx(0.0)


def test_max_of_takes_the_longest_wait() -> None:
    clock = FakeClock()
    limiter = MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(1.0, 100.0), BucketRateLimiter(clock, 1.0, 1)
    )
    assert limiter.when("a") == 1.0
    assert limiter.when("a") == 2.0
    assert default_controller_rate_limiter(clock).when("x") == 0.005
