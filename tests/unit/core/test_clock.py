from __future__ import annotations

import asyncio

from everynode.core.clock import FakeClock, RealClock


async def test_fake_sleepers_wake_in_deadline_order_only_when_time_advances() -> None:
    clock = FakeClock(start=100.0)
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(f"{name}@{clock.now():g}")

    tasks = [asyncio.create_task(sleeper("b", 2)), asyncio.create_task(sleeper("a", 1))]
    await asyncio.sleep(0)
    assert clock.sleepers == 2
    await clock.advance(0.5)
    assert woke == []
    await clock.advance(5)
    assert woke == ["a@101", "b@102"]
    assert clock.now() == 105.5
    await asyncio.gather(*tasks)


async def test_real_clock_is_monotonic() -> None:
    clock = RealClock()
    before = clock.now()
    await clock.sleep(0)
    assert clock.now() >= before
