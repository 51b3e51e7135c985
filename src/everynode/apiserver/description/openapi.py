"""OpenAPI documents, as kube-apiserver serves them, so that kubectl validates, patches and explains.

kubectl needs OpenAPI for three things (see the kubectl-compat reference, section 2):

- ``apply``/``create``/``replace`` with the default ``--validate=strict`` look for the ``fieldValidation``
  query parameter on the PATCH operation carrying the kind's ``x-kubernetes-group-version-kind``; when
  found, validation is left to the server. 1.29+ read OpenAPI v3 (JSON), 1.27/1.28 only v2 (protobuf).
- ``apply`` computes its strategic merge patch from the schemas (v3 when the PATCH operation accepts
  ``application/strategic-merge-patch+json``, else v2, else kubectl's compiled-in types).
- ``explain`` prints the schemas (v2 on 1.27/1.28, v3 from 1.29).

The operations (paths) are in :mod:`.openapi_paths`. Schemas come from upstream's definitions
(:func:`.schema.definitions`, JSON Schema as ``kubernetes-validate`` ships them) turned back into
OpenAPI the way kube-apiserver writes it: ``$ref`` into ``#/components/schemas`` (v3, with siblings
wrapped in a one-element ``allOf``) or ``#/definitions`` (v2, siblings beside the ``$ref``: kubectl
1.27 crashes on ``allOf`` in v2), one type instead of ``[X, "null"]``, IntOrString and Quantity as
strings, and no ``enum`` pinning ``apiVersion`` and ``kind``.

Every document is built on first request and kept: the inputs never change while the process runs.
"""

from __future__ import annotations

import functools
import hashlib
import re

import orjson

from everynode.apiserver.description import openapi_v2
from everynode.apiserver.description.openapi_paths import (
    KINDS_WITHOUT_PATHS,
    META,
    PATCH_TYPES,
    Operation,
    Param,
    PathItem,
    group_version_paths,
    group_versions,
)
from everynode.apiserver.description.openapi_v2 import PRODUCES
from everynode.apiserver.description.schema import KUBERNETES_VERSION, definitions, root_definition
from everynode.core.types import Obj

__all__ = ["PATCH_TYPES", "group_versions", "handle", "v2_document", "v3_document", "v3_index"]

V2_PROTOBUF_TYPES = (
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
)
# Go's mime.ParseMediaType rejects the "@" of the type kubectl asks for; kube-apiserver answers this.
V2_PROTOBUF_CONTENT_TYPE = "application/octet-stream"
JSON = "application/json"
_REF = "#/$defs/"
_REF_PATTERN = re.compile(r'"\$ref":"#/\$defs/([^"]+)"')
_V3_REF = "#/components/schemas/"
_V2_REF = "#/definitions/"

# Upstream writes these two as plain strings; the JSON Schema files have a oneOf of scalars instead.
_SCALAR_DEFINITIONS: dict[str, Obj] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "description": "An int32 or a string, as a field such as a port or a percentage takes.",
        "type": "string",
        "format": "int-or-string",
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "description": "A fixed-point number with an optional suffix, such as 100m, 1.5Gi or 2e3.",
        "type": "string",
    },
}


# -- schemas ---------------------------------------------------------------------------------------


def _referenced(names: list[str]) -> list[str]:
    """``names`` and every definition they reach through ``$ref``, sorted."""
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(_REF_PATTERN.findall(orjson.dumps(definitions()[name]).decode()))
    return sorted(seen)


def _schema_names(
    pathitems: list[PathItem], extra: tuple[str, ...] = (), own: frozenset[str] = frozenset()
) -> list[str]:
    """What a document's operations take and return, ``extra`` definitions, and all they reference:
    upstream's definitions only (``own`` names a document's own schemas, a custom resource's)."""
    roots = {META + n for n in ("Status", "DeleteOptions", "Patch", "WatchEvent", "APIResourceList")}
    roots.update(extra)
    for item in pathitems:
        for operation in item.operations:
            roots.update(d for _, _, d in operation.responses if d)
            roots.update([operation.body] if operation.body else [])
    return _referenced(sorted(roots - own))


def convert(name: str, *, v3: bool) -> Obj:
    """One upstream definition in kube-apiserver's OpenAPI form (v3 or v2)."""
    if name in _SCALAR_DEFINITIONS:
        return dict(_SCALAR_DEFINITIONS[name])
    return _convert(definitions()[name], v3=v3)


