"""What a served CRD version publishes in OpenAPI, as apiextensions-apiserver's builder makes it
(``pkg/controller/openapi/builder``, ``pkg/controller/openapi/v2``), so that kubectl explains, validates
and patches custom resources:

- :func:`definitions`: the kind's schema and its list's, named like ``com.example.v1.Widget`` (the
  group reversed). The kind's schema is the version's structural schema with ``apiVersion``,
  ``kind`` and ``metadata`` (a reference to ``ObjectMeta``) added at the root and in every embedded
  resource, ``x-kubernetes-int-or-string`` unfolded to its ``anyOf``, and
  ``x-kubernetes-group-version-kind`` set. A schema that is missing, not structural or has invalid
  types publishes as a plain ``object``.
- v2 (kubectl 1.27/1.28) drops what Swagger 2.0 cannot say: ``allOf``/``anyOf``/``oneOf``/``not``, the
  structure under ``nullable`` and ``x-kubernetes-preserve-unknown-fields`` nodes (a root that
  preserves unknown fields is a plain ``object``), ``required`` entries that are nullable, and every
  ``default``. v3 references sit in a one-element ``allOf`` beside their description; v2 beside it.
- :func:`path_items`: the operations (list, create, read, replace, patch, delete, deletecollection,
  ``/status`` and ``/scale`` when the version has them); PATCH takes JSON patch, merge patch and apply
  patch, never strategic merge patch (kubectl then computes a merge patch).

:data:`REFERENCED` (and ``Scale`` for versions with a scale subresource) are the built-in definitions
these refer to; the document must carry them.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

from everynode.apiserver.crd.schemarules import OPENAPI_V3_TYPES
from everynode.apiserver.crd.structural import LISTS, as_schema, flag, schema_has, type_of, unsupported
from everynode.apiserver.crd.structuralcheck import validate_structural
from everynode.apiserver.description.openapi_paths import (
    DELETE_OPTIONS,
    META,
    PATCH,
    STATUS,
    Operation,
    Param,
    PathItem,
)
from everynode.apiserver.description.schema import definitions as builtin_definitions
from everynode.apiserver.validation.fields import as_dict, as_list, as_str, dicts
from everynode.core.types import Obj

OBJECT_META, LIST_META = META + "ObjectMeta", META + "ListMeta"
SCALE = "io.k8s.api.autoscaling.v1.Scale"
REFERENCED = (OBJECT_META, LIST_META, STATUS, DELETE_OPTIONS, PATCH)
CRD_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
_BODY_TYPES = ("application/json", "application/yaml")
_V3_PREFIX, _V2_PREFIX = "#/components/schemas/", "#/definitions/"


# -- names ------------------------------------------------------------------------------------------


def model_name(group: str, version: str, kind: str) -> str:
    """``gvkToModelName``: ``monitoring.example.com`` v1 Foo is ``com.example.monitoring.v1.Foo``."""
    return f"{'.'.join(reversed(group.split('.')))}.{version}.{kind}"


def operation_id_part(text: str, *, capitalize: bool) -> str:
    """``ToValidOperationID``: letters, digits (not first) and ``_``, a capital after each dropped
    character."""
    out: list[str] = []
    upper = capitalize
    for i, char in enumerate(text):
        if char.isalpha() or char == "_" or (i and char.isdigit()):
            out.append(char.upper() if upper else char)
            upper = False
        else:
            upper = True
    return "".join(out)


# -- schemas ----------------------------------------------------------------------------------------


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


def _publishable(raw: Any) -> Obj | None:
    """The version's schema, when it is structural with valid types (else None: a plain object)."""
    if not isinstance(raw, dict) or unsupported(raw) is not None:
        return None
    if schema_has(raw, lambda n: bool(type_of(n)) and type_of(n) not in OPENAPI_V3_TYPES):
        return None
    return None if validate_structural(raw, "") else raw


def _int_or_string_pattern(node: Obj) -> bool:
    any_of = node.get("anyOf")
    first = as_dict((node.get("allOf") or [None])[0]) if isinstance(node.get("allOf"), list) else {}
    pattern = [{"type": "integer"}, {"type": "string"}]
    return any_of == pattern or first.get("anyOf") == pattern


def _structural_nodes(node: Obj) -> list[Obj]:
    """The node and every structural node below (properties, items, additionalProperties)."""
    out = [node]
    for child in as_schema(node.get("properties")).values():
        out.extend(_structural_nodes(as_schema(child)))
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            out.extend(_structural_nodes(node[key]))
    return out


