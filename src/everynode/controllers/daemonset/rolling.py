"""``rollingUpdate``: which old pods to replace now, within maxUnavailable or maxSurge (upstream §2.8).

Without surge, old pods are deleted (and ``manage`` recreates them in a later sync) while fewer than
maxUnavailable desired nodes are unavailable; an old pod that is unavailable anyway is always
replaced. With surge, a new pod is created beside an old one on at most maxSurge nodes at a time, and
the old pod is deleted once the new one is available. Nodes are visited in name order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.controllers.daemonset.manage import Plan
from everynode.controllers.daemonset.nodepods import NodePods, updated_and_old
from everynode.controllers.daemonset.placement import Placement
from everynode.controllers.daemonset.podtemplate import template_generation
from everynode.controllers.daemonset.scaling import unavailable_and_surge
from everynode.core.pods import is_available, is_deleting
from everynode.core.types import Obj


class MissingNode(LookupError):
    pass


def desired_node_pods(
    nodes: Mapping[str, Mapping[str, Any]], node_pods: NodePods, placement: Placement
) -> tuple[NodePods, int]:
    """The pods by node, with an empty entry for every desired node that has none; and the desired count."""
    result: NodePods = {name: list(pods) for name, pods in node_pods.items()}
    desired = 0
    for name, node in nodes.items():
        should_run, _ = placement.should_run(node)
        if should_run:
            desired += 1
            result.setdefault(name, [])
    return result, desired


def rolling_update(
    ds: Mapping[str, Any],
    nodes: Mapping[str, Mapping[str, Any]],
    node_pods: NodePods,
    *,
    revision_hash: str,
    now: float,
    placement: Placement | None = None,
) -> Plan:
    """``nodes`` by name; ``node_pods`` excludes terminal pods being deleted. Raises ValueError on a bad
    maxUnavailable/maxSurge and ``MissingNode`` when a surge candidate's node is not in the cache."""
    placement = placement or Placement(ds)
    per_node, desired = desired_node_pods(nodes, node_pods, placement)
    max_unavailable, max_surge = unavailable_and_surge(ds, desired)
    generation = template_generation(ds)
    min_ready = int(ds.get("spec", {}).get("minReadySeconds") or 0)
    order = sorted(per_node)
    if max_surge == 0:
        return _without_surge(
            order,
            per_node,
            revision_hash=revision_hash,
            generation=generation,
            max_unavailable=max_unavailable,
            min_ready=min_ready,
            now=now,
        )
    return _with_surge(
        order,
        nodes,
        per_node,
        revision_hash=revision_hash,
        generation=generation,
        max_surge=max_surge,
        desired=desired,
        min_ready=min_ready,
        now=now,
        placement=placement,
    )


def _without_surge(
    order: list[str],
    per_node: NodePods,
    *,
    revision_hash: str,
    generation: str | None,
    max_unavailable: int,
    min_ready: int,
    now: float,
) -> Plan:
    unavailable = 0
    replace: list[Obj] = []
    candidates: list[Obj] = []
    for name in order:
        new, old, ok = updated_and_old(per_node[name], revision_hash, generation)
        if not ok or (new is None) == (old is None):
            unavailable += 1  # duplicates (manage prunes them), no pod yet, or a replacement in flight
        elif new is not None:
            if not is_available(new, min_ready, now):
                unavailable += 1
        elif old is not None:
            if not is_available(old, min_ready, now):
                replace.append(old)
                unavailable += 1
            elif unavailable < max_unavailable:
                candidates.append(old)
    room = max(0, min(max_unavailable - unavailable, len(candidates)))
    return Plan(delete=replace + candidates[:room])


def _with_surge(
    order: list[str],
    nodes: Mapping[str, Mapping[str, Any]],
    per_node: NodePods,
    *,
    revision_hash: str,
    generation: str | None,
    max_surge: int,
    desired: int,
    min_ready: int,
    now: float,
    placement: Placement,
) -> Plan:
    plan = Plan()
    surging = 0
    available = 0
    allowed: list[str] = []
    candidates: list[str] = []
    sunset: list[Obj] = []  # available old pods on nodes that should no longer run one

    def should_run(name: str) -> bool:
        node = nodes.get(name)
        if node is None:
            raise MissingNode(f'couldn\'t get node for nodeName "{name}": node "{name}" not found')
        return placement.should_run(node)[0]

    for name in order:
        new, old, ok = updated_and_old(per_node[name], revision_hash, generation)
        if not ok:
            surging += 1
            continue
        counted = old if old is not None else new
        if counted is not None and is_available(counted, min_ready, now):
            available += 1
        if old is None:
            continue
        if new is None:
            if not is_available(old, min_ready, now):
                if should_run(name):
                    allowed.append(name)
                else:
                    plan.delete.append(old)
            elif not should_run(name):
                sunset.append(old)
            elif surging < max_surge:
                candidates.append(name)
        elif not is_available(new, min_ready, now):
            surging += 1
        else:
            plan.delete.append(old)
    deletable = min(available - desired, len(sunset))
    if deletable > 0:
        plan.delete.extend(pod for pod in sunset[:deletable] if not is_deleting(pod))
    room = max(0, min(max_surge - surging, len(candidates)))
    plan.create_on = allowed + candidates[:room]
    return plan
