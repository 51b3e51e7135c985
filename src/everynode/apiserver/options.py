"""Options of the API server process."""

from __future__ import annotations

from dataclasses import dataclass

from everynode.core import wellknown


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLimits:
    """How long a client may take, and how many may be connected: what keeps slow or idle clients
    from holding the server's connections and memory. The timeouts are kube-apiserver's."""

    header_timeout: float = 32.0  # a request's head arrives whole within this (its ReadHeaderTimeout)
    idle_timeout: float = 90.0  # a keep-alive connection with no request is closed after this (IdleTimeout)
    request_timeout: float = 60.0  # a body arrives, and a response is taken, within this (--request-timeout)
    max_connections: int = 0  # open connections at most; 0: the open-file limit less a reserve


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
    seed_namespaces: tuple[str, ...] = (
        "default",
        wellknown.KUBE_SYSTEM,
        wellknown.KUBE_PUBLIC,
        wellknown.KUBE_NODE_LEASE,
    )
    connections: ConnectionLimits = ConnectionLimits()
    service_cluster_ip_range: str = "10.0.0.0/24"  # upstream's default --service-cluster-ip-range
    service_node_port_range: str = "30000-32767"  # upstream's default --service-node-port-range