def _unfold(root: Obj) -> None:
    """``Unfold``: an int-or-string node without the anyOf pattern gets it."""
    pattern = [{"type": "integer"}, {"type": "string"}]
    for node in _structural_nodes(root):
        if not flag(node, "x-kubernetes-int-or-string") or _int_or_string_pattern(node):
            continue
        if "anyOf" not in node:
            node["anyOf"] = copy.deepcopy(pattern)
        else:
            node["allOf"] = [{"anyOf": copy.deepcopy(pattern)}, *as_list(node.get("allOf"))]


def _strip_nested_additional(node: Obj) -> None:
    """Value validations under a junctor publish without ``additionalProperties``."""
    for key in LISTS:
        for branch in as_list(node.get(key)):
            if isinstance(branch, dict):
                branch.pop("additionalProperties", None)
                _strip_nested_additional(branch)
    if isinstance(node.get("not"), dict):
        node["not"].pop("additionalProperties", None)


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
            node["required"] = [r for r in node["required"] if isinstance(r, str) and r not in nullable]
            if not node["required"]:
                node.pop("required")
    for child in properties.values():
        _to_v2(as_schema(child))
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _to_v2(node[key])


_VALUES = ("default", "example", "enum", "x-kubernetes-validations", "additionalProperties")


def _omit_empty(node: Obj) -> None:
    """Keywords at their zero value are left out, as Go's ``omitempty`` leaves them (``nullable:
    false``, ``required: []``, ``description: ""``...); values (defaults, examples) stay."""
    for key in [k for k, v in node.items() if k not in _VALUES and v in (False, "", [], {})]:
        del node[key]
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions") and isinstance(value, dict):
            for sub in value.values():
                if isinstance(sub, dict):
                    _omit_empty(sub)
        elif key in (*LISTS, "items") and isinstance(value, list):
            for sub in value:
                if isinstance(sub, dict):
                    _omit_empty(sub)
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
            _omit_empty(value)


def _drop_defaults(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("default", None)
        for key, value in node.items():
            if key not in ("enum", "example", "x-kubernetes-validations"):
                _drop_defaults(value)
    elif isinstance(node, list):
        for item in node:
            _drop_defaults(item)


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
        if not isinstance(node.get("properties"), dict):
            node["properties"] = {}
        properties = node["properties"]
        properties["apiVersion"] = _type_meta("apiVersion")
        properties["kind"] = _type_meta("kind")
        properties["metadata"] = _ref(OBJECT_META, _descriptions()["metadata"], v2=v2)
        needed = [r for r in ("kind", "apiVersion") if r not in as_list(node.get("required"))]
        if needed:
            node["required"] = [*as_list(node.get("required")), *needed]


def _gvk(group: str, version: str, kind: str) -> list[Obj]:
    return [{"group": group, "kind": kind, "version": version}]


def _version(crd: Obj, version: str) -> Obj:
    for candidate in dicts(as_dict(crd.get("spec")).get("versions")):
        if candidate.get("name") == version:
            return candidate
    return {}


def kind_schema(crd: Obj, version: str, *, v2: bool = False) -> Obj:
    """``buildKubeNative``: the published schema of the kind a version serves."""
    spec = as_dict(crd.get("spec"))
    group, kind = as_str(spec.get("group")), as_str(as_dict(spec.get("names")).get("kind"))
    served = _version(crd, version)
    raw = _publishable(as_dict(served.get("schema")).get("openAPIV3Schema"))
    preserve = spec.get("preserveUnknownFields") is True or (
        raw is not None and flag(raw, "x-kubernetes-preserve-unknown-fields")
    )
    if raw is None or (v2 and preserve):
        out: Obj = {"type": "object"}
    else:
        out = copy.deepcopy(raw)
        _omit_empty(out)
        _strip_nested_additional(out)
        for node in _structural_nodes(out):
            _strip_nested_additional(node)
        _unfold(out)
        if v2:
            _to_v2(out)
        if not isinstance(out.get("properties"), dict):
            out["properties"] = {}
        properties = out["properties"]
        properties["metadata"] = _ref(OBJECT_META, _descriptions()["metadata"], v2=v2)
        properties["apiVersion"] = _type_meta("apiVersion")
        properties["kind"] = _type_meta("kind")
        _embedded(out, v2=v2)
        if v2:
            _drop_defaults(out)
    out["x-kubernetes-group-version-kind"] = _gvk(group, version, kind)
    selectable = dicts(served.get("selectableFields"))
    if selectable:
        out["x-kubernetes-selectable-fields"] = [
            {"fieldPath": as_str(f.get("jsonPath")).removeprefix(".")} for f in selectable
        ]
    return out


def list_schema(crd: Obj, version: str, *, v2: bool = False) -> Obj:
    """``buildListSchema``: the published schema of the kind's list."""
    spec = as_dict(crd.get("spec"))
    group, spec_names = as_str(spec.get("group")), as_dict(spec.get("names"))
    kind, list_kind = as_str(spec_names.get("kind")), as_str(spec_names.get("listKind"))
    items_ref = (_V2_PREFIX if v2 else _V3_PREFIX) + model_name(group, version, kind)
    out: Obj = {
        "description": f"{list_kind} is a list of {kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": _type_meta("apiVersion"),
            "items": {
                "description": f"The {as_str(spec_names.get('plural'))} in this list.",
                "type": "array",
                "items": {"$ref": items_ref},
            },
            "kind": _type_meta("kind"),
            "metadata": _ref(LIST_META, _descriptions()["listMetadata"], v2=v2),
        },
        "x-kubernetes-group-version-kind": _gvk(group, version, list_kind),
    }
    selectable = dicts(_version(crd, version).get("selectableFields"))
    if selectable:
        out["x-kubernetes-selectable-fields"] = [
            {"fieldPath": as_str(f.get("jsonPath")).removeprefix(".")} for f in selectable
        ]
    return out


