"""Latency recording and summary figures shared by the benchmarks."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """``ops`` operations done in ``seconds`` of wall time, with their latencies in seconds."""

    name: str
    ops: int
    seconds: float
    latencies: list[float]
    started_at: float = 0.0  # time.perf_counter() at the start

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else 0.0

    def figures(self) -> dict[str, float]:
        return {
            "ops": self.ops,
            "seconds": round(self.seconds, 4),
            "per_second": round(self.rate, 1),
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 3),
            "p99_ms": round(percentile(self.latencies, 99) * 1000, 3),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 3),
        }

    @property
    def ended_at(self) -> float:
        return self.started_at + self.seconds


def phase_line(name: str, figures: dict[str, float]) -> str:
    """One human-readable line for a phase's figures."""
    line = f"{name:<26} {figures['per_second']:>10,.0f}/s"
    if figures.get("max_ms"):
        line += (
            f"   p50 {figures['p50_ms']:7.2f} ms   p99 {figures['p99_ms']:7.2f} ms"
            f"   max {figures['max_ms']:7.2f} ms"
        )
    return line + f"   ({figures['ops']:.0f} in {figures['seconds']:.2f} s)"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


async def timed_concurrently(
    name: str, count: int, concurrency: int, op: Callable[[int], Awaitable[object]]
) -> PhaseResult:
    """Run ``op(0) … op(count-1)`` with ``concurrency`` workers, timing each call."""
    latencies: list[float] = [0.0] * count
    indexes = iter(range(count))

    async def worker() -> None:
        for index in indexes:
            started = time.perf_counter()
            await op(index)
            latencies[index] = time.perf_counter() - started

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, min(concurrency, count))):
            group.create_task(worker())
    return PhaseResult(name, count, time.perf_counter() - started, latencies, started)
