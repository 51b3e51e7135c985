"""``PodSpec`` and ``PodTemplateSpec`` validation (``ValidatePodSpec``, ``ValidatePodTemplateSpec``)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from everynode.apiserver.validation.containers import validate_containers, validate_init_containers
from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_list,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    expect_object,
    index,
    str_map,
    strings,
)
from everynode.apiserver.validation.meta import validate_annotations, validate_label_name, validate_labels
from everynode.apiserver.validation.scheduling import validate_affinity, validate_tolerations
from everynode.apiserver.validation.volumes import validate_volumes
from everynode.core import names, wellknown
from everynode.core.fielderrors import duplicate, forbidden, invalid, not_supported, required
from everynode.core.types import Obj

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")
MAX_INT32 = 2**31 - 1
IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_SYSCTL = re.compile(r"([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?")
_SPEC_TYPES = {
    **dict.fromkeys(
        (
            "volumes",
            "initContainers",
            "containers",
            "ephemeralContainers",
            "imagePullSecrets",
            "tolerations",
            "hostAliases",
            "readinessGates",
            "schedulingGates",
            "topologySpreadConstraints",
            "resourceClaims",
        ),
        "array",
    ),
    **dict.fromkeys(("nodeSelector", "securityContext", "affinity", "dnsConfig", "overhead", "os"), "object"),
    **dict.fromkeys(
        (
            "restartPolicy",
            "dnsPolicy",
            "serviceAccountName",
            "serviceAccount",
            "nodeName",
            "hostname",
            "subdomain",
            "schedulerName",
            "priorityClassName",
            "preemptionPolicy",
            "runtimeClassName",
        ),
        "string",
    ),
    **dict.fromkeys(
        (
            "hostNetwork",
            "hostPID",
            "hostIPC",
            "hostUsers",
            "shareProcessNamespace",
            "enableServiceLinks",
            "automountServiceAccountToken",
            "setHostnameAsFQDN",
        ),
        "boolean",
    ),
    **dict.fromkeys(("terminationGracePeriodSeconds", "activeDeadlineSeconds", "priority"), "integer"),
}
_LIST_OF_OBJECTS = tuple(k for k, v in _SPEC_TYPES.items() if v == "array")
POD_DELETION_COST = wellknown.ANNOTATION_POD_DELETION_COST
MIRROR_POD = "kubernetes.io/config.mirror"


def _enum(value: str, allowed: tuple[str, ...], path: str) -> Errors:
    if not value:
        return [required(path)]
    if value not in allowed:
        return [not_supported(path, value, allowed)]
    return []


def _valid_ip(value: str, path: str) -> Errors:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return [invalid(path, value, IP_MSG)]
    return []


def _host_network_ports(spec: Obj, path: str, *, is_pod: bool) -> Errors:
    """With ``hostNetwork`` a pod's host ports equal its container ports; a template may leave them 0
    (the pod gets them by defaulting)."""
    if spec.get("hostNetwork") is not True:
        return []
    errs: Errors = []
    for i, ctr in enumerate(dicts(spec.get("containers"))):
        for j, port in enumerate(dicts(ctr.get("ports"))):
            host, container = as_int(port.get("hostPort")) or 0, as_int(port.get("containerPort")) or 0
            if (is_pod or host != 0) and host != container:
                item = child(index(child(index(child(path, "containers"), i), "ports"), j), "hostPort")
                errs.append(invalid(item, host, "must match `containerPort` when `hostNetwork` is true"))
    return errs


def _security_context(spec: Obj, path: str) -> Errors:
    context = spec.get("securityContext")
    if not isinstance(context, dict):
        return []
    errs: Errors = []
    for field in ("fsGroup", "runAsUser", "runAsGroup"):
        value = as_int(context.get(field))
        if value is not None:
            errs.extend(invalid(child(path, field), value, m) for m in names.is_valid_user_id(value))
    for i, raw in enumerate(as_list(context.get("supplementalGroups"))):
        gid = as_int(raw)
        if gid is not None:
            item = index(child(path, "supplementalGroups"), i)
            errs.extend(invalid(item, gid, m) for m in names.is_valid_user_id(gid))
    if spec.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        detail = "ShareProcessNamespace and HostPID cannot both be enabled"
        errs.append(invalid(child(path, "shareProcessNamespace"), True, detail))
    seen: set[str] = set()
    for i, sysctl in enumerate(dicts(context.get("sysctls"))):
        name, item = as_str(sysctl.get("name")), child(index(child(path, "sysctls"), i), "name")
        if not name:
            errs.append(required(item))
        elif len(name) > 253 or not _SYSCTL.fullmatch(name):
            detail = f"must have at most 253 characters and match regex ^{_SYSCTL.pattern}$"
            errs.append(invalid(item, name, detail))
        elif name in seen:
            errs.append(duplicate(item, name))
        seen.add(name)
    policy = context.get("fsGroupChangePolicy")
    if policy is not None and policy not in ("Always", "OnRootMismatch"):
        errs.append(not_supported(child(path, "fsGroupChangePolicy"), policy, ("Always", "OnRootMismatch")))
    return errs


def _dns_config(spec: Obj, path: str) -> Errors:
    config = spec.get("dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if not isinstance(config, dict):
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not strings(config.get("nameservers")):
            detail = "must provide at least one DNS nameserver when `dnsPolicy` is None"
            return [required(child(path, "nameservers"), detail)]
    if not isinstance(config, dict):
        return []
    errs: Errors = []
    nameservers, searches = strings(config.get("nameservers")), strings(config.get("searches"))
    if len(nameservers) > 3:
        errs.append(invalid(child(path, "nameservers"), nameservers, "must not have more than 3 nameservers"))
    for i, server in enumerate(nameservers):
        errs.extend(_valid_ip(server, index(child(path, "nameservers"), i)))
    if len(searches) > 32:
        errs.append(invalid(child(path, "searches"), searches, "must not have more than 32 search paths"))
    if len(" ".join(searches)) > 2048:
        detail = "must not have more than 2048 characters (including spaces) in the search list"
        errs.append(invalid(child(path, "searches"), searches, detail))
    for i, search in enumerate(searches):
        if search != ".":
            trimmed = search.removesuffix(".")
            errs.extend(
                invalid(index(child(path, "searches"), i), trimmed, m)
                for m in names.is_dns1123_subdomain(trimmed)
            )
    for i, option in enumerate(dicts(config.get("options"))):
        if not as_str(option.get("name")):
            errs.append(required(index(child(path, "options"), i), "must not be empty"))
    return errs


def _gates_and_aliases(spec: Obj, path: str) -> Errors:
    errs: Errors = []
    for i, gate in enumerate(dicts(spec.get("readinessGates"))):
        errs.extend(
            validate_label_name(
                as_str(gate.get("conditionType")),
                child(index(child(path, "readinessGates"), i), "conditionType"),
            )
        )
    seen: set[str] = set()
    for i, gate in enumerate(dicts(spec.get("schedulingGates"))):
        name, item = as_str(gate.get("name")), index(child(path, "schedulingGates"), i)
        errs.extend(validate_label_name(name, item))
        if name in seen:
            errs.append(duplicate(item, name))
        seen.add(name)
    for i, alias in enumerate(dicts(spec.get("hostAliases"))):
        item = index(child(path, "hostAliases"), i)
        errs.extend(_valid_ip(as_str(alias.get("ip")), child(item, "ip")))
        for j, host in enumerate(strings(alias.get("hostnames"))):
            errs.extend(
                invalid(index(child(item, "hostnames"), j), host, m) for m in names.is_dns1123_subdomain(host)
            )
    return errs


def _name_field(spec: Obj, field: str, path: str, check: Callable[[str], list[str]]) -> Errors:
    value = as_str(spec.get(field))
    if not value:
        return []
    return [invalid(child(path, field), value, m) for m in check(value)]


def _shape(spec: Any, path: str) -> Errors:
    errs = expect_object(spec, path) or expect(spec, _SPEC_TYPES, path)
    for field in _LIST_OF_OBJECTS:
        errs.extend(expect_items(as_dict(spec).get(field), "object", child(path, field)))
    errs.extend(
        expect_items(as_dict(spec).get("nodeSelector"), "string", child(path, "nodeSelector"), keyed=True)
    )
    return errs


def validate_pod_spec(spec: Any, path: str, *, is_pod: bool) -> Errors:
    """Everything ``ValidatePodSpec`` checks that a simulated cluster can meet, in upstream's order."""
    errs = _shape(spec, path)
    spec = as_dict(spec)
    grace = as_int(spec.get("terminationGracePeriodSeconds"))
    if grace is None:
        errs.append(required(child(path, "terminationGracePeriodSeconds")))
    volumes, volume_errs = validate_volumes(spec.get("volumes"), child(path, "volumes"))
    errs.extend(volume_errs)
    errs.extend(validate_containers(spec.get("containers"), volumes, grace, child(path, "containers")))
    errs.extend(
        validate_init_containers(
            spec.get("initContainers"), spec.get("containers"), volumes, grace, child(path, "initContainers")
        )
    )
    errs.extend(_host_network_ports(spec, path, is_pod=is_pod))
    errs.extend(_enum(as_str(spec.get("restartPolicy")), RESTART_POLICIES, child(path, "restartPolicy")))
    errs.extend(_enum(as_str(spec.get("dnsPolicy")), DNS_POLICIES, child(path, "dnsPolicy")))
    errs.extend(validate_labels(spec.get("nodeSelector"), child(path, "nodeSelector")))
    errs.extend(_security_context(spec, child(path, "securityContext")))
    for i, secret in enumerate(dicts(spec.get("imagePullSecrets"))):
        if set(secret) - {"name"}:
            errs.append(invalid(index(child(path, "imagePullSecrets"), i), secret, "only name may be set"))
    errs.extend(validate_affinity(spec.get("affinity"), child(path, "affinity")))
    errs.extend(_dns_config(spec, child(path, "dnsConfig")))
    errs.extend(_gates_and_aliases(spec, path))
    errs.extend(
        _name_field(spec, "serviceAccountName", path, lambda v: names.name_is_dns_subdomain(v, False))
    )
    errs.extend(_name_field(spec, "nodeName", path, lambda v: names.name_is_dns_subdomain(v, False)))
    deadline = as_int(spec.get("activeDeadlineSeconds"))
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        detail = names.inclusive_range_error(1, MAX_INT32)
        errs.append(invalid(child(path, "activeDeadlineSeconds"), deadline, detail))
    errs.extend(_name_field(spec, "hostname", path, names.is_dns1123_label))
    errs.extend(_name_field(spec, "subdomain", path, names.is_dns1123_label))
    errs.extend(validate_tolerations(spec.get("tolerations"), child(path, "tolerations")))
    errs.extend(_name_field(spec, "priorityClassName", path, lambda v: names.name_is_dns_subdomain(v, False)))
    runtime_class = spec.get("runtimeClassName")
    if isinstance(runtime_class, str):
        path_rc = child(path, "runtimeClassName")
        errs.extend(
            invalid(path_rc, runtime_class, m) for m in names.name_is_dns_subdomain(runtime_class, False)
        )
    preemption = spec.get("preemptionPolicy")
    if preemption is not None:
        errs.extend(_enum(as_str(preemption), PREEMPTION_POLICIES, child(path, "preemptionPolicy")))
    os_name = as_dict(spec.get("os")).get("name")
    if isinstance(spec.get("os"), dict) and os_name not in ("linux", "windows"):
        errs.append(not_supported(child(path, "os", "name"), as_str(os_name), ("linux", "windows")))
    return errs


