"""The DaemonSet controller wired to a live API server: four informers, the queue, the workers.

Informers (the manager's shared ones) feed the caches and call the event handlers; once all four
have listed, ``workers`` workers reconcile keys from the queue. Failed-pod backoff entries are
collected every minute.
"""

from __future__ import annotations

import logging

from everynode.client.rest import RestClient
from everynode.controllers.daemonset.api import RestDaemonSetApi
from everynode.controllers.daemonset.caches import Caches
from everynode.controllers.daemonset.controller import DaemonSetController
from everynode.core import resources as r
from everynode.informers.store import OWNED_INDEXERS
from everynode.runtime.events import EventRecorder
from everynode.runtime.manager import Every, Manager, Workers
from everynode.runtime.owners import OWNERS_INDEXERS

log = logging.getLogger(__name__)
COMPONENT = "daemonset-controller"
BACKOFF_GC_INTERVAL = 60.0


class DaemonSetService:
    def __init__(self, client: RestClient, manager: Manager, *, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.clock = manager.clock
        shared = manager.informers
        self.informers = {
            "daemonsets": shared.informer(r.DAEMONSETS, indexers=OWNERS_INDEXERS),
            "controllerrevisions": shared.informer(r.CONTROLLER_REVISIONS, indexers=OWNED_INDEXERS),
            "pods": shared.informer(r.PODS, indexers=OWNED_INDEXERS),
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
        needs = self.informers.values()
        manager.add(
            Workers("daemonset", self.controller.queue, self.controller.reconcile, workers), needs=needs
        )
        manager.add(Every("daemonset-backoff-gc", BACKOFF_GC_INTERVAL, self._collect_backoff, self.clock))
        manager.on_stop(self.recorder.close)

    async def _collect_backoff(self) -> None:
        self.controller.backoff.gc()
