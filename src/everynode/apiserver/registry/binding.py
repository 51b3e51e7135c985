"""``pods/binding``: the scheduler's one write to a pod, outside the update rules."""

from __future__ import annotations

from everynode.apiserver.registry.objects import deep_copy
from everynode.core import errors
from everynode.core.timestamps import now_time
from everynode.core.types import Obj


def bound_to_node(pod: Obj, name: str, node: str) -> Obj:
    """A copy of ``pod`` assigned to ``node`` and marked ``PodScheduled``; 409 when the pod is being
    deleted or already has a node (a binding is set once)."""
    if pod["metadata"].get("deletionTimestamp"):
        raise errors.conflict("pods", "", name, "pod is being deleted, cannot be assigned to a host")
    assigned = pod.get("spec", {}).get("nodeName")
    if assigned:
        raise errors.conflict("pods", "", name, f'pod {name} is already assigned to node "{assigned}"')
    new = deep_copy(pod)
    new.setdefault("spec", {})["nodeName"] = node
    status = new.setdefault("status", {})
    conditions = [c for c in status.get("conditions", []) if c.get("type") != "PodScheduled"]
    scheduled = {"type": "PodScheduled", "status": "True", "lastProbeTime": None}
    conditions.append(scheduled | {"lastTransitionTime": now_time()})
    status["conditions"] = conditions
    return new
