"""A PodDisruptionBudget's status, decided from the pods it selects and what the finders learnt of
their controllers (upstream's ``pkg/controller/disruption/disruption.go``: ``trySync``,
``getExpectedPodCount``, ``getExpectedScale``, ``buildDisruptedPodMap``, ``countHealthyPods``,
``updatePdbStatus``, ``failSafe``): pure, no I/O.

- ``expectedPods`` and ``desiredHealthy``: with an integer ``minAvailable``, the number of selected
  pods and that integer. With ``maxUnavailable`` (integer or percentage) or a percentage
  ``minAvailable``, ``expectedPods`` is the sum of the scales of the distinct controllers of the
  selected pods (``findings``, keyed by ``ref_key`` of each pod's controller reference: a Deployment's
  replicas for its ReplicaSets' pods, a ReplicaSet's, a StatefulSet's, a scale subresource's);
  ``desiredHealthy`` is ``expectedPods`` minus ``maxUnavailable`` (a percentage of it rounded up),
  never below 0, or the percentage ``minAvailable`` of it, rounded up. Pods without a controller are
  left out of ``expectedPods`` (event ``UnmanagedPods``).
- A selected pod whose controller no finder knows, a finder's failure, an invalid selector or an
  invalid percentage make the sync fail safe: the old status with ``disruptionsAllowed: 0`` and the
  condition ``DisruptionAllowed`` False, reason ``SyncFailed``, the failure as its message, its
  ``observedGeneration`` the status's (the status itself is not marked observed).
- ``currentHealthy``: selected pods Ready, not being deleted, not recently evicted (``disruptedPods``
  entries of pods still there and not being deleted count for two minutes, then lapse).
- ``disruptionsAllowed``: ``currentHealthy - desiredHealthy``, never below 0, and 0 when no pod is
  expected; the ``DisruptionAllowed`` condition says which (``SufficientPods`` / ``InsufficientPods``),
  set as ``meta.SetStatusCondition`` sets it: other conditions are kept, and its
  ``lastTransitionTime`` moves only when its status changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from everynode.controllers.disruption.finders import Failed, Finding, Found, controller_of
from everynode.core.intstr import scaled_value
from everynode.core.labels import SelectorError
from everynode.core.labelselector import format_label_selector, from_label_selector
from everynode.core.pods import is_deleting, is_ready
from everynode.core.timestamps import format_time, parse_time
from everynode.core.types import Obj

DELETION_TIMEOUT = 120.0  # seconds an evicted pod counts as disrupted (upstream's DeletionTimeout)
DISRUPTION_ALLOWED = "DisruptionAllowed"
RefKey = tuple[str, str, str, str]  # a controller reference's apiVersion, kind, name, uid


class SyncFailed(Exception):
    """The budget's status cannot be computed; the message says why (the condition's message)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Decision:
    status: Obj
    events: tuple[tuple[str, str, str], ...]  # (type, reason, message)
    recheck_after: float | None  # seconds until a disrupted pod's entry lapses
    failure: SyncFailed | None = None  # the sync failed safe for this reason


def ref_key(ref: Mapping[str, Any]) -> RefKey:
    return (
        str(ref.get("apiVersion", "")),
        str(ref.get("kind", "")),
        str(ref.get("name", "")),
        str(ref.get("uid", "")),
    )


def _select(pdb: Mapping[str, Any], pods: list[Obj]) -> list[Obj]:
    """The pods of the budget's namespace its selector picks (a missing selector picks none);
    SelectorError for a selector that does not parse."""
    selector = from_label_selector((pdb.get("spec") or {}).get("selector"))
    return [p for p in pods if selector.matches((p.get("metadata") or {}).get("labels") or {})]


def selected(pdb: Mapping[str, Any], pods: list[Obj]) -> list[Obj]:
    """The pods the budget selects; none for a selector that does not parse."""
    try:
        return _select(pdb, pods)
    except (SelectorError, AttributeError, TypeError):
        return []


