"""The schemas a served CRD version publishes in OpenAPI, as apiextensions-apiserver's builder makes
them (``pkg/controller/openapi/builder/builder.go``: ``buildKubeNative``, ``buildListSchema``; v2 by
``pkg/controller/openapi/v2/conversion.go`` and the v2 controller's ``PruneDefaults``), so that kubectl
explains, validates and patches custom resources. The operations are in :mod:`.openapi_paths`.

- :func:`kind_schema`: the version's structural schema in its published form
  (:func:`.kubeopenapi.to_kube_openapi`), ``x-kubernetes-int-or-string`` unfolded to its ``anyOf``,
  with ``apiVersion``, ``kind`` and ``metadata`` (a reference to ``ObjectMeta``) added at the root and
  in every embedded resource, and ``x-kubernetes-group-version-kind`` set. A schema that is missing,
  not structural or has invalid types publishes as a plain ``object``.
- :func:`list_schema`: the list kind, ``items`` referring to the kind's schema.
- Named like ``com.example.v1.Widget`` (:func:`model_name`: the group reversed).
- v2 (kubectl 1.27/1.28) drops what Swagger 2.0 cannot say: ``allOf``/``anyOf``/``oneOf``/``not``, the
  structure under ``nullable`` and ``x-kubernetes-preserve-unknown-fields`` nodes (a root that
  preserves unknown fields is a plain ``object``), ``required`` entries that are nullable, and every
  ``default``. v3 references sit in a one-element ``allOf`` beside their description; v2 beside it.

Invariant: a v2 definition holds only keywords gnostic's ``openapi.v2.Schema`` has (and ``x-``
extensions), so it always encodes as protobuf. :data:`REFERENCED` (and ``Scale`` for versions with a
scale subresource, :func:`referenced`) are the built-in definitions the definitions and paths refer to;
a document must carry them.
"""

from __future__ import annotations

import copy
import functools

from everynode.apiserver.crd.kubeopenapi import to_kube_openapi
from everynode.apiserver.crd.schemarules import OPENAPI_V3_TYPES
from everynode.apiserver.crd.structural import LISTS, as_schema, flag, schema_has, type_of, unsupported
from everynode.apiserver.crd.structuralcheck import validate_structural
from everynode.apiserver.description.openapi_paths import DELETE_OPTIONS, META, PATCH, STATUS
from everynode.apiserver.description.schema import definitions as builtin_definitions
from everynode.apiserver.validation.fields import as_dict, as_list, as_str, dicts
from everynode.core.types import Obj

OBJECT_META, LIST_META = META + "ObjectMeta", META + "ListMeta"
SCALE = "io.k8s.api.autoscaling.v1.Scale"
REFERENCED = (OBJECT_META, LIST_META, STATUS, DELETE_OPTIONS, PATCH)
_V3_PREFIX, _V2_PREFIX = "#/components/schemas/", "#/definitions/"
_INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


# -- names and versions -----------------------------------------------------------------------------


def model_name(group: str, version: str, kind: str) -> str:
    """``gvkToModelName``: ``monitoring.example.com`` v1 Foo is ``com.example.monitoring.v1.Foo``."""
    return f"{'.'.join(reversed(group.split('.')))}.{version}.{kind}"


def names(crd: Obj) -> tuple[str, str, str, str]:
    """The definition's group, kind, list kind (``<Kind>List`` when unset) and plural."""
    spec = as_dict(crd.get("spec"))
    given = as_dict(spec.get("names"))
    kind = as_str(given.get("kind"))
    return (
        as_str(spec.get("group")),
        kind,
        as_str(given.get("listKind")) or kind + "List",
        as_str(given.get("plural")),
    )


def served_version(crd: Obj, version: str) -> Obj:
    """The entry of ``spec.versions`` named ``version`` (empty when there is none)."""
    for candidate in dicts(as_dict(crd.get("spec")).get("versions")):
        if candidate.get("name") == version:
            return candidate
    return {}