def definitions(crd: Obj, version: str, *, v2: bool = False) -> dict[str, Obj]:
    """The two definitions a served version adds to the document, by model name."""
    spec = as_dict(crd.get("spec"))
    group, spec_names = as_str(spec.get("group")), as_dict(spec.get("names"))
    kind, list_kind = as_str(spec_names.get("kind")), as_str(spec_names.get("listKind"))
    return {
        model_name(group, version, kind): kind_schema(crd, version, v2=v2),
        model_name(group, version, list_kind): list_schema(crd, version, v2=v2),
    }


def referenced(crd: Obj, version: str) -> tuple[str, ...]:
    """The built-in definitions the version's definitions and paths refer to."""
    return (*REFERENCED, SCALE) if "scale" in _subresources(crd, version) else REFERENCED


def _subresources(crd: Obj, version: str) -> Obj:
    return as_dict(_version(crd, version).get("subresources"))


# -- paths ------------------------------------------------------------------------------------------

_PRETTY = Param("pretty", "query", "If 'true', the output is pretty printed.")
_WRITE = (
    Param("dryRun", "query", "When present (All), changes are checked but not persisted."),
    Param("fieldManager", "query", "The name of the actor making these changes."),
    Param("fieldValidation", "query", "Ignore, Warn or Strict: what to do with unknown or duplicate fields."),
)
_FORCE = Param("force", "query", "Force apply requests to take conflicting fields.", "boolean")
_DELETE = (
    _WRITE[0],
    Param("gracePeriodSeconds", "query", "Seconds before the object is deleted.", "integer"),
    Param("orphanDependents", "query", "Deprecated: use propagationPolicy.", "boolean"),
    Param("propagationPolicy", "query", "Orphan, Background or Foreground garbage collection."),
)
_LIST = (
    Param("allowWatchBookmarks", "query", "Ask for BOOKMARK watch events.", "boolean"),
    Param("continue", "query", "The token of the next page of a list."),
    Param("fieldSelector", "query", "Restrict the objects returned by their fields."),
    Param("labelSelector", "query", "Restrict the objects returned by their labels."),
    Param("limit", "query", "The most objects a list returns; the rest follow with continue.", "integer"),
    Param("resourceVersion", "query", "The resource version to read or watch from."),
    Param("resourceVersionMatch", "query", "How resourceVersion applies to a list."),
    Param("sendInitialEvents", "query", "Start a watch with the current state.", "boolean"),
    Param("timeoutSeconds", "query", "How long a list or watch may last.", "integer"),
    Param("watch", "query", "Stream changes instead of listing.", "boolean"),
)
_OK, _CREATED, _ACCEPTED = ("200", "OK"), ("201", "Created"), ("202", "Accepted")
_UNAUTHORIZED = ("401", "Unauthorized", None)


def _responses(definition: str, *codes: tuple[str, str]) -> tuple[tuple[str, str, str | None], ...]:
    return (*((code, text, definition) for code, text in codes), _UNAUTHORIZED)


@dataclass(frozen=True, slots=True)
class _Template:
    """One operation: HTTP method, operation verb, discovery action, parameters, request body,
    response definition and codes, description. ``"own"`` stands for the operation's own object."""

    method: str
    verb: str
    action: str
    params: tuple[Param, ...]
    body: str | None
    response: str
    codes: tuple[tuple[str, str], ...]
    description: str


