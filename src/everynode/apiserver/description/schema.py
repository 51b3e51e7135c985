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
from typing import Any, NamedTuple

import orjson

from everynode.core.patch import strategic

KUBERNETES_VERSION = "v1.33.0"
_DEFINITIONS = f"kubernetes-json-schema/{KUBERNETES_VERSION}-local/_definitions.json"
_REF_PREFIX = "#/$defs/"
_ALWAYS_KNOWN = frozenset({"apiVersion", "kind", "metadata"})
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
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

    __slots__ = ("_element", "_field_types", "_fields", "expected", "kind", "raw", "takes")

    def __init__(self, kind: str, raw: dict[str, Any]) -> None:
        self.kind = kind
        self.raw = raw
        self._fields: dict[str, SchemaNode] | None = None
        self._field_types: dict[str, _Type] | None = None
        self._element: _Type | None = None
        # The Python types a value here may have, as Go's typed decoder takes them (None: any).
        self.takes, self.expected = _takes(kind, raw)

    @property
    def fields(self) -> dict[str, SchemaNode]:
        if self._fields is None:
            properties = self.raw.get("properties", {}) if self.kind == OBJECT else {}
            self._fields = {name: _node(prop) for name, prop in properties.items()}
        return self._fields

    @property
    def element(self) -> _Type:
        """The type of an array's items or a map's values."""
        if self._element is None:
            raw = self.raw.get("items", _ANYTHING) if self.kind == ARRAY else self.raw["additionalProperties"]
            self._element = _node(raw).type
        return self._element

    @property
    def field_types(self) -> dict[str, _Type]:
        """``fields``' resolved types (the hot loop of ``_all_known`` reads these)."""
        if self._field_types is None:
            self._field_types = {name: node.type for name, node in self.fields.items()}
        return self._field_types


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


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _takes(kind: str, raw: dict[str, Any]) -> tuple[frozenset[type] | None, str]:
    """The Python types a value of this type may have (``None`` among them: a null is absent)."""
    if kind in (OBJECT, MAP):
        return frozenset({dict, type(None)}), "object"
    if kind == ARRAY:
        return frozenset({list, type(None)}), "array"
    if kind != SCALAR:
        return None, ""
    names: list[str] = []
    for alternative in raw.get("oneOf") or raw.get("anyOf") or [raw]:
        declared = (raw if alternative is raw else _resolve(alternative).raw).get("type", ())
        names += [declared] if isinstance(declared, str) else list(declared)
    names = [name for name in dict.fromkeys(names) if name != "null"]
    if not names or any(name not in _JSON_TYPES for name in names):
        return None, ""
    takes = {type(None)}
    for name in names:
        takes.update(_JSON_TYPES[name])
    return frozenset(takes), " or ".join(names)


def _json_type(value: Any) -> str:
    """What Go's decoder calls a JSON value in its errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else type(value).__name__


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


SchemaType = _Type  # a resolved type, for walkers outside this module (``omitempty``)


def type_of(definition: str) -> _Type:
    """The resolved type of a definition (``io.k8s.api.apps.v1.DaemonSet``)."""
    return _resolve({"$ref": _REF_PREFIX + definition})


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
    return field_problems(group, version, kind, obj, baseline).unknown


class FieldProblems(NamedTuple):
    """What Go's typed decoder would not take from an object."""

    unknown: list[FieldPath]  # fields the schema does not declare
    overflowing: list[tuple[FieldPath, int, str]]  # integers too large for their field's type
    mistyped: list[tuple[FieldPath, str, str]]  # values of the wrong JSON type: (path, expected, got)


_NO_PROBLEMS = FieldProblems([], [], [])


