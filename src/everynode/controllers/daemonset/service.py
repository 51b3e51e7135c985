"""The DaemonSet controller wired to a live API server: four informers, the queue, the workers.

Informers feed the caches and call the event handlers; once all four have listed, ``workers``
workers reconcile keys from the queue. Failed-pod backoff entries are collected every minute.
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
from everynode.informers.informer import Informer
from everynode.informers.store import IndexFunc, by_namespace
from everynode.runtime.controller import run_workers
from everynode.runtime.events import EventRecorder

log = logging.getLogger(__name__)
COMPONENT = "daemonset-controller"
BACKOFF_GC_INTERVAL = 60.0


class DaemonSetService:
    def __init__(self, client: RestClient, *, workers: int = 2, clock: Clock | None = None) -> None:
        self.clock = clock or RealClock()
        self.workers = workers
        owned: dict[str, IndexFunc] = {CANDIDATES: by_controller_or_orphan}
        self.informers = {
            "daemonsets": Informer(
                client.resource(r.DAEMONSETS), indexers={"namespace": by_namespace}, clock=self.clock
            ),
            "controllerrevisions": Informer(
                client.resource(r.CONTROLLER_REVISIONS), indexers=owned, clock=self.clock
            ),
            "pods": Informer(client.resource(r.PODS), indexers=owned, clock=self.clock),
            "nodes": Informer(client.resource(r.NODES), clock=self.clock),
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
                for name, informer in self.informers.items():
                    group.create_task(informer.run(), name=f"informer-{name}")
                await asyncio.gather(*(informer.synced.wait() for informer in self.informers.values()))
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
