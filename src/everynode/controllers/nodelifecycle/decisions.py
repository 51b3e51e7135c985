"""What the node lifecycle controller decides about one node, as pure functions of the node and time.

- ``is_stale``: no sign of life (Lease renewal or Ready heartbeat) observed for the grace period.
- ``unknown_conditions``: the conditions to post for a stale node — Ready and the pressure conditions
  set to ``Unknown`` (NetworkUnavailable and custom conditions are left alone, as upstream does).
- ``reconcile_taints``: the node's taints with the controller's four (``not-ready`` and ``unreachable``,
  each ``NoSchedule`` and ``NoExecute``) made to follow the Ready condition, other taints kept.
- ``plan``: both, the taints computed on the node as it will be after the status write.

Each returns ``None`` when nothing would change, so a healthy node costs a few dictionary look-ups.
Nothing here reads a clock: ``now`` is local monotonic seconds, ``wall`` epoch seconds for timestamps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from everynode.core import wellknown
from everynode.core.taints import NO_EXECUTE, NO_SCHEDULE
from everynode.core.timestamps import format_time, parse_time
from everynode.core.types import Obj

READY = "Ready"
TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"
# the conditions a stale node has set to Unknown (NetworkUnavailable is the network plugin's, not the node's)
CONDITION_TYPES = (READY, "MemoryPressure", "DiskPressure", "PIDPressure")
REASON_UNKNOWN = "NodeStatusUnknown"
MESSAGE_UNKNOWN = "Kubelet stopped posting node status."
REASON_NEVER_UPDATED = "NodeStatusNeverUpdated"
MESSAGE_NEVER_UPDATED = "Kubelet never posted node status."

_EFFECTS = (NO_SCHEDULE, NO_EXECUTE)
# every (key, effect) this controller owns: it adds them and it removes them
OWNED_TAINTS = frozenset(
    (key, effect) for key in (wellknown.TAINT_NOT_READY, wellknown.TAINT_UNREACHABLE) for effect in _EFFECTS
)
_BY_READY_STATUS = {
    FALSE: ((wellknown.TAINT_NOT_READY, NO_SCHEDULE), (wellknown.TAINT_NOT_READY, NO_EXECUTE)),
    UNKNOWN: ((wellknown.TAINT_UNREACHABLE, NO_SCHEDULE), (wellknown.TAINT_UNREACHABLE, NO_EXECUTE)),
}


def _status(node: Mapping[str, Any]) -> Mapping[str, Any]:
    status: Mapping[str, Any] = node.get("status") or {}
    return status


def condition(node: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    """The first ``status.conditions`` entry of type ``kind``, if any."""
    for entry in _status(node).get("conditions") or ():
        if isinstance(entry, Mapping) and entry.get("type") == kind:
            return entry
    return None


def ready_status(node: Mapping[str, Any]) -> str | None:
    """The Ready condition's status (``"True"``, ``"False"``, ``"Unknown"``); None without one."""
    ready = condition(node, READY)
    if ready is None:
        return None
    status = ready.get("status")
    return status if isinstance(status, str) else ""


def grace_for(node: Mapping[str, Any], *, grace_period: float, startup_grace_period: float) -> float:
    """A node that never reported Ready gets the (longer) startup grace, as upstream."""
    return grace_period if condition(node, READY) is not None else startup_grace_period


def is_stale(
    node: Mapping[str, Any],
    last_seen: float,
    now: float,
    *,
    grace_period: float,
    startup_grace_period: float,
) -> bool:
    """Nothing observed for strictly longer than the node's grace period."""
    grace = grace_for(node, grace_period=grace_period, startup_grace_period=startup_grace_period)
    return now > last_seen + grace


