"""The node lifecycle controller wired to a live API server: two informers and the monitoring loop.

Informers on nodes and on the Leases of ``kube-node-lease`` feed the ``HealthTracker`` (when each node
last showed life); once both have listed, a pass runs every ``monitor_period`` seconds. Events
(``NodeNotReady``) are recorded as ``node-controller``, upstream's component name.

The informers come from ``informers`` (a ``SharedInformers`` other components use too, run by its
owner) or, without one, from a factory of the service's own that ``run`` runs.
"""

from __future__ import annotations

import asyncio
import logging

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
from everynode.core.clock import Clock, RealClock
from everynode.informers.shared import SharedInformers, wait_synced
from everynode.runtime.events import EventRecorder

log = logging.getLogger(__name__)
COMPONENT = "node-controller"


class NodeLifecycleService:
    def __init__(
        self,
        client: RestClient,
        *,
        grace_period: float = GRACE_PERIOD,
        monitor_period: float = 5.0,
        startup_grace_period: float = STARTUP_GRACE_PERIOD,
        clock: Clock | None = None,
        informers: SharedInformers | None = None,
    ) -> None:
        if grace_period <= 0 or monitor_period <= 0 or startup_grace_period <= 0:
            raise ValueError("grace_period, monitor_period and startup_grace_period must be positive")
        self.clock = clock or RealClock()
        self.monitor_period = monitor_period
        self.owns_informers = informers is None
        self.shared_informers = SharedInformers(client, clock=self.clock) if informers is None else informers
        self.informers = {
            "nodes": self.shared_informers.informer(r.NODES),
            "leases": self.shared_informers.informer(r.LEASES, namespace=wellknown.KUBE_NODE_LEASE),
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
        self.synced = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled."""
        try:
            async with asyncio.TaskGroup() as group:
                if self.owns_informers:
                    group.create_task(self.shared_informers.run(), name="nodelifecycle-informers")
                await wait_synced(self.informers.values())
                self.synced.set()
                log.info(
                    "node lifecycle controller: caches synced; monitoring every %s s", self.monitor_period
                )
                group.create_task(self.controller.run(self.monitor_period), name="nodelifecycle-monitor")
        finally:
            await self.recorder.close()
