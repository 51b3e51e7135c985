"""Pod validation: create, update (most of the spec is frozen) and status updates."""

from __future__ import annotations

import copy
import ipaddress
import json
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
    semantic_equal,
    str_map,
)
from everynode.apiserver.validation.meta import (
    validate_label_name,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.apiserver.validation.podspec import (
    MAX_INT32,
    MIRROR_POD,
    validate_pod_spec,
    validate_pod_specific_annotations,
)
from everynode.apiserver.validation.scheduling import validate_tolerations
from everynode.core import names
from everynode.core.fielderrors import duplicate, forbidden, invalid, required
from everynode.core.types import Obj

UPDATABLE_SPEC_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
SYSTEM_CONDITIONS = frozenset({"PodScheduled", "Ready", "Initialized"})
_STATUS_TYPES = {
    **dict.fromkeys(
        ("phase", "hostIP", "podIP", "qosClass", "nominatedNodeName", "startTime", "message", "reason"),
        "string",
    ),
    **dict.fromkeys(
        (
            "conditions",
            "containerStatuses",
            "initContainerStatuses",
            "ephemeralContainerStatuses",
            "podIPs",
            "hostIPs",
        ),
        "array",
    ),
}


def _status_shape(status: Any) -> Errors:
    errs = expect_object(status, "status") or expect(status, _STATUS_TYPES, "status")
    for field in ("conditions", "containerStatuses", "initContainerStatuses", "podIPs", "hostIPs"):
        errs.extend(expect_items(as_dict(status).get(field), "object", f"status.{field}"))
    return errs


def _metadata_and_spec(pod: Obj, *, spec_known_valid: bool = False) -> Errors:
    """``spec_known_valid``: the spec is unchanged from a stored (so validated) pod; skip re-checking it."""
    metadata, spec = as_dict(pod.get("metadata")), as_dict(pod.get("spec"))
    errs = validate_object_meta(metadata, namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(expect_object(pod.get("status"), "status"))
    errs.extend(validate_pod_specific_annotations(metadata.get("annotations"), spec, "metadata.annotations"))
    if spec_known_valid:
        return errs
    errs.extend(validate_pod_spec(spec, "spec", is_pod=True))
    if not as_str(spec.get("serviceAccountName")):
        for vi, volume in enumerate(dicts(spec.get("volumes"))):
            for si, source in enumerate(dicts(as_dict(volume.get("projected")).get("sources"))):
                if isinstance(source.get("serviceAccountToken"), dict):
                    item = f"spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken"
                    errs.append(forbidden(item, "must not be specified when serviceAccountName is not set"))
    for kind in ("containers", "initContainers"):
        for i, ctr in enumerate(dicts(spec.get(kind))):
            image = as_str(ctr.get("image"))
            if image != image.strip():
                errs.append(
                    invalid(f"spec.{kind}[{i}].image", image, "must not have leading or trailing whitespace")
                )
    return errs


def validate_pod_create(pod: Obj) -> Errors:
    spec = as_dict(pod.get("spec"))
    errs = _metadata_and_spec(pod)
    if dicts(spec.get("ephemeralContainers")):
        errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if as_str(spec.get("nodeName")) and dicts(spec.get("schedulingGates")):
        errs.append(forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"))
    return errs


def _mirror_annotation_updates(new: Obj, old: Obj) -> Errors:
    new_values = str_map(as_dict(new.get("metadata")).get("annotations"))
    old_values = str_map(as_dict(old.get("metadata")).get("annotations"))
    path = f"metadata.annotations[{MIRROR_POD}]"
    if MIRROR_POD in old_values and new_values.get(MIRROR_POD) != old_values[MIRROR_POD]:
        return [forbidden(path, "may not remove or update mirror pod annotation")]
    if MIRROR_POD in new_values and MIRROR_POD not in old_values:
        return [forbidden(path, "may not add mirror pod annotation")]
    return []


def _container_updates(new: list[Obj], old: list[Obj], path: str) -> tuple[Errors, bool]:
    if len(new) != len(old):
        return [forbidden(path, "pod updates may not add or remove containers")], True
    errs: Errors = []
    for i, ctr in enumerate(new):
        image = as_str(ctr.get("image"))
        if not image:
            errs.append(required(f"{path}[{i}].image"))
        if image != image.strip():
            errs.append(invalid(f"{path}[{i}].image", image, "must not have leading or trailing whitespace"))
    return errs, False


def _only_added_tolerations(new: Any, old: Any, path: str) -> Errors:
    new_items = dicts(new)
    for existing in dicts(old):
        wanted = {k: v for k, v in existing.items() if k != "tolerationSeconds"}
        if not any(
            semantic_equal(wanted, {k: v for k, v in t.items() if k != "tolerationSeconds"})
            for t in new_items
        ):
            return [forbidden(path, "existing toleration can not be modified except its tolerationSeconds")]
    return validate_tolerations(new_items, path)


def _spec_diff(old: Obj, new: Obj) -> str:
    """A short, readable account of what changed (upstream prints a ``cmp.Diff`` here)."""
    lines = ["  core.PodSpec{"]
    for k in dict.fromkeys([*old, *new]):
        if semantic_equal(old.get(k), new.get(k)):
            continue
        go_name = k[:1].upper() + k[1:]
        lines.append(f"- \t{go_name}: {json.dumps(old.get(k), sort_keys=True)},")
        lines.append(f"+ \t{go_name}: {json.dumps(new.get(k), sort_keys=True)},")
    lines.append("  }")
    return "\n".join(lines) + "\n"


def _frozen_spec_changes(new_spec: Obj, old_spec: Obj) -> Errors:
    munged = copy.deepcopy(new_spec)
    for kind in ("containers", "initContainers"):
        if isinstance(munged.get(kind), list):
            for ctr, old_ctr in zip(dicts(munged[kind]), dicts(old_spec.get(kind)), strict=False):
                ctr["image"] = old_ctr.get("image")
    for field in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):
        munged[field] = copy.deepcopy(old_spec.get(field))
    old_grace, new_grace = (
        as_int(old_spec.get("terminationGracePeriodSeconds")),
        as_int(munged.get("terminationGracePeriodSeconds")),
    )
    if old_grace is not None and old_grace < 0 and new_grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    if dicts(old_spec.get("schedulingGates")):
        # A gated pod may gain nodeSelector entries (never lose or change them).
        old_selector, new_selector = (
            str_map(old_spec.get("nodeSelector")),
            str_map(munged.get("nodeSelector")),
        )
        if all(new_selector.get(k) == v for k, v in old_selector.items()):
            munged["nodeSelector"] = copy.deepcopy(old_spec.get("nodeSelector"))
    if semantic_equal(munged, old_spec):
        return []
    detail = f"pod updates may not change fields other than {','.join(UPDATABLE_SPEC_FIELDS)}\n"
    return [forbidden("spec", detail + _spec_diff(old_spec, munged))]


def validate_pod_update(new: Obj, old: Obj) -> Errors:
    """``ValidatePodUpdate``: images, a shorter ``activeDeadlineSeconds``, added tolerations and removed
    scheduling gates are the only spec changes allowed (``nodeName`` changes go through binding)."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(_metadata_and_spec(new, spec_known_valid=new.get("spec") == old.get("spec")))
    errs.extend(_mirror_annotation_updates(new, old))
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    for kind in ("containers", "initContainers"):
        found, stop = _container_updates(dicts(new_spec.get(kind)), dicts(old_spec.get(kind)), f"spec.{kind}")
        errs.extend(found)
        if stop:
            return errs
    new_deadline, old_deadline = (
        as_int(new_spec.get("activeDeadlineSeconds")),
        as_int(old_spec.get("activeDeadlineSeconds")),
    )
    if new_deadline is not None:
        if not 0 <= new_deadline <= MAX_INT32:
            errs.append(
                invalid("spec.activeDeadlineSeconds", new_deadline, names.inclusive_range_error(0, MAX_INT32))
            )
            return errs
        if old_deadline is not None and old_deadline < new_deadline:
            detail = "must be less than or equal to previous value"
            errs.append(invalid("spec.activeDeadlineSeconds", new_deadline, detail))
            return errs
    elif old_deadline is not None:
        errs.append(
            invalid(
                "spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"
            )
        )
    errs.extend(
        _only_added_tolerations(new_spec.get("tolerations"), old_spec.get("tolerations"), "spec.tolerations")
    )
    old_gates = {as_str(g.get("name")) for g in dicts(old_spec.get("schedulingGates"))}
    for i, gate in enumerate(dicts(new_spec.get("schedulingGates"))):
        name = as_str(gate.get("name"))
        if name not in old_gates:
            detail = f"only deletion is allowed, but found new scheduling gate '{name}'"
            errs.append(forbidden(f"spec.schedulingGates[{i}].name", detail))
    errs.extend(_frozen_spec_changes(new_spec, old_spec))
    return errs


def _ip_family_errors(ips: list[Obj], path: str) -> Errors:
    errs: Errors = []
    families: list[int] = []
    for i, entry in enumerate(ips):
        text = as_str(entry.get("ip"))
        try:
            families.append(ipaddress.ip_address(text).version)
        except ValueError:
            errs.append(
                invalid(index(path, i), text, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
            )
    if len(ips) > 1:
        if len(ips) > 2 or len(set(families)) != len(families):
            errs.append(invalid(path, ips, "may specify no more than one IP for each IP family"))
        seen: set[str] = set()
        for i, entry in enumerate(ips):
            if as_str(entry.get("ip")) in seen:
                errs.append(duplicate(index(path, i), entry))
            seen.add(as_str(entry.get("ip")))
    return errs


def _terminated_restarts(new: Any, old: Any, restart_policy: str, path: str) -> Errors:
    if restart_policy == "Always":
        return []
    errs: Errors = []
    new_items = dicts(new)
    for i, status in enumerate(dicts(old)):
        terminated = as_dict(as_dict(status.get("state")).get("terminated"))
        if not terminated or (as_int(terminated.get("exitCode")) and restart_policy == "OnFailure"):
            continue
        for current in new_items:
            still = as_dict(as_dict(current.get("state")).get("terminated"))
            if current.get("name") == status.get("name") and not still:
                errs.append(
                    forbidden(
                        child(index(path, i), "state"), "may not be transitioned to non-terminated state"
                    )
                )
    return errs


def validate_pod_status_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(_status_shape(new.get("status")))
    errs.extend(_mirror_annotation_updates(new, old))
    status, old_status = as_dict(new.get("status")), as_dict(old.get("status"))
    # Upstream reports condition types under ``metadata.conditions``; kept for fidelity.
    for i, condition in enumerate(dicts(status.get("conditions"))):
        kind = as_str(condition.get("type"))
        if kind not in SYSTEM_CONDITIONS:
            errs.extend(validate_label_name(kind, f"metadata.conditions[{i}].Type"))
    if as_str(as_dict(new.get("spec")).get("nodeName")) != as_str(as_dict(old.get("spec")).get("nodeName")):
        errs.append(forbidden("status.nodeName", "may not be changed directly"))
    nominated = as_str(status.get("nominatedNodeName"))
    if nominated and nominated != as_str(old_status.get("nominatedNodeName")):
        msgs = names.name_is_dns_subdomain(nominated, False)
        errs.extend(invalid("status.nominatedNodeName", nominated, m) for m in msgs)
    errs.extend(
        immutable(as_str(status.get("qosClass")), as_str(old_status.get("qosClass")), "status.qosClass")
    )
    restart_policy = as_str(as_dict(old.get("spec")).get("restartPolicy"))
    errs.extend(
        _terminated_restarts(
            status.get("containerStatuses"),
            old_status.get("containerStatuses"),
            restart_policy,
            "status.containerStatuses",
        )
    )
    errs.extend(_ip_family_errors(dicts(status.get("podIPs")), "status.podIPs"))
    host_ips = dicts(status.get("hostIPs"))
    if host_ips and as_str(status.get("hostIP")) != as_str(host_ips[0].get("ip")):
        errs.append(
            invalid("status.hostIPs[0].ip", as_str(host_ips[0].get("ip")), "must be equal to `hostIP`")
        )
    errs.extend(_ip_family_errors(host_ips, "status.hostIPs"))
    return errs
