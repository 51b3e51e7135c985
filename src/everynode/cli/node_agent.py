"""`everynode node-agent`: one process running every simulated node (``everynode.io/simulated``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from everynode.agents.nodeagent import NodeAgentService
from everynode.agents.stages import default_stages, load_stages
from everynode.cli import aio
from everynode.client.config import load_kubeconfig
from everynode.client.rest import RestClient


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("node-agent", help="run the simulated nodes (kubelets)")
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server to use")
    parser.add_argument("--stages", default=None, help="YAML stage file (default: the built-in fast stages)")
    parser.add_argument(
        "--lease-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how often each node renews its Lease",
    )
    parser.add_argument("--qps", type=float, default=1000.0, help="API requests per second (sustained)")
    parser.add_argument("--burst", type=int, default=2000, help="API requests in a burst")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.lease_interval <= 0 or args.qps <= 0 or args.burst < 1:
        raise ValueError("--lease-interval and --qps must be positive and --burst at least 1")
    stages = load_stages(args.stages) if args.stages else default_stages()
    config = load_kubeconfig(
        args.kubeconfig, qps=args.qps, burst=args.burst, user_agent="everynode-node-agent"
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        async with RestClient(config) as client:
            with contextlib.suppress(asyncio.CancelledError):
                await NodeAgentService(client, stages=stages, lease_interval=args.lease_interval).run()

    with contextlib.suppress(KeyboardInterrupt):
        aio.run(main())
    return 0
