"""The garbage collector wired to a live API server: one informer per watched resource, two queues,
their workers.

Watched by default: DaemonSets, ControllerRevisions and pods (the owners and dependents the DaemonSet
machinery makes) and nodes (a pod or a Lease may name its Node as owner, as kubelets do). Events,
namespaces and leases are not watched: events are never garbage-collected (upstream ignores them too),
and watching leases would stream every node heartbeat through this process. An owner of a kind that
is served but not watched is still found absent, by polling it with backoff from its virtual node.
"""

from __future__ import annotations

from collections.abc import Sequence

from everynode.client.rest import RestClient
from everynode.controllers.garbagecollector.api import RestGarbageCollectorApi
from everynode.controllers.garbagecollector.collector import GarbageCollector
from everynode.core import resources as r
from everynode.informers.informer import Informer
from everynode.runtime.manager import Manager, Workers

WATCHED: tuple[r.ResourceInfo, ...] = (
    r.DAEMONSETS,
    r.CONTROLLER_REVISIONS,
    r.DEPLOYMENTS,
    r.REPLICASETS,
    r.PODS,
    r.NODES,
)
DEFAULT_WORKERS = 20  # upstream's --concurrent-gc-syncs


class GarbageCollectorService:
    def __init__(
        self,
        client: RestClient,
        manager: Manager,
        *,
        workers: int = DEFAULT_WORKERS,
        resources: Sequence[r.ResourceInfo] = WATCHED,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.collector = collector = GarbageCollector(RestGarbageCollectorApi(client), clock=manager.clock)
        self.informers: dict[str, Informer] = {}
        for info in resources:
            informer = manager.informers.informer(info)
            informer.add_handlers(*collector.handlers(info))
            self.informers[info.resource] = informer
        needs = self.informers.values()
        manager.add(
            Workers("gc-delete", collector.delete_queue, collector.attempt_to_delete, workers), needs=needs
        )
        manager.add(
            Workers("gc-orphan", collector.orphan_queue, collector.attempt_to_orphan, workers), needs=needs
        )
        manager.on_stop(collector.close)
