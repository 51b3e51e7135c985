"""A PodDisruptionBudget's status, decided from the pods it selects (upstream's disruption
controller, ``pkg/controller/disruption``): pure, no I/O.

- ``expectedPods`` and ``desiredHealthy``: with ``maxUnavailable`` or a percentage ``minAvailable``,
  the sum of the scale of the distinct controllers of the selected pods (a StatefulSet's replicas;
  a pod whose controller has no scale — a DaemonSet's, as upstream — cannot be counted, and the
  budget fails safe: no disruption allowed, condition ``SyncFailed``); with an integer
  ``minAvailable``, the number of selected pods and that integer.
- ``currentHealthy``: selected pods Ready, not being deleted, not recently evicted (``disruptedPods``
  entries count for two minutes, then lapse).
- ``disruptionsAllowed``: ``currentHealthy - desiredHealthy``, never below 0, and 0 when no pod is
  expected; condition ``DisruptionAllowed`` says which.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from everynode.core.intstr import percent
from everynode.core.labelselector import selector_matches
from everynode.core.pods import is_deleting, is_ready
from everynode.core.timestamps import format_time, parse_time
from everynode.core.types import Obj

DELETION_TIMEOUT = 120.0  # seconds an evicted pod counts as disrupted (upstream's DeletionTimeout)
Scale = Callable[[Mapping[str, Any]], int | None]  # a controller reference's scale; None: it has none


class NoController(Exception):
    """A selected pod's controller has no scale to count (upstream: "found no controllers")."""


@dataclass(frozen=True, slots=True)
class Decision:
    status: Obj
    events: tuple[tuple[str, str, str], ...]  # (type, reason, message)
    recheck_after: float | None  # seconds until a disrupted pod's entry lapses


def selected(pdb: Mapping[str, Any], pods: list[Obj]) -> list[Obj]:
    """The pods of the budget's namespace its selector picks (a missing selector picks none)."""
    selector = (pdb.get("spec") or {}).get("selector")
    if not isinstance(selector, dict):
        return []
    try:
        return [p for p in pods if selector_matches(selector, (p.get("metadata") or {}).get("labels") or {})]
    except ValueError:
        return []


def _controller(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return ref
    return None


def expected(pdb: Mapping[str, Any], pods: list[Obj], scale: Scale) -> tuple[int, int, int]:
    """(expectedPods, desiredHealthy, unmanaged pods) — NoController when a scale is needed and missing."""
    spec = pdb.get("spec") or {}
    max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if max_unavailable is None and min_available is None:
        return 0, 0, 0  # nothing to keep: no disruption is counted as allowed either (upstream's)
    if max_unavailable is None and isinstance(min_available, int):
        return len(pods), min_available, 0
    total, seen, unmanaged = 0, set(), 0
    for pod in pods:
        ref = _controller(pod)
        if ref is None:
            unmanaged += 1
            continue
        uid = ref.get("uid")
        if uid in seen:
            continue
        replicas = scale(ref)
        if replicas is None:
            name = (pod.get("metadata") or {}).get("name", "")
            raise NoController(f'found no controllers for pod "{name}"')
        seen.add(uid)
        total += replicas
    if max_unavailable is not None:
        share = percent(max_unavailable)
        unavailable = math.ceil(share * total / 100) if share is not None else int(max_unavailable)
        return total, max(0, total - unavailable), unmanaged
    share = percent(min_available) or 0
    return total, math.ceil(share * total / 100), unmanaged


def _condition(old: list[Any], allowed: bool, reason: str, message: str, *, generation: int, now: str) -> Obj:
    status = "True" if allowed else "False"
    previous = next((c for c in old if isinstance(c, dict) and c.get("type") == "DisruptionAllowed"), None)
    since = previous.get("lastTransitionTime") if previous and previous.get("status") == status else None
    return {
        "type": "DisruptionAllowed",
        "status": status,
        "observedGeneration": generation,
        "lastTransitionTime": since or now,
        "reason": reason,
        "message": message,
    }


def decide(pdb: Mapping[str, Any], namespace_pods: list[Obj], scale: Scale, now: float) -> Decision:
    meta, old = pdb.get("metadata") or {}, dict(pdb.get("status") or {})
    generation = int(meta.get("generation") or 0)
    stamp = format_time(now)
    pods = selected(pdb, namespace_pods)
    events: list[tuple[str, str, str]] = []
    if not pods:
        events.append(("Normal", "NoPods", "No matching pods found"))
    try:
        expected_count, desired, unmanaged = expected(pdb, pods, scale)
    except NoController as exc:
        message = f"Failed to calculate the number of expected pods: {exc}"
        condition = _condition(
            old.get("conditions") or [], False, "SyncFailed", str(exc), generation=generation, now=stamp
        )
        safe = old | {"disruptionsAllowed": 0, "observedGeneration": generation, "conditions": [condition]}
        return Decision(safe, (("Warning", "CalculateExpectedPodCountFailed", message),), None)
    if unmanaged:
        events.append(("Warning", "UnmanagedPods", f"Pods that have no controller: {unmanaged}"))
    disrupted: dict[str, str] = {}
    recheck: float | None = None
    names = {(p.get("metadata") or {}).get("name") for p in pods}
    for name, at in (old.get("disruptedPods") or {}).items():
        since = parse_time(at)
        if name in names and since is not None and since + DELETION_TIMEOUT > now:
            disrupted[name] = at
            left = since + DELETION_TIMEOUT - now
            recheck = left if recheck is None else min(recheck, left)
    healthy = sum(
        1
        for p in pods
        if is_ready(p) and not is_deleting(p) and (p.get("metadata") or {}).get("name") not in disrupted
    )
    allowed = 0 if expected_count <= 0 else max(0, healthy - desired)
    reason = "SufficientPods" if allowed > 0 else "InsufficientPods"
    status: Obj = {
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "disruptionsAllowed": allowed,
        "expectedPods": expected_count,
        "observedGeneration": generation,
        "conditions": [
            _condition(old.get("conditions") or [], allowed > 0, reason, "", generation=generation, now=stamp)
        ],
    }
    if disrupted:
        status["disruptedPods"] = disrupted
    return Decision(status, tuple(events), recheck)
