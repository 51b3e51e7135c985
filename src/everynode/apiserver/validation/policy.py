"""PodDisruptionBudget validation (upstream ``ValidatePodDisruptionBudget[Spec|StatusUpdate]``)."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    dicts,
    expect,
    expect_object,
    nonnegative,
    strings,
)
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.apiserver.validation.selectors import selector_string, validate_label_selector
from everynode.apiserver.validation.values import int_or_percent, path_segment_name, validate_conditions
from everynode.core import names
from everynode.core.fielderrors import go_quote, invalid, not_supported
from everynode.core.types import Obj

UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")
STATUS_COUNTERS = ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods")
_SPEC_SHAPE = {"selector": "object", "unhealthyPodEvictionPolicy": "string"}
_STATUS_SHAPE = {
    **dict.fromkeys((*STATUS_COUNTERS, "observedGeneration"), "integer"),
    "conditions": "array",
    "disruptedPods": "object",
}


def _pointer(value: Any, type_name: str, text: str) -> str:
    return f"(*{type_name})(nil)" if value is None else text


def _spec_text(spec: Obj) -> str:
    """``policy.PodDisruptionBudgetSpec`` in the shape of Go's ``%#v`` (values shown where Go would show a
    pointer's address)."""
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    selector, policy = spec.get("selector"), spec.get("unhealthyPodEvictionPolicy")
    return (
        "policy.PodDisruptionBudgetSpec{"
        f"MinAvailable:{_pointer(min_available, 'intstr.IntOrString', str(min_available))}, "
        f"Selector:{_pointer(selector, 'v1.LabelSelector', selector_string(selector))}, "
        f"MaxUnavailable:{_pointer(max_unavailable, 'intstr.IntOrString', str(max_unavailable))}, "
        "UnhealthyPodEvictionPolicy:"
        f"{_pointer(policy, 'policy.UnhealthyPodEvictionPolicyType', go_quote(str(policy)))}}}"
    )


def validate_pod_disruption_budget_spec(
    raw_spec: Any, *, allow_invalid_selector_values: bool = False
) -> Errors:
    errs = expect_object(raw_spec, "spec") or expect(raw_spec, _SPEC_SHAPE, "spec")
    spec = as_dict(raw_spec)
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    if min_available is not None and max_unavailable is not None:
        detail = "minAvailable and maxUnavailable cannot be both set"
        errs.append(invalid("spec", spec, detail, value_text=_spec_text(spec)))
    if min_available is not None:
        errs.extend(int_or_percent(min_available, "spec.minAvailable"))
    if max_unavailable is not None:
        errs.extend(int_or_percent(max_unavailable, "spec.maxUnavailable"))
    errs.extend(
        validate_label_selector(
            spec.get("selector"), "spec.selector", allow_invalid_values=allow_invalid_selector_values
        )
    )
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
        errs.append(not_supported("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES))
    return errs


def validate_pod_disruption_budget(obj: Obj, *, allow_invalid_selector_values: bool = False) -> Errors:
    """The spec rules; only a PDB that passes them gets the registry's generic metadata check (a
    path-segment name, upstream has no stricter rule for PDB names)."""
    errs = validate_pod_disruption_budget_spec(
        obj.get("spec"), allow_invalid_selector_values=allow_invalid_selector_values
    )
    if errs:
        return errs
    return validate_object_meta(
        obj.get("metadata"), namespaced=True, name_fn=path_segment_name, kube_finalizers=False
    )


def _has_invalid_selector_values(obj: Obj) -> bool:
    selector = as_dict(as_dict(obj.get("spec")).get("selector"))
    for expr in dicts(selector.get("matchExpressions")):
        if any(names.is_valid_label_value(v) for v in strings(expr.get("values"))):
            return True
    return False


def validate_pod_disruption_budget_update(new: Obj, old: Obj) -> Errors:
    """The spec is mutable; selector values the old PDB already held stay allowed."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(
        validate_pod_disruption_budget_spec(
            new.get("spec"), allow_invalid_selector_values=_has_invalid_selector_values(old)
        )
    )
    return errs


def validate_pod_disruption_budget_status_update(new: Obj, old: Obj) -> Errors:
    """Valid conditions and non-negative counters (the policy/v1 rules)."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(
        expect_object(new.get("status"), "status") or expect(new.get("status"), _STATUS_SHAPE, "status")
    )
    status = as_dict(new.get("status"))
    errs.extend(validate_conditions(status.get("conditions"), "status.conditions"))
    for counter in STATUS_COUNTERS:
        errs.extend(nonnegative(as_int(status.get(counter)) or 0, f"status.{counter}"))
    return errs
