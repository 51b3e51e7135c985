"""The floor: raw creates timed on the same kind of storage as the cluster's."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from everynode.bench.cluster.common import FLOOR_CONCURRENCY, Runner
from everynode.bench.cluster.phases import ClusterBench
from everynode.bench.stats import timed_concurrently
from everynode.bench.storage import make_value
from everynode.storage import open_backend


async def measure_floor(dsn: str, writes: int, value_bytes: int, *, cleanup: bool) -> dict[str, Any]:
    """``writes`` raw creates of ``value_bytes`` each through the storage contract, 64 in flight."""
    backend = open_backend(dsn)
    await backend.start()
    prefix = f"/bench-floor-{uuid.uuid4().hex[:8]}/"
    value = make_value(value_bytes, 0)
    try:
        result = await timed_concurrently(
            "floor", writes, FLOOR_CONCURRENCY, lambda i: backend.create(f"{prefix}{i:07d}", value)
        )
        if cleanup:
            limit = asyncio.Semaphore(FLOOR_CONCURRENCY)

            async def delete(i: int) -> None:
                async with limit:
                    await backend.delete(f"{prefix}{i:07d}")

            await asyncio.gather(*(delete(i) for i in range(writes)))
    finally:
        await backend.close()
    return {
        "writes": writes,
        "value_bytes": value_bytes,
        "concurrency": FLOOR_CONCURRENCY,
        "seconds": round(result.seconds, 3),
        "per_second": round(result.rate, 1),
        "p99_ms": result.figures()["p99_ms"],
    }


def floor_dsn(storage: str) -> tuple[str, list[Path], bool]:
    """Where to time the floor: (DSN, files to remove afterwards, whether to delete the keys)."""
    parts = urlsplit(storage)
    if parts.scheme == "sqlite":
        path = Path(parts.netloc + parts.path)
        floor = path.parent / f"floor-{uuid.uuid4().hex[:8]}.db"
        dsn = f"sqlite://{floor.resolve()}" + (f"?{parts.query}" if parts.query else "")
        return dsn, [floor, Path(f"{floor}-wal"), Path(f"{floor}-shm")], False
    if parts.scheme == "etcd":
        return storage, [], True
    return storage, [], False


def public_dsn(storage: str) -> str:
    return storage.split("?", 1)[0]


def _floor(bench: ClusterBench, storage: str, runner: Runner, *, spawned: bool) -> dict[str, Any]:
    """As many raw writes as the storage took during convergence, on the same kind of storage."""
    convergence = next(record for record in bench.records if record.name == "convergence")
    counted = convergence.storage_writes(storage)
    writes = max(1, sum(convergence.writes.values()) if counted is None else counted)
    dsn, leftovers, cleanup = floor_dsn(storage)
    try:
        floor: dict[str, Any] = runner(
            measure_floor(dsn, writes, bench.observer.pod_bytes or 2048, cleanup=cleanup and not spawned)
        )
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)
    floor["storage"] = public_dsn(dsn)
    return floor
