"""Structural schemas: a CRD's ``openAPIV3Schema`` (a JSON object) seen as the shape of the objects it
describes (``pkg/apiserver/schema/structural.go``, ``convert.go``).

:class:`Structural` keeps what pruning, defaulting and the list-type and metadata checks walk: the
type, ``properties``, ``items``, ``additionalProperties``, the default and the ``x-kubernetes-*``
extensions. Value validations (``allOf``/``anyOf``/``oneOf``/``not``, bounds, patterns) stay in the
raw schema: :mod:`.valuevalidation` compiles those. :func:`unsupported` is ``NewStructural``'s refusal
of what no structural schema may hold.

Readers never raise on a wrongly shaped schema: a field of the wrong JSON type reads as absent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from everynode.core.types import Obj

# Sub-schemas of a node, by JSON key: one schema, a list of schemas, or a map of schemas.
SINGLE = ("items", "not", "additionalProperties", "additionalItems")
LISTS = ("allOf", "oneOf", "anyOf")
MAPS = ("properties", "patternProperties", "definitions", "dependencies")
META_FIELDS = frozenset({"apiVersion", "kind", "metadata"})


def as_schema(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def type_of(raw: Obj) -> str:
    value = raw.get("type")
    return value if isinstance(value, str) else ""


def flag(raw: Obj, key: str) -> bool:
    return raw.get(key) is True


def has_default(raw: Obj) -> bool:
    """A default is set: ``default: null`` counts as none (``JSON`` decodes null to nil)."""
    return raw.get("default") is not None


def sub_schemas(raw: Obj) -> Iterator[Obj]:
    """Every schema directly inside ``raw`` (``SchemaHas`` visits these)."""
    for key in SINGLE:
        value = raw.get(key)
        if isinstance(value, dict):
            yield value
        elif key == "items" and isinstance(value, list):
            yield from (v for v in value if isinstance(v, dict))
    for key in LISTS:
        value = raw.get(key)
        if isinstance(value, list):
            yield from (v for v in value if isinstance(v, dict))
    for key in MAPS:
        value = raw.get(key)
        if isinstance(value, dict):
            yield from (v for v in value.values() if isinstance(v, dict))


def schema_has(raw: Any, predicate: Callable[[Obj], bool]) -> bool:
    """``SchemaHas``: whether ``predicate`` holds for ``raw`` or any schema inside it."""
    if not isinstance(raw, dict):
        return False
    pending = [raw]
    while pending:
        node = pending.pop()
        if predicate(node):
            return True
        pending.extend(sub_schemas(node))
    return False


_UNSUPPORTED = (
    ("id", "id"),
    ("$schema", "schema"),
    ("$ref", "$ref"),
    ("patternProperties", "patternProperties"),
    ("dependencies", "dependencies"),
    ("additionalItems", "additionalItems"),
    ("definitions", "definitions"),
)


def _unsupported_here(raw: Obj) -> str | None:
    for key, name in _UNSUPPORTED:
        value = raw.get(key)
        if value not in (None, "", {}, []) or (key == "additionalItems" and value is not None):
            return f"OpenAPIV3Schema '{name}' is not supported"
    if isinstance(raw.get("items"), list):
        return "OpenAPIV3Schema 'items' must be a schema, but is an array"
    if raw.get("x-kubernetes-preserve-unknown-fields") is False:
        return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined"
    return None


def unsupported(raw: Obj) -> str | None:
    """Why ``NewStructural`` cannot convert ``raw`` (the first problem found), or ``None``."""
    pending = [raw]
    while pending:
        node = pending.pop()
        problem = _unsupported_here(node)
        if problem is not None:
            return problem
        children = [as_schema(node.get(k)) for k in ("items", "not", "additionalProperties")]
        for key in LISTS:
            value = node.get(key)
            if isinstance(value, list):
                children.extend(as_schema(sub) for sub in value)
        children.extend(as_schema(sub) for sub in as_schema(node.get("properties")).values())
        pending.extend(c for c in reversed(children) if c)
    return None


@dataclass(eq=False, slots=True)
class Structural:
    """One node of a structural schema. ``additional`` is the schema of ``additionalProperties``'
    values; ``has_additional`` is whether ``additionalProperties`` is set at all (``true``, ``false``
    or a schema): both prune and default differently from a node without it."""

    raw: Obj
    type: str = ""
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    properties: dict[str, Structural] = field(default_factory=dict)
    items: Structural | None = None
    additional: Structural | None = None
    has_additional: bool = False
    preserve_unknown: bool = False
    embedded: bool = False
    int_or_string: bool = False
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None

    def child(self, name: str) -> Structural | None:
        """The schema of the field ``name`` of an object here: a property, else additionalProperties."""
        found = self.properties.get(name)
        return found if found is not None else self.additional

    def as_resource_root(self) -> Structural:
        """This node as the root of a resource: an embedded resource (apiVersion, kind, metadata)."""
        return self if self.embedded else dataclasses.replace(self, embedded=True)


def _text(raw: Obj, key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def build(raw: Any) -> Structural:
    """The structural view of a schema (``NewStructural`` without its refusals)."""
    node = as_schema(raw)
    out = Structural(
        node,
        type=type_of(node),
        nullable=flag(node, "nullable"),
        default=node.get("default"),
        has_default=has_default(node),
        preserve_unknown=flag(node, "x-kubernetes-preserve-unknown-fields"),
        embedded=flag(node, "x-kubernetes-embedded-resource"),
        int_or_string=flag(node, "x-kubernetes-int-or-string"),
        list_type=_text(node, "x-kubernetes-list-type"),
        map_type=_text(node, "x-kubernetes-map-type"),
    )
    keys = node.get("x-kubernetes-list-map-keys")
    if isinstance(keys, list):
        out.list_map_keys = tuple(k for k in keys if isinstance(k, str))
    properties = node.get("properties")
    if isinstance(properties, dict):
        out.properties = {k: build(v) for k, v in properties.items()}
    if isinstance(node.get("items"), dict):
        out.items = build(node["items"])
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        out.additional, out.has_additional = build(additional), True
    elif isinstance(additional, bool):
        out.has_additional = True
    return out
