"""OpenAPI v2 (Swagger 2.0): the document, and its encoding as gnostic's ``openapi.v2.Document`` protobuf.

The v2 document puts siblings of a ``$ref`` beside it, never in an ``allOf``: kubectl 1.27 crashes
computing a patch from ``allOf``-wrapped references. Paths come from :mod:`.openapi`.

kubectl 1.27 and 1.28 read OpenAPI v2 only as this protobuf (for validation and ``explain``). Rather
than depend on ``protobuf`` and commit code generated from gnostic's ``OpenAPIv2.proto``, this writes
the wire format by hand: the subset of messages a kube-apiserver document uses needs only varints and
length-delimited fields, and the field numbers below are that ``.proto``'s (package ``openapi.v2``).

Vendor extensions (``x-kubernetes-*``) and enum values are ``Any`` messages whose ``yaml`` holds the
value's text; JSON is written there, which every YAML parser reads. A key this encoder does not know
raises :class:`ValueError` rather than being dropped silently: the document is built from fixed inputs,
so the unit tests see it first.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from everynode.core.types import Obj

if TYPE_CHECKING:
    from everynode.apiserver.description.openapi_paths import Operation, Param, PathItem

PRODUCES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_V2_REF = "#/definitions/"


def _v2_param(param: Param) -> Obj:
    out: Obj = {"uniqueItems": True, "type": param.type, "description": param.description}
    out |= {"name": param.name, "in": param.location}
    return out | ({"required": True} if param.required else {})


def _v2_operation(operation: Operation) -> Obj:
    out: Obj = {"description": operation.description}
    if operation.body:
        out["consumes"] = list(operation.consumes)
    out |= {"produces": list(PRODUCES), "schemes": ["https"], "tags": [operation.tag]}
    out["operationId"] = operation.operation_id
    params = [_v2_param(p) for p in operation.params]
    if operation.body:
        body = {"name": "body", "in": "body", "required": True, "schema": {"$ref": _V2_REF + operation.body}}
        params.insert(0, body)
    if params:
        out["parameters"] = params
    out["responses"] = {
        code: {"description": text, **({"schema": {"$ref": _V2_REF + d}} if d else {})}
        for code, text, d in operation.responses
    }
    return out | operation.extensions()


def document(items: list[PathItem], definitions: dict[str, Obj], version: str) -> Obj:
    """The Swagger 2.0 document of every group-version (kube-apiserver serves one for all)."""
    paths = {
        item.path: {
            **{o.method: _v2_operation(o) for o in item.operations},
            **({"parameters": [_v2_param(p) for p in item.params]} if item.params else {}),
        }
        for item in items
    }
    info = {"title": "Kubernetes", "version": version}
    return {"swagger": "2.0", "info": info, "paths": paths, "definitions": definitions}


# -- gnostic protobuf ------------------------------------------------------------------------------
_VARINT, _LENGTH = 0, 2


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values take ten bytes, as protobuf writes them
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _message(field: int, body: bytes) -> bytes:
    """An embedded message (or bytes/string), written even when empty: presence matters for oneofs."""
    return _varint(field << 3 | _LENGTH) + _varint(len(body)) + body


def _string(field: int, value: str | None) -> bytes:
    return _message(field, value.encode()) if value else b""


def _strings(field: int, values: Iterable[str]) -> bytes:
    return b"".join(_message(field, v.encode()) for v in values)


def _bool(field: int, value: bool | None) -> bytes:
    return _varint(field << 3 | _VARINT) + b"\x01" if value else b""


def _int(field: int, value: int | None) -> bytes:
    return _varint(field << 3 | _VARINT) + _varint(value) if value else b""


def _double(field: int, value: float | None) -> bytes:
    """A ``double`` (wire type 1: eight little-endian bytes); zero is left out, as proto3 does."""
    return _varint(field << 3 | 1) + struct.pack("<d", float(value)) if value else b""


def _any(value: Any) -> bytes:
    """``Any{yaml = 2}``."""
    return _string(2, orjson.dumps(value).decode())


def _named(field: int, items: Iterable[tuple[str, bytes]]) -> bytes:
    """A repeated ``Named*{name = 1, value = 2}``: gnostic's form of a JSON object."""
    return b"".join(_message(field, _string(1, name) + _message(2, value)) for name, value in items)


