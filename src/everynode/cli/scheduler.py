"""`everynode scheduler`: the scheduler alone (the controller-manager runs one by default)."""

from __future__ import annotations

import argparse
from typing import Any

from everynode.cli import component, controller_manager


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("scheduler", help="run the scheduler on its own")
    component.add_client_arguments(parser)
    parser.add_argument("--leader-elect", action="store_true", help="act only while holding the Lease")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return controller_manager.run_components(
        args, ["scheduler"], lease_name="everynode-scheduler", user_agent="everynode-scheduler"
    )
