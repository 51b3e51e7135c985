"""Where the API server is and how hard to call it: from a kubeconfig, or given directly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    server: str
    namespace: str = "default"
    qps: float = 1000.0  # generous by default (upstream's controller-manager: 20), a flag for components
    burst: int = 2000
    timeout: float = 60.0  # seconds per request (watches excepted)
    user_agent: str = "everynode"


def load_kubeconfig(path: str | Path, *, context: str | None = None, **overrides: Any) -> ClientConfig:
    """The server and namespace of ``context`` (default: current-context) in a kubeconfig file."""
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read kubeconfig {path}: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError(f"kubeconfig {path} is not a YAML mapping")
    name = context or document.get("current-context")
    contexts = {c.get("name"): c.get("context") or {} for c in document.get("contexts") or []}
    if name not in contexts:
        raise ValueError(f"kubeconfig {path} has no context {name!r}")
    chosen = contexts[name]
    clusters = {c.get("name"): c.get("cluster") or {} for c in document.get("clusters") or []}
    cluster = clusters.get(chosen.get("cluster"))
    if not cluster or not cluster.get("server"):
        raise ValueError(f"kubeconfig {path}: context {name!r} names no cluster with a server")
    return ClientConfig(
        server=str(cluster["server"]).rstrip("/"),
        namespace=str(chosen.get("namespace") or "default"),
        **overrides,
    )


def kubeconfig_document(server: str, *, namespace: str = "default") -> dict[str, Any]:
    """A kubeconfig with one context, ``everynode``, for a server without authentication."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "everynode", "cluster": {"server": server}}],
        "users": [{"name": "everynode", "user": {}}],
        "contexts": [
            {
                "name": "everynode",
                "context": {"cluster": "everynode", "user": "everynode", "namespace": namespace},
            }
        ],
        "current-context": "everynode",
    }
