"""Pods and nodes as plain dicts, the shapes the scheduler reads, for the scheduler's unit tests."""

from __future__ import annotations

from typing import Any

from everynode.core.types import Obj


def node(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
    unschedulable: bool = False,
    cpu: str | None = None,
    memory: str | None = None,
    pods: str | int | None = None,
) -> Obj:
    spec: Obj = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    allocatable = {
        key: value for key, value in (("cpu", cpu), ("memory", memory), ("pods", pods)) if value is not None
    }
    obj: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}
    obj["spec"] = spec
    if allocatable:
        obj["status"] = {"allocatable": allocatable, "capacity": dict(allocatable)}
    return obj


def container(name: str = "main", *, cpu: str | None = None, memory: str | None = None, **extra: Any) -> Obj:
    requests = {key: value for key, value in (("cpu", cpu), ("memory", memory)) if value is not None}
    body: Obj = {"name": name, "image": "busybox", **extra}
    if requests:
        body["resources"] = {"requests": requests}
    return body


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
    body: Obj = {"containers": [container(cpu=cpu, memory=memory)], **spec}
    if node_name:
        body["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}"},
        "spec": body,
        "status": {"phase": phase},
    }


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
