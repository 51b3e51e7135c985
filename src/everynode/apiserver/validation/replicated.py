"""Deployment and ReplicaSet validation (upstream's ``ValidateDeployment``, ``ValidateReplicaSet``
and their update and status rules), and the selector-and-template rule every pod controller shares."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    child,
    go_string_map,
    immutable,
    nonnegative,
    str_map,
)
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.apiserver.validation.podspec import validate_pod_template_spec
from everynode.apiserver.validation.selectors import (
    converts,
    is_empty,
    matches,
    selector_string,
    validate_label_selector,
)
from everynode.apiserver.validation.values import int_or_percent, int_or_percent_value
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, not_supported, required
from everynode.core.types import Obj

STRATEGY_TYPES = ("Recreate", "RollingUpdate")


def selector_and_template(
    spec: Obj, path: str, *, owner: str, allow_invalid_values: bool = False, require_selector: bool = True
) -> Errors:
    """A selector that is set (Deployments and ReplicaSets say so; a DaemonSet's missing one just
    matches nothing), not empty, and picks the template's labels; a template whose pods restart
    Always and run without a deadline (``owner`` names the kind in the messages)."""
    selector = spec.get("selector") if isinstance(spec.get("selector"), dict) else None
    template = as_dict(spec.get("template"))
    raw_labels = as_dict(template.get("metadata")).get("labels")
    labels = str_map(raw_labels)
    if spec.get("selector") is None and require_selector:
        errs = [required(f"{path}.selector", "")]
    else:
        errs = validate_label_selector(
            selector, f"{path}.selector", allow_invalid_values=allow_invalid_values
        )
    if converts(selector) and not matches(selector, labels):
        text = go_string_map(labels if isinstance(raw_labels, dict) else None)
        detail = "`selector` does not match template `labels`"
        errs.append(invalid(f"{path}.template.metadata.labels", labels, detail, value_text=text))
    if selector is not None and is_empty(selector):
        detail = f"empty selector is invalid for {owner.lower()}"
        errs.append(invalid(f"{path}.selector", selector, detail, value_text=selector_string(selector)))
    errs.extend(validate_pod_template_spec(template, f"{path}.template"))
    pod_spec = as_dict(template.get("spec"))
    restart_policy = pod_spec.get("restartPolicy")
    if restart_policy != "Always":
        value = restart_policy if isinstance(restart_policy, str) else ""
        errs.append(not_supported(f"{path}.template.spec.restartPolicy", value, ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        detail = f"activeDeadlineSeconds in {owner} is not Supported"
        errs.append(forbidden(f"{path}.template.spec.activeDeadlineSeconds", detail))
    return errs


def _strategy(strategy: Any, path: str) -> Errors:
    strategy = as_dict(strategy)
    kind = strategy.get("type")
    if kind not in STRATEGY_TYPES:
        return [not_supported(f"{path}.type", kind if isinstance(kind, str) else "", STRATEGY_TYPES)]
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            detail = "may not be specified when strategy `type` is 'Recreate'"
            return [forbidden(f"{path}.rollingUpdate", detail)]
        return []
    rolling = as_dict(rolling)
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    at = f"{path}.rollingUpdate"
    errs = int_or_percent(unavailable if unavailable is not None else 0, f"{at}.maxUnavailable")
    errs.extend(int_or_percent(surge if surge is not None else 0, f"{at}.maxSurge"))
    if not errs and int_or_percent_value(unavailable) == 0 and int_or_percent_value(surge) == 0:
        detail = "may not be 0 when `maxSurge` is 0"
        errs.append(invalid(f"{at}.maxUnavailable", unavailable or 0, detail))
    return errs


def _counts(spec: Obj, path: str, fields: tuple[str, ...]) -> Errors:
    errs: Errors = []
    for field in fields:
        errs.extend(nonnegative(as_int(spec.get(field)), child(path, field)))
    return errs


def validate_deployment(deployment: Obj, *, allow_invalid_selector_values: bool = False) -> Errors:
    meta = deployment.get("metadata")
    errs = validate_object_meta(meta, namespaced=True, name_fn=names.name_is_dns_subdomain)
    spec = as_dict(deployment.get("spec"))
    errs.extend(_counts(spec, "spec", ("replicas", "minReadySeconds", "revisionHistoryLimit")))
    errs.extend(
        selector_and_template(
            spec, "spec", owner="Deployment", allow_invalid_values=allow_invalid_selector_values
        )
    )
    errs.extend(_strategy(spec.get("strategy"), "spec.strategy"))
    deadline, min_ready = as_int(spec.get("progressDeadlineSeconds")), as_int(spec.get("minReadySeconds"))
    if deadline is not None:
        errs.extend(nonnegative(deadline, "spec.progressDeadlineSeconds"))
        if deadline <= (min_ready or 0):
            detail = "must be greater than minReadySeconds"
            errs.append(invalid("spec.progressDeadlineSeconds", deadline, detail))
    return errs


def validate_replicaset(replicaset: Obj, *, allow_invalid_selector_values: bool = False) -> Errors:
    meta = replicaset.get("metadata")
    errs = validate_object_meta(meta, namespaced=True, name_fn=names.name_is_dns_subdomain)
    spec = as_dict(replicaset.get("spec"))
    errs.extend(_counts(spec, "spec", ("replicas", "minReadySeconds")))
    errs.extend(
        selector_and_template(
            spec, "spec", owner="ReplicaSet", allow_invalid_values=allow_invalid_selector_values
        )
    )
    return errs


def _update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    new_selector = as_dict(new.get("spec")).get("selector")
    old_selector = as_dict(old.get("spec")).get("selector")
    text = selector_string(new_selector)
    errs.extend(immutable(new_selector, old_selector, "spec.selector", value_text=text))
    return errs


def validate_deployment_update(new: Obj, old: Obj) -> Errors:
    return validate_deployment(new, allow_invalid_selector_values=True) + _update(new, old)


def validate_replicaset_update(new: Obj, old: Obj) -> Errors:
    return validate_replicaset(new, allow_invalid_selector_values=True) + _update(new, old)


def validate_status_update(new: Obj, old: Obj) -> Errors:
    """Deployment and ReplicaSet status: metadata rules and no negative counter."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    status = as_dict(new.get("status"))
    for field, value in status.items():
        if field.endswith("Replicas") or field in ("replicas", "observedGeneration", "collisionCount"):
            errs.extend(nonnegative(as_int(value), f"status.{field}"))
    return errs
