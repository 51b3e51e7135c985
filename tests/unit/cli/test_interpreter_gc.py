"""The processes' garbage-collection policy: no automatic full collections, one on a timer."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from everynode.cli import interpreter_gc
from everynode.core.clock import FakeClock


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_install_freezes_what_exists_and_leaves_full_collections_to_the_timer(restored_gc: None) -> None:
    young, middle, _ = gc.get_threshold()
    interpreter_gc.install()
    assert gc.get_threshold() == (young, middle, interpreter_gc.NEVER)
    assert gc.get_freeze_count() > 0


def test_install_keeps_young_collections(restored_gc: None) -> None:
    interpreter_gc.install()
    before = gc.get_stats()[0]["collections"]
    kept = [[] for _ in range(20 * gc.get_threshold()[0])]  # tracked containers that stay alive
    assert len(kept) > 0
    assert gc.get_stats()[0]["collections"] > before


async def test_a_full_collection_each_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    generations: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: generations.append(generation) or 0)
    clock = FakeClock()
    collector = asyncio.create_task(interpreter_gc.collect_periodically(clock, interval=60.0))
    await asyncio.sleep(0)  # the collector starts and goes to sleep
    assert clock.sleepers == 1
    await clock.advance(59.0)
    assert generations == []
    await clock.advance(1.0)
    assert generations == [2]
    await clock.advance(120.0)
    assert generations == [2, 2, 2]
    collector.cancel()
    with pytest.raises(asyncio.CancelledError):
        await collector
