"""Pods and nodes as plain dicts, the shapes the scheduler reads, for the scheduler's unit tests."""

from __future__ import annotations

from typing import Any

from everynode.core.types import Obj
from tests import builders


def node(
    name: str, *, cpu: str | None = None, memory: str | None = None, pods: str | int | None = None, **kw: Any
) -> Obj:
    """A node with ``cpu``, ``memory`` and ``pods`` allocatable (those given)."""
    return builders.node(name, allocatable=builders.present(cpu=cpu, memory=memory, pods=pods) or None, **kw)


def container(name: str = "main", **kw: Any) -> Obj:
    return builders.container(name, image="busybox", **kw)


def pod(
    name: str = "p",
    *,
    namespace: str = "default",
    cpu: str | None = None,
    memory: str | None = None,
    node_name: str | None = None,
    phase: str = "Pending",
    **spec: Any,
) -> Obj:
    return builders.pod(
        name,
        namespace=namespace,
        uid=f"uid-{namespace}-{name}",
        node=node_name or None,
        containers=[container(cpu=cpu, memory=memory)],
        phase=phase,
        **spec,
    )


def pinned(name: str, node_name: str, **kwargs: Any) -> Obj:
    """A pod pinned to one node the way the DaemonSet controller pins its pods."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    affinity = {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}
    }
    return pod(name, affinity=affinity, **kwargs)


def required(*terms: Obj) -> Obj:
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> Obj:
    body = {"key": key, "effect": effect}
    if value:
        body["value"] = value
    return body
