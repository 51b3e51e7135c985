"""`everynode apiserver`: the API server process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from everynode.apiserver.app import serve
from everynode.apiserver.options import ApiServerOptions, ConnectionLimits
from everynode.apiserver.registry.servicenetwork import ServiceNetwork
from everynode.cli import component, eventloop


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("apiserver", help="run the Kubernetes-compatible API server")
    parser.add_argument("--storage", default=ApiServerOptions().storage, help="storage DSN")
    parser.add_argument(
        "--bind", default="127.0.0.1", help="loopback address to listen on (127.0.0.1, ::1, localhost)"
    )
    parser.add_argument("--port", type=int, default=6443, help="port to listen on")
    parser.add_argument(
        "--bookmark-interval", type=float, default=60.0, help="seconds between watch bookmarks"
    )
    parser.add_argument(
        "--compaction-interval", type=float, default=300.0, help="seconds of storage history to keep"
    )
    parser.add_argument(
        "--watch-cache-history",
        type=int,
        default=100_000,
        help="at most this many events per resource kept for resuming watches (those older than 75 s go)",
    )
    parser.add_argument(
        "--max-requests-inflight", type=int, default=400, help="read-only requests at once (0: no limit)"
    )
    parser.add_argument(
        "--max-mutating-requests-inflight", type=int, default=200, help="writes at once (0: no limit)"
    )
    limits = ConnectionLimits()
    for flag, default, what in (
        (
            "--request-timeout",
            limits.request_timeout,
            "a request body may take to arrive, and a response to be read",
        ),
        (
            "--request-header-timeout",
            limits.header_timeout,
            "a request's head may take to arrive (Go's ReadHeaderTimeout)",
        ),
        ("--idle-timeout", limits.idle_timeout, "a keep-alive connection may stay idle"),
    ):
        parser.add_argument(
            flag, type=float, default=default, help=f"seconds {what} (kube-apiserver's: {default:g})"
        )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=0,
        help="connections open at once (0: the open-file limit less a reserve)",
    )
    defaults = ApiServerOptions()
    parser.add_argument(
        "--service-cluster-ip-range",
        default=defaults.service_cluster_ip_range,
        help="CIDR Services' cluster IPs are assigned from",
    )
    parser.add_argument(
        "--service-node-port-range",
        default=defaults.service_node_port_range,
        help="ports (low-high) NodePort Services' node ports are assigned from",
    )
    component.add_log_level(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    component.setup_logging(args.log_level)
    for name in ("request_timeout", "request_header_timeout", "idle_timeout"):
        if getattr(args, name) <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive")
    if args.max_connections < 0:
        raise ValueError("--max-connections must be 0 (automatic) or more")
    try:
        ServiceNetwork(args.service_cluster_ip_range, args.service_node_port_range)
    except ValueError as exc:
        raise ValueError(f"--service-cluster-ip-range / --service-node-port-range: {exc}") from None
    options = ApiServerOptions(
        storage=args.storage,
        bind=args.bind,
        port=args.port,
        bookmark_interval=args.bookmark_interval,
        compaction_interval=args.compaction_interval,
        watch_cache_history=args.watch_cache_history,
        max_requests_inflight=args.max_requests_inflight,
        max_mutating_requests_inflight=args.max_mutating_requests_inflight,
        connections=ConnectionLimits(
            header_timeout=args.request_header_timeout,
            idle_timeout=args.idle_timeout,
            request_timeout=args.request_timeout,
            max_connections=args.max_connections,
        ),
        service_cluster_ip_range=args.service_cluster_ip_range,
        service_node_port_range=args.service_node_port_range,
    )
    eventloop.run(_until_signalled(options))
    return 0


async def _until_signalled(options: ApiServerOptions) -> None:
    """Serve until SIGTERM or SIGINT, then shut down cleanly (storage closed, watches ended)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serve(options)
