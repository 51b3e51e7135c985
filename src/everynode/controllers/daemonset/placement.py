"""Which nodes a DaemonSet's pods belong on (upstream ``NodeShouldRunDaemonPod``).

Only the template's nodeName, nodeSelector, required node affinity and the node's NoSchedule /
NoExecute taints count; resources, ports, readiness and ``spec.unschedulable`` are the scheduler's and
the kubelet's business. The answer is two booleans: *should run* (a pod may be created there) and
*should continue running* (an existing pod may stay — true under an untolerated NoSchedule taint).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.core import wellknown
from everynode.core.nodeaffinity import pod_matches_node_affinity
from everynode.core.taints import add_or_update_toleration, untolerated
from everynode.core.types import Obj

_ALWAYS_TOLERATED: tuple[tuple[str, str], ...] = (
    (wellknown.TAINT_NOT_READY, "NoExecute"),
    (wellknown.TAINT_UNREACHABLE, "NoExecute"),
    (wellknown.TAINT_DISK_PRESSURE, "NoSchedule"),
    (wellknown.TAINT_MEMORY_PRESSURE, "NoSchedule"),
    (wellknown.TAINT_PID_PRESSURE, "NoSchedule"),
    (wellknown.TAINT_UNSCHEDULABLE, "NoSchedule"),
)
_HOST_NETWORK_TOLERATED = (wellknown.TAINT_NETWORK_UNAVAILABLE, "NoSchedule")


def daemon_tolerations(pod_spec: Mapping[str, Any]) -> list[Obj]:
    """The template's tolerations plus the ones every daemon pod gets (never written to the DaemonSet)."""
    tolerations: list[Obj] = [dict(t) for t in pod_spec.get("tolerations") or []]
    extra = list(_ALWAYS_TOLERATED)
    if pod_spec.get("hostNetwork"):
        extra.append(_HOST_NETWORK_TOLERATED)
    for key, effect in extra:
        tolerations = add_or_update_toleration(
            tolerations, {"key": key, "operator": "Exists", "effect": effect}
        )
    return tolerations


class Placement:
    """The placement rules of one DaemonSet's template, applied to every node.

    Answers are remembered per node object: the informer cache replaces a node's dict when the node
    changes, so an answer kept with the very object it was computed for (compared by identity) is
    never stale, and a sync asks about each node three times (manage, rolling update, status).
    """

    def __init__(self, ds: Mapping[str, Any]) -> None:
        self.pod_spec: Mapping[str, Any] = ds.get("spec", {}).get("template", {}).get("spec", {}) or {}
        self.node_name: str = self.pod_spec.get("nodeName") or ""
        self.tolerations = daemon_tolerations(self.pod_spec)
        affinity = self.pod_spec.get("affinity") or {}
        self._unconstrained = not self.pod_spec.get("nodeSelector") and not (
            (affinity.get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
        )
        self._answers: dict[str, tuple[Mapping[str, Any], tuple[bool, bool]]] = {}

    def should_run(self, node: Mapping[str, Any]) -> tuple[bool, bool]:
        """(should run, should continue running) for ``node``."""
        name = node.get("metadata", {}).get("name", "")
        remembered = self._answers.get(name)
        if remembered is not None and remembered[0] is node:
            return remembered[1]
        answer = self._decide(name, node)
        self._answers[name] = (node, answer)
        return answer

    def forget(self, name: str) -> None:
        self._answers.pop(name, None)

    def _decide(self, name: str, node: Mapping[str, Any]) -> tuple[bool, bool]:
        if self.node_name and self.node_name != name:
            return False, False
        if not self._unconstrained and not pod_matches_node_affinity(self.pod_spec, node):
            return False, False
        taints = node.get("spec", {}).get("taints")
        if not taints:
            return True, True
        refused = untolerated(taints, self.tolerations)
        if not refused:
            return True, True
        return False, not any(taint.get("effect") == "NoExecute" for taint in refused)


def should_run(node: Mapping[str, Any], ds: Mapping[str, Any]) -> tuple[bool, bool]:
    return Placement(ds).should_run(node)
