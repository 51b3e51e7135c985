"""What an eviction (``POST pods/{name}/eviction``) does to a pod and its PodDisruptionBudget: pure
decisions, made before any write, as upstream's ``EvictionREST`` makes them.

In order (``decide``):

* a pod that runs no more or does not run yet (phase ``Succeeded``, ``Failed`` or ``Pending``) or is
  already being deleted goes at once, whatever the budgets say (a ``Pending`` one only while it is
  at the version read: it must not become ready in between);
* the namespace's budgets whose ``spec.selector`` selects the pod are found (a null selector selects
  nothing, an empty one everything, an invalid one nothing): more than one is refused (500), none
  lets the pod go;
* an unready pod goes without touching the budget when ``unhealthyPodEvictionPolicy`` is
  ``AlwaysAllow``, or when the budget is met (``currentHealthy >= desiredHealthy > 0``);
* otherwise ``check_and_decrement``: a budget the disruption controller has not seen yet
  (``status.observedGeneration < metadata.generation``) answers 429 "still being processed", a
  negative allowance or an overfull ``disruptedPods`` map 403, no allowance 429; else the allowance
  goes down by one, the pod is recorded in ``disruptedPods``, and the budget is written before the
  pod goes.

The pod itself is then marked (``DisruptionTarget`` condition, ``with_disruption_condition``) and
deleted with the eviction's DeleteOptions; the request layer does the reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from everynode.apiserver.registry.objects import deep_copy
from everynode.core import errors
from everynode.core.labels import SelectorError
from everynode.core.labelselector import from_label_selector
from everynode.core.pods import is_deleting, is_ready
from everynode.core.types import Obj

MAX_DISRUPTED_PODS = 2000  # upstream's MaxDisruptedPodSize
STILL_PROCESSING_RETRY_SECONDS = 10
DISRUPTION_BUDGET_CAUSE = "DisruptionBudget"
ALWAYS_ALLOW = "AlwaysAllow"
DISRUPTION_ALLOWED = "DisruptionAllowed"
MORE_THAN_ONE_BUDGET = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
)
WOULD_VIOLATE = "Cannot evict pod as it would violate the pod's disruption budget."
DISRUPTION_TARGET = {
    "type": "DisruptionTarget",
    "status": "True",
    "reason": "EvictionByEvictionAPI",
    "message": "Eviction API: evicting",
}

Reason = Literal["pod-not-running", "no-budget", "unhealthy-pod", "budget-allows", "refused"]


@dataclass(frozen=True, slots=True)
class Decision:
    """``action`` ``delete``: delete the pod now; ``decrement``: write ``budget`` (the decremented
    budget), then delete the pod; ``refuse``: answer ``error``.

    ``pin_resource_version``: delete only while the pod is at the version decided on (a
    ``resourceVersion`` precondition). For ``pod-not-running`` it is added when the client gave none,
    and a conflict means "read the pod again and decide again"; for ``unhealthy-pod`` it replaces the
    client's, and a conflict (when the client gave none) is the 429 "still being processed" of
    ``budget_name``."""

    action: Literal["delete", "decrement", "refuse"]
    reason: Reason
    pin_resource_version: bool = False
    budget_name: str = ""
    budget: Obj | None = None
    error: errors.ApiError | None = None


def decide(pod: Obj, budgets: Iterable[Obj], now: str) -> Decision:
    """What evicting ``pod`` does, given the PodDisruptionBudgets of its namespace (those that do not
    select it are skipped here) and ``now`` (RFC 3339, recorded in ``disruptedPods``)."""
    if can_ignore_budgets(pod):
        return Decision("delete", "pod-not-running", pin_resource_version=pins_resource_version(pod))
    matching = matching_budgets(pod, budgets)
    if len(matching) > 1:
        # upstream returns this Status as its result, not as an error: it has no reason
        return Decision("refuse", "refused", error=errors.InternalError(MORE_THAN_ONE_BUDGET, reason=""))
    if not matching:
        return Decision("delete", "no-budget")
    budget = matching[0]
    name = _name(budget)
    if not is_ready(pod):
        spec, status = _field(budget, "spec"), _field(budget, "status")
        desired = _int(status.get("desiredHealthy"))
        if spec.get("unhealthyPodEvictionPolicy") == ALWAYS_ALLOW or (
            _int(status.get("currentHealthy")) >= desired > 0
        ):
            return Decision("delete", "unhealthy-pod", pin_resource_version=True, budget_name=name)
    try:
        decremented = check_and_decrement(budget, _name(pod), now)
    except errors.ApiError as refusal:
        return Decision("refuse", "refused", budget_name=name, error=refusal)
    return Decision("decrement", "budget-allows", budget_name=name, budget=decremented)


def can_ignore_budgets(pod: Obj) -> bool:
    """Done, not started yet, or being deleted: evicting it disrupts nothing more (``canIgnorePDB``)."""
    return _phase(pod) in ("Succeeded", "Failed", "Pending") or is_deleting(pod)


def pins_resource_version(pod: Obj) -> bool:
    """A running or pending pod is deleted only at the version read, so that it cannot become ready in
    between (``shouldEnforceResourceVersion``); a finished or deleting one is not."""
    return _phase(pod) not in ("Succeeded", "Failed") and not is_deleting(pod)


def matching_budgets(pod: Obj, budgets: Iterable[Obj]) -> list[Obj]:
    """The budgets of the pod's namespace whose selector selects its labels (an invalid one: none)."""
    namespace = _field(pod, "metadata").get("namespace")
    labels = _field(pod, "metadata").get("labels") or {}
    found = []
    for budget in budgets:
        if _field(budget, "metadata").get("namespace") != namespace:
            continue
        selector = _field(budget, "spec").get("selector")
        try:
            selected = from_label_selector(selector if isinstance(selector, dict) else None).matches(labels)
        except (SelectorError, TypeError, AttributeError):
            selected = False
        if selected:
            found.append(budget)
    return found


