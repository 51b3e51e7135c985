"""``x-kubernetes-list-type`` ``set`` and ``map``: their items (sets) or item keys (maps) are unique
(``pkg/apiserver/schema/listtype/validation.go``).

A value seen twice is reported once, at its second index: ``spec.ports[2]: Duplicate value:
{"port":80}`` (the key fields of a map item; ``{}`` when it has none). Items of a ``map`` list must be
objects. Values compare as Go compares them: ``1`` and ``1.0`` differ, objects and lists by their
JSON.
"""

from __future__ import annotations

from typing import Any

from everynode.apiserver.crd.gofmt import as_go_number, go_json
from everynode.apiserver.crd.structural import Structural
from everynode.apiserver.validation.fields import Errors, child, index, key
from everynode.core.fielderrors import duplicate, invalid

_NO_KEY: Any = object()


def _identity(value: Any) -> tuple[str, Any]:
    if value is _NO_KEY:
        return ("unspecified", None)
    value = as_go_number(value)
    if isinstance(value, dict | list):
        return ("json", go_json(value))
    return (type(value).__name__, value)


def _second_occurrences(values: list[Any]) -> list[int]:
    """``validateListSet``: the index where each repeated value appears the second time."""
    seen: dict[tuple[str, Any], int] = {}
    repeated: list[int] = []
    for i, value in enumerate(values):
        mark = _identity(value)
        seen[mark] = seen.get(mark, 0) + 1
        if seen[mark] == 2:
            repeated.append(i)
    return repeated


def validate(obj: Any, schema: Structural | None, path: str = "") -> Errors:
    """Every duplicate in the ``set`` and ``map`` lists of ``obj`` (an object)."""
    if schema is None or not isinstance(obj, dict):
        return []
    errs: Errors = []
    if schema.additional is not None:
        for name, value in obj.items():
            errs.extend(_value(value, schema.additional, key(path, name)))
    for name, value in obj.items():
        found = schema.properties.get(name)
        if found is not None:
            errs.extend(_value(value, found, child(path, name)))
    return errs


def _value(value: Any, schema: Structural, path: str) -> Errors:
    if isinstance(value, list):
        return _array(value, schema, path)
    if isinstance(value, dict):
        return validate(value, schema, path)
    return []


def _array(items: list[Any], schema: Structural, path: str) -> Errors:
    errs: Errors = []
    if schema.list_type == "set":
        errs.extend(duplicate(index(path, i), items[i]) for i in _second_occurrences(items))
    elif schema.list_type == "map":
        errs.extend(_map(items, schema, path))
    if schema.items is not None:
        for i, item in enumerate(items):
            errs.extend(_value(item, schema.items, index(path, i)))
    return errs


def _map(items: list[Any], schema: Structural, path: str) -> Errors:
    for i, item in enumerate(items):
        if item is not None and not isinstance(item, dict):
            return [invalid(index(path, i), item, "must be an object for an array of list-type map")]
    if len(items) <= 1:
        return []
    fields = schema.list_map_keys
    if len(fields) == 1:
        name = fields[0]
        keys = [item[name] if isinstance(item, dict) and name in item else _NO_KEY for item in items]
        return [
            duplicate(index(path, i), {} if keys[i] is _NO_KEY else {name: keys[i]})
            for i in _second_occurrences(keys)
        ]
    combined = [{f: item[f] for f in fields if f in item} if isinstance(item, dict) else {} for item in items]
    return [duplicate(index(path, i), combined[i]) for i in _second_occurrences(combined)]
