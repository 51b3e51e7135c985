"""Slow-start batches: upstream ``TestSlowStartBatch`` (replica_set_test.go)."""

from __future__ import annotations

import asyncio

import pytest

from everynode.controllers.replicaset.batching import slow_start_batch


@pytest.mark.parametrize(
    ("count", "call_limit", "successes", "fails", "calls"),
    [
        pytest.param(10, 0, 0, True, 1, id="callLimit = 0 (all fail): the first batch only"),
        pytest.param(10, 10, 10, False, 10, id="callLimit = count (all succeed): 1 + 2 + 4 + 3"),
        pytest.param(10, 5, 5, True, 7, id="callLimit < count (some succeed): 1 + 2 + 4"),
        pytest.param(0, 0, 0, False, 0, id="nothing to do"),
    ],
)
async def test_slow_start_batch(count: int, call_limit: int, successes: int, fails: bool, calls: int) -> None:
    made = 0
    failure = RuntimeError("fake error")

    async def call() -> Exception | None:
        nonlocal made
        made += 1
        return failure if made > call_limit else None

    succeeded, error = await slow_start_batch(count, 1, call)
    assert succeeded == successes
    assert error is (failure if fails else None)
    assert made == calls  # no call after a failing batch


@pytest.mark.parametrize(("count", "initial", "sizes"), [(20, 1, [1, 2, 4, 8, 5]), (20, 3, [3, 6, 11])])
async def test_batches_double_from_the_initial_size(count: int, initial: int, sizes: list[int]) -> None:
    """The calls of a batch run together (all start before any ends); the next batch waits for them."""
    batches: list[int] = []
    running = 0

    async def call() -> Exception | None:
        nonlocal running
        if running == 0:
            batches.append(0)
        running += 1
        batches[-1] += 1
        await asyncio.sleep(0)
        running -= 1
        return None

    assert await slow_start_batch(count, initial, call) == (count, None)
    assert batches == sizes