def subresources(crd: Obj, version: str) -> Obj:
    return as_dict(served_version(crd, version).get("subresources"))


def referenced(crd: Obj, version: str) -> tuple[str, ...]:
    """The built-in definitions the version's definitions and paths refer to."""
    return (*REFERENCED, SCALE) if "scale" in subresources(crd, version) else REFERENCED


# -- the fields the builder adds ----------------------------------------------------------------------


@functools.cache
def _descriptions() -> dict[str, str]:
    """Upstream's own descriptions of the added fields, from its definitions."""
    defs = builtin_definitions()
    kind = as_dict(defs.get("io.k8s.api.core.v1.ConfigMap")).get("properties") or {}
    listed = as_dict(defs.get("io.k8s.api.core.v1.ConfigMapList")).get("properties") or {}
    return {
        name: as_str(as_dict(source.get(field)).get("description"))
        for name, source, field in (
            ("apiVersion", kind, "apiVersion"),
            ("kind", kind, "kind"),
            ("metadata", kind, "metadata"),
            ("listMetadata", listed, "metadata"),
        )
    }


def _ref(definition: str, description: str, *, v2: bool) -> Obj:
    if v2:
        return {"$ref": _V2_PREFIX + definition, "description": description}
    return {"allOf": [{"$ref": _V3_PREFIX + definition}], "description": description}


def _type_meta(name: str) -> Obj:
    return {"description": _descriptions()[name], "type": "string"}


def _gvk(group: str, version: str, kind: str) -> list[Obj]:
    return [{"group": group, "kind": kind, "version": version}]


def _selectable_fields(crd: Obj, version: str) -> list[Obj]:
    fields = dicts(served_version(crd, version).get("selectableFields"))
    return [{"fieldPath": as_str(f.get("jsonPath")).removeprefix(".")} for f in fields]


# -- the kind's schema ------------------------------------------------------------------------------


def _publishable(raw: object) -> Obj | None:
    """The version's schema, when it is structural with valid types (else None: a plain object)."""
    if not isinstance(raw, dict) or unsupported(raw) is not None:
        return None
    if schema_has(raw, lambda n: bool(type_of(n)) and type_of(n) not in OPENAPI_V3_TYPES):
        return None
    return None if validate_structural(raw, "") else raw


def _structural_nodes(node: Obj) -> list[Obj]:
    """The node and every structural node below (properties, items, additionalProperties)."""
    out = [node]
    for child in as_schema(node.get("properties")).values():
        out.extend(_structural_nodes(as_schema(child)))
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            out.extend(_structural_nodes(node[key]))
    return out


def _has_int_or_string_pattern(node: Obj) -> bool:
    all_of = node.get("allOf")
    first = as_dict(all_of[0]) if isinstance(all_of, list) and all_of else {}
    return node.get("anyOf") == _INT_OR_STRING or first.get("anyOf") == _INT_OR_STRING


def _unfold(root: Obj) -> None:
    """``Unfold``: an int-or-string node without the anyOf pattern gets it."""
    for node in _structural_nodes(root):
        if not flag(node, "x-kubernetes-int-or-string") or _has_int_or_string_pattern(node):
            continue
        if "anyOf" not in node:
            node["anyOf"] = copy.deepcopy(_INT_OR_STRING)
        else:
            node["allOf"] = [{"anyOf": copy.deepcopy(_INT_OR_STRING)}, *as_list(node.get("allOf"))]


def _to_v2(node: Obj) -> None:
    """``ToStructuralOpenAPIV2`` on one node, then its children."""
    for key in (*LISTS, "not"):
        node.pop(key, None)
    if flag(node, "nullable"):
        for key in ("type", "nullable", "items", "properties"):
            node.pop(key, None)
    if flag(node, "x-kubernetes-preserve-unknown-fields"):
        node.pop("items", None)
        node.pop("properties", None)
        if node.get("type") == "object":
            node.pop("type")
    if "items" not in node and node.get("type") == "array":
        node.pop("type")
    properties = as_schema(node.get("properties"))
    if isinstance(node.get("required"), list):
        nullable = {k for k, v in properties.items() if flag(as_schema(v), "nullable")}
        if flag(as_schema(node.get("additionalProperties")), "nullable"):
            node.pop("required")
        else:
            node["required"] = [r for r in node["required"] if r not in nullable]
            if not node["required"]:
                node.pop("required")
    for child in properties.values():
        _to_v2(as_schema(child))
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _to_v2(node[key])