def validate_pod_specific_annotations(annotations: Any, spec: Any, path: str) -> Errors:
    values = str_map(annotations)
    errs: Errors = []
    if MIRROR_POD in values and not as_str(as_dict(spec).get("nodeName")):
        detail = "must set spec.nodeName if mirror pod annotation is set"
        errs.append(invalid(f"{path}[{MIRROR_POD}]", values[MIRROR_POD], detail))
    if POD_DELETION_COST in values:
        cost = values[POD_DELETION_COST]
        if not re.fullmatch(r"[+-]?[0-9]+", cost) or not -(2**31) <= int(cost) <= MAX_INT32:
            errs.append(invalid(f"{path}[{POD_DELETION_COST}]", cost, "must be a 32bit integer"))
    return errs


def validate_pod_template_spec(template: Any, path: str) -> Errors:
    """A pod template. Note upstream's paths: ``<path>.labels``, not ``<path>.metadata.labels``."""
    errs = expect_object(template, path) or expect(template, {"metadata": "object", "spec": "object"}, path)
    template = as_dict(template)
    metadata, spec = as_dict(template.get("metadata")), template.get("spec")
    errs.extend(expect(metadata, {"labels": "object", "annotations": "object"}, child(path, "metadata")))
    errs.extend(expect_items(metadata.get("labels"), "string", child(path, "metadata", "labels"), keyed=True))
    errs.extend(
        expect_items(
            metadata.get("annotations"), "string", child(path, "metadata", "annotations"), keyed=True
        )
    )
    errs += validate_labels(metadata.get("labels"), child(path, "labels"))
    errs.extend(validate_annotations(metadata.get("annotations"), child(path, "annotations")))
    errs.extend(
        validate_pod_specific_annotations(metadata.get("annotations"), spec, child(path, "annotations"))
    )
    errs.extend(validate_pod_spec(spec, child(path, "spec"), is_pod=False))
    if dicts(as_dict(spec).get("ephemeralContainers")):
        detail = "ephemeral containers not allowed in pod template"
        errs.append(forbidden(child(path, "spec", "ephemeralContainers"), detail))
    return errs