def _convert(schema: Obj, *, v3: bool, drop_enum: bool = False) -> Obj:
    out: Obj = {}
    for key, value in schema.items():
        if key == "$ref":
            out[key] = (_V3_REF if v3 else _V2_REF) + value[len(_REF) :]
        elif key == "type" and isinstance(value, list):
            out[key] = next(t for t in value if t != "null")
        elif key == "properties":
            out[key] = {
                prop: _convert(sub, v3=v3, drop_enum=prop in ("apiVersion", "kind"))
                for prop, sub in value.items()
            }
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _convert(value, v3=v3)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [_convert(sub, v3=v3) for sub in value]
        elif not (key == "enum" and drop_enum):
            out[key] = value
    if v3 and "$ref" in out and len(out) > 1:  # kube-openapi v3 style: {"allOf": [{"$ref"}], siblings...}
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


schema_names = _schema_names


# -- OpenAPI v3 ------------------------------------------------------------------------------------


def _v3_param(param: Param) -> Obj:
    out: Obj = {"name": param.name, "in": param.location, "description": param.description}
    if param.required:
        out["required"] = True
    out["schema"] = {"type": param.type, "uniqueItems": True}
    return out


def _v3_content(definition: str, types: tuple[str, ...]) -> Obj:
    return {t: {"schema": {"$ref": _V3_REF + definition}} for t in types}


def _v3_operation(operation: Operation) -> Obj:
    out: Obj = {
        "tags": [operation.tag],
        "description": operation.description,
        "operationId": operation.operation_id,
    }
    if operation.params:
        out["parameters"] = [_v3_param(p) for p in operation.params]
    if operation.body:
        out["requestBody"] = {"content": _v3_content(operation.body, operation.consumes), "required": True}
    out["responses"] = {
        code: {"description": text, **({"content": _v3_content(d, PRODUCES)} if d else {})}
        for code, text, d in operation.responses
    }
    return out | operation.extensions()


def v3_paths(items: list[PathItem]) -> Obj:
    return {
        item.path: {
            **{o.method: _v3_operation(o) for o in item.operations},
            **({"parameters": [_v3_param(p) for p in item.params]} if item.params else {}),
        }
        for item in items
    }


@functools.cache
def v3_document_obj(group: str, version: str) -> Obj | None:
    """The OpenAPI v3 document of one group-version (``""`` is core), or None if not served.

    Cached and shared: callers must not change it."""
    if (group, version) not in group_versions():
        return None
    items = group_version_paths(group, version)
    paths = v3_paths(items)
    kinds = KINDS_WITHOUT_PATHS.get((group, version), ())
    extra = tuple(name for kind in kinds if (name := root_definition(group, version, kind)))
    schemas = {name: convert(name, v3=True) for name in _schema_names(items, extra)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "components": {"schemas": schemas},
    }


@functools.cache
def v3_document(group: str, version: str) -> bytes | None:
    document = v3_document_obj(group, version)
    return None if document is None else orjson.dumps(document)


@functools.cache
def _v3_index_json() -> bytes:
    return orjson.dumps(v3_index())


@functools.cache
def v3_index() -> Obj:
    """``GET /openapi/v3``: each document's URL carries its content hash, the key of kubectl's cache."""
    paths: Obj = {}
    for group, version in group_versions():
        body = v3_document(group, version)
        assert body is not None
        digest = hashlib.sha512(body).hexdigest().upper()
        key = f"apis/{group}/{version}" if group else f"api/{version}"
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": paths}


# -- OpenAPI v2 ------------------------------------------------------------------------------------


@functools.cache
def v2_document() -> Obj:
    """The Swagger 2.0 document of every group-version (one document, as upstream serves)."""
    items = [item for gv in group_versions() for item in group_version_paths(*gv)]
    schemas = {name: convert(name, v3=False) for name in _schema_names(items)}
    return openapi_v2.document(items, schemas, KUBERNETES_VERSION)


@functools.cache
def v2_json() -> bytes:
    return orjson.dumps(v2_document())


@functools.cache
def v2_protobuf() -> bytes:
    """The v2 document as a gnostic ``openapi.v2.Document`` (what kubectl 1.27/1.28 read)."""
    return openapi_v2.encode_document(v2_document())


# -- serving ---------------------------------------------------------------------------------------


def handle(path: str, accept: str) -> tuple[bytes, str] | None:
    """Body and Content-Type for a GET of an OpenAPI path, or None when ``path`` is not one."""
    path = path.partition("?")[0].rstrip("/")
    if path == "/openapi/v3":
        return _v3_index_json(), JSON
    if path.startswith("/openapi/v3/"):
        parts = path.split("/")[3:]
        if len(parts) == 2 and parts[0] == "api":
            body = v3_document("", parts[1])
        elif len(parts) == 3 and parts[0] == "apis" and parts[1]:
            body = v3_document(parts[1], parts[2])
        else:
            body = None
        return None if body is None else (body, JSON)
    if path == "/swagger-2.0.0.pb-v1" or (
        path == "/openapi/v2" and any(t in accept for t in V2_PROTOBUF_TYPES)
    ):
        return v2_protobuf(), V2_PROTOBUF_CONTENT_TYPE
    if path == "/openapi/v2":
        return v2_json(), JSON
    return None
