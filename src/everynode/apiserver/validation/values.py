"""Rules for values several kinds hold: names, ports (``ValidatePortNumOrName``), int-or-percent
(``ValidatePositiveIntOrPercent``), conditions (``ValidateConditions``), and their Go renderings."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from everynode.apiserver.validation.fields import Errors, as_int, as_str, child, dicts, index, nonnegative
from everynode.core import names
from everynode.core.fielderrors import (
    FieldError,
    duplicate,
    go_quote,
    invalid,
    not_supported,
    required,
    too_long,
)
from everynode.core.types import Obj

CONDITION_STATUSES = ("False", "True", "Unknown")
_CONDITION_REASON = re.compile("[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?")
_CONDITION_REASON_MSG = names.regex_error(
    "a condition reason must start with alphabetic character, optionally followed by a string of "
    "alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'",
    _CONDITION_REASON.pattern,
    "my_name",
    "MY_NAME",
    "MyName",
    "ReasonA,ReasonB",
    "ReasonA:ReasonB",
)


def each(check: Callable[[str], list[str]], value: str, path: str) -> Errors:
    """One ``Invalid`` per problem ``check`` finds in ``value``."""
    return [invalid(path, value, msg) for msg in check(value)]


def dns_label(value: str, path: str) -> Errors:
    return each(names.is_dns1123_label, value, path)


def dns_subdomain(value: str, path: str) -> Errors:
    return each(names.is_dns1123_subdomain, value, path)


def qualified_name(value: str, path: str) -> Errors:
    return each(names.is_qualified_name, value, path)


def path_segment_name(name: str, prefix: bool) -> list[str]:
    """A name that only has to fit in a URL path segment (RBAC objects); ``prefix`` is ignored."""
    return names.is_valid_path_segment_name(name)


def too_many(path: str, actual: int, maximum: int) -> FieldError:
    return FieldError("TooMany", path, detail=f"{actual}: must have at most {maximum} items")


def port_number(value: Any, path: str) -> Errors:
    number = as_int(value) or 0
    return [invalid(path, number, msg) for msg in names.is_valid_port_num(number)]


def port_number_or_name(value: Any, path: str) -> Errors:
    """An IntOrString port: a number in 1 to 65535 or an IANA service name."""
    if isinstance(value, str):
        return each(names.is_valid_port_name, value, path)
    return port_number(value, path)


def int_or_percent(value: Any, path: str) -> Errors:
    """``ValidatePositiveIntOrPercent`` then ``IsNotMoreThan100Percent``."""
    if isinstance(value, str):
        msgs = names.is_valid_percent(value)
        if msgs:
            return [invalid(path, value, msg) for msg in msgs]
        if int(value[:-1]) > 100:
            return [invalid(path, value, "must not be greater than 100%", value_text=value)]
        return []
    number = as_int(value)
    if number is None:
        return [invalid(path, value, "must be an integer or percentage (e.g '5%%')")]
    return nonnegative(number, path)


def int_or_percent_value(value: Any) -> int:
    """``getIntOrPercentValue``: the number in ``3`` or ``30%``; anything else is 0."""
    if isinstance(value, str):
        return int(value[:-1]) if not names.is_valid_percent(value) else 0
    return as_int(value) or 0


def go_string_ptr(value: Any) -> str:
    """A ``*string`` field's value as the message shows it: quoted, or ``null`` when unset."""
    return go_quote(value) if isinstance(value, str) else "null"


def go_typed_slice(type_name: str, values: list[str] | None) -> str:
    """``%#v`` of a slice of a named string type: ``[]core.IPFamily{"IPv4"}``, or ``(nil)``."""
    if values is None:
        return f"[]{type_name}(nil)"
    return f"[]{type_name}{{" + ", ".join(go_quote(v) for v in values) + "}"


def validate_conditions(conditions: Any, path: str) -> Errors:
    """``metav1validation.ValidateConditions``: unique types, then each condition's fields."""
    errs: Errors = []
    seen: set[str] = set()
    for i, condition in enumerate(dicts(conditions)):
        item = index(path, i)
        kind = as_str(condition.get("type"))
        if kind in seen:
            errs.append(duplicate(child(item, "type"), kind))
        seen.add(kind)
        errs.extend(_condition(condition, kind, item))
    return errs


def _condition(condition: Obj, kind: str, path: str) -> Errors:
    errs = qualified_name(kind, child(path, "type"))
    status = as_str(condition.get("status"))
    if status not in CONDITION_STATUSES:
        errs.append(not_supported(child(path, "status"), status, CONDITION_STATUSES))
    generation = as_int(condition.get("observedGeneration")) or 0
    if generation < 0:
        errs.append(
            invalid(child(path, "observedGeneration"), generation, "must be greater than or equal to zero")
        )
    if not as_str(condition.get("lastTransitionTime")):
        errs.append(required(child(path, "lastTransitionTime"), "must be set"))
    reason = as_str(condition.get("reason"))
    if not reason:
        errs.append(required(child(path, "reason"), "must be set"))
    else:
        if not _CONDITION_REASON.fullmatch(reason):
            errs.append(invalid(child(path, "reason"), reason, _CONDITION_REASON_MSG))
        if len(reason.encode()) > 1024:
            errs.append(too_long(child(path, "reason"), 1024))
    if len(as_str(condition.get("message")).encode()) > 32 * 1024:
        errs.append(too_long(child(path, "message"), 32 * 1024))
    return errs
