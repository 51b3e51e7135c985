"""CPython's garbage collector (the interpreter's, not the Kubernetes garbage collector controller) for
processes that hold the cluster in memory.

CPython collects its oldest generation whenever the objects promoted into it since the last full
collection pass a quarter of it. Our processes keep every object of the cluster in caches (the watch
cache, informer stores) and replace an object on every write, so that quarter fills in seconds: in a
5,000-node `bench cluster` run the API server collected in full every ~1.7 s, 150 to 420 ms each, and
found nothing (objects here are freed by reference counting; cycles are rare) — a quarter of its CPU,
and a pause in every request's latency. The controller-manager and the node agent lost a fifth.

So: the young generations are collected as CPython does (they catch the short-lived cycles —
exceptions with their tracebacks, finished tasks), the objects that exist once a process has
started (modules, the OpenAPI schemas) are frozen out of every later collection, and the full
collection runs on a timer, every ``FULL_INTERVAL`` seconds, instead of on promotion counts.
"""

from __future__ import annotations

import gc
import logging
import time

from everynode.core.clock import Clock

log = logging.getLogger(__name__)

FULL_INTERVAL = 600.0  # seconds between full collections: cyclic garbage lives at most this long
NEVER = 2**30  # young collections between full ones: CPython then never starts one by itself


def install() -> None:
    """Freeze what exists now and stop automatic full collections (process-wide)."""
    young, middle, _ = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, middle, NEVER)


async def collect_periodically(clock: Clock, interval: float = FULL_INTERVAL) -> None:
    """A full collection every ``interval`` seconds, until cancelled."""
    while True:
        await clock.sleep(interval)
        started = time.perf_counter()
        found = gc.collect()
        spent = time.perf_counter() - started
        log.debug("full garbage collection: %d objects found in %.0f ms", found, 1000 * spent)
