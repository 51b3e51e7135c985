"""`everynode bench cluster` as `make test` runs it (50 nodes, a 5 s steady phase, Leases every 5 s), so the
bench never rots; and the pieces it is built from: the PNG writer, the request classifier, the call log."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from everynode.bench.chart import (
    BLUE,
    PNG_SIGNATURE,
    RED,
    Canvas,
    Reference,
    Series,
    encode_png,
    line_chart,
    nice_step,
    png_size,
)
from everynode.bench.probe import Call, classify, format_call, read_calls

EVERYNODE = [sys.executable, "-m", "everynode"]
NODES = 50
PHASES = ("setup", "convergence", "rollout_max_unavailable", "rollout_max_surge", "steady")
CHARTS = ("convergence", "rollout_max_unavailable", "rollout_max_surge", "steady")


def decode_rgb(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the RGB pixels of an 8-bit truecolour PNG with filter 0 (as we write them)."""
    width, height = png_size(png)
    position, data = 8, b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        tag = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(tag + body)
        if tag == b"IDAT":
            data += body
        position += 12 + length
    raw = zlib.decompress(data)
    stride = width * 3 + 1
    assert len(raw) == stride * height
    assert all(raw[row * stride] == 0 for row in range(height))
    return width, height, b"".join(raw[row * stride + 1 : (row + 1) * stride] for row in range(height))


def test_png_encoding_round_trips_pixels() -> None:
    canvas = Canvas(3, 2)
    canvas.set(0, 0, RED)
    canvas.set(2, 1, BLUE)
    png = canvas.png()
    assert png.startswith(PNG_SIGNATURE)
    width, height, pixels = decode_rgb(png)
    assert (width, height) == (3, 2)
    assert pixels[0:3] == bytes(RED)
    assert pixels[3:6] == b"\xff\xff\xff"
    assert pixels[15:18] == bytes(BLUE)
    with pytest.raises(ValueError, match="RGB pixels"):
        encode_png(2, 2, b"\x00" * 3)
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + b"\x00" * 30)


def test_line_chart_draws_its_series_and_reference_lines() -> None:
    ready = [(0.0, 0.0), (1.0, 40.0), (2.5, 100.0)]
    png = line_chart(
        "rollout - 100 nodes",
        [Series("pods Ready", ready, BLUE)],
        x_label="seconds",
        y_label="pods",
        references=[Reference("budget 10", 10.0)],
    )
    width, height, pixels = decode_rgb(png)
    assert (width, height) == (960, 540)
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 3)}
    assert bytes(BLUE) in colours
    assert bytes(RED) in colours
    assert nice_step(100) == 20.0
    assert nice_step(7.3) == 1.0
    assert nice_step(0) == 1.0


