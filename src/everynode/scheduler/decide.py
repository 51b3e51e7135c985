"""One scheduling decision: the node a pod should go to, or upstream's explanation of why none fits.

Pure: the caller passes a ``Snapshot`` of the nodes and what their pods request.

Which nodes are examined:

- a pod whose required node affinity names its nodes (``matchFields metadata.name In [x]``, as every
  daemon pod has) is checked against those nodes only — one lookup, not a scan of the cluster;
- any other pod is checked against every node, in name order starting at ``start`` (the caller
  rotates it, as upstream does, so that every node gets its turn); like upstream, the scan stops
  once enough nodes fit: all of them below 100 nodes, else ``max(100, n * max(5, 50 - n // 125) / 100)``.

Which fitting node wins (upstream adds weighted plugin scores and breaks ties at random; we keep the
same preferences, in a fixed order, so that a decision can be reproduced):

1. fewest untolerated ``PreferNoSchedule`` taints;
2. largest total weight of matching preferred node-affinity terms;
3. most free cpu and memory left after placing the pod (upstream's LeastAllocated score, 0-100,
   counting pods without requests as 100m / 200Mi);
4. fewest pods;
5. node name.

A pod that fits nowhere gets upstream's message, reasons counted per node and sorted as strings::

    0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}.
    preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod,
    2 Preemption is not helpful for scheduling.

(one line). everynode does not preempt: the ``preemption:`` part says what upstream says when no
lower-priority pod could be evicted, which is the usual case here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.core.nodeaffinity import node_selector_terms_match
from everynode.core.taints import PREFER_NO_SCHEDULE, untolerated
from everynode.scheduler.filters import (
    AFFINITY_TERMS_CONFLICT,
    Rejection,
    candidate_nodes,
    filter_node,
)
from everynode.scheduler.nodeinfo import NodeInfo, Resources, Snapshot, pod_request

NO_NODES = "no nodes available to schedule pods"
NOT_IN_CANDIDATES = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_PREEMPTION_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_NEVER = "not eligible due to preemptionPolicy=Never."
MIN_FEASIBLE_NODES = 100
MIN_FEASIBLE_PERCENTAGE = 5


@dataclass(frozen=True, slots=True)
class Scheduled:
    node: str
    evaluated: int  # nodes examined (fitting or not)
    feasible: int  # of those, nodes that fit


@dataclass(frozen=True, slots=True)
class Unschedulable:
    message: str
    rejections: Mapping[str, Rejection] = field(default_factory=dict)


Decision = Scheduled | Unschedulable


def feasible_nodes_to_find(total: int) -> int:
    """How many fitting nodes are enough to choose from (upstream's adaptive percentage)."""
    if total < MIN_FEASIBLE_NODES:
        return total
    percentage = max(MIN_FEASIBLE_PERCENTAGE, 50 - total // 125)
    return max(MIN_FEASIBLE_NODES, total * percentage // 100)


def _histogram(counts: Counter[str]) -> str:
    return ", ".join(sorted(f"{count} {reason}" for reason, count in counts.items() if count > 0))


def preemption_message(pod: Mapping[str, Any], total: int, rejections: Mapping[str, Rejection]) -> str:
    """The PostFilter part: what upstream's preemption reports when it finds nothing to evict."""
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return f"preemption: {PREEMPTION_NEVER}"
    resolvable = sum(1 for rejection in rejections.values() if rejection.resolvable)
    counts = Counter({NO_PREEMPTION_VICTIMS: resolvable, PREEMPTION_NOT_HELPFUL: total - resolvable})
    return f"preemption: 0/{total} nodes are available: {_histogram(counts)}."


def fit_error_message(
    pod: Mapping[str, Any],
    total: int,
    rejections: Mapping[str, Rejection],
    *,
    absent_reason: str | None = None,
    prefilter_reason: str | None = None,
) -> str:
    """``FitError.Error()``: ``0/N nodes are available: <reasons>. <preemption>``.

    Every reason of every rejected node is counted; nodes that were never examined (outside the
    pod's named candidates) count under ``absent_reason``. A pre-filter failure replaces the counts.
    """
    message = f"0/{total} nodes are available:"
    if prefilter_reason is not None:
        message += f" {prefilter_reason}."
        rejections = {}
    else:
        counts: Counter[str] = Counter()
        for rejection in rejections.values():
            counts.update(rejection.reasons)
        if absent_reason is not None and total > len(rejections):
            counts[absent_reason] += total - len(rejections)
        if counts:
            message += f" {_histogram(counts)}."
    return f"{message} {preemption_message(pod, total, rejections)}"


class _Preferences:
    """The pod-side inputs of the ranking, computed once per decision."""

    def __init__(self, pod: Mapping[str, Any], nonzero: Resources) -> None:
        spec = pod.get("spec") or {}
        tolerations = spec.get("tolerations")
        self.tolerations = [t for t in tolerations or () if isinstance(t, Mapping)]
        affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        preferred = affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        self.preferred = [
            (int(term.get("weight") or 0), term["preference"])
            for term in preferred
            if isinstance(term, Mapping) and isinstance(term.get("preference"), Mapping)
        ]
        self.nonzero = nonzero

    def rank(self, info: NodeInfo) -> tuple[int, int, int, int, str]:
        node = info.node or {}
        taints = [t for t in (node.get("spec") or {}).get("taints") or () if isinstance(t, Mapping)]
        avoided = len(untolerated(taints, self.tolerations, (PREFER_NO_SCHEDULE,))) if taints else 0
        preferred = sum(weight for weight, term in self.preferred if node_selector_terms_match([term], node))
        return (avoided, -preferred, -least_allocated(self.nonzero, info), len(info.pods), info.name)


def least_allocated(request: Resources, info: NodeInfo) -> int:
    """Upstream's LeastAllocated score (0-100): the share of cpu and memory left free, averaged."""

    def score(requested: int, capacity: int) -> int:
        if capacity <= 0 or requested > capacity:
            return 0
        return (capacity - requested) * 100 // capacity

    used = info.nonzero + request
    return (
        score(used.milli_cpu, info.allocatable.milli_cpu) + score(used.memory, info.allocatable.memory)
    ) // 2


def decide(pod: Mapping[str, Any], snapshot: Snapshot, *, start: int = 0) -> Decision:
    """Where ``pod`` should run (see the module docstring for how nodes are examined and ranked)."""
    total = len(snapshot)
    if total == 0:
        return Unschedulable(NO_NODES)
    candidates = candidate_nodes(pod)
    if candidates is not None and not candidates:
        return Unschedulable(fit_error_message(pod, total, {}, prefilter_reason=AFFINITY_TERMS_CONFLICT))
    request = pod_request(pod)
    rejections: dict[str, Rejection] = {}
    feasible: list[NodeInfo] = []
    if candidates is not None:
        for name in sorted(candidates):
            info = snapshot.get(name)
            if info is None:
                continue  # a named node that does not exist counts as not being a candidate
            rejection = filter_node(pod, request.requested, info)
            if rejection is None:
                feasible.append(info)
            else:
                rejections[name] = rejection
        evaluated, absent = len(feasible) + len(rejections), NOT_IN_CANDIDATES
    else:
        wanted, order, evaluated, absent = feasible_nodes_to_find(total), snapshot.order, 0, None
        for offset in range(total):
            name = order[(start + offset) % total]
            info = snapshot.get(name)
            evaluated += 1
            if info is None:
                continue
            rejection = filter_node(pod, request.requested, info)
            if rejection is None:
                feasible.append(info)
                if len(feasible) >= wanted:
                    break
            else:
                rejections[name] = rejection
    if not feasible:
        return Unschedulable(fit_error_message(pod, total, rejections, absent_reason=absent), rejections)
    if len(feasible) == 1:
        return Scheduled(feasible[0].name, evaluated, 1)
    preferences = _Preferences(pod, request.nonzero)
    best = min(feasible, key=preferences.rank)
    return Scheduled(best.name, evaluated, len(feasible))
