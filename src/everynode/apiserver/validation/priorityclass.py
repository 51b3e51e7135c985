"""PriorityClass validation (upstream ``ValidatePriorityClass[Update]``, ``IsKnownSystemPriorityClass``)."""

from __future__ import annotations

from everynode.apiserver.validation.fields import Errors, as_dict, as_int, as_str, expect, immutable
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names, wellknown
from everynode.core.fielderrors import forbidden, not_supported, required
from everynode.core.types import Obj

# name → value of the system classes (upstream creates them; ``core.wellknown`` has their descriptions)
SYSTEM_PRIORITY_CLASSES = {name: value for name, (value, _) in wellknown.SYSTEM_PRIORITY_CLASSES.items()}
SYSTEM_PREFIX = "system-"
HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")  # upstream's order
_SHAPE = {
    "value": "integer",
    "globalDefault": "boolean",
    "description": "string",
    "preemptionPolicy": "string",
}


def known_system_class_error(name: str, value: int, global_default: bool) -> str:
    """Why a ``system-`` class is not one of the built-ins ("" when it is one)."""
    if name not in SYSTEM_PRIORITY_CLASSES:
        return f"{name} is not a known system priority class"
    if value != SYSTEM_PRIORITY_CLASSES[name]:
        return f"value of {name} PriorityClass must be {SYSTEM_PRIORITY_CLASSES[name]}"
    if global_default:
        return f"globalDefault of {name} PriorityClass must be false"
    return ""


def validate_priority_class(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=False, name_fn=names.name_is_dns_subdomain)
    errs.extend(expect(obj, _SHAPE, ""))
    name = as_str(as_dict(obj.get("metadata")).get("name"))
    value = as_int(obj.get("value")) or 0
    if name.startswith(SYSTEM_PREFIX):
        reason = known_system_class_error(name, value, obj.get("globalDefault") is True)
        if reason:
            detail = (
                f"priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system use only. "
                f"error: {reason}"
            )
            errs.append(forbidden("metadata.name", detail))
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        detail = f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
        errs.append(forbidden("value", detail))
    policy = obj.get("preemptionPolicy")
    if policy is not None:
        if not policy:
            errs.append(required("preemptionPolicy"))
        elif policy not in PREEMPTION_POLICIES:
            errs.append(not_supported("preemptionPolicy", as_str(policy), PREEMPTION_POLICIES))
    return errs


def validate_priority_class_update(new: Obj, old: Obj) -> Errors:
    """Only metadata, ``description`` and ``globalDefault`` may change (the create rules are not run
    again)."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    if (as_int(new.get("value")) or 0) != (as_int(old.get("value")) or 0):
        errs.append(forbidden("value", "may not be changed in an update."))
    errs.extend(immutable(new.get("preemptionPolicy"), old.get("preemptionPolicy"), "preemptionPolicy"))
    return errs
