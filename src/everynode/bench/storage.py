"""`everynode bench storage`: throughput and latency of one storage backend through its contract.

Phases, all on a fresh key prefix: creates (with a live watcher counting the events as they
arrive), compare-and-swap updates, point reads, a paged list of everything, a watch replay of the
whole history, and a compaction of that history while writers keep updating (the figure that
matters there is the writers' worst latency).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import orjson

from everynode.bench.stats import PhaseResult, percentile, timed_concurrently
from everynode.spawn.etcd import EtcdProcess
from everynode.storage import Backend, open_backend

Runner = Callable[[Coroutine[Any, Any, dict[str, Any]]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class StorageBenchOptions:
    dsn: str
    ops: int = 10_000
    value_bytes: int = 2048
    concurrency: int = 64
    spawn_etcd: bool = False


def make_value(size: int, seed: int) -> bytes:
    """A JSON object of about ``size`` bytes (a stand-in for a Kubernetes object)."""
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"pod-{seed}"}, "pad": ""}
    base = len(orjson.dumps(body))
    body["pad"] = "x" * max(0, size - base)
    return orjson.dumps(body)


async def _count_events(backend: Backend, prefix: str, after: int, expected: int) -> float:
    """Consume a watch until ``expected`` events arrived; the monotonic time of the last one."""
    seen = 0
    async with backend.watch(prefix, after_revision=after) as watch:
        async for _event in watch:
            seen += 1
            if seen >= expected:
                break
    return time.perf_counter()


async def run_storage_bench(options: StorageBenchOptions) -> dict[str, Any]:
    backend = open_backend(options.dsn)
    await backend.start()
    try:
        return await _phases(backend, options)
    finally:
        await backend.close()


async def _phases(backend: Backend, options: StorageBenchOptions) -> dict[str, Any]:
    n, conc = options.ops, options.concurrency
    prefix = f"/bench/{uuid.uuid4().hex[:8]}/"
    keys = [f"{prefix}pod-{i:07d}" for i in range(n)]
    values = [make_value(options.value_bytes, i) for i in range(min(n, 64))]
    revisions = [0] * n
    phases: list[PhaseResult] = []
    start_revision = await backend.current_revision()

    live = asyncio.create_task(_count_events(backend, prefix, start_revision, n))

    async def create(i: int) -> None:
        revisions[i] = (await backend.create(keys[i], values[i % len(values)])).mod_revision

    creates = await timed_concurrently("create", n, conc, create)
    phases.append(creates)
    last_live_event = await asyncio.wait_for(live, timeout=300)
    phases.append(PhaseResult("watch live", n, last_live_event - creates.started_at, [], creates.started_at))

    async def update(i: int) -> None:
        revisions[i] = (
            await backend.update(keys[i], values[(i + 1) % len(values)], expected_revision=revisions[i])
        ).mod_revision

    async with LoopStall() as update_stall:
        phases.append(await timed_concurrently("update (CAS)", n, conc, update))

    order = list(range(n))
    random.Random(1).shuffle(order)

    async def read(i: int) -> None:
        await backend.get(keys[order[i]])

    phases.append(await timed_concurrently("get", n, conc, read))

    started = time.perf_counter()
    listed, token, pages = 0, None, 0
    while True:
        page = await backend.list(prefix, limit=500, continue_token=token)
        listed, token, pages = listed + len(page.items), page.continue_token, pages + 1
        if token is None:
            break
    phases.append(PhaseResult("list (500/page)", listed, time.perf_counter() - started, [], started))

    started = time.perf_counter()
    await asyncio.wait_for(_count_events(backend, prefix, start_revision, 2 * n), timeout=300)
    phases.append(PhaseResult("watch replay", 2 * n, time.perf_counter() - started, [], started))

    compaction = await _compaction_under_load(backend, keys, revisions, values, conc)
    phases.append(compaction["writes"])

    by_name = {p.name: p for p in phases}
    write_latencies = creates.latencies + by_name["update (CAS)"].latencies
    return {
        "storage": options.dsn.split("?")[0],
        "ops": n,
        "value_bytes": options.value_bytes,
        "concurrency": conc,
        "writes_per_s": round(creates.rate, 1),
        "updates_per_s": round(by_name["update (CAS)"].rate, 1),
        "reads_per_s": round(by_name["get"].rate, 1),
        "watch_events_per_s": round(by_name["watch replay"].rate, 1),
        "watch_live_events_per_s": round(by_name["watch live"].rate, 1),
        "watch_live_lag_ms": round(max(0.0, last_live_event - creates.ended_at) * 1000, 2),
        "list_keys_per_s": round(by_name["list (500/page)"].rate, 1),
        "write_p50_ms": round(percentile(write_latencies, 50) * 1000, 3),
        "write_p99_ms": round(percentile(write_latencies, 99) * 1000, 3),
        "read_p50_ms": by_name["get"].figures()["p50_ms"],
        "read_p99_ms": by_name["get"].figures()["p99_ms"],
        "compaction_seconds": round(compaction["seconds"], 3),
        "loop_stall_max_ms_during_updates": round(update_stall.longest * 1000, 2),
        "loop_stall_max_ms_during_compaction": round(compaction["loop_stall"] * 1000, 2),
        "write_max_ms_during_compaction": compaction["writes"].figures()["max_ms"],
        "phases": {p.name: p.figures() for p in phases},
    }


async def _compaction_under_load(
    backend: Backend, keys: list[str], revisions: list[int], values: list[bytes], conc: int
) -> dict[str, Any]:
    """Compact all history so far while ``conc`` writers keep updating; time both."""
    target = await backend.current_revision()
    latencies: list[float] = []
    done = asyncio.Event()
    count = 0

    async def writer(slot: int) -> None:
        nonlocal count
        i = slot
        while not done.is_set():
            started = time.perf_counter()
            revisions[i] = (
                await backend.update(keys[i], values[i % len(values)], expected_revision=revisions[i])
            ).mod_revision
            latencies.append(time.perf_counter() - started)
            count += 1
            i = i + conc if i + conc < len(keys) else slot

    started = time.perf_counter()
    async with LoopStall() as stall, asyncio.TaskGroup() as group:
        for slot in range(min(conc, len(keys))):
            group.create_task(writer(slot))
        await backend.compact(target)
        seconds = time.perf_counter() - started
        done.set()
    return {
        "seconds": seconds,
        "loop_stall": stall.longest,
        "writes": PhaseResult(
            "writes during compaction", count, time.perf_counter() - started, latencies, started
        ),
    }


class LoopStall:
    """The longest the event loop went without coming back to a task that only yields: the longest
    any callback held the loop (a group commit, a compaction step, a read) while the block ran."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0)
            self.longest = max(self.longest, time.perf_counter() - before)

    async def __aenter__(self) -> LoopStall:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def run(options: StorageBenchOptions, runner: Runner = asyncio.run) -> dict[str, Any]:
    """Run the bench (starting a throw-away etcd first when asked) on ``runner``'s event loop."""
    etcd = EtcdProcess().start() if options.spawn_etcd else None
    try:
        if etcd is not None:
            options = StorageBenchOptions(
                dsn=etcd.dsn,
                ops=options.ops,
                value_bytes=options.value_bytes,
                concurrency=options.concurrency,
            )
        result = runner(run_storage_bench(options))
    finally:
        if etcd is not None:
            etcd.stop()
    return result
