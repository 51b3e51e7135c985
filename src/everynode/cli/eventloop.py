"""How every everynode process runs its event loop: uvloop when it is importable, else asyncio; with
the garbage-collection policy of ``interpreter_gc`` (full collections on a timer)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from everynode.cli import interpreter_gc
from everynode.core.clock import RealClock

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    interpreter_gc.install()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_collecting(main))
    result: T = uvloop.run(_collecting(main))
    return result


async def _collecting(main: Coroutine[Any, Any, T]) -> T:
    collector = asyncio.get_running_loop().create_task(interpreter_gc.collect_periodically(RealClock()))
    try:
        return await main
    finally:
        collector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await collector
