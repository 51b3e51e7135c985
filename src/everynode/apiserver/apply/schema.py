"""What server-side apply needs to know of a schema: at each position, how values there merge.

This is structured-merge-diff's ``schema.Atom`` as kube-openapi's ``schemaconv`` builds it from OpenAPI
(``pkg/schemaconv/openapi.go``, ``smd.go``). A position is a :class:`Shape`, which may accept a scalar,
a map and a list (an untyped position accepts all three; the value decides which applies, like
``deduceAtom``):

- a map (:class:`MapShape`) is *granular* (each field owned on its own) unless
  ``x-kubernetes-map-type: atomic`` (a property's own ``x-kubernetes-map-type`` overrides the type it
  refers to); its declared properties have their own shapes, any other key the ``additionalProperties``
  shape, else the deduced one;
- a list (:class:`ListShape`) is ``atomic`` (replaced whole), a ``set`` of scalars, or a ``map`` keyed by
  ``x-kubernetes-list-map-keys``; without ``x-kubernetes-list-type`` a list with
  ``x-kubernetes-patch-strategy: merge`` is a map keyed by its ``x-kubernetes-patch-merge-key`` (a set
  without one), ``retainKeys`` or nothing make it atomic;
- ``Quantity`` and ``IntOrString`` are scalars; ``RawExtension`` is untyped and atomic all the way down;
- the *deduced* shape (an object schema with no properties, ``x-kubernetes-preserve-unknown-fields``, a
  kind without a schema): maps granular, lists atomic, scalars as they come.

Key fields that a list item may leave out take their default: the property's ``default`` (CRDs), and
for built-in kinds, where the ``kubernetes-validate`` definitions leave defaults out, upstream's
``+default`` markers on key fields (``protocol: TCP`` of container and service ports).

:class:`ObjectSchema` is a kind's root shape plus its *zero object*: what an empty object of the kind
looks like to upstream (a Go struct converted to unstructured, see :func:`_zero`), which the field sets
of a create and of ``before-first-apply`` are computed against.
"""

from __future__ import annotations

import functools
from typing import Any

from everynode.apiserver.description.schema import definitions, root_definition

_REF_PREFIX = "#/$defs/"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.Time"

ATOMIC, SET, MAP = "atomic", "set", "map"

# Key fields with a ``+default`` upstream that the kubernetes-validate definitions do not carry.
_BUILTIN_KEY_DEFAULTS: dict[tuple[str, str], Any] = {
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.ServicePort", "protocol"): "TCP",
}


class Shape:
    """One position: which of scalar / map / list it accepts, and how each merges."""

    __slots__ = ("list", "map", "scalar")

    def __init__(self, *, scalar: bool = False, map: MapShape | None = None, list: ListShape | None = None):
        self.scalar = scalar
        self.map = map
        self.list = list


