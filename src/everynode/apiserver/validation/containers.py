"""Containers and init containers: names, images, ports, mounts, probes, lifecycle, security context."""

from __future__ import annotations

import posixpath
from typing import Any

from everynode.apiserver.validation.env import validate_env, validate_env_from
from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    index,
    nonnegative,
    strings,
)
from everynode.apiserver.validation.resources import validate_resource_requirements
from everynode.core import names
from everynode.core.fielderrors import duplicate, forbidden, invalid, not_found, not_supported, required
from everynode.core.types import Obj

PROTOCOLS = ("SCTP", "TCP", "UDP")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
MOUNT_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
_INIT_FORBIDDEN = ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe")
_CONTAINER_TYPES = {
    **dict.fromkeys(
        (
            "name",
            "image",
            "imagePullPolicy",
            "workingDir",
            "terminationMessagePath",
            "terminationMessagePolicy",
        ),
        "string",
    ),
    **dict.fromkeys(("command", "args", "ports", "env", "envFrom", "volumeMounts", "volumeDevices"), "array"),
    **dict.fromkeys(
        ("resources", "securityContext", "lifecycle", "livenessProbe", "readinessProbe", "startupProbe"),
        "object",
    ),
    **dict.fromkeys(("stdin", "stdinOnce", "tty"), "boolean"),
}


def _shape(ctr: Obj, path: str) -> Errors:
    errs = expect(ctr, _CONTAINER_TYPES, path)
    for field in ("command", "args"):
        errs.extend(expect_items(ctr.get(field), "string", child(path, field)))
    for field in ("ports", "env", "envFrom", "volumeMounts", "volumeDevices"):
        errs.extend(expect_items(ctr.get(field), "object", child(path, field)))
    errs.extend(
        expect(ctr.get("resources"), {"limits": "object", "requests": "object"}, child(path, "resources"))
    )
    return errs


def validate_local_descending_path(target: str, path: str) -> Errors:
    """A relative path with no ``..`` element."""
    errs: Errors = []
    if posixpath.isabs(target):
        errs.append(invalid(path, target, "must be a relative path"))
    errs.extend(validate_no_backsteps(target, path))
    return errs


def validate_no_backsteps(target: str, path: str) -> Errors:
    if ".." in target.replace("\\", "/").split("/"):
        return [invalid(path, target, "must not contain '..'")]
    return []


def validate_port_num_or_name(port: Any, path: str) -> Errors:
    if isinstance(port, str):
        return [invalid(path, port, msg) for msg in names.is_valid_port_name(port)]
    number = as_int(port) or 0
    return [invalid(path, number, msg) for msg in names.is_valid_port_num(number)]


def validate_ports(ports: Any, path: str) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, port in enumerate(dicts(ports)):
        item = index(path, i)
        name = as_str(port.get("name"))
        if name:
            msgs = names.is_valid_port_name(name)
            if msgs:
                errs.extend(invalid(child(item, "name"), name, m) for m in msgs)
            elif name in seen:
                errs.append(duplicate(child(item, "name"), name))
            else:
                seen.add(name)
        container_port = as_int(port.get("containerPort")) or 0
        if container_port == 0:
            errs.append(required(child(item, "containerPort")))
        else:
            msgs = names.is_valid_port_num(container_port)
            errs.extend(invalid(child(item, "containerPort"), container_port, m) for m in msgs)
        host_port = as_int(port.get("hostPort")) or 0
        if host_port != 0:
            errs.extend(
                invalid(child(item, "hostPort"), host_port, m) for m in names.is_valid_port_num(host_port)
            )
        protocol = as_str(port.get("protocol"))
        if not protocol:
            errs.append(required(child(item, "protocol")))
        elif protocol not in PROTOCOLS:
            errs.append(not_supported(child(item, "protocol"), protocol, PROTOCOLS))
    return errs


def validate_volume_mounts(mounts: Any, volumes: dict[str, Obj], container: Obj, path: str) -> Errors:
    errs: Errors = []
    mount_points: set[str] = set()
    privileged = as_dict(container.get("securityContext")).get("privileged") is True
    for i, mount in enumerate(dicts(mounts)):
        item = index(path, i)
        name, mount_path = as_str(mount.get("name")), as_str(mount.get("mountPath"))
        if not name:
            errs.append(required(child(item, "name")))
        if name not in volumes:
            errs.append(not_found(child(item, "name"), name))
        if not mount_path:
            errs.append(required(child(item, "mountPath")))
        if mount_path in mount_points:
            errs.append(invalid(child(item, "mountPath"), mount_path, "must be unique"))
        mount_points.add(mount_path)
        # Upstream reports the next three at the list's path (``volumeMounts.subPath``), not the item's.
        sub_path, sub_path_expr = as_str(mount.get("subPath")), as_str(mount.get("subPathExpr"))
        if sub_path:
            errs.extend(validate_local_descending_path(sub_path, child(path, "subPath")))
        if sub_path_expr:
            if sub_path:
                detail = "subPathExpr and subPath are mutually exclusive"
                errs.append(invalid(child(item, "subPathExpr"), sub_path_expr, detail))
            errs.extend(validate_local_descending_path(sub_path_expr, child(path, "subPathExpr")))
        propagation = mount.get("mountPropagation")
        if isinstance(propagation, str):
            if propagation not in MOUNT_PROPAGATIONS:
                errs.append(not_supported(child(path, "mountPropagation"), propagation, MOUNT_PROPAGATIONS))
            elif propagation == "Bidirectional" and not privileged:
                detail = "Bidirectional mount propagation is available only to privileged containers"
                errs.append(forbidden(child(path, "mountPropagation"), detail))
    return errs


