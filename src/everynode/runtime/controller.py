"""The loop every controller runs: workers take keys from a rate-limited queue and reconcile them.

A reconcile that raises is retried with the queue's rate limiter (per-key exponential backoff under
a global bucket); one that succeeds is forgotten by the limiter. The queue guarantees a key is never
reconciled by two workers at once, and a change that arrives meanwhile queues it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.queue import ShutDown

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)


async def process_items(
    queue: RateLimitingQueue[K], reconcile: Callable[[K], Awaitable[None]], *, name: str = "controller"
) -> None:
    """One worker: reconcile keys until the queue is shut down."""
    while True:
        try:
            key = await queue.get()
        except ShutDown:
            return
        try:
            await reconcile(key)
        except asyncio.CancelledError:
            queue.done(key)
            raise
        except Exception as exc:
            level = logging.INFO if getattr(exc, "expected", False) else logging.WARNING
            log.log(level, "%s: syncing %r failed (retry %d): %s", name, key, queue.num_requeues(key), exc)
            queue.add_rate_limited(key)
        else:
            queue.forget(key)
        queue.done(key)


async def run_workers(
    queue: RateLimitingQueue[K],
    reconcile: Callable[[K], Awaitable[None]],
    workers: int,
    *,
    name: str = "controller",
) -> None:
    """``workers`` workers until cancelled or the queue shuts down; the queue is closed on the way out."""
    try:
        async with asyncio.TaskGroup() as group:
            for index in range(workers):
                group.create_task(process_items(queue, reconcile, name=name), name=f"{name}-worker-{index}")
    finally:
        await queue.close()
