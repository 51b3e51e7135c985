"""DaemonSet validation: ``ValidateDaemonSet``, the registry's update rules, and status updates
(reference §1.2, in that order and with those messages)."""

from __future__ import annotations

import re
from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    expect,
    expect_object,
    immutable,
    nonnegative,
    strings,
)
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.apiserver.validation.replicated import selector_and_template
from everynode.apiserver.validation.rollout import validate_rollout_annotations
from everynode.apiserver.validation.selectors import (
    selector_string,
)
from everynode.apiserver.validation.values import int_or_percent
from everynode.core import names
from everynode.core.fielderrors import FieldError, go_quote, invalid, required
from everynode.core.intstr import percent
from everynode.core.types import Obj

STRATEGY_TYPES = ("RollingUpdate", "OnDelete")
STATUS_COUNTERS = (
    "currentNumberScheduled",
    "numberMisscheduled",
    "desiredNumberScheduled",
    "numberReady",
    "observedGeneration",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
)


def _int_or_string_errors(value: Any, path: str) -> Errors:
    """``ValidatePositiveIntOrPercent`` then ``IsNotMoreThan100Percent``; absent counts as 0."""
    return int_or_percent(0 if value is None else value, path)


def int_or_percent_value(value: Any) -> int:
    """The number in ``3`` or ``30%``; other strings count as their integer value, else 0."""
    if isinstance(value, str):
        share = percent(value)
        if share is not None:
            return share
        return int(value) if re.fullmatch(r"[+-]?[0-9]{1,18}", value) else 0
    return as_int(value) or 0


def _rolling_update_errors(rolling: Obj, path: str) -> Errors:
    max_unavailable, max_surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    errs = _int_or_string_errors(max_unavailable, f"{path}.maxUnavailable")
    errs.extend(_int_or_string_errors(max_surge, f"{path}.maxSurge"))
    has_unavailable = int_or_percent_value(max_unavailable) != 0
    has_surge = int_or_percent_value(max_surge) != 0
    if has_unavailable and has_surge:
        text = str(max_surge)
        errs.append(
            invalid(
                f"{path}.maxSurge",
                max_surge,
                "may not be set when maxUnavailable is non-zero",
                value_text=text,
            )
        )
    elif not has_unavailable and not has_surge:
        errs.append(required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return errs


def _strategy_text(strategy: Obj) -> str:
    """The strategy struct, close to Go's ``%#v`` of ``apps.DaemonSetUpdateStrategy``."""
    rolling = strategy.get("rollingUpdate")
    if isinstance(rolling, dict):
        inner = (
            f"&apps.RollingUpdateDaemonSet{{MaxUnavailable:{rolling.get('maxUnavailable', 0)}, "
            f"MaxSurge:{rolling.get('maxSurge', 0)}}}"
        )
    else:
        inner = "(*apps.RollingUpdateDaemonSet)(nil)"
    kind = strategy.get("type")
    type_text = go_quote(kind if isinstance(kind, str) else "")
    return f"apps.DaemonSetUpdateStrategy{{Type:{type_text}, RollingUpdate:{inner}}}"


def validate_update_strategy(strategy: Any, path: str) -> Errors:
    strategy = as_dict(strategy)
    kind = strategy.get("type")
    if kind == "OnDelete":
        return []
    if kind == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            return [required(f"{path}.rollingUpdate")]
        return _rolling_update_errors(rolling, f"{path}.rollingUpdate")
    return [
        FieldError(
            "NotSupported", path, strategy, supported=STRATEGY_TYPES, value_text=_strategy_text(strategy)
        )
    ]


_SPEC_TYPES = {
    "selector": "object",
    "template": "object",
    "updateStrategy": "object",
    "minReadySeconds": "integer",
    "revisionHistoryLimit": "integer",
}
_STRATEGY_TYPES = {"type": "string", "rollingUpdate": "object"}


def validate_daemonset_spec(
    spec: Any, path: str = "spec", *, allow_invalid_selector_values: bool = False
) -> Errors:
    shape = expect_object(spec, path) or expect(spec, _SPEC_TYPES, path)
    shape.extend(expect(as_dict(spec).get("updateStrategy"), _STRATEGY_TYPES, f"{path}.updateStrategy"))
    spec = as_dict(spec)
    errs = shape + selector_and_template(
        spec,
        path,
        owner="DaemonSet",
        allow_invalid_values=allow_invalid_selector_values,
        require_selector=False,
    )
    errs.extend(nonnegative(as_int(spec.get("minReadySeconds")), f"{path}.minReadySeconds"))
    errs.extend(validate_update_strategy(spec.get("updateStrategy"), f"{path}.updateStrategy"))
    errs.extend(nonnegative(as_int(spec.get("revisionHistoryLimit")), f"{path}.revisionHistoryLimit"))
    return errs


def validate_daemonset(ds: Obj, *, allow_invalid_selector_values: bool = False) -> Errors:
    errs = validate_object_meta(ds.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(
        validate_daemonset_spec(ds.get("spec"), allow_invalid_selector_values=allow_invalid_selector_values)
    )
    errs.extend(validate_rollout_annotations(ds.get("metadata")))
    return errs


def _has_invalid_selector_values(selector: Any) -> bool:
    for expr in as_dict(selector).get("matchExpressions") or []:
        if any(names.is_valid_label_value(v) for v in strings(as_dict(expr).get("values"))):
            return True
    return False


def validate_daemonset_update(new: Obj, old: Obj) -> Errors:
    """Create rules again, metadata update rules, and (``apps/v1``) an immutable selector. A selector
    that already held invalid values may keep them."""
    old_selector = as_dict(old.get("spec")).get("selector")
    allow = _has_invalid_selector_values(old_selector)
    errs = validate_daemonset(new, allow_invalid_selector_values=allow)
    errs.extend(validate_object_meta_update(new.get("metadata"), old.get("metadata")))
    new_selector = as_dict(new.get("spec")).get("selector")
    text = selector_string(new_selector)
    errs.extend(immutable(new_selector, old_selector, "spec.selector", value_text=text))
    return errs


def validate_daemonset_status_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(expect_object(new.get("status"), "status"))
    errs.extend(
        expect(new.get("status"), dict.fromkeys((*STATUS_COUNTERS, "collisionCount"), "integer"), "status")
    )
    status, old_status = as_dict(new.get("status")), as_dict(old.get("status"))
    for counter in STATUS_COUNTERS:
        errs.extend(nonnegative(as_int(status.get(counter)), f"status.{counter}"))
    collisions, old_collisions = (
        as_int(status.get("collisionCount")),
        as_int(old_status.get("collisionCount")),
    )
    errs.extend(nonnegative(collisions, "status.collisionCount"))
    decremented = (collisions is None and old_collisions is not None) or (
        collisions is not None and old_collisions is not None and collisions < old_collisions
    )
    if decremented:
        errs.append(invalid("status.collisionCount", collisions or 0, "cannot be decremented"))
    return errs
