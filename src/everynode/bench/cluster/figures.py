"""Figures for results.json: per-phase, API latency, CPU and write counts, and their assembly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from everynode.bench.cluster.common import MINIMUM_POD_WRITES, PHASES, SERIES_POINTS, ClusterBenchOptions
from everynode.bench.cluster.floor import public_dsn
from everynode.bench.cluster.phases import ClusterBench, PhaseRecord
from everynode.bench.probe import Call
from everynode.bench.procstat import ProcSample
from everynode.bench.stats import percentile

# -- figures ---------------------------------------------------------------------------------------


def latency_figures(calls: list[Call]) -> dict[str, Any]:
    seconds = [call.seconds for call in calls]
    return {
        "count": len(calls),
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds, default=0.0) * 1000, 2),
        "errors": sum(1 for call in calls if call.outcome != "ok"),
        "throttled_seconds": round(sum(call.throttled for call in calls), 3),
    }


def by_key(calls: list[Call], key: Callable[[Call], str]) -> dict[str, Any]:
    groups: dict[str, list[Call]] = {}
    for call in calls:
        groups.setdefault(key(call), []).append(call)
    return {name: latency_figures(group) for name, group in sorted(groups.items())}


def pod_write_figures(writes: Counter[str], pods: int) -> dict[str, Any]:
    kinds = ("create", "bind", "status", "delete", "remove", "other")
    per_kind = {kind: writes.get(f"pods.{kind}", 0) for kind in kinds}
    total = sum(per_kind.values())
    return {
        "pod_writes": total,
        "pod_writes_by_kind": per_kind,
        "pod_writes_per_pod": round(total / pods, 3) if pods else 0.0,
    }


def cpu_figures(record: PhaseRecord) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, (before, after) in record.cpu.items():
        if before is None or after is None:
            continue
        used = after.cpu_seconds - before.cpu_seconds
        figures[name] = {
            "cpu_seconds": round(used, 2),
            "cpu_percent": round(100 * used / record.seconds, 1) if record.seconds > 0 else 0.0,
        }
    return figures


def downsample(series: list[tuple[float, int, int, int]], points: int = SERIES_POINTS) -> list[list[float]]:
    """At most ``points`` rows: per time bucket the last row, with the bucket's most unavailable nodes."""
    if len(series) <= points:
        return [[round(t, 3), a, b, c] for t, a, b, c in series]
    span = series[-1][0] or 1.0
    buckets: dict[int, list[float]] = {}
    for t, updated, unavailable, pods in series:
        slot = min(points - 1, int(t / span * points))
        previous = buckets.get(slot)
        worst = max(unavailable, int(previous[2])) if previous else unavailable
        buckets[slot] = [round(t, 3), updated, worst, pods]
    return [buckets[slot] for slot in sorted(buckets)]


def phase_figures(record: PhaseRecord, nodes: int, calls: list[Call], storage: str) -> dict[str, Any]:
    """A phase's figures. Storage writes are counted by the store's revision where it counts one by
    one; on etcd they are the writes seen through watches (all but namespaces and the like)."""
    in_phase = [call for call in calls if record.started <= call.ended <= record.ended]
    watched = sum(record.writes.values())
    counted = record.storage_writes(storage)
    storage_writes = watched if counted is None else counted
    figures: dict[str, Any] = {
        "seconds": round(record.seconds, 3),
        "storage_writes": storage_writes,
        "storage_writes_per_second": round(storage_writes / record.seconds, 1) if record.seconds > 0 else 0.0,
        "writes_by_resource": dict(sorted(_by_resource(record.writes).items())),
        "writes_unattributed": None if counted is None else counted - watched,
        **pod_write_figures(record.writes, nodes),
        "api_by_verb": by_key(in_phase, lambda call: call.verb),
        "cpu": cpu_figures(record),
        **record.extra,
    }
    track = record.track
    if track is not None:
        if track.done_at is not None:
            figures["pods_ready_seconds"] = round((track.pods_ready_at or track.done_at) - track.started, 3)
            figures["status_exact"] = True
            figures["status_lag_seconds"] = round(track.done_at - (track.pods_ready_at or track.done_at), 3)
        figures["pod_startup_count"] = len(track.startup)
        figures["pod_startup_p50_s"] = round(percentile(track.startup, 50), 3)
        figures["pod_startup_p99_s"] = round(percentile(track.startup, 99), 3)
        figures["pod_startup_max_s"] = round(max(track.startup, default=0.0), 3)
        for part, values in (("to_bound", track.to_bound), ("bound_to_ready", track.bound_to_ready)):
            figures[f"pod_startup_{part}_p50_s"] = round(percentile(values, 50), 3)
            figures[f"pod_startup_{part}_p99_s"] = round(percentile(values, 99), 3)
        figures["max_unavailable_seen"] = track.max_unavailable
        figures["max_surge_seen"] = track.max_surge
        if track.budget is not None:
            figures["max_unavailable_budget"] = track.budget
            figures["max_unavailable_violations"] = track.violations
        if track.surge_budget is not None:
            figures["max_surge_budget"] = track.surge_budget
            figures["max_surge_violations"] = track.surge_violations
    return figures


