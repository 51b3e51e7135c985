"""StorageClass, CSIDriver validation (``ValidateStorageClass[Update]``, ``ValidateCSIDriver[Update]``)."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    expect_object,
    immutable,
    index,
    str_map,
    strings,
)
from everynode.apiserver.validation.meta import (
    validate_label_name,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.apiserver.validation.values import go_typed_slice, qualified_name
from everynode.core import names
from everynode.core.fielderrors import duplicate, forbidden, invalid, not_supported, required, too_long
from everynode.core.types import Obj

RECLAIM_POLICIES = ("Delete", "Retain")
VOLUME_BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
FS_GROUP_POLICIES = ("File", "None", "ReadWriteOnceWithFSType")
LIFECYCLE_MODES = ("Persistent", "Ephemeral")  # upstream's order
MAX_PARAMETERS = 512
MAX_PARAMETERS_SIZE = 256 * 1024
MIN_TOKEN_SECONDS = 600
MAX_TOKEN_SECONDS = 1 << 32
_CLASS_SHAPE = {
    "provisioner": "string",
    "parameters": "object",
    "reclaimPolicy": "string",
    "volumeBindingMode": "string",
    "allowVolumeExpansion": "boolean",
    "mountOptions": "array",
    "allowedTopologies": "array",
}
_DRIVER_SHAPE = {
    **dict.fromkeys(
        ("attachRequired", "podInfoOnMount", "storageCapacity", "requiresRepublish", "seLinuxMount"),
        "boolean",
    ),
    **dict.fromkeys(("volumeLifecycleModes", "tokenRequests"), "array"),
    "fsGroupPolicy": "string",
    "nodeAllocatableUpdatePeriodSeconds": "integer",
}


def _parameters(value: Any) -> Errors:
    params = str_map(value)
    if len(params) > MAX_PARAMETERS:
        return [too_long("parameters", MAX_PARAMETERS)]
    errs = [invalid("parameters", "", "field can not be empty.") for k in params if not k]
    if sum(len(k.encode()) + len(v.encode()) for k, v in params.items()) > MAX_PARAMETERS_SIZE:
        errs.append(too_long("parameters", MAX_PARAMETERS_SIZE))
    return errs


def _topology_term(term: Obj, path: str) -> tuple[dict[str, frozenset[str]], Errors]:
    """``ValidateTopologySelectorTerm``: each requirement has values (no repeats) and a label key; no key
    twice. Returns the term as a key → values map, for comparing terms."""
    exprs: dict[str, frozenset[str]] = {}
    errs: Errors = []
    for i, req in enumerate(dicts(term.get("matchLabelExpressions"))):
        item = index(child(path, "matchLabelExpressions"), i)
        values = strings(req.get("values"))
        if not values:
            errs.append(required(child(item, "values")))
        seen: set[str] = set()
        for j, value in enumerate(values):
            if value in seen:
                errs.append(duplicate(index(child(item, "values"), j), value))
            seen.add(value)
        req_key = as_str(req.get("key"))
        errs.extend(validate_label_name(req_key, child(item, "key")))
        if req_key in exprs:
            errs.append(duplicate(child(item, "key"), req_key))
        exprs[req_key] = frozenset(values)
    return exprs, errs


def _allowed_topologies(value: Any) -> Errors:
    """Valid terms, none repeated. (Upstream compares each term with placeholders too, so a term with
    no expressions always counts as a repeat.)"""
    terms = dicts(value)
    errs: Errors = []
    earlier: list[dict[str, frozenset[str]]] = [{}] * len(terms)
    for i, term in enumerate(terms):
        path = index("allowedTopologies", i)
        exprs, term_errs = _topology_term(term, path)
        errs.extend(term_errs)
        if exprs in earlier:
            errs.append(duplicate(child(path, "matchLabelExpressions"), ""))
        earlier.append(exprs)
    return errs


def validate_storage_class(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=False, name_fn=names.name_is_dns_subdomain)
    errs.extend(expect(obj, _CLASS_SHAPE, ""))
    errs.extend(expect_items(obj.get("parameters"), "string", "parameters", keyed=True))
    provisioner = as_str(obj.get("provisioner"))
    if not provisioner:
        errs.append(required("provisioner"))
    else:
        errs.extend(qualified_name(provisioner.lower(), "provisioner"))
    errs.extend(_parameters(obj.get("parameters")))
    reclaim = as_str(obj.get("reclaimPolicy"))
    if reclaim and reclaim not in RECLAIM_POLICIES:
        errs.append(not_supported("reclaimPolicy", reclaim, RECLAIM_POLICIES))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        errs.append(required("volumeBindingMode"))
    elif mode not in VOLUME_BINDING_MODES:
        errs.append(not_supported("volumeBindingMode", as_str(mode), VOLUME_BINDING_MODES))
    errs.extend(_allowed_topologies(obj.get("allowedTopologies")))
    return errs


def validate_storage_class_update(new: Obj, old: Obj) -> Errors:
    """Parameters, provisioner, reclaim policy and binding mode are fixed (the create rules are not run
    again)."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    if str_map(new.get("parameters")) != str_map(old.get("parameters")):
        errs.append(forbidden("parameters", "updates to parameters are forbidden."))
    if as_str(new.get("provisioner")) != as_str(old.get("provisioner")):
        errs.append(forbidden("provisioner", "updates to provisioner are forbidden."))
    if as_str(new.get("reclaimPolicy")) != as_str(old.get("reclaimPolicy")):
        errs.append(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    errs.extend(immutable(new.get("volumeBindingMode"), old.get("volumeBindingMode"), "volumeBindingMode"))
    return errs


def _token_requests(value: Any) -> Errors:
    """Distinct audiences; expiry between 10 minutes and 2^32 seconds."""
    errs: Errors = []
    audiences: set[str] = set()
    for i, request in enumerate(dicts(value)):
        path = index("spec.tokenRequests", i)
        audience = as_str(request.get("audience"))
        if audience in audiences:
            errs.append(duplicate(child(path, "audience"), audience))
            continue
        audiences.add(audience)
        seconds = as_int(request.get("expirationSeconds"))
        if seconds is None:
            continue
        if seconds < MIN_TOKEN_SECONDS:
            detail = "may not specify a duration less than 10 minutes"
            errs.append(invalid(child(path, "expirationSeconds"), seconds, detail))
        if seconds > MAX_TOKEN_SECONDS:
            detail = "may not specify a duration larger than 2^32 seconds"
            errs.append(invalid(child(path, "expirationSeconds"), seconds, detail))
    return errs


def validate_csi_driver_spec(raw_spec: Any) -> Errors:
    """``validateCSIDriverSpec``; note upstream's ``attachedRequired`` path for ``attachRequired``."""
    errs = expect_object(raw_spec, "spec") or expect(raw_spec, _DRIVER_SHAPE, "spec")
    spec = as_dict(raw_spec)
    errs.extend(expect_items(spec.get("volumeLifecycleModes"), "string", "spec.volumeLifecycleModes"))
    errs.extend(expect_items(spec.get("tokenRequests"), "object", "spec.tokenRequests"))
    for field, path in (
        ("attachRequired", "spec.attachedRequired"),
        ("podInfoOnMount", "spec.podInfoOnMount"),
        ("storageCapacity", "spec.storageCapacity"),
    ):
        if spec.get(field) is None:
            errs.append(required(path))
    policy = spec.get("fsGroupPolicy")
    if policy is not None and policy not in FS_GROUP_POLICIES:
        errs.append(not_supported("spec.fsGroupPolicy", as_str(policy), FS_GROUP_POLICIES))
    errs.extend(_token_requests(spec.get("tokenRequests")))
    errs.extend(
        not_supported("spec.volumeLifecycleModes", mode, LIFECYCLE_MODES)
        for mode in strings(spec.get("volumeLifecycleModes"))
        if mode not in LIFECYCLE_MODES
    )
    if spec.get("seLinuxMount") is None:  # SELinuxMountReadWriteOncePod is on in 1.30 to 1.33
        errs.append(required("spec.seLinuxMount"))
    period = as_int(spec.get("nodeAllocatableUpdatePeriodSeconds"))
    if period is not None and period < 10:
        detail = "must be greater than or equal to 10 seconds"
        errs.append(invalid("spec.nodeAllocatableUpdatePeriodSeconds", period, detail))
    return errs


def validate_csi_driver(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=False, name_fn=names.name_is_dns_subdomain)
    errs.extend(validate_csi_driver_spec(obj.get("spec")))
    return errs


def validate_csi_driver_update(new: Obj, old: Obj) -> Errors:
    """Only ``attachRequired`` and ``volumeLifecycleModes`` are fixed."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_csi_driver_spec(new.get("spec")))
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    errs.extend(
        immutable(new_spec.get("attachRequired"), old_spec.get("attachRequired"), "spec.attachedRequired")
    )
    modes = new_spec.get("volumeLifecycleModes")
    text = go_typed_slice("storage.VolumeLifecycleMode", strings(modes) if isinstance(modes, list) else None)
    errs.extend(
        immutable(modes, old_spec.get("volumeLifecycleModes"), "spec.volumeLifecycleModes", value_text=text)
    )
    return errs
