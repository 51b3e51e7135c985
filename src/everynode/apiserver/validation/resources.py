"""Container ``resources``: names, quantities, and requests against limits."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import NEGATIVE_MSG, Errors, as_dict, child, key
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, required
from everynode.core.quantity import Quantity, QuantityError, canonical, parse_quantity

HUGEPAGES_PREFIX = "hugepages-"
# Unprefixed names upstream knows (``IsStandardResourceName``); containers may use only a few of them.
_STANDARD_CONTAINER = frozenset({"cpu", "memory", "ephemeral-storage"})
_STANDARD = _STANDARD_CONTAINER | frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "storage",
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
QOS_COMPUTE = ("cpu", "memory")


def is_hugepages(name: str) -> bool:
    return name.startswith(HUGEPAGES_PREFIX)


def is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def is_extended(name: str) -> bool:
    """An extended resource (``example.com/gpu``): prefixed, not native, not a quota name."""
    if is_native(name) or name.startswith("requests."):
        return False
    return not names.is_qualified_name("requests." + name)


def overcommit_allowed(name: str) -> bool:
    """Requests may be below limits only for native resources other than huge pages."""
    return is_native(name) and not is_hugepages(name)


def _validate_name(name: str, path: str) -> Errors:
    errs = [invalid(path, name, msg) for msg in names.is_qualified_name(name)]
    if errs:
        return errs
    if "/" not in name:
        if name not in _STANDARD and not is_hugepages(name):
            errs.append(invalid(path, name, "must be a standard resource type or fully qualified"))
        if name not in _STANDARD_CONTAINER and not is_hugepages(name):
            errs.append(invalid(path, name, "must be a standard resource for containers"))
    elif not is_native(name) and not is_extended(name):
        errs.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return errs


def _validate_quantity(name: str, raw: Any, path: str) -> tuple[Quantity | None, Errors]:
    try:
        q = parse_quantity(raw)
    except QuantityError as err:
        return None, [invalid(path, raw, str(err))]
    errs: Errors = []
    if q.value < 0:
        errs.append(invalid(path, canonical(q), NEGATIVE_MSG))
    if is_extended(name) and q.value != q.value.to_integral_value():
        errs.append(invalid(path, q, "must be an integer", value_text=canonical(q)))
    return q, errs


def validate_resource_requirements(resources: Any, path: str) -> Errors:
    """``ValidateContainerResourceRequirements``: each name and quantity, then requests ≤ limits (equal
    for resources that cannot be overcommitted), and huge pages only alongside cpu or memory."""
    res = as_dict(resources)
    lim_path, req_path = child(path, "limits"), child(path, "requests")
    errs: Errors = []
    limits: dict[str, Quantity] = {}
    has_compute, has_hugepages = False, False
    for name, raw in as_dict(res.get("limits")).items():
        errs.extend(_validate_name(name, key(lim_path, name)))
        q, q_errs = _validate_quantity(name, raw, key(lim_path, name))
        errs.extend(q_errs)
        if q is not None:
            limits[name] = q
        has_compute = has_compute or name in QOS_COMPUTE
        has_hugepages = has_hugepages or is_hugepages(name)
    for name, raw in as_dict(res.get("requests")).items():
        errs.extend(_validate_name(name, key(req_path, name)))
        q, q_errs = _validate_quantity(name, raw, key(req_path, name))
        errs.extend(q_errs)
        limit = limits.get(name)
        if q is not None and limit is not None:
            if q.value != limit.value and not overcommit_allowed(name):
                detail = f"must be equal to {name} limit of {canonical(limit)}"
                errs.append(invalid(req_path, canonical(q), detail))
            elif q.value > limit.value:
                detail = f"must be less than or equal to {name} limit of {canonical(limit)}"
                errs.append(invalid(req_path, canonical(q), detail))
        elif name not in as_dict(res.get("limits")) and not overcommit_allowed(name):
            errs.append(required(lim_path, "Limit must be set for non overcommitable resources"))
        has_compute = has_compute or name in QOS_COMPUTE
        has_hugepages = has_hugepages or is_hugepages(name)
    if has_hugepages and not has_compute:
        errs.append(forbidden(path, "HugePages require cpu or memory"))
    return errs
