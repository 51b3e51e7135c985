"""Defaulting a custom resource from its schema's ``default`` values
(``pkg/apiserver/schema/defaulting/algorithm.go`` and ``prunenulls.go``).

Top-down: an object gets each property's default (a deep copy) where the property is missing, or
``null`` while the property is not ``nullable``; then each present field is defaulted below, array
items and ``additionalProperties`` values included (a non-nullable ``null`` there becomes the value
schema's default). A ``null`` the schema does not allow and cannot default is removed instead
(:func:`prune_nulls`). Running either twice changes nothing more.
"""

from __future__ import annotations

import copy
from typing import Any

from everynode.apiserver.crd.structural import Structural


def _non_nullable_null(value: Any, schema: Structural | None) -> bool:
    return value is None and schema is not None and not schema.nullable


def apply_defaults(value: Any, schema: Structural | None) -> None:
    """``Default``: fill in defaults, in place."""
    if schema is None:
        return
    if isinstance(value, dict):
        for name, prop in schema.properties.items():
            if prop.has_default and (name not in value or _non_nullable_null(value[name], prop)):
                value[name] = copy.deepcopy(prop.default)
        for name in list(value):
            found = schema.properties.get(name)
            if found is not None:
                apply_defaults(value[name], found)
            elif schema.has_additional:
                extra = schema.additional
                if extra is not None and _non_nullable_null(value[name], extra):
                    value[name] = copy.deepcopy(extra.default) if extra.has_default else None
                apply_defaults(value[name], extra)
    elif isinstance(value, list):
        items = schema.items
        for i in range(len(value)):
            if items is not None and _non_nullable_null(value[i], items):
                value[i] = copy.deepcopy(items.default) if items.has_default else None
            apply_defaults(value[i], items)


def prune_nulls(value: Any, schema: Structural | None) -> None:
    """``PruneNonNullableNullsWithoutDefaults``: drop object fields that are ``null`` where the schema
    neither allows ``null`` nor has a default (a default replaces them instead)."""
    if isinstance(value, dict):
        for name in list(value):
            field_schema = schema.child(name) if schema is not None else None
            item = value[name]
            if _non_nullable_null(item, field_schema) and not (
                field_schema is not None and field_schema.has_default
            ):
                del value[name]
            else:
                prune_nulls(item, field_schema)
    elif isinstance(value, list):
        items = schema.items if schema is not None else None
        for item in value:
            prune_nulls(item, items)
