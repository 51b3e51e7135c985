"""A custom resource checked against its schema's value rules, the way kube-openapi's ``validate``
package checks it and apiextensions-apiserver words the result (``pkg/apiserver/validation``).

The schema is compiled once (:func:`compile_value_schema`): the CRD's JSON schema with
``x-kubernetes-int-or-string`` read as ``type: [integer, string]`` and unsupported formats dropped.
:func:`validate` walks a value as kube-openapi's ``SchemaValidator`` does: per node the type, the
logical junctors (``allOf``/``anyOf``/``oneOf``/``not``), string, format, number, array, enum and object
rules, every rule run (no short cut after a failure), results merged with their match counts (an
``anyOf`` that fails reports its best-matching alternative's errors). Then each error becomes a field
error as ``kubeOpenAPIResultToFieldErrors`` makes it: ``spec.replicas: Invalid value: "string":
spec.replicas in body must be of type integer: "string"``; errors of the junctors and of number ranges
carry no field and read ``<nil>: Invalid value: ""`` as upstream's do.

Updates ratchet (``CRDValidationRatcheting``, on since 1.30): errors in a part of the object that is
unchanged from the old object, where the two correlate (object fields by name, ``map`` lists by key),
are dropped, so a schema made stricter does not block unrelated changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from everynode.apiserver.crd import formats, goregex
from everynode.apiserver.crd.gofmt import (
    as_go_number,
    go_deep_equal,
    go_float,
    go_float_decimal,
    go_json,
    value_text,
)
from everynode.apiserver.crd.structural import as_schema, type_of
from everynode.apiserver.validation.fields import Errors
from everynode.core.fielderrors import FieldError, go_quote
from everynode.core.types import Obj

NO_OLD: Any = object()  # no old value correlates with the value being checked
_FLOAT32_LIMIT = 2.0**128 - 2.0**103  # ParseFloat(s, 32) overflows from here on
_INT_RANGES = {"int32": (-(1 << 31), (1 << 31) - 1), "": (-(1 << 63), (1 << 63) - 1)}
_INT_RANGES["int64"] = _INT_RANGES[""]
_JSON_INT_LIMIT = float((1 << 53) - 1)
_SCHEMA_INFO = {
    "bool": ("boolean", ""),
    "string": ("string", ""),
    "int": ("integer", "int64"),
    "float": ("number", "float64"),
    "slice": ("array", ""),
    "map": ("object", ""),
}

# -- the compiled schema ----------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    value = as_go_number(value)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(raw: Obj, name: str) -> str:
    value = raw.get(name)
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(eq=False, slots=True)
class ValueSchema:
    """One node of a schema, as kube-openapi's ``spec.Schema`` holds what validation reads."""

    types: tuple[str, ...] = ()
    nullable: bool = False
    format: str = ""
    enum: list[Any] | None = None
    maximum: float | None = None
    exclusive_maximum: bool = False
    minimum: float | None = None
    exclusive_minimum: bool = False
    multiple_of: float | None = None
    max_length: int | None = None
    min_length: int | None = None
    pattern: str = ""
    max_items: int | None = None
    min_items: int | None = None
    unique_items: bool = False
    max_properties: int | None = None
    min_properties: int | None = None
    required: tuple[str, ...] = ()
    properties: dict[str, ValueSchema] = field(default_factory=dict)
    additional: ValueSchema | None = None
    additional_allows: bool | None = None  # None: no additionalProperties
    items: ValueSchema | None = None
    all_of: tuple[ValueSchema, ...] = ()
    any_of: tuple[ValueSchema, ...] = ()
    one_of: tuple[ValueSchema, ...] = ()
    not_: ValueSchema | None = None
    list_type: str = ""
    map_keys: tuple[str, ...] = ()


def _list(raw: Obj, name: str, converted: bool) -> tuple[ValueSchema, ...]:
    value = raw.get(name)
    if not isinstance(value, list):
        return ()
    return tuple(compile_value_schema(as_schema(v), converted=converted) for v in value)