def _validate_http_get(action: Obj, path: str) -> Errors:
    errs: Errors = []
    if not as_str(action.get("path")):
        errs.append(required(child(path, "path")))
    errs.extend(validate_port_num_or_name(action.get("port"), child(path, "port")))
    scheme = as_str(action.get("scheme"))
    if scheme not in ("HTTP", "HTTPS"):
        errs.append(not_supported(child(path, "scheme"), scheme, ("HTTP", "HTTPS")))
    for header in dicts(action.get("httpHeaders")):
        header_name = as_str(header.get("name"))
        errs.extend(
            invalid(child(path, "httpHeaders"), header_name, m)
            for m in names.is_http_header_name(header_name)
        )
    return errs


def _validate_one_handler(kind: str, action: Obj, grace: int | None, path: str) -> Errors:
    if kind == "exec":
        return [] if strings(action.get("command")) else [required(child(path, "command"))]
    if kind == "httpGet":
        return _validate_http_get(action, path)
    if kind == "tcpSocket":
        return validate_port_num_or_name(action.get("port"), child(path, "port"))
    if kind == "grpc":
        return validate_port_num_or_name(as_int(action.get("port")) or 0, child(path, "port"))
    seconds = as_int(action.get("seconds")) or 0
    if grace is not None and (seconds < 0 or seconds > grace):
        detail = f"must be non-negative and less than terminationGracePeriodSeconds ({grace})"
        return [invalid(path, seconds, detail)]
    return []


def validate_handler(handler: Obj, kinds: tuple[str, ...], grace: int | None, path: str) -> Errors:
    """Exactly one handler type (``exec``, ``httpGet``, ``tcpSocket``, ``grpc`` or ``sleep``)."""
    errs: Errors = []
    count = 0
    for kind in kinds:
        action = handler.get(kind)
        if not isinstance(action, dict):
            continue
        if count > 0:
            errs.append(forbidden(child(path, kind), "may not specify more than 1 handler type"))
        else:
            count += 1
            errs.extend(_validate_one_handler(kind, action, grace, child(path, kind)))
    if count == 0:
        errs.append(required(path, "must specify a handler type"))
    return errs


def validate_probe(probe: Any, kind: str, grace: int | None, path: str) -> Errors:
    """A liveness, readiness or startup probe; ``kind`` is the field name."""
    if not isinstance(probe, dict):
        return []
    errs = validate_handler(probe, _PROBE_HANDLERS, grace, path)
    for field in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        errs.extend(nonnegative(as_int(probe.get(field)), child(path, field)))
    probe_grace = as_int(probe.get("terminationGracePeriodSeconds"))
    if probe_grace is not None and probe_grace <= 0:
        errs.append(
            invalid(child(path, "terminationGracePeriodSeconds"), probe_grace, "must be greater than 0")
        )
    if kind in ("livenessProbe", "startupProbe"):
        success = as_int(probe.get("successThreshold")) or 0
        if success != 1:
            errs.append(invalid(child(path, "successThreshold"), success, "must be 1"))
    elif probe_grace is not None:
        detail = "must not be set for readinessProbes"
        errs.append(invalid(child(path, "terminationGracePeriodSeconds"), probe_grace, detail))
    return errs


def _validate_lifecycle_and_probes(ctr: Obj, grace: int | None, path: str) -> Errors:
    errs: Errors = []
    lifecycle = ctr.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                errs.extend(
                    validate_handler(
                        lifecycle[hook], _LIFECYCLE_HANDLERS, grace, child(path, "lifecycle", hook)
                    )
                )
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        errs.extend(validate_probe(ctr.get(kind), kind, grace, child(path, kind)))
    return errs


