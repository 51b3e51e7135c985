"""The loop every controller runs: workers take keys from a rate-limited queue and reconcile them.

A reconcile returns a ``Result`` (``runtime.result``): done, due again after a delay, or failed. A
failure is retried with the queue's rate limiter (per-key exponential backoff under a global bucket);
anything else makes the limiter forget the key's failures. The queue guarantees a key is never
reconciled by two workers at once, and a change that arrives meanwhile queues it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from typing import TypeVar

from everynode.runtime.result import Reconciler, Result
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.queue import ShutDown

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)


def settle(queue: RateLimitingQueue[K], key: K, result: Result, *, name: str = "controller") -> None:
    """Do what ``result`` asks of ``queue`` for ``key`` (the worker loop's step after a reconcile)."""
    if result.error is not None:
        level = logging.INFO if result.routine else logging.WARNING
        log.log(
            level, "%s: syncing %r failed (retry %d): %s", name, key, queue.num_requeues(key), result.error
        )
        queue.add_rate_limited(key)
    else:
        queue.forget(key)
    if result.after is not None:
        queue.add_after(key, result.after)


async def process_items(
    queue: RateLimitingQueue[K], reconcile: Reconciler[K], *, name: str = "controller"
) -> None:
    """One worker: reconcile keys until the queue is shut down."""
    while True:
        try:
            key = await queue.get()
        except ShutDown:
            return
        try:
            result = await reconcile(key)
        except asyncio.CancelledError:
            queue.done(key)
            raise
        except Exception:
            log.exception("%s: reconciling %r raised (a bug); retrying it with backoff", name, key)
            queue.add_rate_limited(key)
        else:
            settle(queue, key, result, name=name)
        queue.done(key)


async def run_workers(
    queue: RateLimitingQueue[K], reconcile: Reconciler[K], workers: int, *, name: str = "controller"
) -> None:
    """``workers`` workers until cancelled or the queue shuts down; the queue is closed on the way out."""
    try:
        async with asyncio.TaskGroup() as group:
            for index in range(workers):
                group.create_task(process_items(queue, reconcile, name=name), name=f"{name}-worker-{index}")
    finally:
        await queue.close()
