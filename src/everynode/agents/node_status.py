"""Node statuses as a kubelet reports them: ``node-ready`` (the full status, and the well-known labels
a node lacks) and ``node-heartbeat`` (the kubelet's conditions re-stamped). Pure: a node and a time
in, a status out."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from everynode import __version__
from everynode.agents.status_parts import (
    Context,
    Output,
    Params,
    meta_of,
    node_ip,
    set_conditions,
    status_of,
)
from everynode.core import wellknown
from everynode.core.timestamps import format_time
from everynode.core.types import Obj

KUBELET_VERSION = "v1.33.1"  # the Kubernetes version the API server reports
KUBELET_PORT = 10250
DEFAULT_CAPACITY = {"cpu": "32", "memory": "256Gi", "pods": "110"}
DEFAULT_NODE_INFO = {
    "architecture": "amd64",
    "operatingSystem": "linux",
    "kubeletVersion": KUBELET_VERSION,
    "kubeProxyVersion": KUBELET_VERSION,
    "containerRuntimeVersion": f"everynode://{__version__}",
    "kernelVersion": "6.1.0-everynode",
    "osImage": "everynode simulated node",
}
WELL_KNOWN_LABELS = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
_UUID_NAMESPACE = uuid.UUID("6c4e0f0e-3a51-4c7e-9a43-0c1c1f7e5e11")
_NODE_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def render_node_ready(node: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    now = format_time(ctx.now)
    name = str(meta_of(node).get("name", ""))
    current = status_of(node)
    addresses = current.get("addresses") or [
        {"type": "InternalIP", "address": node_ip(node, name)},
        {"type": "Hostname", "address": name},
    ]
    capacity = {**(params.get("capacity") or DEFAULT_CAPACITY), **(current.get("capacity") or {})}
    allocatable = {**(params.get("allocatable") or capacity), **(current.get("allocatable") or {})}
    ids = {
        key: str(uuid.uuid5(_UUID_NAMESPACE, f"{key}/{name}"))
        for key in ("machineID", "systemUUID", "bootID")
    }
    ids["machineID"] = ids["machineID"].replace("-", "")
    info = {**ids, **DEFAULT_NODE_INFO, **(params.get("nodeInfo") or {})}
    info |= {key: value for key, value in (current.get("nodeInfo") or {}).items() if value}
    status: Obj = {
        "conditions": set_conditions(current.get("conditions") or (), _NODE_CONDITIONS, now, heartbeat=True),
        "addresses": addresses,
        "capacity": capacity,
        "allocatable": allocatable,
        "nodeInfo": info,
        "daemonEndpoints": current.get("daemonEndpoints") or {"kubeletEndpoint": {"Port": KUBELET_PORT}},
    }
    wanted = {wellknown.LABEL_HOSTNAME: name, **WELL_KNOWN_LABELS, **(params.get("labels") or {})}
    labels = meta_of(node).get("labels") or {}
    return Output(status, {key: value for key, value in wanted.items() if key not in labels})


def render_node_heartbeat(node: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    """The kubelet's conditions as they are, with a fresh ``lastHeartbeatTime``."""
    now = format_time(ctx.now)
    conditions = []
    owned = {kind for kind, *_ in _NODE_CONDITIONS}
    for entry in status_of(node).get("conditions") or ():
        if isinstance(entry, Mapping):
            conditions.append(
                {**entry, "lastHeartbeatTime": now} if entry.get("type") in owned else dict(entry)
            )
    return Output({"conditions": conditions})
