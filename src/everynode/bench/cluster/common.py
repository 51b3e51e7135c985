"""Constants, options and type aliases shared by the cluster bench's modules."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Runner = Callable[[Coroutine[Any, Any, Any]], Any]

NAMESPACE = "everynode-bench"
DAEMONSET = "bench-agent"
IMAGES = ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10.1")
MINIMUM_POD_WRITES = 3  # create, bind, the one status write that makes it Running and Ready
PERCENT = 10  # maxUnavailable, then maxSurge
COMPONENTS = ("controller-manager", "node-agent")
PHASES = ("setup", "convergence", "rollout_max_unavailable", "rollout_max_surge", "steady")
FLOOR_CONCURRENCY = 64
SERIES_POINTS = 600  # per phase, in results.json


@dataclass(frozen=True, slots=True)
class ClusterBenchOptions:
    nodes: int = 1000
    storage: str | None = None  # a DSN; None: SQLite in a temporary directory
    spawn_etcd: bool = False
    out: Path = Path(".bench/cluster")
    steady_seconds: float = 60.0
    lease_interval: float = 10.0
    timeout: float = 600.0  # seconds allowed for each phase to reach its goal
    probe: bool = True  # time the components' API calls (everynode.bench.probe)


def budget(nodes: int, percent: int = PERCENT) -> int:
    """A percentage of the nodes, rounded up, as the DaemonSet controller scales it."""
    return (nodes * percent + 99) // 100