def check_and_decrement(budget: Obj, pod_name: str, now: str) -> Obj:
    """The budget with one disruption fewer allowed and ``pod_name`` in ``disruptedPods`` (a copy; the
    budget given is not changed), or raise the refusal (429, 403)."""
    name = _name(budget)
    status = _field(budget, "status")
    generation = _int(_field(budget, "metadata").get("generation"))
    if _int(status.get("observedGeneration")) < generation:
        raise still_being_processed(name)
    allowed = _int(status.get("disruptionsAllowed"))
    if allowed < 0:
        raise _forbidden(name, "pdb disruptions allowed is negative")
    disrupted = status.get("disruptedPods")
    if isinstance(disrupted, dict) and len(disrupted) > MAX_DISRUPTED_PODS:
        raise _forbidden(
            name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller"
        )
    if allowed == 0:
        desired, current = _int(status.get("desiredHealthy")), _int(status.get("currentHealthy"))
        message = f"The disruption budget {name} needs {desired} healthy pods and has {current} currently"
        raise too_many_requests(WOULD_VIOLATE, 0, message)
    updated = deep_copy(budget)
    new_status = updated.setdefault("status", {})
    new_status["disruptionsAllowed"] = allowed - 1
    if allowed - 1 == 0:
        update_disruption_allowed_condition(new_status, now)
    pods = new_status.get("disruptedPods")
    if not isinstance(pods, dict):
        pods = new_status["disruptedPods"] = {}
    pods[pod_name] = now
    return updated


def update_disruption_allowed_condition(status: Obj, now: str) -> None:
    """``pdbhelper.UpdateDisruptionAllowedCondition`` (in place): ``DisruptionAllowed`` True
    ``SufficientPods`` while disruptions are allowed, False ``InsufficientPods`` otherwise, set as
    ``meta.SetStatusCondition`` sets a condition."""
    allowed = _int(status.get("disruptionsAllowed")) > 0
    wanted: Obj = {
        "type": DISRUPTION_ALLOWED,
        "status": "True" if allowed else "False",
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
    }
    observed = _int(status.get("observedGeneration"))
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        conditions = status["conditions"] = []
    existing = next(
        (c for c in conditions if isinstance(c, dict) and c.get("type") == DISRUPTION_ALLOWED), None
    )
    if existing is None:
        condition = {**wanted, "lastTransitionTime": now}
        if observed:
            condition["observedGeneration"] = observed
        conditions.append(_ordered(condition))
        return
    if existing.get("status") != wanted["status"]:
        existing["status"] = wanted["status"]
        existing["lastTransitionTime"] = now
    existing["reason"], existing["message"] = wanted["reason"], wanted["message"]
    if observed:
        existing["observedGeneration"] = observed
    else:
        existing.pop("observedGeneration", None)


