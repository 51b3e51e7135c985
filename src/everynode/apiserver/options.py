"""Options of the API server process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiServerOptions:
    storage: str = "sqlite://.everynode/state.db"
    bind: str = "127.0.0.1"
    port: int = 6443
    bookmark_interval: float = 60.0  # seconds between watch bookmarks, when a client allows them
    compaction_interval: float = 300.0  # storage history kept at least this long (kube-apiserver: 5 min)
    watch_cache_history: int = 100_000  # events per resource a watch can resume from before it gets 410
    max_requests_inflight: int = 400  # read-only requests at once (kube-apiserver's default); 0: no limit
    max_mutating_requests_inflight: int = 200  # writes at once (kube-apiserver's default); 0: no limit
    seed_namespaces: tuple[str, ...] = ("default", "kube-system", "kube-public", "kube-node-lease")