def needs_scale(pdb: Mapping[str, Any]) -> bool:
    """Does the budget count its pods' controllers' scale (``maxUnavailable`` or a percentage
    ``minAvailable``) rather than its pods?"""
    spec = pdb.get("spec") or {}
    min_available = spec.get("minAvailable")
    return spec.get("maxUnavailable") is not None or (
        min_available is not None and not isinstance(min_available, int)
    )


def controllers_to_find(pdb: Mapping[str, Any], namespace_pods: list[Obj]) -> list[Mapping[str, Any]]:
    """The distinct controller references of the selected pods whose scale ``decide`` will need, in
    pod order (none when the budget counts pods)."""
    if not needs_scale(pdb):
        return []
    refs: dict[RefKey, Mapping[str, Any]] = {}
    for pod in selected(pdb, namespace_pods):
        ref = controller_of(pod)
        if ref is not None:
            refs.setdefault(ref_key(ref), ref)
    return list(refs.values())


def expected_scale(pods: list[Obj], findings: Mapping[RefKey, Finding]) -> tuple[int, list[str]]:
    """``getExpectedScale``: (the sum of the distinct controllers' scales, the unmanaged pods' names);
    SyncFailed at the first pod whose controller is not found or whose finder failed."""
    scales: dict[str, int] = {}
    unmanaged: list[str] = []
    for pod in pods:
        name = str((pod.get("metadata") or {}).get("name", ""))
        ref = controller_of(pod)
        if ref is None:
            unmanaged.append(name)
            continue
        finding = findings.get(ref_key(ref))
        if isinstance(finding, Failed):
            raise SyncFailed(finding.message, transient=finding.transient)
        if not isinstance(finding, Found):
            raise SyncFailed(f'found no controllers for pod "{name}"')
        scales[finding.uid] = finding.replicas
    return sum(scales.values()), unmanaged


def expected(
    pdb: Mapping[str, Any], pods: list[Obj], findings: Mapping[RefKey, Finding]
) -> tuple[int, int, list[str]]:
    """``getExpectedPodCount``: (expectedPods, desiredHealthy, unmanaged pods' names)."""
    spec = pdb.get("spec") or {}
    max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
    try:
        if max_unavailable is not None:
            total, unmanaged = expected_scale(pods, findings)
            unavailable = scaled_value(max_unavailable, total, round_up=True, field="IntOrString")
            return total, max(0, total - unavailable), unmanaged
        if isinstance(min_available, int):
            return len(pods), min_available, []
        if min_available is not None:
            total, unmanaged = expected_scale(pods, findings)
            return total, scaled_value(min_available, total, round_up=True, field="IntOrString"), unmanaged
    except ValueError as exc:
        raise SyncFailed(str(exc)) from exc
    return 0, 0, []  # nothing to keep: no disruption is counted as allowed either (upstream's)


def set_condition(conditions: Any, wanted: Obj, now: str) -> list[Any]:
    """``meta.SetStatusCondition`` on a copy: the condition of ``wanted``'s type replaced in place (its
    ``lastTransitionTime`` kept while its status holds) or appended; the others kept."""
    kept = list(conditions) if isinstance(conditions, list) else []
    for i, old in enumerate(kept):
        if isinstance(old, dict) and old.get("type") == wanted["type"]:
            since = old.get("lastTransitionTime") if old.get("status") == wanted["status"] else None
            kept[i] = _ordered(wanted, since or now)
            return kept
    return [*kept, _ordered(wanted, now)]


def _ordered(wanted: Obj, since: str) -> Obj:
    """A ``metav1.Condition`` in its fields' order (``observedGeneration`` omitted when 0)."""
    condition: Obj = {"type": wanted["type"], "status": wanted["status"]}
    if wanted.get("observedGeneration"):
        condition["observedGeneration"] = wanted["observedGeneration"]
    condition |= {"lastTransitionTime": since, "reason": wanted["reason"], "message": wanted["message"]}
    return condition


