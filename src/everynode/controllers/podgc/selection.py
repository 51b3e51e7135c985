"""Which pods pod GC force-deletes, and the status it gives them first (pure).

Four selections, one per upstream check (``pkg/controller/podgc``):

- ``terminated_excess``: terminal pods beyond the threshold — evicted ones first, then oldest first;
- ``terminating_out_of_service``: pods being deleted on a node that is not Ready and carries the
  ``node.kubernetes.io/out-of-service`` taint (the kubelet there will never finish them);
- ``missing_node_names`` / ``pods_on``: pods bound to nodes that are not in the node cache (those
  names go into ``Quarantine`` first, and are confirmed gone by a live GET before their pods go);
- ``unscheduled_terminating``: pods being deleted that were never bound to a node.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from everynode.core.timestamps import parse_time
from everynode.core.types import Obj

OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service"
NON_TERMINAL_PHASES = ("Pending", "Running", "Unknown")
ORPHANED_CONDITION = {
    "type": "DisruptionTarget",
    "status": "True",
    "reason": "DeletionByPodGC",
    "message": "PodGC: node no longer exists",
}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    status = obj.get("status")
    return status if isinstance(status, Mapping) else {}


def node_name(pod: Mapping[str, Any]) -> str:
    name = _spec(pod).get("nodeName")
    return name if isinstance(name, str) else ""


def is_terminated(pod: Mapping[str, Any]) -> bool:
    """Upstream's test: the phase is none of Pending, Running, Unknown (so Failed or Succeeded)."""
    return _status(pod).get("phase") not in NON_TERMINAL_PHASES


def is_terminal(pod: Mapping[str, Any]) -> bool:
    """Failed or Succeeded: no status patch is needed before the delete."""
    return _status(pod).get("phase") in ("Failed", "Succeeded")


def is_deleting(pod: Mapping[str, Any]) -> bool:
    return bool(_meta(pod).get("deletionTimestamp"))


def is_evicted(pod: Mapping[str, Any]) -> bool:
    status = _status(pod)
    return status.get("phase") == "Failed" and status.get("reason") == "Evicted"


def eviction_then_age(pod: Mapping[str, Any]) -> tuple[int, float, str]:
    """Sort key: evicted pods first, then older ``creationTimestamp`` first, then by name."""
    created = parse_time(_meta(pod).get("creationTimestamp"))
    name = _meta(pod).get("name")
    return (
        0 if is_evicted(pod) else 1,
        -math.inf if created is None else created,
        name if isinstance(name, str) else "",
    )


def terminated_excess(pods: Iterable[Mapping[str, Any]], threshold: int) -> list[Mapping[str, Any]]:
    """The terminated pods beyond ``threshold`` that go, in the order they go. Threshold ≤ 0: none."""
    if threshold <= 0:
        return []
    terminated = [pod for pod in pods if is_terminated(pod)]
    excess = len(terminated) - threshold
    if excess <= 0:
        return []
    return sorted(terminated, key=eviction_then_age)[:excess]


def node_ready(node: Mapping[str, Any]) -> bool:
    for condition in _status(node).get("conditions") or ():
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def has_taint_key(node: Mapping[str, Any], key: str) -> bool:
    return any(isinstance(t, Mapping) and t.get("key") == key for t in _spec(node).get("taints") or ())


def terminating_out_of_service(
    pods: Iterable[Mapping[str, Any]], nodes: Mapping[str, Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """Pods being deleted on a cached node that is not Ready and is tainted out-of-service."""
    chosen = []
    for pod in pods:
        if not is_deleting(pod):
            continue
        node = nodes.get(node_name(pod))
        if node is not None and not node_ready(node) and has_taint_key(node, OUT_OF_SERVICE_TAINT):
            chosen.append(pod)
    return sorted(chosen, key=eviction_then_age)


def missing_node_names(pods: Iterable[Mapping[str, Any]], existing: Collection[str]) -> set[str]:
    """Names of nodes that pods are bound to but that the node cache does not hold."""
    return {name for pod in pods if (name := node_name(pod)) and name not in existing}


def pods_on(pods: Iterable[Mapping[str, Any]], names: Collection[str]) -> list[Mapping[str, Any]]:
    return [pod for pod in pods if node_name(pod) in names]


def unscheduled_terminating(pods: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [pod for pod in pods if is_deleting(pod) and not node_name(pod)]


def failed_status_patch(
    pod: Mapping[str, Any], now: str, condition: Mapping[str, str] | None = None
) -> Obj | None:
    """Strategic merge patch for ``pods/status``: phase Failed (plus ``condition``, merged by type).
    None for a pod that is already Failed or Succeeded. The pod's uid rides along, as upstream sends
    it."""
    if is_terminal(pod):
        return None
    status: Obj = {"phase": "Failed"}
    if condition is not None:
        status["conditions"] = [{**condition, "lastTransitionTime": now}]
    return {"metadata": {"uid": _meta(pod).get("uid")}, "status": status}


class Quarantine:
    """Node names waiting to be confirmed gone: each becomes due ``delay`` seconds after it was first
    added (adding it again does not postpone it, like upstream's delaying queue)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._due_at: dict[str, float] = {}

    def add(self, name: str, now: float) -> None:
        self._due_at.setdefault(name, now + self.delay)

    def due(self, now: float) -> list[str]:
        """The names whose time has come (removed from the quarantine), sorted."""
        ready = sorted(name for name, when in self._due_at.items() if when <= now)
        for name in ready:
            del self._due_at[name]
        return ready

    def __contains__(self, name: object) -> bool:
        return name in self._due_at

    def __len__(self) -> int:
        return len(self._due_at)