_COLLECTION = (
    _Template("get", "list", "list", _LIST, None, "list", (_OK,), "list {kind}"),
    _Template("post", "create", "post", _WRITE, "own", "own", (_OK, _CREATED, _ACCEPTED), "create a {kind}"),
    _Template(
        "delete",
        "delete",
        "deletecollection",
        (*_DELETE, *_LIST),
        DELETE_OPTIONS,
        STATUS,
        (_OK,),
        "delete collection of {kind}",
    ),
)
_ITEM = (
    _Template("get", "read", "get", (), None, "own", (_OK,), "read{of} {kind}"),
    _Template("put", "replace", "put", _WRITE, "own", "own", (_OK, _CREATED), "replace{of} {kind}"),
    _Template(
        "patch",
        "patch",
        "patch",
        (*_WRITE, _FORCE),
        PATCH,
        "own",
        (_OK, _CREATED),
        "partially update{of} {kind}",
    ),
    _Template(
        "delete", "delete", "delete", _DELETE, DELETE_OPTIONS, STATUS, (_OK, _ACCEPTED), "delete a {kind}"
    ),
)


@dataclass(frozen=True, slots=True)
class _Operations:
    """Builds the operations of one served version."""

    gvk: tuple[str, str, str]
    infix: str  # ``MonitoringExampleComV1``, after the verb in operation ids
    tag: str  # ``monitoringExampleCom_v1``
    own_list: str

    def make(self, template: _Template, name: str, own: str, sub: str = "") -> Operation:
        definitions_ = {"own": own, "list": self.own_list}
        body = definitions_.get(template.body, template.body) if template.body else None
        response = definitions_.get(template.response, template.response)
        consumes = CRD_PATCH_TYPES if template.method == "patch" else _BODY_TYPES if body else ("*/*",)
        of = f" {sub} of" if sub else " the specified"
        description = template.description.format(kind=self.gvk[2], of=of)
        operation_id = template.verb + self.infix + name
        responses = _responses(response, *template.codes)
        return Operation(
            template.method,
            operation_id,
            template.action,
            self.gvk,
            self.tag,
            description,
            template.params,
            body,
            responses,
            consumes,
        )


def path_items(crd: Obj, version: str) -> list[PathItem]:
    """The paths one served version adds, as the CRD builder lays them out (operation ids and tags
    as ``GetOperationIDAndTags`` derives them from the group and version)."""
    spec = as_dict(crd.get("spec"))
    group, spec_names = as_str(spec.get("group")), as_dict(spec.get("names"))
    kind, list_kind, plural = (as_str(spec_names.get(k)) for k in ("kind", "listKind", "plural"))
    namespaced = spec.get("scope") == "Namespaced"
    short_group = group.removesuffix(".k8s.io")
    ops = _Operations(
        (group, version, kind),
        operation_id_part(short_group, capitalize=True) + operation_id_part(version, capitalize=True),
        operation_id_part(short_group, capitalize=False) + "_" + operation_id_part(version, capitalize=False),
        model_name(group, version, list_kind),
    )
    own, ns = model_name(group, version, kind), "Namespaced" if namespaced else ""
    base = f"/apis/{group}/{version}"
    scope = (Param("namespace", "path", "object name and auth scope", required=True),) if namespaced else ()
    collection = f"{base}/{'namespaces/{namespace}/' if namespaced else ''}{plural}"
    named = (Param("name", "path", f"name of the {kind}", required=True), *scope, _PRETTY)
    list_op, create_op, delete_all = _COLLECTION
    items = [
        PathItem(
            collection,
            (*scope, _PRETTY),
            (
                ops.make(list_op, f"{ns}{kind}", own),
                ops.make(create_op, f"{ns}{kind}", own),
                ops.make(delete_all, f"Collection{ns}{kind}", own),
            ),
        ),
        PathItem(f"{collection}/{{name}}", named, tuple(ops.make(t, f"{ns}{kind}", own) for t in _ITEM)),
    ]
    if namespaced:
        every = ops.make(list_op, f"{kind}ForAllNamespaces", own)
        items.append(PathItem(f"{base}/{plural}", (_PRETTY,), (every,)))
    subresources = _subresources(crd, version)
    for sub, definition in (("status", own), ("scale", SCALE)):
        if sub in subresources:
            name = f"{ns}{kind}{sub.capitalize()}"
            operations = tuple(ops.make(t, name, definition, sub) for t in _ITEM[:3])
            items.append(PathItem(f"{collection}/{{name}}/{sub}", named, operations))
    return items
