"""Waiting for a condition with a deadline, never a bare sleep: the one poll-until helper, for
blocking tests (``poll_until``) and async ones (``eventually``)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(
    check: Callable[[], T | None],
    *,
    what: str,
    within: float,
    every: float = 0.1,
    diagnostics: Callable[[], str] = lambda: "",
) -> T:
    """``check()``'s first truthy result; a falsy result or an AssertionError it raises means "not
    yet". At the deadline: fail with the last reason and ``diagnostics()``."""
    deadline = time.monotonic() + within
    while True:
        try:
            value = check()
            if value:
                return value
            last = f"returned {value!r}"
        except AssertionError as exc:
            last = str(exc)
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {within:g} s waiting for {what}\nlast: {last}{diagnostics()}"
            )
        time.sleep(every)


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], *, within: float = 20.0, what: str, every: float = 0.05
) -> None:
    """Poll ``check`` (sync or async) every ``every`` s until it holds; fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        await asyncio.sleep(every)