def fail_safe(pdb: Mapping[str, Any], failure: SyncFailed, now: float) -> Obj:
    """``failSafe``: the old status, no disruption allowed, the condition saying why."""
    old = dict(pdb.get("status") or {})
    status: Obj = {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}
    status |= {k: v for k, v in old.items() if k != "disruptionsAllowed"}
    status["disruptionsAllowed"] = 0
    wanted = {
        "type": DISRUPTION_ALLOWED,
        "status": "False",
        "observedGeneration": old.get("observedGeneration") or 0,
        "reason": "SyncFailed",
        "message": str(failure),
    }
    status["conditions"] = set_condition(old.get("conditions"), wanted, format_time(now))
    return status


def disrupted_pods(
    pdb: Mapping[str, Any], pods: list[Obj], now: float
) -> tuple[dict[str, str], float | None]:
    """``buildDisruptedPodMap``: the ``disruptedPods`` entries still due (their pod is selected, not
    being deleted, and evicted less than DELETION_TIMEOUT ago), and the seconds until the first lapses."""
    old = (pdb.get("status") or {}).get("disruptedPods")
    old = old if isinstance(old, dict) else {}
    kept: dict[str, str] = {}
    recheck: float | None = None
    for pod in pods:
        name = str((pod.get("metadata") or {}).get("name", ""))
        at = old.get(name)
        since = parse_time(at) if isinstance(at, str) and not is_deleting(pod) else None
        if since is None or since + DELETION_TIMEOUT < now:
            continue
        kept[name] = str(at)
        left = since + DELETION_TIMEOUT - now
        recheck = left if recheck is None else min(recheck, left)
    return kept, recheck


def decide(
    pdb: Mapping[str, Any], namespace_pods: list[Obj], findings: Mapping[RefKey, Finding], now: float
) -> Decision:
    """The budget's new status (and events) from the pods of its namespace and the findings of
    their controllers (``controllers_to_find`` says which are needed)."""
    meta = pdb.get("metadata") or {}
    generation = int(meta.get("generation") or 0)
    events: list[tuple[str, str, str]] = []
    try:
        try:
            pods = _select(pdb, namespace_pods)
        except (SelectorError, AttributeError, TypeError) as exc:
            events.append(("Warning", "NoPods", f"Failed to get pods: {exc}"))
            raise SyncFailed(str(exc)) from exc
        if not pods:
            events.append(("Normal", "NoPods", "No matching pods found"))
        try:
            expected_count, desired, unmanaged = expected(pdb, pods, findings)
        except SyncFailed as exc:
            message = f"Failed to calculate the number of expected pods: {exc}"
            events.append(("Warning", "CalculateExpectedPodCountFailed", message))
            raise
    except SyncFailed as failure:
        return Decision(fail_safe(pdb, failure, now), tuple(events), None, failure)
    if unmanaged:
        selector = format_label_selector((pdb.get("spec") or {}).get("selector"))
        events.append(("Warning", "UnmanagedPods", _unmanaged_message(selector, len(unmanaged))))
    disrupted, recheck = disrupted_pods(pdb, pods, now)
    healthy = sum(
        1
        for p in pods
        if is_ready(p) and not is_deleting(p) and (p.get("metadata") or {}).get("name") not in disrupted
    )
    allowed = 0 if expected_count <= 0 else max(0, healthy - desired)
    status: Obj = {"observedGeneration": generation} if generation else {}
    if disrupted:
        status["disruptedPods"] = disrupted
    status |= {
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected_count,
    }
    wanted = {
        "type": DISRUPTION_ALLOWED,
        "status": "True" if allowed > 0 else "False",
        "observedGeneration": generation,
        "reason": "SufficientPods" if allowed > 0 else "InsufficientPods",
        "message": "",
    }
    old_conditions = (pdb.get("status") or {}).get("conditions")
    status["conditions"] = set_condition(old_conditions, wanted, format_time(now))
    return Decision(status, tuple(events), recheck)


def _unmanaged_message(selector: str, count: int) -> str:
    return (
        f"{count} pod(s) selected by this PodDisruptionBudget (selector: {selector}) have no controller, "
        "so its status cannot count them correctly; an integer .spec.minAvailable counts every pod"
    )
