"""`everynode bench …`: benchmarks. Each prints a summary, then one JSON object as its last line."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from everynode.bench.stats import phase_line
from everynode.bench.storage import StorageBenchOptions
from everynode.bench.storage import run as run_storage_bench
from everynode.cli import aio


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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
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
    result = run_storage_bench(options, aio.run)
    print(
        f"storage bench: {result['storage']}  ops={result['ops']}  value={result['value_bytes']} B  "
        f"concurrency={result['concurrency']}"
    )
    for name, figures in result["phases"].items():
        print(phase_line(name, figures))
    print(f"{'compaction (all history)':<26} {result['compaction_seconds']:.2f} s")
    print(orjson.dumps(result).decode())
    return 0
