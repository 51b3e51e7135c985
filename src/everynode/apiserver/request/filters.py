"""Which objects a list or watch asks for: namespace, label selector and field selector."""

from __future__ import annotations

from collections.abc import Callable

from everynode.core import errors, fields, labels
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

Predicate = Callable[[Obj], bool]


def build_predicate(
    info: ResourceInfo, namespace: str | None, label_selector: str, field_selector: str
) -> Predicate:
    """A filter for the query; 400 BadRequest for a selector that does not parse or is not supported."""
    try:
        label_sel = labels.parse_selector(label_selector)
        field_sel = fields.check_supported(info.resource, fields.parse_field_selector(field_selector))
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
