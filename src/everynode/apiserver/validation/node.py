"""Node validation (``ValidateNode``, ``ValidateNodeUpdate``; the status subresource uses the latter).

Upstream reports taint problems under ``metadata.taints``; that path is kept for fidelity.
"""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_str,
    dicts,
    expect,
    expect_items,
    expect_object,
    index,
    semantic_equal,
    strings,
)
from everynode.apiserver.validation.meta import (
    validate_label_name,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.apiserver.validation.resources import is_extended
from everynode.apiserver.validation.scheduling import validate_taint_effect
from everynode.core import names
from everynode.core.fielderrors import duplicate, forbidden, invalid
from everynode.core.quantity import QuantityError, canonical, parse_quantity
from everynode.core.types import Obj

_NEGATIVE = "must be greater than or equal to 0"
_PROVIDER_ID = 'node updates may not change providerID except from "" to valid'
_POD_CIDR = 'node updates may not change podCIDR except from "" to valid'


_SPEC_TYPES = {
    "taints": "array",
    "podCIDRs": "array",
    "podCIDR": "string",
    "providerID": "string",
    "unschedulable": "boolean",
    "externalID": "string",
}
_STATUS_TYPES = {
    "capacity": "object",
    "allocatable": "object",
    "addresses": "array",
    "conditions": "array",
    "daemonEndpoints": "object",
    "nodeInfo": "object",
    "images": "array",
    "phase": "string",
}


def _shape(node: Obj) -> Errors:
    spec, status = node.get("spec"), node.get("status")
    errs = expect_object(spec, "spec") or expect(spec, _SPEC_TYPES, "spec")
    errs.extend(expect_items(as_dict(spec).get("taints"), "object", "spec.taints"))
    errs.extend(expect_items(as_dict(spec).get("podCIDRs"), "string", "spec.podCIDRs"))
    errs.extend(expect_object(status, "status") or expect(status, _STATUS_TYPES, "status"))
    for field in ("addresses", "conditions"):
        errs.extend(expect_items(as_dict(status).get(field), "object", f"status.{field}"))
    return errs


def _taints(taints: Any, path: str) -> Errors:
    errs: Errors = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(dicts(taints)):
        item = index(path, i)
        k, value, effect = as_str(taint.get("key")), as_str(taint.get("value")), as_str(taint.get("effect"))
        errs.extend(validate_label_name(k, f"{item}.key"))
        msgs = names.is_valid_label_value(value)
        if msgs:
            errs.append(invalid(f"{item}.value", value, ";".join(msgs)))
        errs.extend(validate_taint_effect(effect, f"{item}.effect", allow_empty=False))
        if (effect, k) in seen:
            errs.append(duplicate(item, taint, "taints must be unique by key and effect pair"))
            continue
        seen.add((effect, k))
    return errs


def _resources(node: Obj) -> Errors:
    """Capacity and allocatable quantities (reported as ``status.capacity.cpu``: a child, not a key)."""
    errs: Errors = []
    status = as_dict(node.get("status"))
    for section in ("capacity", "allocatable"):
        for name, raw in as_dict(status.get(section)).items():
            path = f"status.{section}.{name}"
            try:
                q = parse_quantity(raw)
            except QuantityError as err:
                errs.append(invalid(path, raw, str(err)))
                continue
            if q.value < 0:
                errs.append(invalid(path, canonical(q), _NEGATIVE))
            if is_extended(name) and q.value != q.value.to_integral_value():
                errs.append(invalid(path, q, "must be an integer", value_text=canonical(q)))
    return errs


def validate_node(node: Obj) -> Errors:
    errs = validate_object_meta(node.get("metadata"), namespaced=False, name_fn=names.name_is_dns_subdomain)
    errs.extend(_shape(node))
    errs.extend(_taints(as_dict(node.get("spec")).get("taints"), "metadata.taints"))
    errs.extend(_resources(node))
    # Upstream checks this on update only, so a node created with a repeated address could never be
    # updated, not even unchanged; here a create is refused as its first update would be.
    errs.extend(_unique_addresses(node))
    return errs


def _unique_addresses(node: Obj) -> Errors:
    errs: Errors = []
    seen: list[Obj] = []
    for i, address in enumerate(dicts(as_dict(node.get("status")).get("addresses"))):
        if any(semantic_equal(address, other) for other in seen):
            errs.append(duplicate(f"status.addresses[{i}]", address))
        seen.append(address)
    return errs


def validate_node_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(_shape(new))
    errs.extend(_resources(new))
    errs.extend(_unique_addresses(new))
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    old_cidrs, new_cidrs = strings(old_spec.get("podCIDRs")), strings(new_spec.get("podCIDRs"))
    if old_cidrs:
        if len(old_cidrs) != len(new_cidrs):
            errs.append(forbidden("spec.podCIDRs", _POD_CIDR))
        else:
            errs.extend(
                forbidden("spec.podCIDRs", _POD_CIDR)
                for a, b in zip(old_cidrs, new_cidrs, strict=True)
                if a != b
            )
    old_provider = as_str(old_spec.get("providerID"))
    if old_provider and old_provider != as_str(new_spec.get("providerID")):
        errs.append(forbidden("spec.providerID", _PROVIDER_ID))
    errs.extend(_taints(new_spec.get("taints"), "metadata.taints"))
    if as_str(new_spec.get("externalID")) != as_str(old_spec.get("externalID")):
        errs.append(forbidden("spec.externalID", "may not be updated"))
    return errs
