"""Upstream's OpenAPI definitions, as the patch algorithms and field validation need them.

The definitions come from the ``kubernetes-validate`` package (``_definitions.json`` of one Kubernetes
version: a JSON Schema ``{"$defs": {...}}`` that keeps every ``x-kubernetes-*`` extension), so the
patch strategies, merge keys and field names are upstream's own rather than a hand-kept table. The file
is read once, on first use.

Each position in an object is a :class:`SchemaNode`: the field's patch strategy and merge key (which
upstream writes on the *property*, not on the referenced type) plus its resolved type. Nodes are
memoised by the identity of the schema dict they stand for, and a type's fields are compiled once, on
first visit, so walking an object costs a dict lookup per key. Types are one of:

- ``object``: declared properties; any other key is unknown;
- ``map``: ``additionalProperties`` (``map[string]X``) -- every key is valid, values have schema X;
- ``array``: ``items``;
- ``scalar``: strings, numbers, booleans, and IntOrString / Quantity (a ``oneOf`` of scalars);
- ``open``: anything goes (``RawExtension``, ``FieldsV1``, ``x-kubernetes-preserve-unknown-fields``).
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

import orjson

from everynode.core.patch import strategic

KUBERNETES_VERSION = "v1.33.0"
_DEFINITIONS = f"kubernetes-json-schema/{KUBERNETES_VERSION}-local/_definitions.json"
_REF_PREFIX = "#/$defs/"
_ALWAYS_KNOWN = frozenset({"apiVersion", "kind", "metadata"})
_ANYTHING: dict[str, Any] = {}  # the schema of ``items`` when a definition leaves it out

OBJECT, MAP, ARRAY, SCALAR, OPEN = "object", "map", "array", "scalar", "open"


@functools.cache
def definitions() -> dict[str, Any]:
    """Every definition by name (``io.k8s.api.apps.v1.DaemonSet``...), loaded once."""
    data = importlib.resources.files("kubernetes_validate").joinpath(_DEFINITIONS).read_bytes()
    defs: dict[str, Any] = orjson.loads(data)["$defs"]
    return defs


@functools.cache
def _by_gvk() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, definition in definitions().items():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            index.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return index


def root_definition(group: str, version: str, kind: str) -> str | None:
    """The definition of a kind (core group is ``""``); ``meta.k8s.io`` kinds such as DeleteOptions too."""
    name = _by_gvk().get((group, version, kind))
    if name is None and group in ("", "meta.k8s.io"):
        candidate = f"io.k8s.apimachinery.pkg.apis.meta.{version}.{kind}"
        name = candidate if candidate in definitions() else None
    return name


class _Type:
    """A resolved schema type; its children are built on first use (definitions are recursive)."""

    __slots__ = ("_fields", "kind", "raw")

    def __init__(self, kind: str, raw: dict[str, Any]) -> None:
        self.kind = kind
        self.raw = raw
        self._fields: dict[str, SchemaNode] | None = None

    @property
    def fields(self) -> dict[str, SchemaNode]:
        if self._fields is None:
            properties = self.raw.get("properties", {}) if self.kind == OBJECT else {}
            self._fields = {name: _node(prop) for name, prop in properties.items()}
        return self._fields


class SchemaNode:
    """One position in an object: implements :class:`everynode.core.patch.strategic.PatchSchema`."""

    __slots__ = ("_raw", "_type", "merge_key", "patch_strategy")

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw
        self._type: _Type | None = None
        self.patch_strategy: str = raw.get("x-kubernetes-patch-strategy", "")
        self.merge_key: str | None = raw.get("x-kubernetes-patch-merge-key")

    @property
    def type(self) -> _Type:
        if self._type is None:
            self._type = _resolve(self._raw)
        return self._type

    def field(self, name: str) -> SchemaNode | None:
        resolved = self.type
        if resolved.kind == OBJECT:
            return resolved.fields.get(name)
        if resolved.kind == MAP:
            return _node(resolved.raw["additionalProperties"])
        return None

    def items(self) -> SchemaNode | None:
        resolved = self.type
        return _node(resolved.raw.get("items", _ANYTHING)) if resolved.kind == ARRAY else None


_nodes: dict[int, SchemaNode] = {}
_types: dict[int, _Type] = {}


def _node(raw: dict[str, Any]) -> SchemaNode:
    """The node for a schema dict; memoised by identity (the definitions live as long as the process)."""
    node = _nodes.get(id(raw))
    if node is None:
        node = _nodes[id(raw)] = SchemaNode(raw)
    return node


def _resolve(raw: dict[str, Any]) -> _Type:
    """Follow ``$ref`` and single-schema wrappers down to a type; memoised per schema dict."""
    for _ in range(32):  # a chain of refs, never a cycle of pure refs in practice
        ref = raw.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            raw = definitions()[ref[len(_REF_PREFIX) :]]
        elif len(raw.get("allOf", ())) == 1 and "properties" not in raw:
            raw = raw["allOf"][0]
        else:
            break
    resolved = _types.get(id(raw))
    if resolved is None:
        resolved = _types[id(raw)] = _Type(_kind(raw), raw)
    return resolved


def _kind(raw: dict[str, Any]) -> str:
    if raw.get("x-kubernetes-preserve-unknown-fields") is True:
        return OPEN
    alternatives = raw.get("oneOf") or raw.get("anyOf") or raw.get("allOf")
    if alternatives:
        kinds = {_resolve(alternative).kind for alternative in alternatives}
        return SCALAR if kinds == {SCALAR} else OPEN
    declared = raw.get("type", ())
    types = {declared} if isinstance(declared, str) else set(declared)
    types.discard("null")
    if "properties" in raw:
        return OBJECT
    if "object" in types:
        extra = raw.get("additionalProperties")
        return MAP if isinstance(extra, dict) and extra else OPEN
    if "array" in types or "items" in raw:
        return ARRAY
    return SCALAR if types else OPEN


@functools.cache
def patch_schema(group: str, version: str, kind: str) -> strategic.PatchSchema | None:
    """The strategic-merge schema of a kind's root, or None for a kind without a definition."""
    name = root_definition(group, version, kind)
    return None if name is None else SchemaNode({"$ref": _REF_PREFIX + name})


