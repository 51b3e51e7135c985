"""The DaemonSet controller wired to a live API server: four informers, the queue, the workers.

Informers feed the caches and call the event handlers; once all four have listed, ``workers``
workers reconcile keys from the queue. Failed-pod backoff entries are collected every minute.

The informers come from ``informers`` (a ``SharedInformers`` other components use too, run by its
owner) or, without one, from a factory of the service's own that ``run`` runs.
"""

from __future__ import annotations

import asyncio
import logging

from everynode.client.rest import RestClient
from everynode.controllers.daemonset.api import RestDaemonSetApi
from everynode.controllers.daemonset.caches import CANDIDATES, Caches, by_controller_or_orphan
from everynode.controllers.daemonset.controller import DaemonSetController
from everynode.core import resources as r
from everynode.core.clock import Clock, RealClock
from everynode.informers.shared import SharedInformers, wait_synced
from everynode.informers.store import IndexFunc, by_namespace
from everynode.runtime.controller import run_workers
from everynode.runtime.events import EventRecorder

log = logging.getLogger(__name__)
COMPONENT = "daemonset-controller"
BACKOFF_GC_INTERVAL = 60.0


class DaemonSetService:
    def __init__(
        self,
        client: RestClient,
        *,
        workers: int = 2,
        clock: Clock | None = None,
        informers: SharedInformers | None = None,
    ) -> None:
        self.clock = clock or RealClock()
        self.workers = workers
        self.owns_informers = informers is None
        self.shared_informers = SharedInformers(client, clock=self.clock) if informers is None else informers
        shared = self.shared_informers
        owned: dict[str, IndexFunc] = {CANDIDATES: by_controller_or_orphan}
        self.informers = {
            "daemonsets": shared.informer(r.DAEMONSETS, indexers={"namespace": by_namespace}),
            "controllerrevisions": shared.informer(r.CONTROLLER_REVISIONS, indexers=owned),
            "pods": shared.informer(r.PODS, indexers=owned),
            "nodes": shared.informer(r.NODES),
        }
        caches = Caches(
            daemonsets=self.informers["daemonsets"].store,
            pods=self.informers["pods"].store,
            nodes=self.informers["nodes"].store,
            revisions=self.informers["controllerrevisions"].store,
        )
        self.recorder = EventRecorder(client, COMPONENT, clock=self.clock)
        self.controller = DaemonSetController(
            RestDaemonSetApi(client), self.recorder, caches, clock=self.clock
        )
        handlers = self.controller.handlers
        self.informers["daemonsets"].add_handlers(
            handlers.on_daemonset_add, handlers.on_daemonset_update, handlers.on_daemonset_delete
        )
        self.informers["controllerrevisions"].add_handlers(
            handlers.on_revision_add, handlers.on_revision_update, handlers.on_revision_delete
        )
        self.informers["pods"].add_handlers(
            handlers.on_pod_add, handlers.on_pod_update, handlers.on_pod_delete
        )
        self.informers["nodes"].add_handlers(
            handlers.on_node_add, handlers.on_node_update, self.controller.forget_node
        )
        self.synced = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled."""
        try:
            async with asyncio.TaskGroup() as group:
                if self.owns_informers:
                    group.create_task(self.shared_informers.run(), name="daemonset-informers")
                await wait_synced(self.informers.values())
                self.synced.set()
                log.info("daemonset controller: caches synced; starting %d workers", self.workers)
                group.create_task(self._collect_backoff(), name="backoff-gc")
                group.create_task(
                    run_workers(self.controller.queue, self.controller.sync, self.workers, name="daemonset"),
                    name="daemonset-workers",
                )
        finally:
            await self.recorder.close()

    async def _collect_backoff(self) -> None:
        while True:
            await self.clock.sleep(BACKOFF_GC_INTERVAL)
            self.controller.backoff.gc()
