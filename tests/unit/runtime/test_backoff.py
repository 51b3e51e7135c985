from __future__ import annotations

import pytest

from everynode.core.clock import FakeClock
from everynode.runtime.backoff import Backoff

TINY = 2.0**-20  # exactly representable, so clock arithmetic below stays exact


async def test_delays_double_from_initial_and_are_capped_at_maximum() -> None:
    clock = FakeClock()
    backoff = Backoff(clock, initial=1.0, maximum=900.0)
    assert backoff.get("k") == 0.0
    assert not backoff.is_in_backoff("k")
    seen = []
    for _ in range(13):
        seen.append(backoff.next("k"))
        assert backoff.get("k") == seen[-1]
        await clock.advance(1.0)
    assert seen == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


async def test_defaults_are_upstreams_failed_pod_backoff() -> None:
    backoff = Backoff(FakeClock())
    assert (backoff.initial, backoff.maximum) == (1.0, 900.0)


async def test_keys_are_independent() -> None:
    backoff = Backoff(FakeClock())
    backoff.next("a")
    backoff.next("a")
    backoff.next("b")
    assert (backoff.get("a"), backoff.get("b"), backoff.get("c")) == (2.0, 1.0, 0.0)


async def test_is_in_backoff_until_exactly_the_delay_has_passed() -> None:
    clock = FakeClock(start=100.0)
    backoff = Backoff(clock, initial=4.0, maximum=64.0)
    backoff.next("k")
    assert backoff.is_in_backoff("k")
    await clock.advance(4.0 - TINY)
    assert backoff.is_in_backoff("k")
    await clock.advance(TINY)
    assert not backoff.is_in_backoff("k")


async def test_an_entry_expires_after_more_than_twice_the_maximum() -> None:
    clock = FakeClock()
    backoff = Backoff(clock, initial=1.0, maximum=8.0)
    for _ in range(3):
        backoff.next("k")
    assert backoff.get("k") == 4.0
    await clock.advance(16.0)  # exactly 2 x max: not yet expired
    assert backoff.next("k") == 8.0
    await clock.advance(16.0 + TINY)
    assert backoff.next("k") == 1.0


async def test_gc_drops_only_idle_entries() -> None:
    clock = FakeClock()
    backoff = Backoff(clock, initial=1.0, maximum=8.0)
    backoff.next("old")
    await clock.advance(10.0)
    backoff.next("recent")
    await clock.advance(6.0)
    backoff.gc()  # "old" idle exactly 16 s: kept
    assert len(backoff) == 2
    await clock.advance(TINY)
    backoff.gc()
    assert len(backoff) == 1
    assert backoff.get("old") == 0.0
    assert backoff.get("recent") == 1.0


async def test_reset_forgets_the_key() -> None:
    backoff = Backoff(FakeClock())
    backoff.next("k")
    backoff.next("k")
    backoff.reset("k")
    backoff.reset("never-seen")
    assert backoff.get("k") == 0.0
    assert not backoff.is_in_backoff("k")
    assert backoff.next("k") == 1.0


def test_rejects_nonsense_parameters() -> None:
    with pytest.raises(ValueError, match="initial"):
        Backoff(FakeClock(), initial=0.0)
    with pytest.raises(ValueError, match="initial"):
        Backoff(FakeClock(), initial=10.0, maximum=5.0)


async def test_failed_pod_is_killed_at_most_once_per_delay() -> None:
    """Upstream's TestDaemonKillFailedPodsBackoff, the per-node decision cut down to its core."""
    clock = FakeClock()
    backoff = Backoff(clock)
    key = "ds-uid/1/node-0"
    deletes: list[float] = []
    requeues: list[float] = []

    def sync() -> None:
        if backoff.is_in_backoff(key):
            requeues.append(backoff.get(key))
            return
        backoff.next(key)
        deletes.append(clock.now())

    sync()
    assert len(deletes) == 1
    delay = backoff.get(key)
    assert delay > 0

    sync()  # at once: nothing, and the delay is not advanced
    assert len(deletes) == 1
    assert requeues == [delay]
    assert backoff.get(key) == delay

    await clock.advance(delay - TINY)
    assert backoff.is_in_backoff(key)
    await clock.advance(TINY)
    assert not backoff.is_in_backoff(key)

    sync()
    assert len(deletes) == 2
    assert backoff.get(key) == 2 * delay
    # A new observedGeneration is a new key: its backoff starts afresh.
    assert backoff.get("ds-uid/2/node-0") == 0.0
