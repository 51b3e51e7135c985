"""Pod GC wired to a live API server: pod and node informers, and a pass every ``interval`` seconds.

Timings (upstream's defaults; constructor arguments so tests and flags can shorten them):

- ``interval`` 20 s between passes (the first runs as soon as the caches have listed);
- ``quarantine`` 40 s that a node must stay missing from the cache before its pods go;
- ``terminated_threshold`` 12500 terminated pods kept (0 or less: keep them all).
"""

from __future__ import annotations

import logging

from everynode.client.rest import RestClient
from everynode.controllers.podgc.api import RestPodGCApi
from everynode.controllers.podgc.controller import QUARANTINE, TERMINATED_THRESHOLD, PodGCController
from everynode.core import errors
from everynode.core import resources as r
from everynode.runtime.manager import Every, Manager

log = logging.getLogger(__name__)
INTERVAL = 20.0  # upstream's gcCheckPeriod


class PodGCService:
    def __init__(
        self,
        client: RestClient,
        manager: Manager,
        *,
        interval: float = INTERVAL,
        quarantine: float = QUARANTINE,
        terminated_threshold: int = TERMINATED_THRESHOLD,
    ) -> None:
        if interval <= 0 or quarantine < 0:
            raise ValueError("interval must be positive and quarantine not negative")
        self.pods = manager.informers.informer(r.PODS)
        self.nodes = manager.informers.informer(r.NODES)
        self.controller = PodGCController(
            RestPodGCApi(client),
            quarantine=quarantine,
            terminated_threshold=terminated_threshold,
            clock=manager.clock,
        )
        manager.add(Every("pod-gc", interval, self.collect, manager.clock), needs=(self.pods, self.nodes))

    async def collect(self) -> None:
        """One pass; an API failure is logged and the next pass tries again."""
        try:
            await self.controller.gc(self.pods.store.objects(), self.nodes.store.objects())
        except errors.ApiError as exc:
            log.warning("pod GC: pass failed: %s", exc)
