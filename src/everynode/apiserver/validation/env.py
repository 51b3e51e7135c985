"""Container ``env`` and ``envFrom``, and the downward-API field selectors they share with volumes."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import Errors, as_dict, as_str, child, dicts, index
from everynode.apiserver.validation.meta import validate_label_name
from everynode.core import names
from everynode.core.fielderrors import invalid, not_supported, required
from everynode.core.types import Obj

ENV_FIELD_PATHS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
VOLUME_FIELD_PATHS = (
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
)
# What ``ConvertDownwardAPIFieldLabel`` accepts for v1 before the per-use lists above are applied.
_CONVERTIBLE = frozenset(
    {
        "metadata.annotations",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.serviceAccountName",
        "spec.schedulerName",
        "status.phase",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    }
)
RESOURCE_FIELD_PATHS = (
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
)


def _split_subscript(field_path: str) -> tuple[str, str] | None:
    """``metadata.labels['app']`` → ``("metadata.labels", "app")``."""
    if not field_path.endswith("']"):
        return None
    parts = field_path[:-2].split("['", 1)
    if len(parts) < 2 or not parts[0]:
        return None
    return parts[0], parts[1]


def validate_object_field_selector(selector: Obj, allowed: tuple[str, ...], path: str) -> Errors:
    api_version, field_path = as_str(selector.get("apiVersion")), as_str(selector.get("fieldPath"))
    if not api_version:
        return [required(child(path, "apiVersion"))]
    if not field_path:
        return [required(child(path, "fieldPath"))]
    subscripted = _split_subscript(field_path)
    problem = ""
    if api_version != "v1":
        problem = f"unsupported pod version: {api_version}"
    elif subscripted is not None and subscripted[0] not in ("metadata.annotations", "metadata.labels"):
        problem = f"field label does not support subscript: {field_path}"
    elif subscripted is None and field_path not in _CONVERTIBLE and field_path != "spec.host":
        problem = f"field label not supported: {field_path}"
    if problem:
        return [invalid(child(path, "fieldPath"), field_path, f"error converting fieldPath: {problem}")]
    if field_path == "spec.host":
        field_path = "spec.nodeName"
    if subscripted is not None:
        base, subscript = subscripted
        return validate_label_name(subscript.lower() if base == "metadata.annotations" else subscript, path)
    if field_path not in allowed:
        return [not_supported(child(path, "fieldPath"), field_path, tuple(sorted(allowed)))]
    return []


def validate_resource_field_selector(selector: Obj, path: str, *, volume: bool) -> Errors:
    resource = as_str(selector.get("resource"))
    if volume and not as_str(selector.get("containerName")):
        return [required(child(path, "containerName"))]
    if not resource:
        return [required(child(path, "resource"))]
    hugepages = resource.startswith(("requests.hugepages-", "limits.hugepages-"))
    if resource not in RESOURCE_FIELD_PATHS and not hugepages:
        return [not_supported(child(path, "resource"), resource, RESOURCE_FIELD_PATHS)]
    return []


def _key_selector(selector: Obj, path: str) -> Errors:
    name, k = as_str(selector.get("name")), as_str(selector.get("key"))
    errs = [invalid(child(path, "name"), name, m) for m in names.name_is_dns_subdomain(name, False)]
    if not k:
        errs.append(required(child(path, "key")))
    else:
        errs.extend(invalid(child(path, "key"), k, m) for m in names.is_config_map_key(k))
    return errs


def _value_from(var: Obj, path: str) -> Errors:
    source = var.get("valueFrom")
    if not isinstance(source, dict):
        return []
    errs: Errors = []
    count = 0
    if isinstance(source.get("fieldRef"), dict):
        count += 1
        errs.extend(
            validate_object_field_selector(source["fieldRef"], ENV_FIELD_PATHS, child(path, "fieldRef"))
        )
    if isinstance(source.get("resourceFieldRef"), dict):
        count += 1
        errs.extend(
            validate_resource_field_selector(
                source["resourceFieldRef"], child(path, "resourceFieldRef"), volume=False
            )
        )
    for ref in ("configMapKeyRef", "secretKeyRef"):
        if isinstance(source.get(ref), dict):
            count += 1
            errs.extend(_key_selector(source[ref], child(path, ref)))
    if count == 0:
        detail = "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
        errs.append(invalid(path, "", detail))
    elif as_str(var.get("value")):
        errs.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif count > 1:
        errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def validate_env(env: Any, path: str) -> Errors:
    """Names as upstream checks them since relaxed validation (printable ASCII, no ``=``)."""
    errs: Errors = []
    for i, var in enumerate(dicts(env)):
        item = index(path, i)
        name = as_str(var.get("name"))
        if not name:
            errs.append(required(child(item, "name")))
        else:
            errs.extend(invalid(child(item, "name"), name, m) for m in names.is_relaxed_env_var_name(name))
        errs.extend(_value_from(var, child(item, "valueFrom")))
    return errs


def validate_env_from(env_from: Any, path: str) -> Errors:
    errs: Errors = []
    for i, source in enumerate(dicts(env_from)):
        item = index(path, i)
        prefix = as_str(source.get("prefix"))
        if prefix:
            errs.extend(
                invalid(child(item, "prefix"), prefix, m) for m in names.is_relaxed_env_var_name(prefix)
            )
        count = 0
        for ref in ("configMapRef", "secretRef"):
            if isinstance(source.get(ref), dict):
                count += 1
                name = as_str(as_dict(source[ref]).get("name"))
                if not name:
                    errs.append(required(child(item, ref, "name")))
                else:
                    msgs = names.name_is_dns_subdomain(name, True)
                    errs.extend(invalid(child(item, ref, "name"), name, m) for m in msgs)
        # Upstream reports these two at the list's path, not the item's.
        if count == 0:
            errs.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif count > 1:
            errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs
