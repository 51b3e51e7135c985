"""The ReplicaSet controller wired to a live API server: two informers, the queue, the workers.

The manager's shared informers list and watch ReplicaSets and pods (all namespaces) into the
caches and call the event handlers; once both have listed, ``workers`` workers reconcile keys from
the queue (upstream's ``--concurrent-replicaset-syncs``, default 5). Events are recorded as
``replicaset-controller``.
"""

from __future__ import annotations

from everynode.client.rest import RestClient
from everynode.controllers.replicaset.api import RestReplicaSetApi
from everynode.controllers.replicaset.caches import INDEXERS, Caches
from everynode.controllers.replicaset.controller import ReplicaSetController
from everynode.controllers.replicaset.manage import BURST_REPLICAS
from everynode.core import resources as r
from everynode.runtime.events import EventRecorder
from everynode.runtime.manager import Manager, Workers

COMPONENT = "replicaset-controller"
WORKERS = 5  # upstream's --concurrent-replicaset-syncs


class ReplicaSetService:
    def __init__(
        self,
        client: RestClient,
        manager: Manager,
        *,
        workers: int = WORKERS,
        burst_replicas: int = BURST_REPLICAS,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.clock = manager.clock
        shared = manager.informers
        self.informers = {
            "replicasets": shared.informer(r.REPLICASETS, indexers=INDEXERS),
            "pods": shared.informer(r.PODS, indexers=INDEXERS),
        }
        caches = Caches(replicasets=self.informers["replicasets"].store, pods=self.informers["pods"].store)
        self.recorder = EventRecorder(client, COMPONENT, clock=self.clock)
        self.controller = ReplicaSetController(
            RestReplicaSetApi(client), self.recorder, caches, clock=self.clock, burst_replicas=burst_replicas
        )
        handlers = self.controller.handlers
        self.informers["replicasets"].add_handlers(
            handlers.on_replicaset_add, handlers.on_replicaset_update, handlers.on_replicaset_delete
        )
        self.informers["pods"].add_handlers(
            handlers.on_pod_add, handlers.on_pod_update, handlers.on_pod_delete
        )
        manager.add(
            Workers("replicaset", self.controller.queue, self.controller.reconcile, workers),
            needs=self.informers.values(),
        )
        manager.on_stop(self.recorder.close)
