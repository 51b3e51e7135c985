"""The Deployment controller wired to a live API server: three informers, the queue, the workers.

The manager's shared informers (deployments, replicasets, pods) feed the caches and call the event
handlers; once all three have listed, ``workers`` workers reconcile keys from the queue.
"""

from __future__ import annotations

from everynode.client.rest import RestClient
from everynode.controllers.deployment.api import RestDeploymentApi
from everynode.controllers.deployment.caches import Caches
from everynode.controllers.deployment.controller import DeploymentController
from everynode.core import resources as r
from everynode.informers.store import OWNED_INDEXERS
from everynode.runtime.events import EventRecorder
from everynode.runtime.manager import Manager, Workers
from everynode.runtime.owners import OWNERS_INDEXERS

COMPONENT = "deployment-controller"


class DeploymentService:
    def __init__(self, client: RestClient, manager: Manager, *, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.clock = manager.clock
        shared = manager.informers
        self.informers = {
            "deployments": shared.informer(r.DEPLOYMENTS, indexers=OWNERS_INDEXERS),
            "replicasets": shared.informer(r.REPLICASETS, indexers=OWNED_INDEXERS),
            "pods": shared.informer(r.PODS, indexers=OWNED_INDEXERS),
        }
        caches = Caches(
            deployments=self.informers["deployments"].store,
            replicasets=self.informers["replicasets"].store,
            pods=self.informers["pods"].store,
        )
        self.recorder = EventRecorder(client, COMPONENT, clock=self.clock)
        self.controller = DeploymentController(
            RestDeploymentApi(client), self.recorder, caches, clock=self.clock
        )
        handlers = self.controller.handlers
        self.informers["deployments"].add_handlers(
            handlers.on_deployment_add, handlers.on_deployment_update, handlers.on_deployment_delete
        )
        self.informers["replicasets"].add_handlers(
            handlers.on_replicaset_add, handlers.on_replicaset_update, handlers.on_replicaset_delete
        )
        self.informers["pods"].add_handlers(on_delete=handlers.on_pod_delete)
        manager.add(
            Workers("deployment", self.controller.queue, self.controller.reconcile, workers),
            needs=self.informers.values(),
        )
        manager.on_stop(self.recorder.close)
