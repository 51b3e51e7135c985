"""What every long-running component command shares: client flags, logging, stopping on a signal."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from everynode.client.config import ClientConfig, load_kubeconfig


def add_client_arguments(parser: Any) -> None:
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server to use")
    parser.add_argument("--qps", type=float, default=1000.0, help="API requests per second (sustained)")
    parser.add_argument("--burst", type=int, default=2000, help="API requests in a burst")
    add_log_level(parser)


def add_log_level(parser: Any) -> None:
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def client_config(args: argparse.Namespace, *, user_agent: str) -> ClientConfig:
    """The kubeconfig's server with the command's ``--qps``/``--burst``; ValueError on bad values."""
    if args.qps <= 0 or args.burst < 1:
        raise ValueError("--qps must be positive and --burst at least 1")
    return load_kubeconfig(args.kubeconfig, qps=args.qps, burst=args.burst, user_agent=user_agent)


def cancel_on_signals() -> None:
    """SIGTERM and SIGINT cancel the running task (the command's main coroutine), which then stops."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
