"""``manage``: which nodes need a daemon pod and which daemon pods must go (upstream §2.5, §2.7).

Pure decisions over (DaemonSet, nodes, the DaemonSet's pods by node); the controller turns the plan
into API calls. The failed-pod backoff is the one piece of state consulted (and advanced) here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.controllers.daemonset.nodepods import NodePods
from everynode.controllers.daemonset.placement import Placement
from everynode.controllers.daemonset.scaling import allows_surge
from everynode.core import wellknown
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.pods import creation_phase_sort_key, is_available, is_deleting, is_ready
from everynode.core.types import Obj
from everynode.runtime.backoff import Backoff

NORMAL, WARNING = "Normal", "Warning"


@dataclass
class Plan:
    """What one step of a sync wants done."""

    create_on: list[str] = field(default_factory=list)  # node names
    delete: list[Obj] = field(default_factory=list)  # pods
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (type, reason, message)
    requeue_after: float | None = None

    def requeue(self, delay: float) -> None:
        self.requeue_after = delay if self.requeue_after is None else min(self.requeue_after, delay)


def backoff_key(ds: Mapping[str, Any], node_name: str) -> str:
    """Failed-pod backoff per (DaemonSet, observed generation, node): a spec change starts afresh."""
    generation = ds.get("status", {}).get("observedGeneration", 0)
    return f"{ds['metadata'].get('uid', '')}/{generation}/{node_name}"


def _name(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata", {})
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def pods_for_node(
    plan: Plan,
    ds: Mapping[str, Any],
    node_name: str,
    *,
    should_run: bool,
    should_continue: bool,
    pods: list[Obj],
    revision_hash: str,
    now: float,
    backoff: Backoff,
) -> None:
    """Add to ``plan`` what ``node_name`` needs (upstream ``podsShouldBeOnNode``)."""
    exists = bool(pods)
    if should_run and not exists:
        plan.create_on.append(node_name)
        return
    if not should_continue:
        if exists:
            plan.delete.extend(pod for pod in pods if not is_deleting(pod))
        return
    running: list[Obj] = []
    for pod in pods:
        if is_deleting(pod):
            continue
        phase = pod.get("status", {}).get("phase")
        if phase == "Failed":
            key = backoff_key(ds, node_name)
            if backoff.is_in_backoff(key):
                plan.requeue(backoff.get(key))
                continue
            backoff.next(key)
            plan.events.append(
                (
                    WARNING,
                    "FailedDaemonPod",
                    f"Found failed daemon pod {_name(pod)} on node {node_name}, will try to kill it",
                )
            )
            plan.delete.append(pod)
        elif phase == "Succeeded":
            plan.events.append(
                (
                    NORMAL,
                    "SucceededDaemonPod",
                    f"Found succeeded daemon pod {_name(pod)} on node {node_name}, will try to delete it",
                )
            )
            plan.delete.append(pod)
        else:
            running.append(pod)
    if not allows_surge(ds):
        if len(running) > 1:
            running.sort(key=creation_phase_sort_key)
            plan.delete.extend(running[1:])
        return
    if len(running) <= 1:
        if not running and should_run:
            plan.create_on.append(node_name)
        return
    running.sort(key=creation_phase_sort_key)
    oldest_new: Obj | None = None
    oldest_old: Obj | None = None
    for pod in running:
        if (
            pod.get("metadata", {}).get("labels", {}).get(wellknown.LABEL_CONTROLLER_REVISION_HASH)
            == revision_hash
        ):
            if oldest_new is None:
                oldest_new = pod
                continue
        elif oldest_old is None:
            oldest_old = pod
            continue
        plan.delete.append(pod)
    if oldest_new is not None and oldest_old is not None:
        min_ready = int(ds.get("spec", {}).get("minReadySeconds") or 0)
        if not is_ready(oldest_old) or is_available(oldest_new, min_ready, now):
            plan.delete.append(oldest_old)


def manage(
    ds: Mapping[str, Any],
    nodes: Iterable[Mapping[str, Any]],
    node_pods: NodePods,
    *,
    revision_hash: str,
    now: float,
    backoff: Backoff,
    placement: Placement | None = None,
) -> Plan:
    """The whole ``manage`` step: per-node decisions, plus unscheduled pods aimed at missing nodes."""
    placement = placement or Placement(ds)
    plan = Plan()
    names = set()
    for node in nodes:
        name = node["metadata"]["name"]
        names.add(name)
        should_run, should_continue = placement.should_run(node)
        pods_for_node(
            plan,
            ds,
            name,
            should_run=should_run,
            should_continue=should_continue,
            pods=node_pods.get(name, []),
            revision_hash=revision_hash,
            now=now,
            backoff=backoff,
        )
    for node_name, pods in node_pods.items():
        if node_name in names:
            continue
        for pod in pods:
            if not pod.get("spec", {}).get("nodeName") and pinned_node_name(pod) == node_name:
                plan.delete.append(pod)
    return plan
