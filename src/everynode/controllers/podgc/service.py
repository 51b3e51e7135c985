"""Pod GC wired to a live API server: pod and node informers, and a pass every ``interval`` seconds.

Timings (upstream's defaults; constructor arguments so tests and flags can shorten them):

- ``interval`` 20 s between passes (the first runs as soon as the caches have listed);
- ``quarantine`` 40 s that a node must stay missing from the cache before its pods go;
- ``terminated_threshold`` 12500 terminated pods kept (0 or less: keep them all).

The informers come from ``informers`` (a ``SharedInformers`` other components use too, run by its
owner) or, without one, from a factory of the service's own that ``run`` runs.
"""

from __future__ import annotations

import asyncio
import logging

from everynode.client.rest import RestClient
from everynode.controllers.podgc.api import RestPodGCApi
from everynode.controllers.podgc.controller import QUARANTINE, TERMINATED_THRESHOLD, PodGCController
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.clock import Clock, RealClock
from everynode.informers.shared import SharedInformers, wait_synced

log = logging.getLogger(__name__)
INTERVAL = 20.0  # upstream's gcCheckPeriod


class PodGCService:
    def __init__(
        self,
        client: RestClient,
        *,
        interval: float = INTERVAL,
        quarantine: float = QUARANTINE,
        terminated_threshold: int = TERMINATED_THRESHOLD,
        clock: Clock | None = None,
        informers: SharedInformers | None = None,
    ) -> None:
        if interval <= 0 or quarantine < 0:
            raise ValueError("interval must be positive and quarantine not negative")
        self.clock = clock or RealClock()
        self.interval = interval
        self.owns_informers = informers is None
        self.shared_informers = SharedInformers(client, clock=self.clock) if informers is None else informers
        self.pods = self.shared_informers.informer(r.PODS)
        self.nodes = self.shared_informers.informer(r.NODES)
        self.controller = PodGCController(
            RestPodGCApi(client),
            quarantine=quarantine,
            terminated_threshold=terminated_threshold,
            clock=self.clock,
        )
        self.synced = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled."""
        async with asyncio.TaskGroup() as group:
            if self.owns_informers:
                group.create_task(self.shared_informers.run(), name="podgc-informers")
            await wait_synced((self.pods, self.nodes))
            self.synced.set()
            log.info("pod GC: caches synced; a pass every %.1f s", self.interval)
            while True:
                try:
                    await self.controller.gc(self.pods.store.objects(), self.nodes.store.objects())
                except errors.ApiError as exc:
                    log.warning("pod GC: pass failed: %s", exc)
                await self.clock.sleep(self.interval)
