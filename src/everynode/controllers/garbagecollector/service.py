"""The garbage collector wired to a live API server: one informer per watched resource, two queues,
their workers.

Watched by default: DaemonSets, ControllerRevisions and pods (the owners and dependents the DaemonSet
machinery makes) and nodes (a pod or a Lease may name its Node as owner, as kubelets do). Events,
namespaces and leases are not watched: events are never garbage-collected (upstream ignores them too),
and watching leases would stream every node heartbeat through this process. An owner of a kind that
is served but not watched is still found absent, by polling it with backoff from its virtual node.

The informers come from ``informers`` (a ``SharedInformers`` other components use too, run by its
owner) or, without one, from a factory of the service's own that ``run`` runs.
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
from everynode.informers.shared import SharedInformers, wait_synced
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
        informers: SharedInformers | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.clock = clock or RealClock()
        self.workers = workers
        self.collector = GarbageCollector(RestGarbageCollectorApi(client), clock=self.clock)
        self.owns_informers = informers is None
        self.shared_informers = SharedInformers(client, clock=self.clock) if informers is None else informers
        self.informers: dict[str, Informer] = {}
        for info in resources:
            informer = self.shared_informers.informer(info)
            informer.add_handlers(*self.collector.handlers(info))
            self.informers[info.resource] = informer
        self.synced = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled. Workers start once every informer has listed (``synced``)."""
        collector = self.collector
        try:
            async with asyncio.TaskGroup() as group:
                if self.owns_informers:
                    group.create_task(self.shared_informers.run(), name="gc-informers")
                await wait_synced(self.informers.values())
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
