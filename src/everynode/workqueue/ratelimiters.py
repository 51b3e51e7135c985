"""How long a key waits before it is retried: client-go's rate limiters, as pure objects over a clock.

``when(key)`` both answers and records a failure; ``forget(key)`` clears a key's history after a
success; ``num_requeues(key)`` counts its failures since.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from everynode.core.clock import Clock
from everynode.core.tokenbucket import TokenBucket


class RateLimiter(Protocol):
    def when(self, key: Hashable) -> float: ...

    def forget(self, key: Hashable) -> None: ...

    def num_requeues(self, key: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """base * 2^failures, capped at ``maximum`` (client-go's default: 5 ms doubling to 1000 s)."""

    def __init__(self, base: float = 0.005, maximum: float = 1000.0) -> None:
        self.base = base
        self.maximum = maximum
        self._failures: dict[Hashable, int] = {}

    def when(self, key: Hashable) -> float:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        if failures >= 64:
            return self.maximum
        return float(min(self.base * (2**failures), self.maximum))

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: Hashable) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter:
    """A token bucket shared by all keys: ``qps`` refill, ``burst`` capacity (client-go: 10 qps, 100)."""

    def __init__(self, clock: Clock, qps: float = 10.0, burst: int = 100) -> None:
        self._bucket = TokenBucket(clock, qps, burst)

    def when(self, key: Hashable) -> float:
        return self._bucket.reserve()

    def forget(self, key: Hashable) -> None:
        return None

    def num_requeues(self, key: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest wait any of its limiters asks for (client-go's default controller limiter)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, key: Hashable) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock) -> MaxOfRateLimiter:
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(clock, 10.0, 100)
    )
