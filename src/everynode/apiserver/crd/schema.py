"""A served version's schema, compiled once, and what every write of a custom resource does with it
(apiextensions-apiserver's ``customresource_handler.go`` codec and ``pkg/registry/customresource``):

1. decoding: :func:`prune` removes unknown fields (the paths are the API server's "unknown field"
   warnings or strict-validation errors), non-nullable ``null`` fields without a default, and unknown
   metadata fields of embedded objects; :func:`apply_defaults` fills in the schema's defaults;
2. validation: :func:`validate` (create, update) and :func:`validate_status` (``/status``): the
   schema's value rules (ratcheted on updates), embedded objects and list sets/maps;
   :func:`validate_type_meta` and :func:`validate_scale` are the other checks upstream's validator
   makes. Root ``metadata`` is validated like any object's, by the API server.

``x-kubernetes-validations`` (CEL rules) are not evaluated: an object they would refuse is accepted.
Everything here is pure and never raises on a malformed object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from everynode.apiserver.crd import defaulting, listtype, objectmeta, pruning, valuevalidation
from everynode.apiserver.crd.gofmt import go_v
from everynode.apiserver.crd.structural import Structural, as_schema, build
from everynode.apiserver.crd.valuevalidation import NO_OLD, ValueSchema, compile_value_schema
from everynode.apiserver.validation.fields import Errors
from everynode.core.fielderrors import invalid
from everynode.core.types import Obj

MAX_INT32 = (1 << 31) - 1


@dataclass(frozen=True, eq=False, slots=True)
class Schema:
    """One version's ``openAPIV3Schema``, compiled: its structure (pruning, defaulting, embedded
    objects, list types) and its value rules (whole object, and ``status`` alone)."""

    raw: Obj
    structural: Structural
    values: ValueSchema
    status_values: ValueSchema | None


def compile_schema(raw: Any) -> Schema | None:
    """The compiled schema of ``raw`` (a version's ``schema.openAPIV3Schema``), None without one."""
    if not isinstance(raw, dict):
        return None
    status = as_schema(raw.get("properties")).get("status")
    return Schema(
        raw,
        build(raw),
        compile_value_schema(raw),
        compile_value_schema(status) if isinstance(status, dict) else None,
    )


def prune(obj: Obj, schema: Schema | None) -> list[str]:
    """Decode-time cleanup, in place; the paths of the unknown fields removed, sorted."""
    if schema is None:
        return []
    removed = pruning.prune(obj, schema.structural)
    defaulting.prune_nulls(obj, schema.structural)
    removed.extend(objectmeta.clean(obj, schema.structural))
    return sorted(removed)


def apply_defaults(obj: Obj, schema: Schema | None) -> None:
    """The schema's defaults, in place (idempotent)."""
    if schema is not None:
        defaulting.apply_defaults(obj, schema.structural)


def validate(obj: Obj, schema: Schema | None, old: Obj | None = None) -> Errors:
    """The schema's errors in ``obj``; ``old`` (on an update) ratchets unchanged parts.

    Order as upstream's: value rules, embedded objects, list sets and maps (on an update, those only
    when the old object had none)."""
    if schema is None:
        return []
    errs = valuevalidation.validate(schema.values, obj, old=NO_OLD if old is None else old)
    errs.extend(objectmeta.validate(obj, schema.structural))
    if old is None or not listtype.validate(old, schema.structural):
        errs.extend(listtype.validate(obj, schema.structural))
    return errs


def validate_status(obj: Obj, schema: Schema | None, old: Obj) -> Errors:
    """A write through ``/status``: the ``status`` field against the schema's ``status`` property
    (errors at ``status.<field>``), then list sets and maps (when the old object had no duplicates)."""
    if schema is None:
        return []
    errs: Errors = []
    if "status" in obj and schema.status_values is not None:
        old_status = old["status"] if isinstance(old, dict) and "status" in old else NO_OLD
        errs.extend(
            valuevalidation.validate(schema.status_values, obj["status"], prefix="status", old=old_status)
        )
    new_lists = listtype.validate(obj, schema.structural)
    if new_lists and not listtype.validate(old, schema.structural):
        errs.extend(new_lists)
    return errs


def validate_type_meta(obj: Obj, group: str, version: str, kind: str) -> Errors:
    """``ValidateTypeMeta``: the body names the kind and group/version it was sent to."""
    errs: Errors = []
    want = f"{group}/{version}"
    if obj.get("kind") != kind:
        errs.append(invalid("kind", obj.get("kind", ""), f"must be {kind}"))
    if obj.get("apiVersion") != want:
        errs.append(invalid("apiVersion", obj.get("apiVersion", ""), f"must be {want}"))
    return errs


_GO_TYPES = {bool: "bool", str: "string", int: "int64", float: "float64", dict: "map[string]interface {}"}
_GO_TYPES[list] = "[]interface {}"


def _go_type(value: Any) -> str:
    return _GO_TYPES.get(type(value), "<nil>")


def _go_text(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return go_v(value)
    return str(value)


def nested(obj: Obj, json_path: str, expected: type) -> tuple[Any, str | None]:
    """``unstructured.Nested{Int64,String}`` at a simple JSON path: the value (None when absent), or
    the accessor error upstream reports."""
    fields = json_path.removeprefix(".").split(".")
    current: Any = obj
    for i, name in enumerate(fields):
        if current is None:
            return None, None
        if not isinstance(current, dict):
            problem = (
                f"{_go_text(current)} is of the type {_go_type(current)}, expected map[string]interface{{}}"
            )
            return None, f"{_json_path(fields[: i + 1])} accessor error: {problem}"
        if name not in current:
            return None, None
        current = current[name]
    if isinstance(current, expected) and not (expected is int and isinstance(current, bool)):
        return current, None
    wanted = "int64" if expected is int else "string"
    problem = f"{_go_text(current)} is of the type {_go_type(current)}, expected {wanted}"
    return None, f"{_json_path(fields)} accessor error: {problem}"


def _json_path(fields: list[str]) -> str:
    return "." + ".".join(fields)


def _replicas(obj: Obj, json_path: str) -> Errors:
    value, problem = nested(obj, json_path, int)
    number = value if isinstance(value, int) else 0
    if problem is not None:
        return [invalid(json_path, number, problem)]
    if number < 0:
        return [invalid(json_path, number, "should be a non-negative integer")]
    if number > MAX_INT32:
        return [invalid(json_path, number, f"should be less than or equal to {MAX_INT32}")]
    return []


def validate_scale(obj: Obj, scale: Obj | None, *, spec: bool = True) -> Errors:
    """``ValidateScaleSpec`` and ``ValidateScaleStatus`` for a version with a ``scale`` subresource
    (``spec`` False: only the status part, as a ``/status`` write checks)."""
    if not isinstance(scale, dict):
        return []
    errs: Errors = []
    if spec and isinstance(scale.get("specReplicasPath"), str):
        errs.extend(_replicas(obj, scale["specReplicasPath"]))
    if isinstance(scale.get("statusReplicasPath"), str):
        errs.extend(_replicas(obj, scale["statusReplicasPath"]))
    selector = scale.get("labelSelectorPath")
    if isinstance(selector, str) and selector:
        value, problem = nested(obj, selector, str)
        if problem is not None:
            errs.append(invalid(selector, value if isinstance(value, str) else "", problem))
    return errs
