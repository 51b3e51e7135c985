"""The node lifecycle controller wired to a live API server: two informers and the monitoring pass.

Informers on nodes and on the Leases of ``kube-node-lease`` feed the ``HealthTracker`` (when each node
last showed life); once both have listed, a pass runs every ``monitor_period`` seconds. Events
(``NodeNotReady``) are recorded as ``node-controller``, upstream's component name.
"""

from __future__ import annotations

from everynode.client.rest import RestClient
from everynode.controllers.nodelifecycle.api import RestNodeApi
from everynode.controllers.nodelifecycle.controller import (
    GRACE_PERIOD,
    STARTUP_GRACE_PERIOD,
    NodeLifecycleController,
)
from everynode.controllers.nodelifecycle.health import HealthTracker
from everynode.core import resources as r
from everynode.core import wellknown
from everynode.runtime.events import EventRecorder
from everynode.runtime.manager import Every, Manager

COMPONENT = "node-controller"
MONITOR_PERIOD = 5.0  # upstream's --node-monitor-period


class NodeLifecycleService:
    def __init__(
        self,
        client: RestClient,
        manager: Manager,
        *,
        grace_period: float = GRACE_PERIOD,
        monitor_period: float = MONITOR_PERIOD,
        startup_grace_period: float = STARTUP_GRACE_PERIOD,
    ) -> None:
        if grace_period <= 0 or monitor_period <= 0 or startup_grace_period <= 0:
            raise ValueError("grace_period, monitor_period and startup_grace_period must be positive")
        self.clock = manager.clock
        self.informers = {
            "nodes": manager.informers.informer(r.NODES),
            "leases": manager.informers.informer(r.LEASES, namespace=wellknown.KUBE_NODE_LEASE),
        }
        self.tracker = HealthTracker(self.clock)
        self.informers["nodes"].add_handlers(
            self.tracker.node_added, self.tracker.node_updated, self.tracker.node_deleted
        )
        self.informers["leases"].add_handlers(
            self.tracker.lease_added, self.tracker.lease_updated, self.tracker.lease_deleted
        )
        self.recorder = EventRecorder(client, COMPONENT, clock=self.clock)
        self.controller = NodeLifecycleController(
            RestNodeApi(client),
            self.recorder,
            self.informers["nodes"].store,
            self.tracker,
            clock=self.clock,
            grace_period=grace_period,
            startup_grace_period=startup_grace_period,
        )
        manager.add(
            Every("node-lifecycle", monitor_period, self.controller.monitor, self.clock),
            needs=self.informers.values(),
        )
        manager.on_stop(self.recorder.close)