def test_requests_are_classified_by_verb_and_resource() -> None:
    cases = {
        ("GET", "/api/v1/namespaces/a/pods"): ("list", "pods"),
        ("GET", "/api/v1/pods?watch=false"): ("list", "pods"),
        ("GET", "/api/v1/namespaces/a/pods/p"): ("get", "pods"),
        ("POST", "/api/v1/namespaces/a/pods/p/binding"): ("create", "pods/binding"),
        ("PATCH", "/api/v1/namespaces/a/pods/p/status"): ("patch", "pods/status"),
        ("PATCH", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n"): ("patch", "leases"),
        ("PUT", "/apis/apps/v1/namespaces/a/daemonsets/d/status"): ("update", "daemonsets/status"),
        ("DELETE", "/api/v1/namespaces/a/pods/p"): ("delete", "pods"),
        ("DELETE", "/api/v1/namespaces/a/pods"): ("deletecollection", "pods"),
        ("GET", "/api/v1/namespaces/a"): ("get", "namespaces"),
        ("PUT", "/api/v1/namespaces/a/finalize"): ("update", "namespaces/finalize"),
        ("POST", "/api/v1/nodes"): ("create", "nodes"),
    }
    for (method, path), expected in cases.items():
        assert classify(method, path) == expected, (method, path)


def test_call_log_lines_read_back(tmp_path: Path) -> None:
    calls = [
        Call(12.5, 0.003, 0.0, "patch", "pods/status", "ok"),
        Call(13.0, 0.010, 0.25, "update", "daemonsets/status", "409"),
    ]
    path = tmp_path / "x.calls"
    path.write_text("".join(map(format_call, calls)) + "1.0 torn")
    read = read_calls(path, "node-agent")
    assert [(c.verb, c.resource, c.outcome, c.component) for c in read] == [
        ("patch", "pods/status", "ok", "node-agent"),
        ("update", "daemonsets/status", "409", "node-agent"),
    ]
    assert read[1].throttled == 0.25
    assert read[1].started == pytest.approx(13.0 - 0.010 - 0.25)
    assert read_calls(tmp_path / "missing.calls", "x") == []


@dataclass(frozen=True)
class BenchRun:
    out: Path
    table: str
    result: dict[str, Any]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> BenchRun:
    """One `everynode bench cluster --nodes 50` for the tests below (about 35 s)."""
    out = tmp_path_factory.mktemp("bench-cluster") / "out"
    command = [
        *EVERYNODE,
        "bench",
        "cluster",
        "--nodes",
        str(NODES),
        "--out",
        str(out),
        "--steady-seconds",
        "5",
        # Leases every 5 s, as long as the steady phase: 50 nodes then fill the 50 lease slots of an
        # interval, and every 5 s window holds each node's renewal once. At the default 10 s, 50 nodes
        # fill only the first half of the 100 slots, and a 5 s window can fall in the empty half.
        "--lease-interval",
        "5",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=110, check=False)
    assert finished.returncode == 0, f"stdout:\n{finished.stdout}\nstderr:\n{finished.stderr}"
    lines = finished.stdout.strip().splitlines()
    return BenchRun(out, "\n".join(lines[:-1]), json.loads(lines[-1]))


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_phases_converge_with_exact_status_and_roll_out_within_budget(bench_run: BenchRun) -> None:
    result = bench_run.result
    for name in (*PHASES, "floor:", "apiserver", "controller-manager", "node-agent", "patch pods/status"):
        assert name in bench_run.table
    assert result["bench"] == "cluster"
    assert result["nodes"] == NODES
    assert list(result["phases"]) == list(PHASES)
    assert result["status_exact"] is True
    assert result["max_unavailable_violations"] == 0
    assert result["max_surge_violations"] == 0
    phases = result["phases"]
    budget = (NODES * 10 + 99) // 100
    rolling = phases["rollout_max_unavailable"]
    assert rolling["max_unavailable_budget"] == budget
    assert 0 < rolling["max_unavailable_seen"] <= budget  # it replaced pods in batches, within the budget
    surging = phases["rollout_max_surge"]
    assert surging["max_unavailable_budget"] == 0
    assert surging["max_unavailable_seen"] == 0
    assert 0 < surging["max_surge_seen"] <= surging["max_surge_budget"] == budget
    for name in PHASES[1:4]:
        figures = phases[name]
        assert figures["status_exact"] is True
        assert 0 < figures["pods_ready_seconds"] <= figures["seconds"]
        assert figures["pod_startup_count"] == NODES
        assert (
            0 < figures["pod_startup_p50_s"] <= figures["pod_startup_p99_s"] <= figures["pod_startup_max_s"]
        )
        # the two parts of startup: the scheduler's (ADDED → bound) and the node agent's (bound → Ready,
        # which holds its simulated start delay)
        to_bound = (figures["pod_startup_to_bound_p50_s"], figures["pod_startup_to_bound_p99_s"])
        to_ready = (figures["pod_startup_bound_to_ready_p50_s"], figures["pod_startup_bound_to_ready_p99_s"])
        assert 0 <= to_bound[0] <= to_bound[1] <= figures["pod_startup_max_s"]
        assert 0 < to_ready[0] <= to_ready[1] <= figures["pod_startup_max_s"]
        assert figures["storage_writes"] >= figures["pod_writes"] > 0
    steady = phases["steady"]
    assert steady["lease_renewals"] > 0
    assert steady["pod_writes"] == 0
    assert steady["max_unavailable_seen"] == 0


@pytest.mark.slow
def test_writes_per_pod_and_the_floor(bench_run: BenchRun) -> None:
    result = bench_run.result
    assert result["writes_per_pod_minimum"] == 3  # create, bind, and one status write
    kinds = result["phases"]["convergence"]["pod_writes_by_kind"]
    assert kinds["create"] == kinds["bind"] == NODES
    assert kinds["status"] >= NODES
    assert result["writes_per_pod"] >= 3
    floor = result["floor"]  # the same number of raw writes on the same storage
    assert floor["writes"] == result["phases"]["convergence"]["storage_writes"]
    assert floor["seconds"] > 0
    assert result["convergence_to_floor_ratio"] == pytest.approx(
        result["convergence_seconds"] / floor["seconds"], rel=0.05
    )


@pytest.mark.slow
def test_processes_and_api_calls_are_measured(bench_run: BenchRun) -> None:
    result = bench_run.result
    for name in ("apiserver", "controller-manager", "node-agent", "bench"):
        process = result["processes"][name]
        assert process["cpu_seconds"] > 0
        assert process["peak_rss_mb"] > 10
        assert set(process["cpu_seconds_by_phase"]) == set(PHASES)
    for key in ("create pods", "create pods/binding", "patch pods/status", "patch leases", "create nodes"):
        figures = result["api"][key]
        assert figures["count"] > 0
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert result["api"]["create pods"]["count"] == 3 * NODES  # converge, then two rollouts
    assert set(result["api_by_component"]) == {"bench", "controller-manager", "node-agent"}
    assert "patch" in result["steady_api_p99_ms"]


@pytest.mark.slow
def test_results_json_charts_and_logs_are_written(bench_run: BenchRun) -> None:
    out, result = bench_run.out, bench_run.result
    written = json.loads((out / "results.json").read_text())
    assert written["convergence_seconds"] == result["convergence_seconds"]
    assert set(written["series"]) == set(CHARTS)
    assert written["series"]["convergence"][-1][1] == NODES  # all Ready on the current image
    assert result["charts"] == {name: f"{name}.png" for name in CHARTS}
    for name in CHARTS:
        png = (out / f"{name}.png").read_bytes()
        assert png.startswith(PNG_SIGNATURE)
        assert png_size(png) == (960, 540)
    for log in ("apiserver.log", "controller-manager.log", "node-agent.log"):
        assert (out / "logs" / log).exists()
