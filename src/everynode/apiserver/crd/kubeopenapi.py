"""A structural schema written back as OpenAPI, as ``Structural.ToKubeOpenAPI`` writes it
(``pkg/apiserver/schema/kubeopenapi.go``): what a CRD version publishes holds only what a structural
schema can say, each keyword with the JSON type its Go field has.

- Kept: ``type``, ``description``, ``title``, ``default``, ``nullable`` and ``externalDocs``; the value
  validations (bounds, lengths, ``pattern``, ``format``, ``enum``, ``required``, ``uniqueItems``,
  ``allOf``/``anyOf``/``oneOf``/``not``); ``x-kubernetes-preserve-unknown-fields``,
  ``-embedded-resource``, ``-int-or-string``, ``-list-type``, ``-list-map-keys``, ``-map-type`` and
  ``-validations``; and ``properties``, ``items`` and ``additionalProperties`` (a schema or a boolean).
- Left out: anything else a definition may hold (``example``, ``id``, ``$schema``, ``definitions``...),
  keywords at their zero value (``nullable: false``, ``description: ""``, ``required: []``), as Go's
  ``omitempty`` drops them, and a value of the wrong JSON type. Bounds are pointers in Go, so
  ``minimum: 0`` stays.
- Under a junctor (``allOf``...) a node is a ``NestedValueValidation``: the same keywords but
  ``additionalProperties``.

Invariant: the result uses only keywords Swagger 2.0 (and gnostic's protobuf) can carry, plus
``nullable``, the junctors and ``x-`` extensions, which the v2 conversion drops or encodes as
extensions; it never shares a mutable value with its input.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from everynode.core.types import Obj

_TEXT = ("type", "description", "title", "format", "pattern")
_NUMBERS = ("maximum", "minimum", "multipleOf")  # *float64
_COUNTS = ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties")  # *int64
_FLAGS = (
    "nullable",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "uniqueItems",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
)
_NAMES = ("required", "x-kubernetes-list-map-keys")  # []string
_CHOICES = ("x-kubernetes-list-type", "x-kubernetes-map-type")  # *string
_JUNCTORS = ("allOf", "anyOf", "oneOf")


_INT64 = range(-(2**63), 2**63)


def _number(value: Any) -> int | float | None:
    """A ``float64``: a finite number (an integer JSON can carry: orjson writes 64 bits at most)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else None
    return value if math.isfinite(value) else None


def _count(value: Any) -> int | None:
    """An ``int64``: an integer, or a float with an integral value in range (``3.0``)."""
    number = _number(value)
    if isinstance(number, float):
        number = int(number) if number.is_integer() else None
    return number if number is not None and number in _INT64 else None


def _scalars(raw: Obj, out: Obj) -> None:
    for name in _TEXT:
        if isinstance(raw.get(name), str) and raw[name]:
            out[name] = raw[name]
    for name in _NUMBERS:
        if (number := _number(raw.get(name))) is not None:
            out[name] = number
    for name in _COUNTS:
        if (count := _count(raw.get(name))) is not None:
            out[name] = count
    for name in _FLAGS:
        if raw.get(name) is True:
            out[name] = True
    for name in _NAMES:
        value = raw.get(name)
        names = [n for n in value if isinstance(n, str)] if isinstance(value, list) else []
        if names:
            out[name] = names
    for name in _CHOICES:
        if isinstance(raw.get(name), str):
            out[name] = raw[name]
    if isinstance(raw.get("enum"), list) and raw["enum"]:
        out["enum"] = copy.deepcopy(raw["enum"])
    if raw.get("default") is not None:
        out["default"] = copy.deepcopy(raw["default"])
    rules = raw.get("x-kubernetes-validations")
    if isinstance(rules, list) and any(isinstance(rule, dict) for rule in rules):
        out["x-kubernetes-validations"] = [copy.deepcopy(rule) for rule in rules if isinstance(rule, dict)]
    docs = raw.get("externalDocs")
    if isinstance(docs, dict):
        out["externalDocs"] = {
            k: docs[k] for k in ("description", "url") if isinstance(docs.get(k), str) and docs[k]
        }


def _children(raw: Obj, out: Obj, *, nested: bool) -> None:
    if isinstance(raw.get("items"), dict):
        out["items"] = _node(raw["items"], nested=nested)
    properties = raw.get("properties")
    if isinstance(properties, dict):
        published = {
            name: _node(sub, nested=nested) for name, sub in properties.items() if isinstance(sub, dict)
        }
        if published:
            out["properties"] = published
    extra = raw.get("additionalProperties")
    if not nested and isinstance(extra, bool):
        out["additionalProperties"] = extra
    elif not nested and isinstance(extra, dict):
        out["additionalProperties"] = _node(extra, nested=False)
    for name in _JUNCTORS:
        branches = raw.get(name)
        if isinstance(branches, list):
            published_branches = [_node(b, nested=True) for b in branches if isinstance(b, dict)]
            if published_branches:
                out[name] = published_branches
    if isinstance(raw.get("not"), dict):
        out["not"] = _node(raw["not"], nested=True)


def _node(raw: Obj, *, nested: bool) -> Obj:
    out: Obj = {}
    _scalars(raw, out)
    _children(raw, out, nested=nested)
    return out


def to_kube_openapi(raw: Obj) -> Obj:
    """The published form of a structural schema ``raw`` (a new object)."""
    return _node(raw, nested=False)
