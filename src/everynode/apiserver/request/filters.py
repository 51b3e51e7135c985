"""Which objects a list or watch asks for: namespace, label selector and field selector."""

from __future__ import annotations

from collections.abc import Callable

from everynode.core import errors, fields, labels
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

Predicate = Callable[[Obj], bool]


def build_predicate(
    info: ResourceInfo,
    namespace: str | None,
    label_selector: str,
    field_selector: str,
    selectable: tuple[str, ...] = (),
) -> Predicate:
    """A filter for the query; 400 BadRequest for a selector that does not parse or is not supported.
    ``selectable``: a custom kind's ``selectableFields`` (``spec.color``), besides its name and
    namespace."""
    try:
        label_sel = labels.parse_selector(label_selector)
        parsed = fields.parse_field_selector(field_selector)
        if info.custom:
            return _custom_predicate(namespace, label_sel, parsed, selectable)
        field_sel = fields.check_supported(info.resource, parsed)
    except labels.SelectorError as exc:
        raise errors.BadRequest(str(exc)) from None
    resource = info.resource
    check_labels = not label_sel.is_empty()
    check_fields = bool(field_sel.requirements)

    def predicate(obj: Obj) -> bool:
        metadata = obj.get("metadata", {})
        if namespace is not None and metadata.get("namespace") != namespace:
            return False
        if check_labels and not label_sel.matches(metadata.get("labels") or {}):
            return False
        return not check_fields or field_sel.matches_object(resource, obj)

    return predicate


def _custom_predicate(
    namespace: str | None,
    label_sel: labels.Selector,
    field_sel: fields.FieldSelector,
    selectable: tuple[str, ...],
) -> Predicate:
    """A custom resource's filter: its name, namespace and the definition's selectable fields, each
    compared as upstream prints the value (a string as it is, a number or boolean in JSON)."""
    supported = {"metadata.name", "metadata.namespace", *selectable}
    used = []
    for requirement in field_sel.requirements:
        if requirement.field not in supported:
            raise labels.SelectorError(f"field label not supported: {requirement.field}")
        used.append(requirement.field)
    check_labels = not label_sel.is_empty()

    def predicate(obj: Obj) -> bool:
        metadata = obj.get("metadata", {})
        if namespace is not None and metadata.get("namespace") != namespace:
            return False
        if check_labels and not label_sel.matches(metadata.get("labels") or {}):
            return False
        return not used or field_sel.matches({path: _field_text(obj, path) for path in used})

    return predicate


def _field_text(obj: Obj, path: str) -> str:
    value: object = obj
    for step in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(step)
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