class MapShape:
    """A struct or a map: declared fields, the shape of any other key, and whether it is atomic."""

    __slots__ = ("_compile", "_element", "_element_raw", "_fields", "_properties", "atomic", "name", "raw")

    def __init__(
        self,
        *,
        atomic: bool,
        properties: dict[str, Any] | None = None,
        element_raw: dict[str, Any] | None = None,
        element: Shape | None = None,
        compile: _Compiler | None = None,
        name: str | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.atomic = atomic
        self.name = name  # the definition it comes from, if any
        self.raw = raw
        self._properties = properties or {}
        self._element_raw = element_raw
        self._element = element
        self._compile = compile
        self._fields: dict[str, Shape] | None = None if properties else {}

    @property
    def fields(self) -> dict[str, Shape]:
        """The declared fields' shapes (compiled on first use)."""
        if self._fields is None:
            compile = self._compile
            assert compile is not None
            self._fields = {name: compile.property(prop) for name, prop in self._properties.items()}
        return self._fields

    @property
    def element(self) -> Shape:
        """The shape of a key that is not a declared field."""
        if self._element is None:
            if self._element_raw is not None and self._compile is not None:
                self._element = self._compile.property(self._element_raw)
            else:
                self._element = DEDUCED
        return self._element

    def child(self, name: str) -> Shape:
        shape = self.fields.get(name)
        return self.element if shape is None else shape

    def with_fields(self, overrides: dict[str, Shape]) -> MapShape:
        """This map with some fields' shapes replaced (a CRD's root takes ObjectMeta's metadata)."""
        copy = MapShape(atomic=self.atomic, element=self.element, name=self.name, raw=self.raw)
        copy._fields = {**self.fields, **overrides}
        return copy


class ListShape:
    """A list: ``atomic``, a ``set`` of scalars, or a ``map`` keyed by ``keys``."""

    __slots__ = ("_compile", "_element", "_element_raw", "_key_defaults", "keys", "mode")

    def __init__(
        self,
        mode: str,
        keys: tuple[str, ...] = (),
        *,
        element_raw: dict[str, Any] | None = None,
        element: Shape | None = None,
        compile: _Compiler | None = None,
    ) -> None:
        self.mode = mode
        self.keys = keys
        self._element_raw = element_raw
        self._element = element
        self._compile = compile
        self._key_defaults: dict[str, Any] | None = None

    @property
    def atomic(self) -> bool:
        return self.mode == ATOMIC

    @property
    def element(self) -> Shape:
        if self._element is None:
            if self._element_raw is not None and self._compile is not None:
                self._element = self._compile.property(self._element_raw)
            else:
                self._element = UNTYPED_ATOMIC
        return self._element

    @property
    def key_defaults(self) -> dict[str, Any]:
        """The defaults of key fields an item may leave out (``getAssociativeKeyDefault``)."""
        if self._key_defaults is None:
            defaults: dict[str, Any] = {}
            items = self.element.map
            if items is not None and items.raw is not None:
                properties = items.raw.get("properties", {})
                for name in self.keys:
                    prop = properties.get(name)
                    if isinstance(prop, dict) and "default" in prop:
                        defaults[name] = prop["default"]
                    elif items.name is not None and (items.name, name) in _BUILTIN_KEY_DEFAULTS:
                        defaults[name] = _BUILTIN_KEY_DEFAULTS[(items.name, name)]
            self._key_defaults = defaults
        return self._key_defaults


UNTYPED_ATOMIC = Shape(scalar=True)
UNTYPED_ATOMIC.list = ListShape(ATOMIC, element=UNTYPED_ATOMIC)
UNTYPED_ATOMIC.map = MapShape(atomic=True, element=UNTYPED_ATOMIC)

DEDUCED = Shape(scalar=True, list=ListShape(ATOMIC, element=UNTYPED_ATOMIC))
DEDUCED.map = MapShape(atomic=False, element=DEDUCED)

SCALAR = Shape(scalar=True)


def _types(raw: dict[str, Any]) -> list[str]:
    declared = raw.get("type")
    if declared is None:
        return []
    names = [declared] if isinstance(declared, str) else list(declared)
    return [name for name in names if name != "null"]


def _list_mode(raw: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """``getListElementRelationship``: the list type, else what the patch strategy implies."""
    list_type = raw.get("x-kubernetes-list-type")
    if list_type is not None:
        if list_type == "map":
            return MAP, tuple(raw.get("x-kubernetes-list-map-keys") or ())
        return (SET, ()) if list_type == "set" else (ATOMIC, ())
    strategy = raw.get("x-kubernetes-patch-strategy")
    if strategy in ("merge", "merge,retainKeys"):
        merge_key = raw.get("x-kubernetes-patch-merge-key")
        return (MAP, (merge_key,)) if isinstance(merge_key, str) else (SET, ())
    return ATOMIC, ()


class _Compiler:
    """Turns JSON-schema dicts into shapes, each dict once (the definitions are recursive)."""

    def __init__(self, defs: dict[str, Any] | None) -> None:
        self.defs = defs or {}
        self._memo: dict[tuple[int, str | None], Shape] = {}
        self._keep: list[dict[str, Any]] = []  # the dicts memoised by id stay alive

    def property(self, raw: dict[str, Any]) -> Shape:
        """A property (or ``items``/``additionalProperties``): follows ``$ref``, honouring the
        property's own ``x-kubernetes-map-type`` (``makeOpenAPIRef``)."""
        ref = raw.get("$ref")
        if ref is None and len(raw.get("allOf", ())) == 1 and "properties" not in raw:
            ref = raw["allOf"][0].get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            name = ref[len(_REF_PREFIX) :]
            return self.named(name, raw.get("x-kubernetes-map-type"))
        return self._shape(raw, None, None)

    def named(self, name: str, map_type: str | None = None) -> Shape:
        if name == _QUANTITY:
            return SCALAR
        if name == _RAW_EXTENSION:
            return UNTYPED_ATOMIC
        definition = self.defs.get(name)
        if definition is None:
            return DEDUCED
        return self._shape(definition, name, map_type)

    def _shape(self, raw: dict[str, Any], name: str | None, map_type: str | None) -> Shape:
        memo_key = (id(raw), map_type)
        shape = self._memo.get(memo_key)
        if shape is not None:
            return shape
        self._keep.append(raw)
        shape = self._memo[memo_key] = Shape()
        types = _types(raw)
        alternatives = raw.get("oneOf") or raw.get("anyOf")
        if alternatives or raw.get("x-kubernetes-int-or-string"):
            shape.scalar = True  # IntOrString, Quantity and the like
            if not types:
                return shape
        kind = types[0] if len(types) == 1 else ""
        if "properties" in raw and kind == "":
            kind = "object"
        if kind in ("", "object"):
            shape.map = self._map(raw, name, map_type)
        if kind in ("", "array"):
            shape.list = self._list(raw)
        if kind not in ("object", "array"):
            shape.scalar = True
        return shape

    def _map(self, raw: dict[str, Any], name: str | None, map_type: str | None) -> MapShape:
        relationship = map_type if map_type is not None else raw.get("x-kubernetes-map-type")
        extra = raw.get("additionalProperties")
        element_raw = extra if isinstance(extra, dict) and extra else None
        return MapShape(
            atomic=relationship == "atomic",
            properties=raw.get("properties"),
            element_raw=element_raw,
            compile=self,
            name=name,
            raw=raw,
        )

    def _list(self, raw: dict[str, Any]) -> ListShape:
        mode, keys = _list_mode(raw)
        items = raw.get("items")
        return ListShape(mode, keys, element_raw=items if isinstance(items, dict) else None, compile=self)


@functools.cache
def _builtin_compiler() -> _Compiler:
    return _Compiler(definitions())


class ObjectSchema:
    """A kind's root shape and its zero object."""

    __slots__ = ("root", "zero")

    def __init__(self, root: Shape, zero: dict[str, Any]) -> None:
        self.root = root
        self.zero = zero

    @staticmethod
    @functools.cache
    def builtin(group: str, version: str, kind: str) -> ObjectSchema:
        """A kind upstream defines (``apps``, ``v1``, ``DaemonSet``); deduced if unknown."""
        name = root_definition(group, version, kind)
        if name is None:
            return ObjectSchema.deduced()
        return ObjectSchema(_builtin_compiler().named(name), _zero(name))

    @staticmethod
    def from_openapi_v3(schema: dict[str, Any] | None) -> ObjectSchema:
        """A custom resource's ``openAPIV3Schema`` (``metadata`` is ObjectMeta, as upstream's CRD
        handler makes it); deduced without one. An empty custom resource is ``{}``."""
        if not schema:
            return ObjectSchema.deduced()
        root = _Compiler(None).property(schema)
        meta = _builtin_compiler().named(_OBJECT_META)
        base = root.map if root.map is not None else DEDUCED.map
        assert base is not None
        mapped = base.with_fields({"metadata": meta, "apiVersion": SCALAR, "kind": SCALAR})
        return ObjectSchema(Shape(map=mapped), {})

    @staticmethod
    def deduced() -> ObjectSchema:
        """A kind without a schema: every map granular, every list atomic."""
        return ObjectSchema(DEDUCED, {})


# -- the zero object ----------------------------------------------------------------------------------
#
# Upstream computes the fields of a create (and of "before-first-apply") against ``New()``, an empty Go
# struct of the kind converted to unstructured: struct-valued fields are there (``{}`` and their own
# zero fields), pointers, slices and maps are null when their JSON tag has no omitempty and absent when
# it has, and scalars without omitempty are their zero. OpenAPI keeps "no omitempty" as ``required`` but
# not "pointer or struct", so the struct-valued fields are named here: those upstream's types declare as
# values (everywhere they occur in the kinds' top levels), plus the required pointers that are null.
# Custom resources are unstructured: their empty object is {} (apiVersion and kind are never tracked).

_VALUE_STRUCTS = frozenset(
    {
        "metadata",
        "spec",
        "status",
        "template",
        "strategy",
        "updateStrategy",
        "jobTemplate",
        "loadBalancer",
        "daemonEndpoints",
        "kubeletEndpoint",
        "nodeInfo",
    }
)
_NULL_POINTERS = frozenset(
    {
        ("io.k8s.api.apps.v1.DeploymentSpec", "selector"),
        ("io.k8s.api.apps.v1.DaemonSetSpec", "selector"),
        ("io.k8s.api.apps.v1.ReplicaSetSpec", "selector"),
        ("io.k8s.api.apps.v1.StatefulSetSpec", "selector"),
        (_OBJECT_META, "creationTimestamp"),  # a metav1.Time value: written as null
    }
)
_ZERO_SCALARS = {"string": "", "integer": 0, "number": 0, "boolean": False}


def _zero(name: str, depth: int = 0) -> dict[str, Any]:
    definition = definitions().get(name, {})
    required = set(definition.get("required", ()))
    zero: dict[str, Any] = {}
    for field, prop in definition.get("properties", {}).items():
        if (name, field) in _NULL_POINTERS:
            zero[field] = None
            continue
        ref = _ref_name(prop)
        target = definitions().get(ref, {}) if ref else prop
        is_struct = "properties" in target and ref not in (_QUANTITY, _RAW_EXTENSION)
        if is_struct and (field in _VALUE_STRUCTS or field in required) and depth < 8:
            zero[field] = _zero(ref, depth + 1) if ref else {}
        elif field in required:
            zero[field] = _zero_value(target, ref)
    return zero


def _zero_value(raw: dict[str, Any], ref: str | None) -> Any:
    if ref == _TIME or raw.get("format") == "date-time":
        return None
    types = _types(raw)
    if len(types) == 1 and types[0] in _ZERO_SCALARS:
        return _ZERO_SCALARS[types[0]]
    if raw.get("oneOf") or raw.get("anyOf"):
        return 0 if ref != _QUANTITY else "0"
    return None  # slices and maps without omitempty


def _ref_name(prop: dict[str, Any]) -> str | None:
    ref = prop.get("$ref")
    if ref is None and len(prop.get("allOf", ())) == 1:
        ref = prop["allOf"][0].get("$ref")
    return ref[len(_REF_PREFIX) :] if isinstance(ref, str) and ref.startswith(_REF_PREFIX) else None
