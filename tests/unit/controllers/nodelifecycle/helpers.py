"""Nodes and Leases as the API server stores them, for the node lifecycle unit tests."""

from __future__ import annotations

from typing import Any

from everynode.core.types import Obj
from tests import builders

CREATED = "2024-01-01T00:00:00Z"
EPOCH_CREATED = 1704067200.0  # CREATED as epoch seconds


def ready(status: str = "True", *, heartbeat: str = "2024-01-01T00:00:10Z", **extra: Any) -> Obj:
    return {
        "type": "Ready",
        "status": status,
        "lastHeartbeatTime": heartbeat,
        "lastTransitionTime": "2024-01-01T00:00:05Z",
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
        **extra,
    }


def pressure(kind: str, status: str = "False") -> Obj:
    return {
        "type": kind,
        "status": status,
        "lastHeartbeatTime": "2024-01-01T00:00:10Z",
        "lastTransitionTime": "2024-01-01T00:00:05Z",
        "reason": f"KubeletHas{'No' if status == 'False' else ''}{kind}",
        "message": "",
    }


def healthy_conditions() -> list[Obj]:
    return [ready(), pressure("MemoryPressure"), pressure("DiskPressure"), pressure("PIDPressure")]


def node(
    name: str = "node-1",
    *,
    conditions: list[Obj] | None = None,
    taints: list[Obj] | None = None,
    version: str = "1",
) -> Obj:
    return builders.node(
        name,
        uid=f"uid-{name}",
        resource_version=version,
        created=CREATED,
        taints=taints or None,
        conditions=conditions,
        status={},
    )


def lease(name: str = "node-1", renew: str = "2024-01-01T00:00:10.000000Z", version: str = "1") -> Obj:
    return builders.lease(
        name, namespace="kube-node-lease", holder=name, duration=40, renewed=renew, resource_version=version
    )


def taint_keys(obj: Obj) -> list[tuple[str, str]]:
    return [(t["key"], t["effect"]) for t in obj.get("spec", {}).get("taints") or []]


def conditions_by_type(obj: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions") or []}
