"""Slow-start batches (upstream ``slowStartBatch`` in ``replica_set.go``).

``count`` calls are made in batches of 1, 2, 4, … (doubling from ``initial``), the calls of one
batch concurrently. A batch with a failure is the last: the rest are never tried. So a ReplicaSet
that cannot create pods at all (a quota, a missing ServiceAccount) sends one request per sync rather
than hundreds, and records one failure event rather than hundreds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

SLOW_START_INITIAL_BATCH = 1  # upstream's SlowStartInitialBatchSize


async def slow_start_batch(
    count: int, initial: int, call: Callable[[], Awaitable[Exception | None]]
) -> tuple[int, Exception | None]:
    """Make up to ``count`` calls of ``call`` (each returns its failure, or None); the number that
    succeeded and the first failure of the failing batch, if any."""
    successes = 0
    remaining = count
    batch = min(remaining, initial)
    while batch > 0:
        outcomes = await asyncio.gather(*(call() for _ in range(batch)))
        failures = [outcome for outcome in outcomes if outcome is not None]
        successes += batch - len(failures)
        if failures:
            return successes, failures[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None
