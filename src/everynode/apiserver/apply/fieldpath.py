"""Path elements: the steps of a field path, as ``fieldsV1`` spells them.

structured-merge-diff names a step from one value to a child four ways (``fieldpath/element.go``,
``fieldpath/serialize-pe.go``), and ``managedFields[].fieldsV1`` uses their serialised form as JSON keys:

- ``f:<name>``: a field of a map or struct (``f:spec``, ``f:app.kubernetes.io/name``);
- ``k:<json object>``: the item of an associative list (``x-kubernetes-list-type: map``) whose key
  fields have these values, names sorted: ``k:{"containerPort":80,"protocol":"TCP"}``;
- ``v:<json value>``: the item of a set (``x-kubernetes-list-type: set``): ``v:"foregroundDeletion"``;
- ``i:<n>``: a list position (not produced by any schema upstream ships, read and written all the same).

Here an element *is* its serialised string: two elements are equal exactly when their canonical
strings are, which lets field sets be the ``fieldsV1`` JSON itself (see ``fieldset``). ``canonical``
rewrites an element read from a client into that form (the key fields sorted, the values written as Go
writes them). ``sort_key`` gives upstream's order of elements (``PathElement.Compare``): fields before
keys before values before indices; fields by name; keys field by field, numbers compared as numbers;
and ``.`` (the "this node itself" marker of ``fieldsV1``) before everything. ``render`` prints a path as
conflict messages do (``fieldpath.Path.String``): ``.spec.template.spec.containers[name="nginx"].image``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from everynode.apiserver.apply.gojson import dumps, format_v

MEMBER = "."  # the fieldsV1 key saying "this node is itself in the set"

Path = tuple[str, ...]  # serialised elements from the object's root


def field(name: str) -> str:
    return "f:" + name


def key(fields: dict[str, Any]) -> str:
    """The element of an associative-list item from its key fields' values."""
    if len(fields) == 1:
        ((name, item),) = fields.items()
        if isinstance(item, str | int | float):
            return single_key(name, item)
        return "k:{" + dumps(name, short_bf=False) + ":" + dumps(item, short_bf=False) + "}"
    body = ",".join(
        dumps(name, short_bf=False) + ":" + dumps(fields[name], short_bf=False) for name in sorted(fields)
    )
    return "k:{" + body + "}"


@functools.lru_cache(maxsize=65536, typed=True)
def single_key(name: str, item: str | int | float) -> str:
    """One key field's element (memoised: containers, conditions and ports recur in every object)."""
    return "k:{" + dumps(name, short_bf=False) + ":" + dumps(item, short_bf=False) + "}"


def value(item: Any) -> str:
    """The element of a set item (a scalar)."""
    return "v:" + dumps(item, short_bf=False)


def index(position: int) -> str:
    return f"i:{position}"


def parse(element: str) -> tuple[str, Any]:
    """``("f", name)``, ``("k", {field: value})``, ``("v", value)`` or ``("i", n)``; ValueError if the
    element is malformed, LookupError if its type is one this version does not know."""
    if len(element) < 2 or element[1] != ":":
        raise ValueError(f"missing colon: {element}")
    kind, body = element[0], element[2:]
    if kind == "f":
        return kind, body
    if kind == "k":
        fields = json.loads(body)
        if not isinstance(fields, dict):
            raise ValueError(f"key element is not an object: {element}")
        return kind, fields
    if kind == "v":
        return kind, json.loads(body)
    if kind == "i":
        return kind, int(body)
    raise LookupError(f"unknown path element type: {element}")


def canonical(element: str) -> str | None:
    """The canonical spelling of an element read from a client; None for an element of an unknown type
    (dropped, as upstream drops what it does not understand); ValueError if it is malformed."""
    if element.startswith("f:"):
        return element
    try:
        kind, body = parse(element)
    except LookupError:
        return None
    if kind == "k":
        return key(body)
    if kind == "v":
        return value(body)
    return index(body)


def _value_key(item: Any) -> tuple[Any, ...]:
    """``value.Compare``'s order: numbers (compared as numbers), strings, booleans, lists, maps, null."""
    if item is None:
        return (5,)
    if item is True or item is False:
        return (2, item)
    if isinstance(item, int | float):
        return (0, item)
    if isinstance(item, str):
        return (1, item)
    if isinstance(item, list):
        return (3, tuple(_value_key(v) for v in item))
    if isinstance(item, dict):
        return (4, tuple((k, _value_key(v)) for k, v in sorted(item.items())))
    return (6, repr(item))


@functools.lru_cache(maxsize=65536)
def sort_key(element: str) -> tuple[Any, ...]:
    """Upstream's order of elements; ``.`` first."""
    if element == MEMBER:
        return (-1,)
    if element.startswith("f:"):
        return (0, element[2:])
    try:
        kind, body = parse(element)
    except (ValueError, LookupError):
        return (9, element)
    if kind == "k":
        return (1, tuple((name, _value_key(body[name])) for name in sorted(body)))
    if kind == "v":
        return (2, _value_key(body))
    return (3, body)


def sort_elements(elements: list[str]) -> list[str]:
    """``elements`` in upstream's order. A node's children are all fields (the common case), all keys
    or all values: fields sort by name, which plain string order gives ("." before "f:"; "i:", "k:"
    and "v:" after it, so a last element that is a field means all are)."""
    ordered = sorted(elements)
    if ordered[-1].startswith("f:") or ordered[-1] == MEMBER:
        return ordered
    return sorted(elements, key=sort_key)


def render_element(element: str) -> str:
    """One element as ``fieldpath.PathElement.String`` prints it."""
    if element.startswith("f:"):
        return "." + element[2:]
    kind, body = parse(element)
    if kind == "k":
        return "[" + ",".join(f"{name}={format_v(body[name])}" for name in sorted(body)) + "]"
    if kind == "v":
        return f"[={format_v(body)}]"
    return f"[{body}]"


def render(path: Path) -> str:
    """A path as conflict messages print it: ``.spec.replicas``, ``.spec.ports[port=80,protocol="TCP"]``."""
    return "".join(render_element(e) for e in path)
