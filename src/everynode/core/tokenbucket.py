"""A token bucket over an injected clock: ``qps`` tokens a second, at most ``burst`` saved up.

``reserve()`` takes a token now and says how long to wait before using it (0 while tokens last),
so callers queue fairly in arrival order. Client request throttling (QPS/burst) and the work
queue's overall rate limiter both use it.
"""

from __future__ import annotations

from everynode.core.clock import Clock


class TokenBucket:
    def __init__(self, clock: Clock, qps: float, burst: int) -> None:
        if qps <= 0 or burst <= 0:
            raise ValueError("qps and burst must be positive")
        self.clock = clock
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last = clock.now()

    def _refill(self) -> None:
        now = self.clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now

    def reserve(self) -> float:
        self._refill()
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def try_acquire(self) -> bool:
        """Take a token if one is there now; never waits and never goes into debt."""
        self._refill()
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await self.clock.sleep(wait)
