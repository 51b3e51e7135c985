"""Empty maps are not stored: upstream's API types declare their map fields ``omitempty``, so a map
emptied by a patch (``{"metadata": {"annotations": {"k": null}}}`` on the last annotation) is
dropped when Go encodes the object, and reads back absent.

Keeping ``annotations: {}`` instead changes what the object hashes to: a DaemonSet rolled back
through such a patch would no longer match the revision it was rolled back to, and every pod
would be replaced. Only maps are dropped (a field of the schema's ``additionalProperties`` type);
empty lists are not, because upstream's lists are not all ``omitempty``.
"""

from __future__ import annotations

import functools
from typing import Any

from everynode.apiserver.description.schema import ARRAY, MAP, OBJECT, SchemaType, root_definition, type_of
from everynode.core.types import Obj


@functools.cache
def _root(group: str, version: str, kind: str) -> SchemaType | None:
    name = root_definition(group, version, kind)
    return None if name is None else type_of(name)


def drop_empty_maps(obj: Obj, group: str, version: str, kind: str) -> None:
    """Remove, in place, every empty map anywhere in ``obj`` (a kind without a schema: nothing)."""
    root = _root(group, version, kind)
    if root is not None:
        _walk(obj, root)


def _walk(value: Any, schema: SchemaType) -> None:
    if schema.kind == OBJECT and isinstance(value, dict):
        types = schema.field_types
        empty = []
        for name, child in value.items():
            child_type = types.get(name)
            if child_type is None or not isinstance(child, dict | list):
                continue
            if child_type.kind == MAP and not child:
                empty.append(name)
            else:
                _walk(child, child_type)
        for name in empty:
            del value[name]
    elif schema.kind == ARRAY and isinstance(value, list):
        element = schema.element
        if element.kind in (OBJECT, ARRAY, MAP):
            for item in value:
                _walk(item, element)
    elif schema.kind == MAP and isinstance(value, dict):
        element = schema.element
        if element.kind in (OBJECT, ARRAY):
            for item in value.values():
                _walk(item, element)
