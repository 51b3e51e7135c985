"""Helpers shared by the storage contract tests."""

from __future__ import annotations

import asyncio

from everynode.storage import Backend, Event

WATCH_DEADLINE = 30.0


async def take(backend: Backend, prefix: str, after: int, count: int) -> list[Event]:
    """The first ``count`` events of a watch, or fail after a deadline."""
    events: list[Event] = []

    async def consume() -> None:
        async with backend.watch(prefix, after_revision=after) as watch:
            async for event in watch:
                events.append(event)
                if len(events) == count:
                    return

    await asyncio.wait_for(consume(), WATCH_DEADLINE)
    return events