FieldPath = tuple[str | int, ...]  # keys and list positions from the object's root


def unknown_fields(
    group: str, version: str, kind: str, obj: dict[str, Any], baseline: dict[str, Any] | None = None
) -> list[str]:
    """Every field of ``obj`` the schema does not declare, as kube-apiserver prints its path.

    ``spec.template.spec.containers[0].imagee``: keys joined by dots, list positions in brackets. A
    kind without a definition has no unknown fields. ``baseline``: the stored object ``obj`` was
    made from (a patch's target), whose fields are known; top-level values equal to its are skipped.
    """
    return [render_path(path) for path in unknown_field_paths(group, version, kind, obj, baseline)]


def render_path(path: FieldPath) -> str:
    """``("spec", "containers", 0, "imagee")`` as ``spec.containers[0].imagee``."""
    text = ""
    for index, step in enumerate(path):
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if index else step)
    return text


def unknown_field_paths(
    group: str, version: str, kind: str, obj: dict[str, Any], baseline: dict[str, Any] | None = None
) -> list[FieldPath]:
    """``unknown_fields`` as paths of keys and positions, which name any key exactly (an empty key,
    one with a dot or a bracket), for removing the fields."""
    root = patch_schema(group, version, kind)
    if not isinstance(root, SchemaNode):
        return []
    fields = root.type.fields
    if baseline is None:
        if _all_known(root.type, obj):
            return []
    elif all(
        (node := fields.get(key)) is not None
        and (not isinstance(value, dict | list) or baseline.get(key) == value or _all_known(node.type, value))
        for key, value in obj.items()
    ):
        return []
    found: list[FieldPath] = []
    for key, value in obj.items():
        node = fields.get(key)
        if node is None:
            if key not in _ALWAYS_KNOWN:
                found.append((key,))
        elif isinstance(value, dict | list):
            _walk(node.type, value, (key,), found)
    return found


def _all_known(resolved: _Type, value: Any) -> bool:
    """Whether ``value`` declares only known fields: the common case, checked without building paths
    (``_walk`` then names the unknown ones; the root's ``_ALWAYS_KNOWN`` keys send it there too)."""
    kind = resolved.kind
    if kind == OBJECT:
        if isinstance(value, dict):
            fields = resolved.fields
            for key, item in value.items():
                node = fields.get(key)
                if node is None:
                    return False
                if isinstance(item, dict | list) and not _all_known(node.type, item):
                    return False
    elif kind == ARRAY:
        if isinstance(value, list):
            element = _node(resolved.raw.get("items", _ANYTHING)).type
            if element.kind in (OBJECT, ARRAY, MAP):
                for item in value:
                    if isinstance(item, dict | list) and not _all_known(element, item):
                        return False
    elif kind == MAP and isinstance(value, dict):
        element = _node(resolved.raw["additionalProperties"]).type
        if element.kind in (OBJECT, ARRAY, MAP):
            for item in value.values():
                if isinstance(item, dict | list) and not _all_known(element, item):
                    return False
    return True


def _walk(resolved: _Type, value: Any, path: FieldPath, found: list[FieldPath]) -> None:
    kind = resolved.kind
    if kind == OBJECT:
        if isinstance(value, dict):
            fields = resolved.fields
            for key, item in value.items():
                node = fields.get(key)
                if node is None:
                    found.append((*path, key))
                elif isinstance(item, dict | list):
                    _walk(node.type, item, (*path, key), found)
    elif kind == ARRAY:
        if isinstance(value, list):
            element = _node(resolved.raw.get("items", _ANYTHING)).type
            if element.kind in (OBJECT, ARRAY, MAP):
                for index, item in enumerate(value):
                    if isinstance(item, dict | list):
                        _walk(element, item, (*path, index), found)
    elif kind == MAP and isinstance(value, dict):
        element = _node(resolved.raw["additionalProperties"]).type
        if element.kind in (OBJECT, ARRAY, MAP):
            for key, item in value.items():
                if isinstance(item, dict | list):
                    _walk(element, item, (*path, key), found)
