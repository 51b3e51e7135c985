"""`everynode node-agent`: one process running every simulated node (``everynode.io/simulated``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

from everynode.agents.nodeagent import NodeAgentService
from everynode.agents.stages import default_stages, load_stages
from everynode.cli import component, eventloop
from everynode.client.rest import RestClient
from everynode.runtime.manager import Manager


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("node-agent", help="run the simulated nodes (kubelets)")
    component.add_client_arguments(parser)
    parser.add_argument("--stages", default=None, help="YAML stage file (default: the built-in fast stages)")
    parser.add_argument(
        "--lease-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how often each node renews its Lease",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    component.setup_logging(args.log_level)
    if args.lease_interval <= 0:
        raise ValueError("--lease-interval must be positive")
    stages = load_stages(args.stages) if args.stages else default_stages()
    config = component.client_config(args, user_agent="everynode-node-agent")

    async def main() -> None:
        component.cancel_on_signals()
        async with RestClient(config) as client:
            manager = Manager(client)
            NodeAgentService(client, manager, stages=stages, lease_interval=args.lease_interval)
            with contextlib.suppress(asyncio.CancelledError):
                await manager.run()

    with contextlib.suppress(KeyboardInterrupt):
        eventloop.run(main())
    return 0