def with_disruption_condition(pod: Obj, now: str) -> Obj:
    """The pod with the ``DisruptionTarget`` condition of an eviction (``podutil.UpdatePodCondition``:
    an existing one is replaced in place, keeping its ``lastTransitionTime`` when its status stays);
    ``pod`` itself unchanged, and returned as it is when the condition is already there."""
    conditions = _field(pod, "status").get("conditions")
    conditions = conditions if isinstance(conditions, list) else []
    for i, existing in enumerate(conditions):
        if isinstance(existing, dict) and existing.get("type") == DISRUPTION_TARGET["type"]:
            kept = existing.get("status") == DISRUPTION_TARGET["status"]
            condition = _pod_condition(existing.get("lastTransitionTime") if kept else now)
            if kept and condition == existing:
                return pod
            updated = deep_copy(pod)
            updated["status"]["conditions"][i] = condition
            return updated
    updated = deep_copy(pod)
    updated.setdefault("status", {}).setdefault("conditions", []).append(_pod_condition(now))
    return updated


def precondition_conflict(pod: Obj, uid: str | None, resource_version: str | None) -> errors.Conflict | None:
    """The conflict upstream's eviction reports when the pod it is about to mark is not the one the
    DeleteOptions' preconditions name (``None`` when it is)."""
    metadata = _field(pod, "metadata")
    if uid and uid != metadata.get("uid"):
        why = (
            f"the UID in the precondition ({uid}) does not match the UID in record ({metadata.get('uid')}). "
            "The object might have been deleted and then recreated"
        )
        return errors.conflict("Pod", "", _name(pod), why)
    current = metadata.get("resourceVersion")
    if resource_version and resource_version != current:
        why = (
            f"the ResourceVersion in the precondition ({resource_version}) does not match the "
            f"ResourceVersion in record ({current}). The object might have been modified"
        )
        return errors.conflict("Pod", "", _name(pod), why)
    return None


def still_being_processed(budget_name: str) -> errors.TooManyRequests:
    """The 429 for a budget the disruption controller has not caught up with yet (upstream's
    ``createTooManyRequestsError``)."""
    return too_many_requests(
        WOULD_VIOLATE,
        STILL_PROCESSING_RETRY_SECONDS,
        f"The disruption budget {budget_name} is still being processed by the server.",
    )


def too_many_requests(message: str, retry_after: int, cause: str) -> errors.TooManyRequests:
    """``NewTooManyRequests(message, retry_after)`` with one ``DisruptionBudget`` cause."""
    details: dict[str, Any] = {"causes": [{"reason": DISRUPTION_BUDGET_CAUSE, "message": cause}]}
    if retry_after > 0:
        details["retryAfterSeconds"] = retry_after
    return errors.TooManyRequests(message, details=details)


def _forbidden(budget_name: str, why: str) -> errors.Forbidden:
    """``NewForbidden(policy.Resource("poddisruptionbudget"), name, err)``: upstream's singular."""
    return errors.Forbidden(
        f'poddisruptionbudget.policy "{budget_name}" is forbidden: {why}',
        details={"name": budget_name, "group": "policy", "kind": "poddisruptionbudget"},
    )


def _pod_condition(transition: Any) -> Obj:
    condition: Obj = {"type": DISRUPTION_TARGET["type"], "status": DISRUPTION_TARGET["status"]}
    if transition:
        condition["lastTransitionTime"] = transition
    condition["reason"] = DISRUPTION_TARGET["reason"]
    condition["message"] = DISRUPTION_TARGET["message"]
    return condition


def _ordered(condition: Obj) -> Obj:
    """A ``metav1.Condition`` in its serialized field order."""
    order = ("type", "status", "observedGeneration", "lastTransitionTime", "reason", "message")
    return {k: condition[k] for k in order if k in condition}


def _field(obj: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = obj.get(name)
    return value if isinstance(value, dict) else {}


def _name(obj: Obj) -> str:
    return str(_field(obj, "metadata").get("name") or "")


def _phase(pod: Obj) -> Any:
    return _field(pod, "status").get("phase")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