def _by_resource(writes: Counter[str]) -> Counter[str]:
    merged: Counter[str] = Counter()
    for key, count in writes.items():
        merged[key.split(".")[0]] += count
    return merged


def assemble(
    options: ClusterBenchOptions,
    bench: ClusterBench,
    *,
    calls: list[Call],
    totals: dict[str, ProcSample | None],
    floor: dict[str, Any],
    storage: str,
    seconds_total: float,
    charts: dict[str, str],
) -> dict[str, Any]:
    n = options.nodes
    records = {record.name: record for record in bench.records}
    phases = {name: phase_figures(records[name], n, calls, storage) for name in PHASES if name in records}
    convergence, steady = phases["convergence"], phases["steady"]
    steady_record = records["steady"]
    steady_calls = [call for call in calls if steady_record.started <= call.ended <= steady_record.ended]
    renewals = records["steady"].writes.get("leases", 0)
    steady["lease_renewals"] = renewals
    steady["lease_renewals_per_second"] = round(renewals / steady_record.seconds, 1)
    steady["lease_renewals_expected_per_second"] = round(n / options.lease_interval, 1)
    floor["convergence_to_floor_ratio"] = (
        round(convergence["seconds"] / floor["seconds"], 1) if floor.get("seconds") else None
    )
    processes = {}
    for name, last in totals.items():
        if last is None:
            continue
        processes[name] = {
            "pid": bench.pids[name],
            "cpu_seconds": round(last.cpu_seconds, 2),
            "peak_rss_mb": round(last.peak_rss_bytes / 2**20, 1),
            "cpu_seconds_by_phase": {
                phase: figures["cpu"].get(name, {}).get("cpu_seconds") for phase, figures in phases.items()
            },
            "steady_cpu_percent": steady["cpu"].get(name, {}).get("cpu_percent"),
        }
    rollouts = [phases["rollout_max_unavailable"], phases["rollout_max_surge"]]
    return {
        "bench": "cluster",
        "nodes": n,
        "storage": public_dsn(storage),
        "out": str(options.out),
        "probe": options.probe,
        "seconds_total": round(seconds_total, 1),
        "convergence_seconds": convergence["seconds"],
        "pods_ready_seconds": convergence.get("pods_ready_seconds"),
        "pod_startup_p50_s": convergence["pod_startup_p50_s"],
        "pod_startup_p99_s": convergence["pod_startup_p99_s"],
        "rollout_max_unavailable_seconds": rollouts[0]["seconds"],
        "rollout_max_surge_seconds": rollouts[1]["seconds"],
        "max_unavailable_violations": sum(p.get("max_unavailable_violations", 0) for p in rollouts),
        "max_surge_violations": sum(p.get("max_surge_violations", 0) for p in rollouts),
        "status_exact": all(phases[name].get("status_exact") for name in PHASES[1:4]),
        "writes_per_pod": convergence["pod_writes_per_pod"],
        "writes_per_pod_minimum": MINIMUM_POD_WRITES,
        "storage_writes_per_pod": round(convergence["storage_writes"] / n, 2),
        "floor_seconds": floor.get("seconds"),
        "convergence_to_floor_ratio": floor["convergence_to_floor_ratio"],
        "steady_api_p99_ms": {
            verb: figures["p99_ms"] for verb, figures in by_key(steady_calls, lambda c: c.verb).items()
        },
        "steady_cpu_percent": {name: p["steady_cpu_percent"] for name, p in processes.items()},
        "peak_rss_mb": {name: p["peak_rss_mb"] for name, p in processes.items()},
        "cpu_seconds": {name: p["cpu_seconds"] for name, p in processes.items()},
        "watch_relists": bench.observer.relists,
        "phases": phases,
        "api": by_key(calls, lambda call: f"{call.verb} {call.resource}"),
        "api_by_component": by_key(calls, lambda call: call.component),
        "processes": processes,
        "floor": floor,
        "charts": charts,
    }
