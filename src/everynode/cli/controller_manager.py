"""`everynode controller-manager`: the controllers, in one process, talking only to the API server.

With ``--leader-elect`` several copies may run; the one holding the ``kube-system/everynode-controller-
manager`` Lease acts and the others wait. A leader that cannot renew its Lease exits (status 1), as
kube-controller-manager does, so a supervisor restarts it as a candidate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from everynode.cli import component, eventloop
from everynode.client.rest import RestClient
from everynode.controllers.daemonset.service import DaemonSetService
from everynode.controllers.deployment.service import DeploymentService
from everynode.controllers.disruption.service import DisruptionService
from everynode.controllers.endpoints.service import EndpointsService
from everynode.controllers.garbagecollector.service import DEFAULT_WORKERS as GC_WORKERS
from everynode.controllers.garbagecollector.service import GarbageCollectorService
from everynode.controllers.nodelifecycle.controller import GRACE_PERIOD
from everynode.controllers.nodelifecycle.service import MONITOR_PERIOD, NodeLifecycleService
from everynode.controllers.podgc.controller import QUARANTINE, TERMINATED_THRESHOLD
from everynode.controllers.podgc.service import INTERVAL as POD_GC_INTERVAL
from everynode.controllers.podgc.service import PodGCService
from everynode.controllers.replicaset.service import ReplicaSetService
from everynode.controllers.serviceaccount.service import ServiceAccountService
from everynode.runtime.leaderelection import LeaderElectionConfig, LeaderElector, LeadershipLost
from everynode.runtime.manager import Manager
from everynode.scheduler.service import SchedulerService

log = logging.getLogger(__name__)
LEASE_NAME = "everynode-controller-manager"


# Builds a component on the process's manager: building only asks for informers, adds handlers and
# registers runnables, so every component is built before the manager runs.
Builder = Callable[[RestClient, argparse.Namespace, Manager], object]


def _daemonset(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return DaemonSetService(client, manager, workers=args.workers)


def _nodelifecycle(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return NodeLifecycleService(
        client, manager, grace_period=args.node_grace_period, monitor_period=args.node_monitor_period
    )


def _garbagecollector(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return GarbageCollectorService(client, manager, workers=args.concurrent_gc_syncs)


def _podgc(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return PodGCService(
        client,
        manager,
        interval=args.pod_gc_interval,
        quarantine=args.pod_gc_quarantine,
        terminated_threshold=args.terminated_pod_gc_threshold,
    )


def _scheduler(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return SchedulerService(client, manager)


def _serviceaccount(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return ServiceAccountService(client, manager)


def _disruption(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return DisruptionService(client, manager)


def _endpoints(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return EndpointsService(client, manager)


def _deployment(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return DeploymentService(client, manager, workers=args.workers)


def _replicaset(client: RestClient, args: argparse.Namespace, manager: Manager) -> object:
    return ReplicaSetService(client, manager, workers=args.workers)


CONTROLLERS: dict[str, Builder] = {
    "daemonset": _daemonset,
    "deployment": _deployment,
    "replicaset": _replicaset,
    "nodelifecycle": _nodelifecycle,
    "garbagecollector": _garbagecollector,
    "podgc": _podgc,
    "scheduler": _scheduler,
    "serviceaccount": _serviceaccount,
    "disruption": _disruption,
    "endpoints": _endpoints,
}


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("controller-manager", help="run the controllers (DaemonSet, …)")
    component.add_client_arguments(parser)
    parser.add_argument(
        "--controllers",
        default="*",
        help=f"comma-separated controllers to run, '*' for all ({', '.join(CONTROLLERS)})",
    )
    parser.add_argument("--leader-elect", action="store_true", help="act only while holding the Lease")
    parser.add_argument("--leader-elect-lease-duration", type=float, default=15.0, metavar="SECONDS")
    parser.add_argument("--leader-elect-renew-deadline", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--leader-elect-retry-period", type=float, default=2.0, metavar="SECONDS")
    parser.add_argument("--workers", type=int, default=2, help="concurrent syncs per controller")
    parser.add_argument(
        "--node-grace-period",
        type=float,
        default=GRACE_PERIOD,
        metavar="SECONDS",
        help="without a heartbeat this long a node becomes Unknown and is tainted unreachable",
    )
    parser.add_argument("--node-monitor-period", type=float, default=MONITOR_PERIOD, metavar="SECONDS")
    parser.add_argument(
        "--concurrent-gc-syncs", type=int, default=GC_WORKERS, help="garbage collector workers"
    )
    parser.add_argument("--pod-gc-interval", type=float, default=POD_GC_INTERVAL, metavar="SECONDS")
    parser.add_argument(
        "--pod-gc-quarantine",
        type=float,
        default=QUARANTINE,
        metavar="SECONDS",
        help="how long a missing node's pods are kept before pod GC deletes them",
    )
    parser.add_argument(
        "--terminated-pod-gc-threshold",
        type=int,
        default=TERMINATED_THRESHOLD,
        help="terminated pods kept before the oldest are deleted (0: never)",
    )
    parser.set_defaults(run=run)


def selected(spec: str) -> list[str]:
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if names == ["*"]:
        return list(CONTROLLERS)
    unknown = [name for name in names if name not in CONTROLLERS]
    if unknown or not names:
        raise ValueError(
            f"unknown controller(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(CONTROLLERS)}"
        )
    return names


def run(args: argparse.Namespace) -> int:
    if args.workers < 1 or args.concurrent_gc_syncs < 1:
        raise ValueError("--workers and --concurrent-gc-syncs must be at least 1")
    if min(args.node_grace_period, args.node_monitor_period, args.pod_gc_interval) <= 0:
        raise ValueError("--node-grace-period, --node-monitor-period and --pod-gc-interval must be positive")
    if args.pod_gc_quarantine < 0 or args.terminated_pod_gc_threshold < 0:
        raise ValueError("--pod-gc-quarantine and --terminated-pod-gc-threshold must not be negative")
    return run_components(
        args, selected(args.controllers), lease_name=LEASE_NAME, user_agent="everynode-controller-manager"
    )


def build_manager(
    client: RestClient, args: argparse.Namespace, names: list[str], *, elector: LeaderElector | None = None
) -> Manager:
    """The named components on one manager: one informer per (resource, namespace, selectors)
    serves them all, and under leader election nothing starts before the Lease is held."""
    manager = Manager(client, elector=elector)
    for name in names:
        CONTROLLERS[name](client, args, manager)
    return manager


def run_components(args: argparse.Namespace, names: list[str], *, lease_name: str, user_agent: str) -> int:
    """Run the named components in one process (under leader election with ``--leader-elect``)."""
    component.setup_logging(args.log_level)
    config = component.client_config(args, user_agent=user_agent)
    election = (
        LeaderElectionConfig(
            lease_name=lease_name,
            lease_duration=getattr(args, "leader_elect_lease_duration", 15.0),
            renew_deadline=getattr(args, "leader_elect_renew_deadline", 10.0),
            retry_period=getattr(args, "leader_elect_retry_period", 2.0),
        )
        if args.leader_elect
        else None
    )

    async def main() -> int:
        component.cancel_on_signals()
        async with RestClient(config) as client:
            elector = None if election is None else LeaderElector(client, election)
            try:
                await build_manager(client, args, names, elector=elector).run()
            except asyncio.CancelledError:
                return 0
            except LeadershipLost:
                return 1  # the elector has logged why
        return 0

    with contextlib.suppress(KeyboardInterrupt):
        return eventloop.run(main())
    return 0
