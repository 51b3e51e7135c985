"""``metav1.LabelSelector``: validation, conversion to a matcher, and matching label sets."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_str,
    child,
    dicts,
    index,
    str_map,
    strings,
)
from everynode.apiserver.validation.meta import validate_label_name, validate_labels
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, required
from everynode.core.labels import SelectorError
from everynode.core.labelselector import selector_matches

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector(selector: Any, path: str, *, allow_invalid_values: bool = False) -> Errors:
    """Keys and values of ``matchLabels``; operator, key and values of each ``matchExpressions`` entry.
    A missing selector is not an error here (callers decide whether one is required)."""
    if not isinstance(selector, dict):
        return []
    errs = validate_labels(selector.get("matchLabels"), child(path, "matchLabels"))
    for i, expr in enumerate(dicts(selector.get("matchExpressions"))):
        errs.extend(
            _validate_requirement(expr, index(child(path, "matchExpressions"), i), allow_invalid_values)
        )
    return errs


SET_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def set_operator_errors(operator: str, values: list[str], path: str) -> Errors:
    """In/NotIn need values, Exists/DoesNotExist take none (label and node selectors alike)."""
    if operator in ("In", "NotIn") and not values:
        return [required(child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'")]
    if operator in ("Exists", "DoesNotExist") and values:
        detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        return [forbidden(child(path, "values"), detail)]
    return []


def _validate_requirement(expr: dict[str, Any], path: str, allow_invalid_values: bool) -> Errors:
    errs: Errors = []
    operator = expr.get("operator")
    values = strings(expr.get("values"))
    if operator in SET_OPERATORS:
        errs.extend(set_operator_errors(as_str(operator), values, path))
    else:
        errs.append(invalid(child(path, "operator"), as_str(operator), "not a valid selector operator"))
    errs.extend(validate_label_name(as_str(expr.get("key")), child(path, "key")))
    if not allow_invalid_values:
        for i, value in enumerate(values):
            errs.extend(
                invalid(index(child(path, "values"), i), value, m) for m in names.is_valid_label_value(value)
            )
    return errs


def is_empty(selector: Any) -> bool:
    """Present but with no ``matchLabels`` and no ``matchExpressions`` (upstream: matches everything)."""
    sel = as_dict(selector)
    return not str_map(sel.get("matchLabels")) and not dicts(sel.get("matchExpressions"))


def converts(selector: Any) -> bool:
    """Whether ``LabelSelectorAsSelector`` accepts the selector (a missing one converts to "nothing")."""
    if not isinstance(selector, dict):
        return True
    for k, v in str_map(selector.get("matchLabels")).items():
        if names.is_qualified_name(k) or names.is_valid_label_value(v):
            return False
    for expr in dicts(selector.get("matchExpressions")):
        operator, values = expr.get("operator"), strings(expr.get("values"))
        if operator not in OPERATORS or names.is_qualified_name(as_str(expr.get("key"))):
            return False
        if (operator in ("In", "NotIn")) != bool(values):
            return False
        if any(names.is_valid_label_value(v) for v in values):
            return False
    return True


def matches(selector: Any, labels: dict[str, str]) -> bool:
    """Whether a label set is selected (core's matcher; a selector it cannot read selects nothing).
    A missing selector selects nothing; an empty one everything."""
    try:
        return selector_matches(selector if isinstance(selector, dict) else None, labels)
    except SelectorError:
        return False


def selector_string(selector: Any) -> str:
    """A selector as its generated ``String()`` prints it in messages, e.g.
    ``&LabelSelector{MatchLabels:map[string]string{app: x,},MatchExpressions:[]LabelSelectorRequirement{},}``
    """
    if not isinstance(selector, dict):
        return "nil"
    match_labels = "".join(f"{k}: {v}," for k, v in sorted(str_map(selector.get("matchLabels")).items()))
    expressions = "".join(
        "LabelSelectorRequirement{"
        f"Key:{as_str(e.get('key'))},Operator:{as_str(e.get('operator'))},"
        f"Values:[{' '.join(strings(e.get('values')))}],"
        "},"
        for e in dicts(selector.get("matchExpressions"))
    )
    return (
        "&LabelSelector{MatchLabels:map[string]string{"
        + match_labels
        + "},MatchExpressions:[]LabelSelectorRequirement{"
        + expressions
        + "},}"
    )
