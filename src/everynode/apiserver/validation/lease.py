"""``coordination.k8s.io/v1`` Lease validation."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import Errors, as_dict, as_int, expect, expect_object
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, not_supported
from everynode.core.types import Obj

STRATEGIES = ("OldestEmulationVersion",)


_SPEC_TYPES = {
    **dict.fromkeys(("holderIdentity", "acquireTime", "renewTime", "strategy", "preferredHolder"), "string"),
    **dict.fromkeys(("leaseDurationSeconds", "leaseTransitions"), "integer"),
}


def _spec(spec: Any) -> Errors:
    errs = expect_object(spec, "spec") or expect(spec, _SPEC_TYPES, "spec")
    spec = as_dict(spec)
    duration = as_int(spec.get("leaseDurationSeconds"))
    if duration is not None and duration <= 0:
        errs.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    transitions = as_int(spec.get("leaseTransitions"))
    if transitions is not None and transitions < 0:
        errs.append(invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
    strategy = spec.get("strategy")
    if isinstance(strategy, str):
        if "/" not in strategy:
            if strategy not in STRATEGIES:
                errs.append(not_supported("spec.strategy", strategy, STRATEGIES))
        else:
            errs.extend(invalid("spec.strategy", strategy, m) for m in names.is_qualified_name(strategy))
    if spec.get("preferredHolder") and not strategy:
        errs.append(forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"))
    return errs


def validate_lease(lease: Obj) -> Errors:
    errs = validate_object_meta(lease.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(_spec(lease.get("spec")))
    return errs


def validate_lease_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(_spec(new.get("spec")))
    return errs