def _extensions(field: int, obj: Obj) -> bytes:
    return _named(field, ((k, _any(v)) for k, v in obj.items() if k.startswith("x-")))


def _check(obj: Obj, known: Iterable[str], what: str) -> None:
    unknown = {k for k in obj if not k.startswith("x-")} - set(known)
    if unknown:
        raise ValueError(f"{what}: no protobuf encoding for {sorted(unknown)}")


# Schema fields: JSON key -> (field number, encoder).
_SCHEMA_SCALARS: dict[str, tuple[int, Callable[[int, Any], bytes]]] = {
    "$ref": (1, _string),
    "format": (2, _string),
    "title": (3, _string),
    "description": (4, _string),
    "multipleOf": (6, _double),
    "maximum": (7, _double),
    "exclusiveMaximum": (8, _bool),
    "minimum": (9, _double),
    "exclusiveMinimum": (10, _bool),
    "maxLength": (11, _int),
    "minLength": (12, _int),
    "pattern": (13, _string),
    "maxItems": (14, _int),
    "minItems": (15, _int),
    "uniqueItems": (16, _bool),
    "maxProperties": (17, _int),
    "minProperties": (18, _int),
    "required": (19, _strings),
    "discriminator": (26, _string),
    "readOnly": (27, _bool),
}
_SCHEMA_KEYS = {
    *_SCHEMA_SCALARS,
    "default",
    "enum",
    "additionalProperties",
    "type",
    "items",
    "allOf",
    "properties",
    "externalDocs",
    "example",
}


SCHEMA_KEYS = frozenset(_SCHEMA_KEYS)


def encode_schema(schema: Obj) -> bytes:
    """``Schema``, fields in ascending order (the order protobuf itself writes)."""
    _check(schema, _SCHEMA_KEYS, "schema")
    parts: list[tuple[int, bytes]] = []
    for key, (number, encoder) in _SCHEMA_SCALARS.items():
        if key in schema:
            parts.append((number, encoder(number, schema[key])))
    if "default" in schema:
        parts.append((5, _message(5, _any(schema["default"]))))
    if "enum" in schema:
        parts.append((20, b"".join(_message(20, _any(v)) for v in schema["enum"])))
    extra = schema.get("additionalProperties")
    if extra is not None:  # AdditionalPropertiesItem{oneof schema = 1 | boolean = 2}
        item = (
            _message(1, encode_schema(extra)) if isinstance(extra, dict) else _varint(2 << 3) + _varint(extra)
        )
        parts.append((21, _message(21, item)))
    if "type" in schema:  # TypeItem{repeated value = 1}
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        parts.append((22, _message(22, _strings(1, types))))
    if "items" in schema:  # ItemsItem{repeated schema = 1}
        items = schema["items"] if isinstance(schema["items"], list) else [schema["items"]]
        parts.append((23, _message(23, b"".join(_message(1, encode_schema(i)) for i in items))))
    if "allOf" in schema:
        parts.append((24, b"".join(_message(24, encode_schema(s)) for s in schema["allOf"])))
    if "properties" in schema:  # Properties{repeated NamedSchema additional_properties = 1}
        props = _named(1, ((k, encode_schema(v)) for k, v in schema["properties"].items()))
        parts.append((25, _message(25, props)))
    if "externalDocs" in schema:  # ExternalDocs{description = 1, url = 2}
        docs = schema["externalDocs"]
        parts.append((29, _message(29, _string(1, docs.get("description")) + _string(2, docs.get("url")))))
    if "example" in schema:
        parts.append((30, _message(30, _any(schema["example"]))))
    parts.append((31, _extensions(31, schema)))
    return b"".join(body for _, body in sorted(parts, key=lambda part: part[0]))


