"""`everynode bench …`: benchmarks. Each prints a summary, then one JSON object as its last line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from everynode.bench.api import ApiBenchOptions, run_api_bench
from everynode.bench.cluster import ClusterBenchOptions
from everynode.bench.cluster import run as run_cluster_bench
from everynode.bench.cluster import summary as cluster_summary
from everynode.bench.controller import ControllerBenchOptions, run_controller_bench
from everynode.bench.stats import phase_line
from everynode.bench.storage import StorageBenchOptions
from everynode.bench.storage import run as run_storage_bench
from everynode.cli import eventloop
from everynode.spawn.apiserver import ApiServerProcess


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("bench", help="measure a part of everynode")
    kinds = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)

    storage = kinds.add_parser("storage", help="storage backend throughput and latency")
    target = storage.add_mutually_exclusive_group(required=True)
    target.add_argument("--storage", help="DSN: memory://, sqlite:///path/state.db, etcd://host:port")
    target.add_argument("--spawn-etcd", action="store_true", help="start a throw-away etcd and use it")
    storage.add_argument("--ops", type=_positive, default=10_000, help="operations per phase")
    storage.add_argument("--value-bytes", type=_positive, default=2048, help="size of each value")
    storage.add_argument("--concurrency", type=_positive, default=64, help="operations in flight")
    storage.set_defaults(run=_run_storage)

    api = kinds.add_parser("api", help="API server throughput and latency per verb")
    server = api.add_mutually_exclusive_group(required=True)
    server.add_argument("--server", help="URL of a running API server, e.g. http://127.0.0.1:6443")
    server.add_argument("--spawn", metavar="DSN", help="start a throw-away API server on this storage DSN")
    api.add_argument("--ops", type=_positive, default=2000, help="operations per phase")
    api.add_argument("--concurrency", type=_positive, default=32, help="requests in flight")
    api.set_defaults(run=_run_api)

    controller = kinds.add_parser("controller", help="the DaemonSet controller's CPU per sync and per node")
    controller.add_argument("--nodes", type=_positive, default=5000, help="nodes (and so pods)")
    controller.add_argument("--steady-syncs", type=_positive, default=5, help="no-op syncs to time")
    controller.set_defaults(run=_run_controller)

    cluster = kinds.add_parser(
        "cluster", help="a whole cluster (as `up` starts it): DaemonSet convergence, rollouts, steady state"
    )
    cluster.add_argument("--nodes", type=_positive, default=1000, help="simulated nodes (and so pods)")
    where = cluster.add_mutually_exclusive_group()
    where.add_argument("--storage", help="storage DSN (default: SQLite in a temporary directory)")
    where.add_argument("--spawn-etcd", action="store_true", help="start a throw-away etcd and use it")
    cluster.add_argument(
        "--out", default=".bench/cluster", help="directory for results.json, charts and logs"
    )
    cluster.add_argument(
        "--steady-seconds", type=_positive_float, default=60.0, help="length of the steady-state phase"
    )
    cluster.add_argument(
        "--lease-interval", type=_positive_float, default=10.0, help="seconds between a node's Lease renewals"
    )
    cluster.add_argument(
        "--timeout", type=_positive_float, default=600.0, help="seconds each phase may take to reach its goal"
    )
    cluster.add_argument(
        "--no-probe",
        dest="probe",
        action="store_false",
        help="start the components exactly as `up` does, without timing their API calls",
    )
    cluster.set_defaults(run=_run_cluster)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _run_storage(args: argparse.Namespace) -> int:
    options = StorageBenchOptions(
        dsn=args.storage or "",
        ops=args.ops,
        value_bytes=args.value_bytes,
        concurrency=args.concurrency,
        spawn_etcd=args.spawn_etcd,
    )
    result = run_storage_bench(options, eventloop.run)
    print(
        f"storage bench: {result['storage']}  ops={result['ops']}  value={result['value_bytes']} B  "
        f"concurrency={result['concurrency']}"
    )
    for name, figures in result["phases"].items():
        print(phase_line(name, figures))
    print(
        f"{'compaction (all history)':<26} {result['compaction_seconds']:.2f} s   longest loop stall "
        f"{result['loop_stall_max_ms_during_compaction']:.2f} ms (updates alone: "
        f"{result['loop_stall_max_ms_during_updates']:.2f} ms)"
    )
    print(orjson.dumps(result).decode())
    return 0


def _run_api(args: argparse.Namespace) -> int:
    server = None
    if args.spawn:
        server = ApiServerProcess(args.spawn).start()
    try:
        url = server.url if server is not None else args.server
        options = ApiBenchOptions(server=url, ops=args.ops, concurrency=args.concurrency)
        result = eventloop.run(run_api_bench(options))
    finally:
        if server is not None:
            server.stop()
    print(f"api bench: {result['server']}  ops={result['ops']}  concurrency={result['concurrency']}")
    for name, figures in result["phases"].items():
        print(phase_line(name, figures))
    print(
        f"{'watch delivery':<26} p50 {result['watch_delivery_p50_ms']:.2f} ms   "
        f"p99 {result['watch_delivery_p99_ms']:.2f} ms"
    )
    print(f"{'mutating (all verbs)':<26} p99 {result['mutating_p99_ms']:.2f} ms   (upstream SLO: <= 1000 ms)")
    print(orjson.dumps(result).decode())
    return 0


def _run_controller(args: argparse.Namespace) -> int:
    options = ControllerBenchOptions(nodes=args.nodes, steady_syncs=args.steady_syncs)
    result = eventloop.run(run_controller_bench(options))
    print(f"controller bench: {result['nodes']} nodes (in-memory API: the controller's CPU alone)")
    header = ("phase", "syncs", "CPU s", "ms/sync p50", "ms/sync max", "µs/node/sync")
    print(f"{header[0]:<10} {header[1]:>6} {header[2]:>8} {header[3]:>12} {header[4]:>12} {header[5]:>13}")
    for name, figures in result["phases"].items():
        print(
            f"{name:<10} {figures['syncs']:>6} {figures['cpu_seconds']:>8.3f} "
            f"{figures['cpu_ms_per_sync_median']:>12.2f} {figures['cpu_ms_per_sync_max']:>12.2f} "
            f"{figures['cpu_us_per_node_per_sync']:>13.2f}"
        )
    print(orjson.dumps(result).decode())
    return 0


def _run_cluster(args: argparse.Namespace) -> int:
    options = ClusterBenchOptions(
        nodes=args.nodes,
        storage=args.storage,
        spawn_etcd=args.spawn_etcd,
        out=Path(args.out),
        steady_seconds=args.steady_seconds,
        lease_interval=args.lease_interval,
        timeout=args.timeout,
        probe=args.probe,
    )
    result = run_cluster_bench(options, eventloop.run)
    print(cluster_summary(result))
    print(orjson.dumps(result).decode())
    return 0
