"""The DaemonSet's status counters, computed as upstream does (§2.11), and whether they changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from everynode.controllers.daemonset.nodepods import NodePods, is_pod_updated
from everynode.controllers.daemonset.placement import Placement
from everynode.controllers.daemonset.podtemplate import template_generation
from everynode.core.pods import creation_phase_sort_key, is_available, is_ready

COUNTERS = (
    "desiredNumberScheduled",
    "currentNumberScheduled",
    "numberMisscheduled",
    "numberReady",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
)


def compute_status(
    ds: Mapping[str, Any],
    nodes: Iterable[Mapping[str, Any]],
    node_pods: NodePods,
    *,
    revision_hash: str,
    now: float,
    placement: Placement | None = None,
) -> dict[str, int]:
    """The seven counters. Only nodes in ``nodes`` count; a node's first pod (scheduled, oldest) speaks
    for it."""
    placement = placement or Placement(ds)
    generation = template_generation(ds)
    min_ready = int(ds.get("spec", {}).get("minReadySeconds") or 0)
    desired = current = misscheduled = ready = updated = available = 0
    for node in nodes:
        should_run, _ = placement.should_run(node)
        pods = node_pods.get(node["metadata"]["name"])
        if should_run:
            desired += 1
            if pods:
                current += 1
                first = pods[0] if len(pods) == 1 else min(pods, key=creation_phase_sort_key)
                if is_ready(first):
                    ready += 1
                    if is_available(first, min_ready, now):
                        available += 1
                if is_pod_updated(first, revision_hash, generation):
                    updated += 1
        elif pods:
            misscheduled += 1
    return {
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": current,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "updatedNumberScheduled": updated,
        "numberAvailable": available,
        "numberUnavailable": desired - available,
    }


def status_unchanged(ds: Mapping[str, Any], counters: Mapping[str, int]) -> bool:
    """No write needed: every counter is as stored and the generation has been observed."""
    status = ds.get("status") or {}
    generation = ds.get("metadata", {}).get("generation", 0)
    if status.get("observedGeneration", 0) < generation:
        return False
    return all(status.get(name, 0) == value for name, value in counters.items())


def with_status(
    ds: Mapping[str, Any], counters: Mapping[str, int], observed_generation: int | None
) -> dict[str, Any]:
    """A copy of ``ds`` carrying the new counters (and ``observedGeneration`` unless None); conditions
    and collisionCount are kept as they are."""
    status = dict(ds.get("status") or {})
    status.update(counters)
    if observed_generation is not None:
        status["observedGeneration"] = max(observed_generation, int(status.get("observedGeneration") or 0))
    return {**ds, "status": status}
