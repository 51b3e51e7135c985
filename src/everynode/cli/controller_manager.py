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
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from everynode.cli import aio, common
from everynode.client.rest import RestClient
from everynode.controllers.daemonset.service import DaemonSetService
from everynode.controllers.garbagecollector.service import GarbageCollectorService
from everynode.controllers.nodelifecycle.controller import GRACE_PERIOD
from everynode.controllers.nodelifecycle.service import NodeLifecycleService
from everynode.controllers.podgc.controller import QUARANTINE
from everynode.controllers.podgc.service import PodGCService
from everynode.informers.shared import SharedInformers
from everynode.runtime.leaderelection import LeaderElectionConfig, LeaderElector, LeadershipLost
from everynode.scheduler.service import SchedulerService

log = logging.getLogger(__name__)
LEASE_NAME = "everynode-controller-manager"


class Component(Protocol):
    async def run(self) -> None: ...


# Builds a component on the process's shared informers; building only asks for informers and adds
# handlers, so every component is built before the informers start.
Builder = Callable[[RestClient, argparse.Namespace, SharedInformers], Component]


def _daemonset(client: RestClient, args: argparse.Namespace, informers: SharedInformers) -> Component:
    return DaemonSetService(client, workers=args.workers, informers=informers)


def _nodelifecycle(client: RestClient, args: argparse.Namespace, informers: SharedInformers) -> Component:
    return NodeLifecycleService(
        client,
        grace_period=args.node_grace_period,
        monitor_period=args.node_monitor_period,
        informers=informers,
    )


def _garbagecollector(client: RestClient, args: argparse.Namespace, informers: SharedInformers) -> Component:
    return GarbageCollectorService(client, workers=args.concurrent_gc_syncs, informers=informers)


def _podgc(client: RestClient, args: argparse.Namespace, informers: SharedInformers) -> Component:
    return PodGCService(
        client,
        interval=args.pod_gc_interval,
        quarantine=args.pod_gc_quarantine,
        terminated_threshold=args.terminated_pod_gc_threshold,
        informers=informers,
    )


def _scheduler(client: RestClient, args: argparse.Namespace, informers: SharedInformers) -> Component:
    return SchedulerService(client, informers=informers)


CONTROLLERS: dict[str, Builder] = {
    "daemonset": _daemonset,
    "nodelifecycle": _nodelifecycle,
    "garbagecollector": _garbagecollector,
    "podgc": _podgc,
    "scheduler": _scheduler,
}


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("controller-manager", help="run the controllers (DaemonSet, …)")
    common.add_client_arguments(parser)
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
    parser.add_argument("--node-monitor-period", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument("--concurrent-gc-syncs", type=int, default=20, help="garbage collector workers")
    parser.add_argument("--pod-gc-interval", type=float, default=20.0, metavar="SECONDS")
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
        default=12500,
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


async def run_controllers(client: RestClient, args: argparse.Namespace, names: Sequence[str]) -> None:
    """Build the named components on one ``SharedInformers``, then run it and them until cancelled.

    One informer per (resource, namespace, selectors) serves every component, so each watch is opened
    and decoded once in the process. Under leader election this runs only while leading: informers
    start when leadership is acquired, and the process exits when it is lost.
    """
    informers = SharedInformers(client)
    components = {name: CONTROLLERS[name](client, args, informers) for name in names}
    log.info("starting controllers: %s (%d shared informers)", ", ".join(names), len(informers.informers()))
    async with asyncio.TaskGroup() as group:
        group.create_task(informers.run(), name="shared-informers")
        for name, component in components.items():
            group.create_task(component.run(), name=f"controller-{name}")


def run_components(args: argparse.Namespace, names: list[str], *, lease_name: str, user_agent: str) -> int:
    """Run the named components in one process (under leader election with ``--leader-elect``)."""
    common.setup_logging(args.log_level)
    config = common.client_config(args, user_agent=user_agent)
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
        common.cancel_on_signals()
        async with RestClient(config) as client:

            async def controllers() -> None:
                await run_controllers(client, args, names)

            try:
                if election is None:
                    await controllers()
                else:
                    await LeaderElector(client, election).run(controllers)
            except asyncio.CancelledError:
                return 0
            except LeadershipLost:
                return 1  # the elector has logged why
        return 0

    with contextlib.suppress(KeyboardInterrupt):
        return aio.run(main())
    return 0