def compile_value_schema(raw: Obj, *, converted: bool = True) -> ValueSchema:
    """``ConvertJSONSchemaProps`` with the format post-processor, for one (sub-)schema.

    ``converted`` False is the structural schema's own ``ToKubeOpenAPI`` (what checks a default):
    ``x-kubernetes-int-or-string`` sets no type there, and formats are kept as written."""
    kind = type_of(raw)
    types: tuple[str, ...] = (kind,) if kind else ()
    if converted and raw.get("x-kubernetes-int-or-string") is True:
        types = ("integer", "string")
    fmt = _text(raw, "format")
    if converted:
        fmt = formats.supported_format(types[0] if len(types) == 1 else "", fmt)
    out = ValueSchema(
        types=types,
        nullable=raw.get("nullable") is True,
        format=fmt,
        enum=list(raw["enum"]) if isinstance(raw.get("enum"), list) else None,
        maximum=_number(raw.get("maximum")),
        exclusive_maximum=raw.get("exclusiveMaximum") is True,
        minimum=_number(raw.get("minimum")),
        exclusive_minimum=raw.get("exclusiveMinimum") is True,
        multiple_of=_number(raw.get("multipleOf")),
        max_length=_count(raw.get("maxLength")),
        min_length=_count(raw.get("minLength")),
        pattern=_text(raw, "pattern"),
        max_items=_count(raw.get("maxItems")),
        min_items=_count(raw.get("minItems")),
        unique_items=raw.get("uniqueItems") is True,
        max_properties=_count(raw.get("maxProperties")),
        min_properties=_count(raw.get("minProperties")),
        required=tuple(r for r in raw.get("required") or () if isinstance(r, str)),
        properties={
            k: compile_value_schema(as_schema(v), converted=converted)
            for k, v in as_schema(raw.get("properties")).items()
        },
        all_of=_list(raw, "allOf", converted),
        any_of=_list(raw, "anyOf", converted),
        one_of=_list(raw, "oneOf", converted),
        list_type=_text(raw, "x-kubernetes-list-type"),
    )
    keys = raw.get("x-kubernetes-list-map-keys")
    out.map_keys = tuple(k for k in keys if isinstance(k, str)) if isinstance(keys, list) else ()
    additional = raw.get("additionalProperties")
    if isinstance(additional, dict):
        out.additional, out.additional_allows = compile_value_schema(additional, converted=converted), True
    elif isinstance(additional, bool):
        out.additional_allows = additional
    if isinstance(raw.get("items"), dict):
        out.items = compile_value_schema(raw["items"], converted=converted)
    if isinstance(raw.get("not"), dict):
        out.not_ = compile_value_schema(raw["not"], converted=converted)
    return out


# -- results ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class VError:
    """One kube-openapi error. ``code`` None is a plain error (no field: reported at ``<nil>``)."""

    message: str
    code: str | None = None
    name: str = ""
    value: Any = None
    limit: int = -1  # the maximum of TooLong / TooMany errors
    options: tuple[Any, ...] = ()  # the values of an enum


class Result:
    __slots__ = ("errors", "match_count")

    def __init__(self, *errors: VError | None) -> None:
        self.errors: list[VError] = []
        self.match_count = 0
        self.add(*errors)

    @property
    def valid(self) -> bool:
        return not self.errors

    def add(self, *errors: VError | None) -> None:
        """Add errors, each message once."""
        for error in errors:
            if error is not None and all(error.message != e.message for e in self.errors):
                self.errors.append(error)

    def merge(self, *others: Result | None) -> Result:
        for other in others:
            if other is not None:
                self.add(*other.errors)
                self.match_count += other.match_count
        return self


def _kind(data: Any) -> str:
    if isinstance(data, bool):
        return "bool"
    if isinstance(data, str):
        return "string"
    if isinstance(data, int):
        return "int"
    if isinstance(data, float):
        return "float"
    if isinstance(data, list):
        return "slice"
    return "map"


