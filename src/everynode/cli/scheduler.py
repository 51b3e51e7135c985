"""`everynode scheduler`: the scheduler alone (the controller-manager runs one by default)."""

from __future__ import annotations

import argparse
from typing import Any

from everynode.cli import controller_manager


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("scheduler", help="run the scheduler on its own")
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server to use")
    parser.add_argument("--leader-elect", action="store_true", help="act only while holding the Lease")
    parser.add_argument("--qps", type=float, default=1000.0, help="API requests per second (sustained)")
    parser.add_argument("--burst", type=int, default=2000, help="API requests in a burst")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return controller_manager.run_components(
        args, ["scheduler"], lease_name="everynode-scheduler", user_agent="everynode-scheduler"
    )
