"""The garbage collector wired to a live API server: one informer per watched resource, two queues,
their workers.

Watched by default: DaemonSets, ControllerRevisions and pods (the owners and dependents the DaemonSet
machinery makes) and nodes (a pod or a Lease may name its Node as owner, as kubelets do). Events,
namespaces and leases are not watched: events are never garbage-collected (upstream ignores them too),
and watching leases would stream every node heartbeat through this process. An owner of a kind that
is served but not watched is still found absent, by polling it with backoff from its virtual node.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from everynode.client.rest import RestClient
from everynode.controllers.garbagecollector.api import RestGarbageCollectorApi
from everynode.controllers.garbagecollector.collector import GarbageCollector
from everynode.core import resources as r
from everynode.core.clock import Clock, RealClock
from everynode.informers.informer import Informer
from everynode.runtime.controller import run_workers

log = logging.getLogger(__name__)

WATCHED: tuple[r.ResourceInfo, ...] = (r.DAEMONSETS, r.CONTROLLER_REVISIONS, r.PODS, r.NODES)
DEFAULT_WORKERS = 20  # upstream's --concurrent-gc-syncs


class GarbageCollectorService:
    def __init__(
        self,
        client: RestClient,
        *,
        workers: int = DEFAULT_WORKERS,
        clock: Clock | None = None,
        resources: Sequence[r.ResourceInfo] = WATCHED,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.clock = clock or RealClock()
        self.workers = workers
        self.collector = GarbageCollector(RestGarbageCollectorApi(client), clock=self.clock)
        self.informers: dict[str, Informer] = {}
        for info in resources:
            informer = Informer(client.resource(info), clock=self.clock)
            informer.add_handlers(*self.collector.handlers(info))
            self.informers[info.resource] = informer
        self.synced = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled. Workers start once every informer has listed (``synced``)."""
        collector = self.collector
        try:
            async with asyncio.TaskGroup() as group:
                for name, informer in self.informers.items():
                    group.create_task(informer.run(), name=f"gc-informer-{name}")
                await asyncio.gather(*(informer.synced.wait() for informer in self.informers.values()))
                self.synced.set()
                log.info(
                    "garbage collector: %d objects in the graph; starting %d workers",
                    len(collector.graph),
                    self.workers,
                )
                group.create_task(
                    run_workers(
                        collector.delete_queue, collector.attempt_to_delete, self.workers, name="gc-delete"
                    ),
                    name="gc-delete-workers",
                )
                group.create_task(
                    run_workers(
                        collector.orphan_queue, collector.attempt_to_orphan, self.workers, name="gc-orphan"
                    ),
                    name="gc-orphan-workers",
                )
        finally:
            await collector.close()