def _invalid_type(path: str, type_name: str, value: str) -> VError:
    return VError(
        f"{path} in body must be of type {type_name}: {go_quote(value)}", "InvalidType", path, value
    )


def _is_json_integer(value: float) -> bool:
    """``swag.IsFloat64AJSONInteger``: integral (to a relative 1e-9), within 2^53."""
    if math.isnan(value) or math.isinf(value) or abs(value) > _JSON_INT_LIMIT:
        return False
    if value == int(value):
        return True
    if value < 0:
        return False
    whole = float(int(value))
    return abs(value - whole) / min(abs(value) + whole, 1.7976931348623157e308) < 1e-9


# -- the validators of one node ---------------------------------------------------------------------


def _type(s: ValueSchema, data: Any, kind: str, path: str) -> Result:
    ok = Result()
    ok.match_count = 1
    if data is None:
        if s.types and "null" not in s.types and not s.nullable:
            return Result(_invalid_type(path, ",".join(s.types), "null"))
        return ok
    schema_type, fmt = _SCHEMA_INFO[kind]
    float_int = schema_type == "number" and "integer" in s.types and _is_json_integer(float(data))
    int_float = schema_type == "integer" and "number" in s.types
    matches_format = schema_type in s.types or fmt == s.format or float_int or int_float
    if kind not in ("string", "slice") and s.format and not matches_format:
        return Result(_invalid_type(path, s.format, fmt))
    if s.format and kind in ("string", "slice") and "number" not in s.types and "integer" not in s.types:
        return ok
    if not (schema_type in s.types or float_int or int_float):
        return Result(_invalid_type(path, ",".join(s.types), schema_type))
    return ok


def _string(s: ValueSchema, data: str, path: str) -> Result | None:
    length = len(data)
    if s.max_length is not None and length > s.max_length:
        message = f"{path} in body should be at most {s.max_length} chars long"
        return Result(VError(message, "TooLong", path, data, s.max_length))
    if s.min_length is not None and length < s.min_length:
        return Result(
            VError(f"{path} in body should be at least {s.min_length} chars long", "TooShort", path, data)
        )
    if s.pattern:
        problem = goregex.pattern_error(s.pattern)
        shown = s.pattern if problem is None else f"{s.pattern}, but pattern is invalid: {problem}"
        if problem is not None or not goregex.matches(s.pattern, data):
            return Result(VError(f"{path} in body should match '{shown}'", "Pattern", path, data))
    return None


def _format(s: ValueSchema, data: str, path: str) -> Result | None:
    if formats.check(s.format, data):
        return None
    return Result(
        VError(f"{path} in body must be of type {s.format}: {go_quote(data)}", "InvalidType", path, data)
    )


def _range_check(value: Any, type_name: str, fmt: str, prefix: str, path: str) -> VError | None:
    """``IsValueValidAgainstRange``: the number, printed, must parse as the schema's type."""
    text = str(value) if isinstance(value, int) else go_float_decimal(float(value))
    bad = False
    if type_name == "integer":
        low, high = _INT_RANGES.get(fmt, _INT_RANGES[""])
        digits = text.lstrip("+-")
        bad = not (digits.isdigit() and low <= int(text) <= high)
    elif fmt == "float":
        bad = abs(float(text)) >= _FLOAT32_LIMIT
    if not bad:
        return None
    shown = f"with format {fmt}" if fmt else "(default format)"
    return VError(f"{prefix} value must be of type {type_name} {shown} in {path}")


def _bound(
    path: str, data: Any, limit: float, exclusive: bool, *, upper: bool, native: bool
) -> VError | None:
    if native and isinstance(data, int):
        bound: int | float = int(limit)
        shown = str(bound)
    else:
        data, bound, shown = float(data), limit, go_float(limit)
    if upper:
        failed = data >= bound if exclusive else data > bound
        relation = "less than" if exclusive else "less than or equal to"
    else:
        failed = data <= bound if exclusive else data < bound
        relation = "greater than" if exclusive else "greater than or equal to"
    if not failed:
        return None
    return VError(f"{path} in body should be {relation} {shown}", "Max" if upper else "Min", path, data)