def validate_security_context(context: Any, path: str) -> Errors:
    """The container ``securityContext`` rules users meet most: id ranges and privilege escalation."""
    if not isinstance(context, dict):
        return []
    errs: Errors = []
    for field in ("runAsUser", "runAsGroup"):
        value = as_int(context.get(field))
        if value is not None:
            errs.extend(invalid(child(path, field), value, m) for m in names.is_valid_user_id(value))
    if context.get("allowPrivilegeEscalation") is False:
        if context.get("privileged") is True:
            detail = "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
            errs.append(invalid(path, context, detail))
        if "CAP_SYS_ADMIN" in strings(as_dict(context.get("capabilities")).get("add")):
            detail = "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"
            errs.append(invalid(path, context, detail))
    return errs


def validate_container_common(ctr: Obj, volumes: dict[str, Obj], path: str) -> Errors:
    """What every kind of container must satisfy (``validateContainerCommon``)."""
    errs = _shape(ctr, path)
    name = as_str(ctr.get("name"))
    if not name:
        errs.append(required(child(path, "name")))
    else:
        errs.extend(invalid(child(path, "name"), name, m) for m in names.is_dns1123_label(name))
    if not as_str(ctr.get("image")):
        errs.append(required(child(path, "image")))
    policy = as_str(ctr.get("terminationMessagePolicy"))
    if not policy:
        errs.append(required(child(path, "terminationMessagePolicy")))
    elif policy not in TERMINATION_MESSAGE_POLICIES:
        errs.append(
            not_supported(child(path, "terminationMessagePolicy"), policy, TERMINATION_MESSAGE_POLICIES)
        )
    errs.extend(validate_ports(ctr.get("ports"), child(path, "ports")))
    errs.extend(validate_env(ctr.get("env"), child(path, "env")))
    errs.extend(validate_env_from(ctr.get("envFrom"), child(path, "envFrom")))
    errs.extend(validate_volume_mounts(ctr.get("volumeMounts"), volumes, ctr, child(path, "volumeMounts")))
    pull = as_str(ctr.get("imagePullPolicy"))
    if not pull:
        errs.append(required(child(path, "imagePullPolicy")))
    elif pull not in PULL_POLICIES:
        errs.append(not_supported(child(path, "imagePullPolicy"), pull, PULL_POLICIES))
    errs.extend(validate_resource_requirements(ctr.get("resources"), child(path, "resources")))
    errs.extend(validate_security_context(ctr.get("securityContext"), child(path, "securityContext")))
    return errs


def _host_port_conflicts(containers: list[Obj], path: str) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(dicts(ctr.get("ports"))):
            host_port = as_int(port.get("hostPort")) or 0
            if host_port == 0:
                continue
            mark = f"{as_str(port.get('protocol'))}/{as_str(port.get('hostIP'))}/{host_port}"
            if mark in seen:
                errs.append(duplicate(child(index(child(index(path, ci), "ports"), pi), "hostPort"), mark))
            seen.add(mark)
    return errs


def validate_containers(containers: Any, volumes: dict[str, Obj], grace: int | None, path: str) -> Errors:
    items = dicts(containers)
    if not items:
        return [required(path)]
    errs: Errors = []
    seen: set[str] = set()
    for i, ctr in enumerate(items):
        item = index(path, i)
        errs.extend(validate_container_common(ctr, volumes, item))
        name = as_str(ctr.get("name"))
        if name in seen:
            errs.append(duplicate(child(item, "name"), name))
        seen.add(name)
        errs.extend(_validate_lifecycle_and_probes(ctr, grace, item))
        if ctr.get("restartPolicy") is not None:
            errs.append(forbidden(child(item, "restartPolicy"), "may not be set for non-init containers"))
    errs.extend(_host_port_conflicts(items, path))
    return errs


def validate_init_containers(
    init_containers: Any, containers: Any, volumes: dict[str, Obj], grace: int | None, path: str
) -> Errors:
    errs: Errors = []
    seen = {as_str(c.get("name")) for c in dicts(containers)}
    for i, ctr in enumerate(dicts(init_containers)):
        item = index(path, i)
        errs.extend(validate_container_common(ctr, volumes, item))
        restart = ctr.get("restartPolicy")
        if restart is not None and restart != "Always":
            errs.append(not_supported(child(item, "restartPolicy"), restart, ("Always",)))
        name = as_str(ctr.get("name"))
        if name in seen:
            errs.append(duplicate(child(item, "name"), name))
        elif name:
            seen.add(name)
        # Init containers run one at a time, so host ports may only clash within one of them
        # (upstream reports such a clash at index 0 whatever the container's position).
        errs.extend(_host_port_conflicts([ctr], path))
        if restart == "Always":
            errs.extend(_validate_lifecycle_and_probes(ctr, grace, item))
        else:
            detail = "may not be set for init containers without restartPolicy=Always"
            errs.extend(forbidden(child(item, f), detail) for f in _INIT_FORBIDDEN if ctr.get(f) is not None)
    return errs