def unknown_conditions(node: Mapping[str, Any], wall: float) -> list[Obj] | None:
    """``status.conditions`` for a stale node, or None if they are all Unknown already.

    Each of ``CONDITION_TYPES`` whose status is not Unknown becomes Unknown (reason
    ``NodeStatusUnknown``, lastTransitionTime ``wall``, lastHeartbeatTime kept); one the node never
    posted is added (reason ``NodeStatusNeverUpdated``, heartbeat at the node's creation). Every other
    condition is kept as it is, in its place.
    """
    stamp = format_time(wall)
    conditions = [
        dict(entry) for entry in _status(node).get("conditions") or () if isinstance(entry, Mapping)
    ]
    changed = False
    for kind in CONDITION_TYPES:
        current = next((entry for entry in conditions if entry.get("type") == kind), None)
        if current is None:
            created = (node.get("metadata") or {}).get("creationTimestamp") or stamp
            conditions.append(
                {
                    "type": kind,
                    "status": UNKNOWN,
                    "lastHeartbeatTime": created,
                    "lastTransitionTime": stamp,
                    "reason": REASON_NEVER_UPDATED,
                    "message": MESSAGE_NEVER_UPDATED,
                }
            )
            changed = True
        elif current.get("status") != UNKNOWN:
            current.update(
                status=UNKNOWN, reason=REASON_UNKNOWN, message=MESSAGE_UNKNOWN, lastTransitionTime=stamp
            )
            changed = True
    return conditions if changed else None


def desired_taints(ready: str | None) -> tuple[tuple[str, str], ...] | None:
    """The controller's taints a node with this Ready status carries; None (leave them) without Ready."""
    if ready is None:
        return None
    return _BY_READY_STATUS.get(ready, ())


def _key_effect(taint: Mapping[str, Any]) -> tuple[Any, Any]:
    return taint.get("key"), taint.get("effect")


def reconcile_taints(node: Mapping[str, Any], wall: float) -> list[Obj] | None:
    """``spec.taints`` with the controller's taints following Ready, or None if they already do.

    Ready=False wants ``not-ready``, Unknown wants ``unreachable`` (NoSchedule and NoExecute each), any
    other status wants neither; so a swap between the two is one write. Taints already right are kept
    untouched (with their ``timeAdded``); new ones are appended, the NoExecute one with ``timeAdded``
    = ``wall``. A node without a Ready condition has not reported yet: its taints are left alone.
    """
    wanted = desired_taints(ready_status(node))
    if wanted is None:
        return None
    taints: Sequence[Any] = (node.get("spec") or {}).get("taints") or ()
    kept = [
        dict(taint)
        for taint in taints
        if isinstance(taint, Mapping)
        and (_key_effect(taint) not in OWNED_TAINTS or _key_effect(taint) in wanted)
    ]
    present = {_key_effect(taint) for taint in kept}
    added: list[Obj] = []
    for key, effect in wanted:
        if (key, effect) not in present:
            taint: Obj = {"key": key, "effect": effect}
            if effect == NO_EXECUTE:
                taint["timeAdded"] = format_time(wall)
            added.append(taint)
    if not added and len(kept) == len(taints):
        return None
    return kept + added


@dataclass(frozen=True, slots=True)
class Plan:
    """The writes one node needs: new ``status.conditions`` and/or new ``spec.taints`` (None: no write)."""

    conditions: list[Obj] | None = None
    taints: list[Obj] | None = None

    @property
    def empty(self) -> bool:
        return self.conditions is None and self.taints is None


NOTHING = Plan()


def plan(
    node: Mapping[str, Any],
    last_seen: float,
    now: float,
    wall: float,
    *,
    grace_period: float,
    startup_grace_period: float,
) -> Plan:
    """Both decisions for one node; the taints are those of the node after its conditions are written."""
    conditions = None
    if is_stale(node, last_seen, now, grace_period=grace_period, startup_grace_period=startup_grace_period):
        conditions = unknown_conditions(node, wall)
    after = node if conditions is None else with_conditions(node, conditions)
    taints = reconcile_taints(after, wall)
    if conditions is None and taints is None:
        return NOTHING
    return Plan(conditions, taints)


def with_conditions(node: Mapping[str, Any], conditions: list[Obj]) -> Obj:
    """A shallow copy of ``node`` with ``status.conditions`` replaced (the node itself is untouched)."""
    return {**node, "status": {**_status(node), "conditions": conditions}}


def with_taints(node: Mapping[str, Any], taints: list[Obj]) -> Obj:
    """A shallow copy of ``node`` with ``spec.taints`` replaced (an empty list drops the field)."""
    spec = {key: value for key, value in (node.get("spec") or {}).items() if key != "taints"}
    if taints:
        spec["taints"] = taints
    return {**node, "spec": spec}


def created_at(node: Mapping[str, Any]) -> float | None:
    """The node's ``creationTimestamp`` as epoch seconds, if readable."""
    return parse_time((node.get("metadata") or {}).get("creationTimestamp"))