def _multiple(path: str, data: Any, factor: float, *, native: bool) -> VError | None:
    if native and isinstance(data, int):
        whole = int(factor)
        if whole <= 0:
            return VError(
                f"factor MultipleOf declared for {path} must be positive: {whole}", "Factor", path, whole
            )
        if data % whole == 0:
            return None
        return VError(f"{path} in body should be a multiple of {whole}", "MultipleOf", path, data)
    value = float(data)
    if factor <= 0:
        return VError(
            f"factor MultipleOf declared for {path} must be positive: {go_float(factor)}", "Factor", path
        )
    ratio = 1 / factor * value if factor < 1 else value / factor
    if _is_json_integer(ratio):
        return None
    return VError(f"{path} in body should be a multiple of {go_float(factor)}", "MultipleOf", path, data)


def _numbers(s: ValueSchema, data: Any, path: str) -> Result:
    type_name, fmt = "", ""
    if len(s.types) == 1 and s.types[0] == "integer":
        type_name, fmt = "integer", s.format if s.format in ("int32", "int64") else ""
    elif len(s.types) == 1 and s.types[0] == "number":
        type_name, fmt = "number", s.format if s.format in ("float", "double") else ""
    out = Result(_range_check(data, type_name, fmt, "Checked", path))
    parts = []
    for limit, prefix in (
        (s.multiple_of, "MultipleOf"),
        (s.minimum, "Minimum boundary"),
        (s.maximum, "Maximum boundary"),
    ):
        if limit is None:
            continue
        part = Result(_range_check(limit, type_name, fmt, prefix, path))
        native = part.valid
        if prefix == "MultipleOf":
            part.add(_multiple(path, data, limit, native=native))
        elif prefix == "Minimum boundary":
            part.add(_bound(path, data, limit, s.exclusive_minimum, upper=False, native=native))
        else:
            part.add(_bound(path, data, limit, s.exclusive_maximum, upper=True, native=native))
        parts.append(part)
    out.merge(*parts)
    out.match_count += 1
    return out


def _enum_matches(data: Any, option: Any) -> bool:
    """``basicCommonValidator``: equal after Go's conversion of the value to the option's type."""
    data, option = as_go_number(data), as_go_number(option)
    if data is None or option is None:
        return False
    if isinstance(option, bool) or isinstance(data, bool):
        return isinstance(option, bool) and isinstance(data, bool) and option == data
    if isinstance(option, str):
        if isinstance(data, int):  # Go converts an integer to the string of that code point
            return (chr(data) if 0 <= data <= 0x10FFFF else "\ufffd") == option
        return isinstance(data, str) and data == option
    if isinstance(option, int):
        return isinstance(data, int | float) and not math.isnan(data) and int(data) == option
    if isinstance(option, float):
        return isinstance(data, int | float) and float(data) == option
    return go_deep_equal(data, option)


def _enum(s: ValueSchema, data: Any, path: str) -> Result | None:
    if not s.enum or any(_enum_matches(data, option) for option in s.enum):
        return None
    values = " ".join(str(v) if isinstance(v, str) else go_json(v) for v in s.enum)
    return Result(
        VError(f"{path} in body should be one of [{values}]", "Enum", path, data, options=tuple(s.enum))
    )


