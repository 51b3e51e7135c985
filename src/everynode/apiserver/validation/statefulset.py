"""StatefulSet validation (upstream ``ValidateStatefulSet``, ``...Update``, ``...StatusUpdate``)."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_str,
    child,
    expect,
    expect_items,
    expect_object,
    go_string_map,
    nonnegative,
    semantic_equal,
    str_map,
)
from everynode.apiserver.validation.meta import (
    validate_annotations,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.apiserver.validation.podspec import validate_pod_specific_annotations
from everynode.apiserver.validation.selectors import (
    converts,
    is_empty,
    matches,
    selector_string,
    validate_label_selector,
)
from everynode.apiserver.validation.values import int_or_percent, int_or_percent_value
from everynode.core import names
from everynode.core.fielderrors import forbidden, go_quote, invalid, not_supported, required
from everynode.core.types import Obj

POD_MANAGEMENT_POLICIES = ("OrderedReady", "Parallel")
RETENTION_POLICIES = ("Retain", "Delete")  # upstream's order
UPDATABLE_SPEC_FIELDS = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
IMMUTABLE_SPEC_MSG = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)
STATUS_COUNTERS = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas")
_SPEC_SHAPE = {
    **dict.fromkeys(("replicas", "minReadySeconds", "revisionHistoryLimit"), "integer"),
    **dict.fromkeys(
        ("selector", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "ordinals"),
        "object",
    ),
    **dict.fromkeys(("serviceName", "podManagementPolicy"), "string"),
    "volumeClaimTemplates": "array",
}


def _rolling_update_text(rolling: Obj) -> str:
    """``apps.RollingUpdateStatefulSetStrategy`` as Go's ``%#v`` prints it."""
    max_unavailable = rolling.get("maxUnavailable")
    unavailable = "(*intstr.IntOrString)(nil)" if max_unavailable is None else str(max_unavailable)
    return (
        f"apps.RollingUpdateStatefulSetStrategy{{Partition:{as_int(rolling.get('partition')) or 0}, "
        f"MaxUnavailable:{unavailable}}}"
    )


def _strategy_text(strategy: Obj) -> str:
    rolling = strategy.get("rollingUpdate")
    inner = (
        "&" + _rolling_update_text(rolling)
        if isinstance(rolling, dict)
        else "(*apps.RollingUpdateStatefulSetStrategy)(nil)"
    )
    kind = go_quote(as_str(strategy.get("type")))
    return f"apps.StatefulSetUpdateStrategy{{Type:{kind}, RollingUpdate:{inner}}}"


def _rolling_update(rolling: Obj, path: str) -> Errors:
    """``validateRollingUpdateStatefulSet``: a partition ≥ 0 and, if given, a non-zero maxUnavailable."""
    errs = nonnegative(as_int(rolling.get("partition")) or 0, child(path, "partition"))
    max_unavailable = rolling.get("maxUnavailable")
    if max_unavailable is not None:
        unavailable_path = child(path, "maxUnavailable")
        problems = int_or_percent(max_unavailable, unavailable_path)
        errs.extend(p for p in problems if not p.message.endswith("must not be greater than 100%"))
        if int_or_percent_value(max_unavailable) == 0:
            text = str(max_unavailable)
            errs.append(invalid(unavailable_path, max_unavailable, "cannot be 0", value_text=text))
        errs.extend(p for p in problems if p.message.endswith("must not be greater than 100%"))
    return errs


def _update_strategy(strategy: Obj, path: str) -> Errors:
    kind, rolling = as_str(strategy.get("type")), strategy.get("rollingUpdate")
    if not kind:
        return [required(path)]
    if kind == "OnDelete":
        if isinstance(rolling, dict):
            detail = "only allowed for updateStrategy 'RollingUpdate'"
            text = _rolling_update_text(rolling)
            return [invalid(child(path, "rollingUpdate"), rolling, detail, value_text=text)]
        return []
    if kind == "RollingUpdate":
        return _rolling_update(rolling, child(path, "rollingUpdate")) if isinstance(rolling, dict) else []
    detail = "must be 'RollingUpdate' or 'OnDelete'"
    return [invalid(path, strategy, detail, value_text=_strategy_text(strategy))]


def _retention_policy(policy: Any, path: str) -> Errors:
    if not isinstance(policy, dict):
        return []
    errs: Errors = []
    for field in ("whenDeleted", "whenScaled"):
        value = as_str(policy.get(field))
        if value not in RETENTION_POLICIES:
            errs.append(not_supported(child(path, field), value, RETENTION_POLICIES))
    return errs


def _template(template: Obj, selector: Any, path: str) -> Errors:
    """``ValidatePodTemplateSpecForStatefulSet``: the selector matches the labels, and labels and
    annotations are valid (upstream does not validate the pod spec of a StatefulSet's template)."""
    metadata = as_dict(template.get("metadata"))
    raw_labels = metadata.get("labels")
    labels = str_map(raw_labels)
    errs: Errors = []
    if not (isinstance(selector, dict) and is_empty(selector)) and not matches(selector, labels):
        text = go_string_map(labels if isinstance(raw_labels, dict) else None)
        detail = "`selector` does not match template `labels`"
        errs.append(invalid(child(path, "metadata", "labels"), labels, detail, value_text=text))
    errs.extend(validate_labels(raw_labels, child(path, "labels")))
    errs.extend(validate_annotations(metadata.get("annotations"), child(path, "annotations")))
    errs.extend(
        validate_pod_specific_annotations(
            metadata.get("annotations"), template.get("spec"), child(path, "annotations")
        )
    )
    return errs


