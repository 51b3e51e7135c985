"""``metav1.LabelSelector`` (``matchLabels`` + ``matchExpressions``, as in ``spec.selector``):
conversion to a ``labels.Selector``, and the string form kubectl prints and sends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.core.fielderrors import go_quote
from everynode.core.labels import (
    EVERYTHING,
    NOTHING,
    Labels,
    Operator,
    Requirement,
    Selector,
    SelectorError,
    new_requirement,
)

# --- metav1.LabelSelector ---
_EXPRESSION_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def _text(value: Any) -> str:
    # Stored objects passed schema validation; anything else is a malformed request, reported as such.
    if isinstance(value, str):
        return value
    raise SelectorError(f"Invalid value: {value!r}: must be a string")


def from_label_selector(selector: Mapping[str, Any] | None) -> Selector:
    """``metav1.LabelSelectorAsSelector``: ``None`` matches nothing, ``{}`` matches everything."""
    if selector is None:
        return NOTHING
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return EVERYTHING
    requirements = [new_requirement(k, Operator.EQUALS, (_text(v),)) for k, v in match_labels.items()]
    for expression in expressions:
        name = expression.get("operator")
        op = _EXPRESSION_OPERATORS.get(name) if isinstance(name, str) else None
        if op is None:
            raise SelectorError(f"{go_quote(str(name))} is not a valid label selector operator")
        values = expression.get("values") or ()
        if isinstance(values, str | Mapping):
            raise SelectorError(f"values: Invalid value: {values!r}: must be a list of strings")
        requirements.append(new_requirement(_text(expression.get("key")), op, map(_text, values)))
    return Selector(tuple(requirements))


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` for nothing and everything, ``<error>`` if invalid."""
    try:
        text = str(from_label_selector(selector))
    except SelectorError:
        return "<error>"
    return text or "<none>"


def selector_from_set(labels: Labels | None) -> Selector:
    """``labels.SelectorFromSet``: ``k=v`` for every pair, not validated; empty or ``None`` = everything."""
    return Selector(tuple(Requirement(k, Operator.EQUALS, (v,)) for k, v in (labels or {}).items()))


def selector_matches(selector: Mapping[str, Any] | None, labels: Labels | None) -> bool:
    """Does a ``metav1.LabelSelector`` dict select these labels? Parse once and reuse on hot paths."""
    return from_label_selector(selector).matches(labels)