def _junctors(s: ValueSchema, data: Any, path: str, old: Any) -> Result:
    """``schemaPropsValidator``: anyOf, oneOf, allOf and not, each branch on the same value."""
    main = Result()
    if s.any_of:
        best: Result | None = None
        succeeded = False
        for branch in s.any_of:
            result = _validate(branch, data, path, old)
            if result.valid:
                best, succeeded = result, True
                break
            if best is None or result.match_count > best.match_count:
                best = result
        if not succeeded:
            main.add(VError(f"{go_quote(path)} must validate at least one schema (anyOf)"))
        main.merge(best)
    if s.one_of:
        best, first, valid = None, None, 0
        for branch in s.one_of:
            result = _validate(branch, data, path, old)
            if result.valid:
                valid += 1
                best = None
                first = first or result
            elif valid == 0 and (best is None or result.match_count > best.match_count):
                best = result
        if valid != 1:
            found = "Found none valid" if valid == 0 else f"Found {valid} valid alternatives"
            main.add(VError(f"{go_quote(path)} must validate one and only one schema (oneOf). {found}"))
            main.merge(best)
        else:
            main.merge(first)
    if s.all_of:
        valid = 0
        for branch in s.all_of:
            result = _validate(branch, data, path, old)
            valid += result.valid
            main.merge(result)
        if valid != len(s.all_of):
            none = ". None validated" if valid == 0 else ""
            main.add(VError(f"{go_quote(path)} must validate all the schemas (allOf){none}"))
    if s.not_ is not None and _validate(s.not_, data, path, old).valid:
        main.add(VError(f"{go_quote(path)} must not validate the schema (not)"))
    main.match_count += 1
    return main


def _map_key(element: Any, keys: tuple[str, ...]) -> tuple[str, ...] | None:
    if not isinstance(element, dict):
        return None
    return tuple(go_json(element[k]) if k in element else "" for k in keys)


def _correlated_items(s: ValueSchema, old: Any) -> dict[tuple[str, ...], Any] | None:
    """Old items by key: only ``map`` lists correlate item by item."""
    if old is NO_OLD or s.list_type != "map" or not isinstance(old, list) or not s.map_keys:
        return None
    found: dict[tuple[str, ...], Any] = {}
    for element in old:
        key = _map_key(element, s.map_keys)
        if key is not None:
            found.setdefault(key, element)
    return found


def _slice(s: ValueSchema, data: list[Any], path: str, old: Any) -> Result:
    out = Result()
    if s.items is not None:
        olds = _correlated_items(s, old)
        for i, item in enumerate(data):
            item_old = NO_OLD
            if olds is not None:
                key = _map_key(item, s.map_keys)
                item_old = olds.get(key, NO_OLD) if key is not None else NO_OLD
            out.merge(_child(s.items, item, f"{path}[{i}]", item_old))
    size = len(data)
    if s.min_items is not None and size < s.min_items:
        out.add(VError(f"{path} in body should have at least {s.min_items} items", "MinItems", path, size))
    if s.max_items is not None and size > s.max_items:
        out.add(
            VError(
                f"{path} in body should have at most {s.max_items} items", "MaxItems", path, size, s.max_items
            )
        )
    if s.unique_items and any(go_deep_equal(a, b) for i, a in enumerate(data) for b in data[:i]):
        out.add(VError(f"{path} in body shouldn't contain duplicates", "Unique", path))
    out.match_count += 1
    return out


def _key_old(old: Any, name: str) -> Any:
    return old[name] if old is not NO_OLD and isinstance(old, dict) and name in old else NO_OLD


def _object(s: ValueSchema, data: Obj, path: str, old: Any) -> Result:
    out = Result()
    size = len(data)
    if s.min_properties is not None and size < s.min_properties:
        message = f"{path} in body should have at least {s.min_properties} properties"
        out.add(VError(message, "TooFewProperties", path, size))
    if s.max_properties is not None and size > s.max_properties:
        message = f"{path} in body should have at most {s.max_properties} properties"
        out.add(VError(message, "TooManyProperties", path, size, s.max_properties))
    for name, value in data.items():
        prop = s.properties.get(name)
        if prop is None and s.additional_allows is False:
            out.add(VError(f"{path}.{name} in body is a forbidden property", "Unallowed", path, name))
        elif prop is None and s.additional is not None:
            out.merge(_child(s.additional, value, f"{path}.{name}", _field_old(path, name, old)))
        elif prop is not None:
            out.merge(_child(prop, value, f"{path}.{name}" if path else name, _field_old(path, name, old)))
    for name in s.required:
        if name not in data:
            out.add(VError(f"{path}.{name} in body is required", "Required", f"{path}.{name}"))
    return out