def _prune_defaults(root: Obj) -> None:
    """``PruneDefaults`` (the v2 document carries no defaults): from every structural node."""
    for node in _structural_nodes(root):
        node.pop("default", None)


def _embedded(node: Obj, *, v2: bool) -> None:
    """``addEmbeddedProperties``: embedded resources get apiVersion, kind and metadata."""
    for child in as_schema(node.get("properties")).values():
        _embedded(as_schema(child), v2=v2)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _embedded(node[key], v2=v2)
    if v2 and flag(node, "x-kubernetes-preserve-unknown-fields"):
        return
    if flag(node, "x-kubernetes-embedded-resource"):
        properties = node.setdefault("properties", {})
        properties["apiVersion"] = _type_meta("apiVersion")
        properties["kind"] = _type_meta("kind")
        properties["metadata"] = _ref(OBJECT_META, _descriptions()["metadata"], v2=v2)
        needed = [r for r in ("kind", "apiVersion") if r not in as_list(node.get("required"))]
        if needed:
            node["required"] = [*as_list(node.get("required")), *needed]


def kind_schema(crd: Obj, version: str, *, v2: bool = False) -> Obj:
    """``buildKubeNative``: the published schema of the kind a version serves."""
    spec = as_dict(crd.get("spec"))
    group, kind, _, _ = names(crd)
    served = served_version(crd, version)
    raw = _publishable(as_dict(served.get("schema")).get("openAPIV3Schema"))
    preserve = spec.get("preserveUnknownFields") is True or (
        raw is not None and flag(raw, "x-kubernetes-preserve-unknown-fields")
    )
    if raw is None or (v2 and preserve):
        out: Obj = {"type": "object"}
    else:
        out = to_kube_openapi(raw)
        _unfold(out)
        if v2:
            _to_v2(out)
        properties = out.setdefault("properties", {})
        properties["metadata"] = _ref(OBJECT_META, _descriptions()["metadata"], v2=v2)
        properties["apiVersion"] = _type_meta("apiVersion")
        properties["kind"] = _type_meta("kind")
        _embedded(out, v2=v2)
        if v2:
            _prune_defaults(out)
    out["x-kubernetes-group-version-kind"] = _gvk(group, version, kind)
    if selectable := _selectable_fields(crd, version):
        out["x-kubernetes-selectable-fields"] = selectable
    return out


def list_schema(crd: Obj, version: str, *, v2: bool = False) -> Obj:
    """``buildListSchema``: the published schema of the kind's list."""
    group, kind, list_kind, plural = names(crd)
    out: Obj = {
        "description": f"{list_kind} is a list of {kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": _type_meta("apiVersion"),
            "items": {
                "description": f"The {plural} in this list.",
                "type": "array",
                "items": {"$ref": (_V2_PREFIX if v2 else _V3_PREFIX) + model_name(group, version, kind)},
            },
            "kind": _type_meta("kind"),
            "metadata": _ref(LIST_META, _descriptions()["listMetadata"], v2=v2),
        },
        "x-kubernetes-group-version-kind": _gvk(group, version, list_kind),
    }
    if selectable := _selectable_fields(crd, version):
        out["x-kubernetes-selectable-fields"] = selectable
    return out


def definitions(crd: Obj, version: str, *, v2: bool = False) -> dict[str, Obj]:
    """The two definitions a served version adds to a document, by model name."""
    group, kind, list_kind, _ = names(crd)
    return {
        model_name(group, version, kind): kind_schema(crd, version, v2=v2),
        model_name(group, version, list_kind): list_schema(crd, version, v2=v2),
    }