def _selector(spec: Obj) -> Errors:
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return [required("spec.selector")]
    errs = validate_label_selector(selector, "spec.selector")
    if is_empty(selector):
        detail = "empty selector is invalid for statefulset"
        errs.append(invalid("spec.selector", selector, detail, value_text=selector_string(selector)))
    return errs


def _shape(spec: Any) -> Errors:
    errs = expect_object(spec, "spec") or expect(spec, _SPEC_SHAPE, "spec")
    spec = as_dict(spec)
    errs.extend(expect_items(spec.get("volumeClaimTemplates"), "object", "spec.volumeClaimTemplates"))
    errs.extend(
        expect(
            spec.get("updateStrategy"), {"type": "string", "rollingUpdate": "object"}, "spec.updateStrategy"
        )
    )
    errs.extend(expect(spec.get("ordinals"), {"start": "integer"}, "spec.ordinals"))
    template = as_dict(spec.get("template"))
    errs.extend(expect(template, {"metadata": "object", "spec": "object"}, "spec.template"))
    metadata = as_dict(template.get("metadata"))
    for field in ("labels", "annotations"):
        errs.extend(
            expect_items(metadata.get(field), "string", child("spec.template.metadata", field), keyed=True)
        )
    return errs


def validate_statefulset_spec(raw_spec: Any) -> Errors:
    errs = _shape(raw_spec)
    spec = as_dict(raw_spec)
    policy = as_str(spec.get("podManagementPolicy"))
    if not policy:
        errs.append(required("spec.podManagementPolicy"))
    elif policy not in POD_MANAGEMENT_POLICIES:
        errs.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    errs.extend(_update_strategy(as_dict(spec.get("updateStrategy")), "spec.updateStrategy"))
    errs.extend(
        _retention_policy(
            spec.get("persistentVolumeClaimRetentionPolicy"), "spec.persistentVolumeClaimRetentionPolicy"
        )
    )
    errs.extend(nonnegative(as_int(spec.get("replicas")) or 0, "spec.replicas"))
    errs.extend(nonnegative(as_int(spec.get("minReadySeconds")) or 0, "spec.minReadySeconds"))
    if isinstance(spec.get("ordinals"), dict):
        errs.extend(nonnegative(as_int(spec["ordinals"].get("start")) or 0, "spec.ordinals.start"))
    errs.extend(_selector(spec))
    selector = spec.get("selector") if isinstance(spec.get("selector"), dict) else None
    template = as_dict(spec.get("template"))
    if converts(selector):
        errs.extend(_template(template, selector, "spec.template"))
    else:
        errs.append(invalid("spec.selector", selector, value_text=selector_string(selector)))
    pod_spec = as_dict(template.get("spec"))
    restart_policy = as_str(pod_spec.get("restartPolicy"))
    if restart_policy != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", restart_policy, ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        detail = "activeDeadlineSeconds in StatefulSet is not Supported"
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds", detail))
    return errs


def validate_statefulset(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_label)
    errs.extend(validate_statefulset_spec(obj.get("spec")))
    return errs


def validate_statefulset_update(new: Obj, old: Obj) -> Errors:
    """The spec rules again (not the name rule: older servers allowed subdomain names), and no change
    outside the fields a StatefulSet lets an update change."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_statefulset_spec(new.get("spec")))
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    fixed_new = {k: v for k, v in new_spec.items() if k not in UPDATABLE_SPEC_FIELDS}
    fixed_old = {k: v for k, v in old_spec.items() if k not in UPDATABLE_SPEC_FIELDS}
    if not semantic_equal(fixed_new, fixed_old):
        errs.append(forbidden("spec", IMMUTABLE_SPEC_MSG))
    return errs


def _status(status: Obj) -> Errors:
    errs: Errors = []
    counts = {field: as_int(status.get(field)) or 0 for field in STATUS_COUNTERS}
    for field, value in counts.items():
        errs.extend(nonnegative(value, child("status", field)))
    for field in ("observedGeneration", "collisionCount"):
        errs.extend(nonnegative(as_int(status.get(field)), child("status", field)))
    for field in ("readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"):
        if counts[field] > counts["replicas"]:
            errs.append(
                invalid(child("status", field), counts[field], "cannot be greater than status.replicas")
            )
    if counts["availableReplicas"] > counts["readyReplicas"]:
        detail = "cannot be greater than status.readyReplicas"
        errs.append(invalid("status.availableReplicas", counts["availableReplicas"], detail))
    return errs


def validate_statefulset_status_update(new: Obj, old: Obj) -> Errors:
    status, old_status = as_dict(new.get("status")), as_dict(old.get("status"))
    errs = expect_object(new.get("status"), "status")
    errs.extend(
        expect(
            status,
            dict.fromkeys((*STATUS_COUNTERS, "observedGeneration", "collisionCount"), "integer"),
            "status",
        )
    )
    errs.extend(_status(status))
    errs.extend(validate_object_meta_update(new.get("metadata"), old.get("metadata")))
    collisions, old_collisions = (
        as_int(status.get("collisionCount")),
        as_int(old_status.get("collisionCount")),
    )
    if old_collisions is not None and (collisions is None or collisions < old_collisions):
        errs.append(invalid("status.collisionCount", collisions or 0, "cannot be decremented"))
    return errs