def _field_old(path: str, name: str, old: Any) -> Any:
    if path == "" and name in ("kind", "apiVersion"):
        return NO_OLD
    return _key_old(old, name)


def _validate(s: ValueSchema, data: Any, path: str, old: Any = NO_OLD) -> Result:
    """``SchemaValidator.Validate``: every validator that applies to the value's kind, in order."""
    data = as_go_number(data)
    out = Result()
    if data is None:
        out.merge(_type(s, None, "", path), _enum(s, None, path))
        return out
    kind = _kind(data)
    steps: list[Result | None] = []
    if s.types or s.format:
        steps.append(_type(s, data, kind, path))
    steps.append(_junctors(s, data, path, old))
    if kind == "string":
        steps.append(_string(s, data, path))
        if s.format and formats.known(s.format):
            steps.append(_format(s, data, path))
    if kind in ("int", "float"):
        steps.append(_numbers(s, data, path))
    if kind == "slice":
        steps.append(_slice(s, data, path, old))
    steps.append(_enum(s, data, path))
    if kind == "map":
        steps.append(_object(s, data, path, old))
    for step in steps:
        out.merge(step)
        out.match_count += 1
    out.match_count += 1
    return out


def _ratcheted(s: ValueSchema, data: Any, path: str, old: Any) -> Result:
    """A value that correlates with an old one: its errors go when it is unchanged."""
    result = _validate(s, data, path, old)
    if result.valid or not go_deep_equal(data, old):
        return result
    kept = Result()
    kept.match_count = result.match_count
    return kept


def _child(s: ValueSchema, data: Any, path: str, old: Any) -> Result:
    return _validate(s, data, path) if old is NO_OLD else _ratcheted(s, data, path, old)


# -- field errors -----------------------------------------------------------------------------------


def _field(prefix: str, name: str) -> str:
    if name and name != ".":
        name = name[1:] if name.startswith(".") else name
        return f"{prefix}.{name}" if prefix else name
    return prefix or "<nil>"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def to_field_error(error: VError, prefix: str) -> FieldError:
    """``kubeOpenAPIResultToFieldErrors`` for one error; ``prefix`` is the path of the validated value."""
    if error.code is None:
        return FieldError("Invalid", prefix or "<nil>", "", error.message)
    path = _field(prefix, error.name)
    value = "" if error.value is None else error.value
    if error.code == "Required":
        return FieldError("Required", path)
    if error.code == "Enum":
        supported = tuple(v if isinstance(v, str) else go_json(v) for v in error.options)
        return FieldError(
            "NotSupported", path, error.value, supported=supported, value_text=value_text(error.value)
        )
    if error.code == "TooLong":
        return FieldError("TooLong", path, detail=f"may not be more than {_plural(error.limit, 'byte')}")
    if error.code in ("MaxItems", "TooManyProperties"):
        return FieldError(
            "TooMany", path, detail=f"{error.value}: must have at most {_plural(error.limit, 'item')}"
        )
    # InvalidType is upstream's TypeInvalid (reason FieldValueTypeInvalid); the message reads the same.
    if error.code == "InvalidType":
        return FieldError("TypeInvalid", path, value, error.message, value_text=value_text(value))
    return FieldError("Invalid", path, value, error.message, value_text=value_text(value))


def validate(schema: ValueSchema, data: Any, *, prefix: str = "", old: Any = NO_OLD) -> Errors:
    """The field errors of ``data`` against ``schema``; with ``old`` (an update), ratcheted."""
    result = _validate(schema, data, "") if old is NO_OLD else _ratcheted(schema, data, "", old)
    return [to_field_error(error, prefix) for error in result.errors]