def _parameter(param: Obj) -> bytes:
    """``ParametersItem{parameter = 1: Parameter{body_parameter = 1 | non_body_parameter = 2}}``."""
    location = param.get("in")
    if location == "body":
        _check(param, ("name", "in", "description", "required", "schema"), "body parameter")
        body = (
            _string(1, param.get("description"))
            + _string(2, param["name"])
            + _string(3, "body")
            + _bool(4, param.get("required"))
            + _message(5, encode_schema(param["schema"]))
            + _extensions(6, param)
        )
        return _message(1, _message(1, body))
    known = ("name", "in", "description", "required", "type", "format", "uniqueItems")
    _check(param, known, f"{location} parameter")
    head = _bool(1, param.get("required")) + _string(2, location) + _string(3, param.get("description"))
    head += _string(4, param["name"])
    if location == "query":  # QueryParameterSubSchema, NonBodyParameter field 3
        sub = head + _string(6, param.get("type")) + _string(7, param.get("format"))
        sub += _bool(20, param.get("uniqueItems")) + _extensions(23, param)
        number = 3
    elif location == "path":  # PathParameterSubSchema, NonBodyParameter field 4
        sub = head + _string(5, param.get("type")) + _string(6, param.get("format"))
        sub += _bool(19, param.get("uniqueItems")) + _extensions(22, param)
        number = 4
    else:
        raise ValueError(f"no protobuf encoding for {location} parameters")
    return _message(1, _message(2, _message(number, sub)))


def _response(response: Obj) -> bytes:
    """``ResponseValue{response = 1: Response{description = 1, schema = 2: SchemaItem{schema = 1}}}``."""
    _check(response, ("description", "schema"), "response")
    body = _string(1, response.get("description"))
    if "schema" in response:
        body += _message(2, _message(1, encode_schema(response["schema"])))
    return _message(1, body + _extensions(5, response))


_OPERATION_KEYS = (
    *("tags", "summary", "description", "operationId", "produces", "consumes", "parameters"),
    *("responses", "schemes", "deprecated"),
)


def _operation(operation: Obj) -> bytes:
    _check(operation, _OPERATION_KEYS, "operation")
    responses = _named(1, ((code, _response(v)) for code, v in operation.get("responses", {}).items()))
    return (
        _strings(1, operation.get("tags", ()))
        + _string(2, operation.get("summary"))
        + _string(3, operation.get("description"))
        + _string(5, operation.get("operationId"))
        + _strings(6, operation.get("produces", ()))
        + _strings(7, operation.get("consumes", ()))
        + b"".join(_message(8, _parameter(p)) for p in operation.get("parameters", ()))
        + _message(9, responses)
        + _strings(10, operation.get("schemes", ()))
        + _bool(11, operation.get("deprecated"))
        + _extensions(13, operation)
    )


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _path_item(item: Obj) -> bytes:
    _check(item, (*_METHODS, "parameters"), "path item")
    out = b"".join(_message(number, _operation(item[m])) for m, number in _METHODS.items() if m in item)
    out += b"".join(_message(9, _parameter(p)) for p in item.get("parameters", ()))
    return out + _extensions(10, item)


def encode_document(document: Obj) -> bytes:
    """``Document{swagger = 1, info = 2, paths = 8, definitions = 9}``."""
    _check(document, ("swagger", "info", "paths", "definitions"), "document")
    info = document.get("info", {})
    _check(info, ("title", "version", "description"), "info")
    paths = _named(2, ((name, _path_item(item)) for name, item in document.get("paths", {}).items()))
    definitions = _named(1, ((name, encode_schema(s)) for name, s in document.get("definitions", {}).items()))
    return (
        _string(1, document.get("swagger"))
        + _message(
            2,
            _string(1, info.get("title"))
            + _string(2, info.get("version"))
            + _string(3, info.get("description")),
        )
        + _message(8, paths)
        + _message(9, definitions)
        + _extensions(16, document)
    )