def field_problems(
    group: str, version: str, kind: str, obj: dict[str, Any], baseline: dict[str, Any] | None = None
) -> FieldProblems:
    """Unknown fields, values of the wrong JSON type, and integers that do not fit their field
    (``int32``, ``int64``, IntOrString's): what Go's typed decoder would not take.

    The common case, an object with none of them, costs one walk that builds no paths; anything
    unusual (an integer beyond the int32 range among them) sends it down the slow path, which
    names each problem."""
    root = patch_schema(group, version, kind)
    if not isinstance(root, SchemaNode):
        return _NO_PROBLEMS
    fields = root.type.fields
    if baseline is None:
        if _all_known(root.type, obj):
            return _NO_PROBLEMS
    elif all(
        (node := fields.get(key)) is not None and (baseline.get(key) == value or _fits(node.type, value))
        for key, value in obj.items()
    ):
        return _NO_PROBLEMS
    problems = FieldProblems([], [], [])
    _walk(root.type, obj, (), problems, root=True)
    return problems


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT_RANGES = {"int32": (_INT32_MIN, _INT32_MAX), "int64": (-(2**63), 2**63 - 1)}


def _fits(resolved: _Type, item: Any) -> bool:
    """Whether ``item`` may stand where ``resolved`` is declared, all the way down."""
    takes = resolved.takes
    if takes is not None and type(item) not in takes:
        return False
    if isinstance(item, dict | list):
        return _all_known(resolved, item)
    return not (type(item) is int and not _INT32_MIN <= item <= _INT32_MAX)


def _all_known(resolved: _Type, value: Any) -> bool:
    """Whether ``value`` declares only known fields, each of its JSON type, and no integer beyond
    the int32 range: the common case, checked without building paths (``_walk`` then names what
    is wrong; the root's ``_ALWAYS_KNOWN`` keys send it there too)."""
    kind = resolved.kind
    if kind == OBJECT:
        if isinstance(value, dict):
            types = resolved.field_types
            for key, item in value.items():
                child = types.get(key)
                if child is None:
                    return False
                takes = child.takes
                if takes is not None and type(item) not in takes:
                    return False
                if isinstance(item, dict | list):
                    if not _all_known(child, item):
                        return False
                elif type(item) is int and not _INT32_MIN <= item <= _INT32_MAX:
                    return False
    elif kind == ARRAY:
        if isinstance(value, list):
            element = resolved.element
            return all(_fits(element, item) for item in value)
    elif kind == MAP and isinstance(value, dict):
        element = resolved.element
        return all(_fits(element, item) for item in value.values())
    return True


def _walk(
    resolved: _Type, value: Any, path: FieldPath, problems: FieldProblems, *, root: bool = False
) -> None:
    kind = resolved.kind
    if kind == OBJECT and isinstance(value, dict):
        fields = resolved.fields
        for key, item in value.items():
            node = fields.get(key)
            if node is None:
                if not (root and key in _ALWAYS_KNOWN):
                    problems.unknown.append((*path, key))
            else:
                _visit(node, item, (*path, key), problems)
    elif kind == ARRAY and isinstance(value, list):
        element = _node(resolved.raw.get("items", _ANYTHING))
        for index, item in enumerate(value):
            _visit(element, item, (*path, index), problems)
    elif kind == MAP and isinstance(value, dict):
        element = _node(resolved.raw["additionalProperties"])
        for key, item in value.items():
            _visit(element, item, (*path, key), problems)


def _visit(node: SchemaNode, item: Any, path: FieldPath, problems: FieldProblems) -> None:
    child = node.type
    if child.takes is not None and type(item) not in child.takes:
        problems.mistyped.append((path, child.expected, _json_type(item)))
    elif isinstance(item, dict | list):
        _walk(child, item, path, problems)
    elif type(item) is int and not _INT32_MIN <= item <= _INT32_MAX:
        _check_integer(node, item, path, problems)


def _check_integer(node: SchemaNode, value: int, path: FieldPath, problems: FieldProblems) -> None:
    integer = _integer_type(node)
    if integer is not None:
        low, high = _INT_RANGES[integer]
        if not low <= value <= high:
            problems.overflowing.append((path, value, integer))


def _integer_type(node: SchemaNode) -> str | None:
    """``int32`` or ``int64`` for an integer field (IntOrString's integer is an int32), else None."""
    resolved = node.type.raw
    declared = node._raw.get("format") or resolved.get("format")
    if declared in _INT_RANGES:
        return str(declared)
    if resolved is definitions().get(_INT_OR_STRING):
        return "int32"
    types = resolved.get("type", ())
    return "int64" if "integer" in (types if isinstance(types, list) else [types]) else None
