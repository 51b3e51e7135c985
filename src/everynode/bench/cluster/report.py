"""The charts, results.json and the summary table."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from everynode.bench import chart
from everynode.bench.cluster.common import MINIMUM_POD_WRITES
from everynode.bench.cluster.figures import downsample
from everynode.bench.cluster.phases import PhaseRecord


def write_charts(
    out: Path, records: list[PhaseRecord], lease_times: list[float], nodes: int
) -> dict[str, str]:
    charts: dict[str, str] = {}
    for record in records:
        track = record.track
        if track is None:
            continue
        points = [*track.series, (record.seconds, *track.series[-1][1:])] if track.series else []
        ready = [(t, float(a)) for t, a, _, _ in points]
        unavailable = [(t, float(b)) for t, _, b, _ in points]
        series = [chart.Series("pods Ready, current image", ready, chart.BLUE)]
        references: list[chart.Reference] = []
        if record.name.startswith("rollout"):
            series.append(chart.Series("nodes unavailable", unavailable, chart.ORANGE))
            references.append(chart.Reference(f"maxUnavailable {track.budget}", float(track.budget or 0)))
            if record.name == "rollout_max_surge":
                extra = [(t, float(c)) for t, _, _, c in points]
                series.append(chart.Series("nodes surging", extra, chart.GREEN))
                references.append(
                    chart.Reference(
                        f"maxSurge {track.surge_budget}", float(track.surge_budget or 0), chart.GREEN
                    )
                )
        elif record.name == "steady":
            per_second = Counter(
                int(t - record.started) for t in lease_times if record.started <= t < record.ended
            )
            renewals = [(float(s), float(per_second.get(s, 0))) for s in range(int(record.seconds) + 1)]
            series.append(chart.Series("lease renewals per second", renewals, chart.GREEN))
        title = f"{record.name.replace('_', ' ')} - {nodes:,} nodes - {record.seconds:.1f} s"
        png = chart.line_chart(
            title, series, x_label="seconds", y_label="pods / nodes", references=references
        )
        path = out / f"{record.name}.png"
        path.write_bytes(png)
        charts[record.name] = path.name
    return charts


def _write_results(path: Path, result: dict[str, Any], records: list[PhaseRecord]) -> None:
    """``result`` and, per phase, the pod counts over time (downsampled)."""
    series = {record.name: downsample(record.track.series) for record in records if record.track is not None}
    document = {
        **result,
        "series_columns": ["seconds", "ready_current_image", "nodes_unavailable", "nodes_surging"],
        "series": series,
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


# -- the summary -----------------------------------------------------------------------------------


def summary(result: dict[str, Any]) -> str:
    n = result["nodes"]
    phases = result["phases"]
    machine = result.get("machine") or {}
    lines = [
        f"cluster bench: {n:,} nodes, storage {result['storage']}, results in {result['out']}",
        f"machine: {machine.get('cpus')} CPUs, load average {machine.get('load_average_at_start')} at the "
        f"start and {machine.get('load_average_at_end')} at the end (other work skews every figure)",
        "",
        f"{'phase':<26}{'seconds':>9}{'pods Ready s':>13}{'startup p50/p99 s':>19}"
        f"{'writes':>9}{'writes/s':>10}{'pod writes/pod':>15}{'max unavail.':>14}{'violations':>11}",
    ]
    for name, figures in phases.items():
        startup = (
            f"{figures['pod_startup_p50_s']:.2f} / {figures['pod_startup_p99_s']:.2f}"
            if figures.get("pod_startup_count")
            else "-"
        )
        unavailable = (
            f"{figures['max_unavailable_seen']} / {figures['max_unavailable_budget']}"
            if "max_unavailable_budget" in figures and name.startswith("rollout")
            else "-"
        )
        violations = (
            str(figures.get("max_unavailable_violations", 0) + figures.get("max_surge_violations", 0))
            if name.startswith("rollout")
            else "-"
        )
        ready = f"{figures['pods_ready_seconds']:.2f}" if "pods_ready_seconds" in figures else "-"
        per_pod = f"{figures['pod_writes_per_pod']:.2f}" if name != "setup" and figures["pod_writes"] else "-"
        lines.append(
            f"{name:<26}{figures['seconds']:>9.2f}{ready:>13}{startup:>19}{figures['storage_writes']:>9,}"
            f"{figures['storage_writes_per_second']:>10,.0f}{per_pod:>15}{unavailable:>14}{violations:>11}"
        )
    convergence = phases["convergence"]
    kinds = convergence["pod_writes_by_kind"]
    floor = result["floor"]
    steady = phases["steady"]
    lines += [
        "",
        f"convergence: status exact {result['status_exact']}; pod writes per pod "
        f"{convergence['pod_writes_per_pod']:.2f} (create {kinds['create'] / n:.2f}, "
        f"bind {kinds['bind'] / n:.2f}, status {kinds['status'] / n:.2f}; minimum {MINIMUM_POD_WRITES}); "
        "all storage writes per pod "
        f"{result['storage_writes_per_pod']:.2f} ({_resources_line(convergence['writes_by_resource'])})",
        f"floor: {floor['writes']:,} raw creates of {floor['value_bytes']:,} B on {floor['storage']} in "
        f"{floor['seconds']:.2f} s ({floor['per_second']:,.0f}/s); convergence / floor = "
        f"{result['convergence_to_floor_ratio']}x",
        f"steady {steady['seconds']:.0f} s: {steady['lease_renewals_per_second']:.1f} lease renewals/s "
        f"(expected {steady['lease_renewals_expected_per_second']:.1f}); API p99 by verb: "
        + (", ".join(f"{verb} {ms:.1f} ms" for verb, ms in result["steady_api_p99_ms"].items()) or "-"),
        "",
        f"{'process':<20}{'CPU s':>8}{'steady CPU %':>14}{'peak RSS MB':>13}   CPU s by phase",
    ]
    for name, figures in result["processes"].items():
        by_phase = "  ".join(
            f"{phase} {seconds}" for phase, seconds in figures["cpu_seconds_by_phase"].items()
        )
        steady_cpu = figures["steady_cpu_percent"]
        lines.append(
            f"{name:<20}{figures['cpu_seconds']:>8.1f}{steady_cpu if steady_cpu is not None else '-':>14}"
            f"{figures['peak_rss_mb']:>13.1f}   {by_phase}"
        )
    lines += [
        "",
        f"{'API calls (client side)':<34}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}",
    ]
    for key, figures in result["api"].items():
        lines.append(
            f"{key:<34}{figures['count']:>8,}{figures['p50_ms']:>9.2f}{figures['p99_ms']:>9.2f}"
            f"{figures['max_ms']:>9.1f}{figures['errors']:>8}"
        )
    return "\n".join(lines)


def _resources_line(writes: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(writes.items(), key=lambda item: -item[1]))
