"""The `everynode` command as a user runs it (a subprocess; no imports of everynode)."""

from __future__ import annotations

import json
import subprocess
import sys
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
    ],
)
def test_bad_arguments_give_one_clear_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_up_says_plainly_that_the_cluster_is_not_there_yet(tmp_path: Path) -> None:
    result = run("up", "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1
    assert "not there yet" in result.stderr
    assert "is ready" in result.stdout
    assert (tmp_path / "data" / "state.db").exists()
