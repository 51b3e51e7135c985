"""Namespace validation: a DNS-label name, finalizer names, and the phase rule of status updates."""

from __future__ import annotations

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_str,
    expect,
    expect_items,
    expect_object,
    strings,
)
from everynode.apiserver.validation.meta import (
    validate_kube_finalizer_name,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.core import names
from everynode.core.fielderrors import invalid
from everynode.core.types import Obj


def _shape(ns: Obj) -> Errors:
    spec, status = ns.get("spec"), ns.get("status")
    errs = expect_object(spec, "spec") or expect(spec, {"finalizers": "array"}, "spec")
    errs.extend(expect_items(as_dict(spec).get("finalizers"), "string", "spec.finalizers"))
    errs.extend(
        expect_object(status, "status")
        or expect(status, {"phase": "string", "conditions": "array"}, "status")
    )
    return errs


def validate_namespace(ns: Obj) -> Errors:
    errs = validate_object_meta(ns.get("metadata"), namespaced=False, name_fn=names.name_is_dns_label)
    errs.extend(_shape(ns))
    # Upstream checks each spec finalizer at the list's path (no index).
    for finalizer in strings(as_dict(ns.get("spec")).get("finalizers")):
        errs.extend(invalid("spec.finalizers", finalizer, m) for m in names.is_qualified_name(finalizer))
        errs.extend(validate_kube_finalizer_name(finalizer, "spec.finalizers"))
    return errs


def validate_namespace_update(new: Obj, old: Obj) -> Errors:
    return validate_object_meta_update(new.get("metadata"), old.get("metadata")) + _shape(new)


def validate_namespace_status_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata")) + _shape(new)
    phase = as_str(as_dict(new.get("status")).get("phase"))
    if not as_dict(new.get("metadata")).get("deletionTimestamp"):
        if phase != "Active":
            errs.append(
                invalid("status.Phase", phase, "may only be 'Active' if `deletionTimestamp` is empty")
            )
    elif phase != "Terminating":
        errs.append(
            invalid("status.Phase", phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")
        )
    return errs
