"""Background compaction, as kube-apiserver does it: every ``interval``, compact to the revision
that was current one interval earlier, so at least one interval of history is always kept for
watchers and paged lists to resume from.
"""

from __future__ import annotations

import asyncio
import logging

from everynode.storage.backend import Backend
from everynode.storage.errors import StorageError

log = logging.getLogger(__name__)


async def compact_periodically(backend: Backend, *, interval: float = 300.0) -> None:
    """Run until cancelled. Failures are logged and retried at the next tick."""
    if interval <= 0:
        raise ValueError("interval must be positive")
    previous: int | None = None
    while True:
        await asyncio.sleep(interval)
        try:
            current = await backend.current_revision()
            if previous is not None and previous > 0:
                await backend.compact(previous)
                log.info("compacted storage at revision %d", previous)
            previous = current
        except StorageError as exc:
            log.warning("background compaction failed: %s", exc)
