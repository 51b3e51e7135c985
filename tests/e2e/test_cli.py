"""The `everynode` command as a user runs it (a subprocess; no imports of everynode)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

EVERYNODE = [sys.executable, "-m", "everynode"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVERYNODE, *args], capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )


@pytest.mark.parametrize("dsn_kind", ["memory", "sqlite"])
def test_bench_storage_prints_figures_and_ends_with_json(tmp_path: Path, dsn_kind: str) -> None:
    dsn = "memory://" if dsn_kind == "memory" else f"sqlite:///{tmp_path}/bench.db"
    result = run(
        "bench", "storage", "--storage", dsn, "--ops", "300", "--concurrency", "8", "--value-bytes", "512"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    for name in ("writes_per_s", "reads_per_s", "watch_events_per_s", "write_p50_ms", "write_p99_ms"):
        assert figures[name] > 0, name
    assert figures["ops"] == 300
    assert any(line.startswith("create") for line in lines[:-1])


def test_bench_controller_converges_rolls_out_and_ends_with_json() -> None:
    result = run("bench", "controller", "--nodes", "50", "--steady-syncs", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["nodes"] == 50
    assert figures["final_status"]["desiredNumberScheduled"] == 50
    assert figures["final_status"]["updatedNumberScheduled"] == 50
    assert figures["final_status"]["numberAvailable"] == 50
    assert figures["pods_created"] == 100  # 50, then 50 replacements in the rollout
    for phase in ("converge", "steady", "rollout"):
        assert figures["phases"][phase]["cpu_us_per_node_per_sync"] > 0, phase
        assert any(line.startswith(phase) for line in lines[:-1]), phase


@pytest.mark.etcd
def test_bench_storage_against_a_spawned_etcd(etcd_server: object) -> None:
    result = run("bench", "storage", "--spawn-etcd", "--ops", "200", "--concurrency", "8")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["storage"].startswith("etcd://")
    assert figures["writes_per_s"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "storage", "--storage", "nosuch://x"], "unknown scheme"),
        (["bench", "storage", "--storage", "memory://", "--ops", "0"], "must be positive"),
        (["bench", "storage"], "one of the arguments --storage --spawn-etcd is required"),
        (["apiserver", "--bind", "0.0.0.0"], 'refusing to listen on "0.0.0.0"'),
        (["apiserver", "--bind", "::"], "listens only on loopback addresses"),
        (["up", "--bind", "0.0.0.0", "--data-dir", "/nonexistent/never-created"], "refusing to listen"),
        (["apiserver", "--request-timeout", "0"], "--request-timeout must be positive"),
        (["apiserver", "--max-connections", "-1"], "--max-connections must be 0"),
    ],
)
def test_bad_arguments_give_one_clear_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def start_up(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*EVERYNODE, "up", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], needle: str) -> str:
    """Read the process's output until a line contains ``needle`` (its own deadline: the test timeout)."""
    assert process.stdout is not None
    for line in process.stdout:
        if needle in line:
            return line
    raise AssertionError(f"the process ended without printing {needle!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_up_serves_a_cluster_that_kubectl_reaches_and_resumes_it(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    process = start_up(data_dir, port)
    try:
        line = wait_for_line(process, "export KUBECONFIG=")
        kubeconfig = line.split("=", 1)[1].strip()
        assert kubeconfig == str(data_dir / "kubeconfig")
        raw = subprocess.run(
            ["kubectl", "--kubeconfig", kubeconfig, "get", "--raw", "/api/v1/namespaces"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert {"default", "kube-system"} <= {
            ns["metadata"]["name"] for ns in json.loads(raw.stdout)["items"]
        }
        created = subprocess.run(  # `create -f` sends JSON (`create namespace` sends protobuf: issue 4)
            ["kubectl", "--kubeconfig", kubeconfig, "create", "-f", "-", "--validate=false"],
            input='{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kept"}}',
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        # What `up` writes is its user's alone: the state, the logs, the kubeconfig.
        written = [data_dir / "state.db", data_dir / "kubeconfig", *data_dir.glob("*.log")]
        assert len(written) >= 5, written
        assert {path.name: oct(path.stat().st_mode & 0o777) for path in written} == {
            path.name: "0o600" for path in written
        }
        assert data_dir.stat().st_mode & 0o077 == 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert process.stdout is not None
        process.stdout.close()
    # A second `up` on the same data directory resumes the same cluster.
    process = start_up(data_dir, port)
    try:
        wait_for_line(process, "export KUBECONFIG=")
        raw = subprocess.run(
            [
                "kubectl",
                "--kubeconfig",
                str(data_dir / "kubeconfig"),
                "get",
                "--raw",
                "/api/v1/namespaces/kept",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(raw.stdout)["metadata"]["name"] == "kept"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        assert process.stdout is not None
        process.stdout.close()


def test_up_reports_a_port_in_use_clearly(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("up", "--data-dir", str(tmp_path / "data"), "--port", str(port))
    assert result.returncode == 1
    assert "the API server did not start" in result.stderr
    assert "address already in use" in result.stderr.lower()


def test_up_reports_and_restarts_a_child_that_dies(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    process = start_up(data_dir, port)
    try:
        line = wait_for_line(process, "export KUBECONFIG=")
        kubeconfig = line.split("=", 1)[1].strip()
        found = subprocess.run(
            ["pgrep", "-f", f"controller-manager --kubeconfig {kubeconfig}"],
            capture_output=True,
            text=True,
            check=True,
        )
        (pid,) = (int(p) for p in found.stdout.split())
        os.kill(pid, signal.SIGKILL)
        notice = wait_for_line(process, "controller-manager exited")
        assert "restarting it" in notice
        # the restarted controller-manager works: a DaemonSet gets its pods on the three nodes
        manifest = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "after-restart", "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": {"app": "r"}},
                "template": {
                    "metadata": {"labels": {"app": "r"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
                },
            },
        }
        subprocess.run(
            ["kubectl", "--kubeconfig", kubeconfig, "create", "-f", "-"],
            input=json.dumps(manifest),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        deadline = time.monotonic() + 60
        status: dict[str, int] = {}
        while time.monotonic() < deadline:
            shown = subprocess.run(
                ["kubectl", "--kubeconfig", kubeconfig, "get", "ds", "after-restart", "-o", "json"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            status = json.loads(shown.stdout).get("status", {})
            if status.get("numberReady") == 3 and status.get("desiredNumberScheduled") == 3:
                break
            time.sleep(0.2)
        assert status.get("numberReady") == 3, status
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert process.stdout is not None
        process.stdout.close()
