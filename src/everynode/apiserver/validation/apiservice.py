"""APIService validation (kube-aggregator's ``ValidateAPIService[Update|Status|StatusUpdate]`` in
``pkg/apis/apiregistration/validation/validation.go``).

An APIService is named ``<version>.<group>``; its priorities are positive and bounded; a local one
(no service) may carry no TLS settings, a remote one names a service on a valid port and does not
both skip TLS verification and give a CA bundle.
"""

from __future__ import annotations

import base64
import binascii

from everynode.apiserver.validation.fields import Errors, as_dict, as_int, as_str, child, dicts, index
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.fielderrors import invalid, not_supported, required
from everynode.core.types import Obj

__all__ = [
    "validate_api_service",
    "validate_api_service_status_update",
    "validate_api_service_update",
]

MAX_GROUP_PRIORITY = 20000
MAX_VERSION_PRIORITY = 1000
CONDITION_STATUSES = ("True", "False", "Unknown")  # upstream's order


def _bundle_size(ca_bundle: str) -> int:
    """The decoded length of ``caBundle`` (its JSON form is base64), as Go's ``len([]byte)``."""
    try:
        return len(base64.b64decode(ca_bundle, validate=True))
    except (binascii.Error, ValueError):
        return len(ca_bundle)


def validate_api_service(api_service: Obj) -> Errors:
    spec = as_dict(api_service.get("spec"))
    group, version = as_str(spec.get("group")), as_str(spec.get("version"))
    required_name = f"{version}.{group}"

    def name_rule(name: str, prefix: bool) -> list[str]:
        problems = names.is_valid_path_segment_name(name)
        if problems:
            return problems
        if name != required_name:
            return [f'must be `spec.version+"."+spec.group`: "{required_name}"']
        return []

    errs = validate_object_meta(
        api_service.get("metadata"), namespaced=False, name_fn=name_rule, kube_finalizers=False
    )
    if not group and version != "v1":
        errs.append(required("spec.group", "only v1 may have an empty group and it better be legacy kube"))
    if group:
        errs.extend(invalid("spec.group", group, msg) for msg in names.is_dns1123_subdomain(group))
    errs.extend(invalid("spec.version", version, msg) for msg in names.is_dns1035_label(version))
    group_priority = as_int(spec.get("groupPriorityMinimum")) or 0
    if not 0 < group_priority <= MAX_GROUP_PRIORITY:
        detail = f"must be positive and less than {MAX_GROUP_PRIORITY}"
        errs.append(invalid("spec.groupPriorityMinimum", group_priority, detail))
    version_priority = as_int(spec.get("versionPriority")) or 0
    if not 0 < version_priority <= MAX_VERSION_PRIORITY:
        detail = f"must be positive and less than {MAX_VERSION_PRIORITY}"
        errs.append(invalid("spec.versionPriority", version_priority, detail))
    skip_verify = spec.get("insecureSkipTLSVerify") is True
    ca_bundle = as_str(spec.get("caBundle"))
    service = spec.get("service")
    if not isinstance(service, dict):
        if ca_bundle:
            size = f"{_bundle_size(ca_bundle)} bytes"
            errs.append(invalid("spec.caBundle", size, "local APIServices may not have a caBundle"))
        if skip_verify:
            errs.append(
                invalid(
                    "spec.insecureSkipTLSVerify", True, "local APIServices may not have insecureSkipTLSVerify"
                )
            )
        return errs
    if not as_str(service.get("namespace")):
        errs.append(required("spec.service.namespace"))
    if not as_str(service.get("name")):
        errs.append(required("spec.service.name"))
    port = as_int(service.get("port")) or 0
    if problems := names.is_valid_port_num(port):
        errs.append(invalid("spec.service.port", port, "port is not valid: " + ", ".join(problems)))
    if skip_verify and ca_bundle:
        errs.append(invalid("spec.insecureSkipTLSVerify", True, "may not be true if caBundle is present"))
    return errs


def validate_api_service_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(validate_api_service(new))
    return errs


def validate_api_service_status_update(new: Obj, old: Obj) -> Errors:
    """Each condition's status is True, False or Unknown (nothing else of the status is checked)."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    for i, condition in enumerate(dicts(as_dict(new.get("status")).get("conditions"))):
        status = as_str(condition.get("status"))
        if status not in CONDITION_STATUSES:
            errs.append(
                not_supported(child(index("status.conditions", i), "status"), status, CONDITION_STATUSES)
            )
    return errs
