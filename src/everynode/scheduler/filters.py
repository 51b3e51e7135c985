"""The scheduler's filters: may this pod run on this node? Pure functions over JSON dicts.

Each filter answers ``None`` (the node passes) or the reason it fails, worded as upstream's
kube-scheduler plugin words it, because that text ends up in ``FailedScheduling`` events that
people (and scripts) already know how to read. The resource filter can fail for several resources
at once and so answers with every reason, as upstream does.

``filter_node`` runs them in the order of upstream's default profile — NodeUnschedulable, NodeName,
TaintToleration, NodeAffinity, NodeResourcesFit — and stops at the first that fails, so a node is
rejected for one reason (or one set of resource reasons), again as upstream reports it.

``candidate_nodes`` is upstream's NodeAffinity pre-filter: a required term made only of
``matchFields metadata.name In [...]`` names the nodes that can possibly match, so a daemon pod pinned
to one node is checked against that node alone instead of against the whole cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from everynode.core import wellknown
from everynode.core.nodeaffinity import NODE_NAME_FIELD, pod_matches_node_affinity
from everynode.core.taints import NO_SCHEDULE, tolerates, untolerated
from everynode.scheduler.nodeinfo import NodeInfo, Resources

# Upstream's reasons (pkg/scheduler/framework/plugins/*), verbatim.
UNSCHEDULABLE = "node(s) were unschedulable"
NODE_NAME_MISMATCH = "node(s) didn't match the requested node name"
NODE_AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"
INSUFFICIENT_CPU = "Insufficient cpu"
INSUFFICIENT_MEMORY = "Insufficient memory"
TOO_MANY_PODS = "Too many pods"
AFFINITY_TERMS_CONFLICT = "pod affinity terms conflict"

UNSCHEDULABLE_TAINT = {"key": wellknown.TAINT_UNSCHEDULABLE, "effect": NO_SCHEDULE}


def untolerated_taint_reason(taint: Mapping[str, Any]) -> str:
    """``node(s) had untolerated taint {key: value}`` (an absent value prints as nothing)."""
    return f"node(s) had untolerated taint {{{taint.get('key') or ''}: {taint.get('value') or ''}}}"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a node cannot take the pod. ``resolvable`` is upstream's Unschedulable (as opposed to
    UnschedulableAndUnresolvable): only a lack of resources could be cured by evicting other pods."""

    reasons: tuple[str, ...]
    resolvable: bool = False


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _tolerations(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tolerations = _spec(pod).get("tolerations")
    return [t for t in tolerations if isinstance(t, Mapping)] if isinstance(tolerations, list) else []


def _node_name(node: Mapping[str, Any]) -> str:
    name = (node.get("metadata") or {}).get("name")
    return name if isinstance(name, str) else ""


def node_unschedulable(pod: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """A cordoned node (``spec.unschedulable``) takes only pods that tolerate
    ``node.kubernetes.io/unschedulable:NoSchedule`` (daemon pods do)."""
    if not _spec(node).get("unschedulable"):
        return None
    if any(tolerates(t, UNSCHEDULABLE_TAINT) for t in _tolerations(pod)):
        return None
    return UNSCHEDULABLE


def node_name(pod: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """A pod that already names a node (``spec.nodeName``) fits only that node."""
    wanted = _spec(pod).get("nodeName")
    if not wanted or wanted == _node_name(node):
        return None
    return NODE_NAME_MISMATCH


def taint_toleration(pod: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """The first NoSchedule or NoExecute taint the pod does not tolerate (PreferNoSchedule only
    weighs in when choosing among nodes that fit)."""
    taints = _spec(node).get("taints")
    if not isinstance(taints, list) or not taints:
        return None
    left = untolerated([t for t in taints if isinstance(t, Mapping)], _tolerations(pod))
    return untolerated_taint_reason(left[0]) if left else None


def node_affinity(pod: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """``spec.nodeSelector`` and required node affinity (labels, and ``matchFields metadata.name``)."""
    return None if pod_matches_node_affinity(_spec(pod), node) else NODE_AFFINITY_MISMATCH


def resources_fit(request: Resources, info: NodeInfo) -> tuple[str, ...]:
    """Every resource the node lacks for this pod (empty when it fits), upstream's NodeResourcesFit.

    The pod count is always checked (``Too many pods`` when the node already holds its allocatable
    ``pods``); cpu and memory only when the pod requests some: the pod's request must not exceed
    allocatable minus what the node's pods already request. A pod that requests nothing fits any
    node with room for one more pod, even one that reports no allocatable cpu or memory at all.
    """
    reasons: list[str] = []
    if len(info.pods) + 1 > info.allowed_pods:
        reasons.append(TOO_MANY_PODS)
    if request.is_zero():
        return tuple(reasons)
    free = info.allocatable - info.requested
    if request.milli_cpu > 0 and request.milli_cpu > free.milli_cpu:
        reasons.append(INSUFFICIENT_CPU)
    if request.memory > 0 and request.memory > free.memory:
        reasons.append(INSUFFICIENT_MEMORY)
    return tuple(reasons)


def filter_node(pod: Mapping[str, Any], request: Resources, info: NodeInfo) -> Rejection | None:
    """All filters in upstream's order; the first that fails decides (``None``: the node fits)."""
    node = info.node
    if node is None:
        return Rejection((NODE_NAME_MISMATCH,))  # not a node the scheduler knows; never offered
    for check in (node_unschedulable, node_name, taint_toleration, node_affinity):
        reason = check(pod, node)
        if reason is not None:
            return Rejection((reason,))
    missing = resources_fit(request, info)
    return Rejection(missing, resolvable=True) if missing else None


def candidate_nodes(pod: Mapping[str, Any]) -> frozenset[str] | None:
    """The only nodes the pod's required node affinity can match by name, or ``None`` for "any node".

    Within a term, every ``metadata.name In [...]`` field requirement narrows the names (they are
    ANDed); across terms the names add up (terms are ORed). One term without such a requirement
    lets every node through. An empty set means the terms contradict each other: no node matches.
    """
    affinity = _spec(pod).get("affinity") or {}
    required = ((affinity.get("nodeAffinity") or {}) if isinstance(affinity, Mapping) else {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    terms = required.get("nodeSelectorTerms") if isinstance(required, Mapping) else None
    if not isinstance(terms, list) or not terms:
        return None
    names: set[str] = set()
    for term in terms:
        fields = term.get("matchFields") if isinstance(term, Mapping) else None
        in_term: set[str] | None = None
        for requirement in fields if isinstance(fields, list) else ():
            if not isinstance(requirement, Mapping):
                continue
            if requirement.get("key") != NODE_NAME_FIELD or requirement.get("operator") != "In":
                continue
            values = {v for v in requirement.get("values") or () if isinstance(v, str)}
            in_term = values if in_term is None else in_term & values
        if in_term is None:
            return None
        names |= in_term
    return frozenset(names)
