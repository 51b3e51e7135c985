"""`everynode up`: the embedded cluster.

Until the API server exists (issue 3) there is no cluster to start: this opens (or creates) the
cluster's SQLite store under ``--data-dir`` to show that it works, and says plainly that the rest
is not there yet.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from everynode.cli import aio
from everynode.storage import StorageError, open_backend


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("up", help="start the embedded cluster")
    parser.add_argument("--data-dir", default="./.everynode", help="where the cluster keeps its state")
    parser.add_argument("--storage", default=None, help="storage DSN (default: sqlite in --data-dir)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    dsn = args.storage or f"sqlite:///{os.path.abspath(os.path.join(args.data_dir, 'state.db'))}"
    try:
        revision = aio.run(_probe(dsn))
    except StorageError as exc:
        print(f"everynode up: storage {dsn}: {exc}", file=sys.stderr)
        return 1
    print(f"storage: {dsn} is ready (revision {revision})")
    print(
        "everynode up: the cluster is not there yet: the API server, controllers and node agent "
        "are still being built. Try `everynode bench storage --storage memory://` meanwhile.",
        file=sys.stderr,
    )
    return 1


async def _probe(dsn: str) -> int:
    backend = open_backend(dsn)
    await backend.start()
    try:
        return await backend.current_revision()
    finally:
        await backend.close()
