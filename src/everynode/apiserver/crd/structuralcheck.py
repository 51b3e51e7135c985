"""``ValidateStructural``: the rules that make a schema structural (``pkg/apiserver/schema/validation.go``
and ``complete.go``), worded and sorted as upstream reports them.

- every node the schema specifies has a type, unless ``x-kubernetes-int-or-string`` or
  ``x-kubernetes-preserve-unknown-fields`` says otherwise; arrays have ``items``; the root is an object
  without ``additionalProperties``;
- ``allOf``/``anyOf``/``oneOf``/``not`` only restrict values: no types, defaults, descriptions,
  nullability or extensions inside them (except the two int-or-string patterns), and every field they
  name is also specified outside them;
- an embedded resource is an object with properties or preserved unknown fields; ``kind`` and
  ``apiVersion`` there (and at the root) are strings, ``metadata`` an object; at the root ``metadata``
  may only restrict ``name`` and ``generateName``.
"""

from __future__ import annotations

from typing import Any

from everynode.apiserver.crd.goregex import pattern_error
from everynode.apiserver.crd.structural import as_schema, flag, has_default, type_of
from everynode.apiserver.validation.fields import Errors, child, index, key
from everynode.core.fielderrors import forbidden, invalid, required
from everynode.core.types import Obj

ROOT, ITEM, FIELD = "root", "item", "field"
_EMPTY_TYPE = {
    ROOT: "must not be empty at the root",
    ITEM: "must not be empty for specified array items",
    FIELD: "must not be empty for specified object fields",
}
_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_ZERO: tuple[Any, ...] = (None, False, "", [], {})
_NOT_STRUCTURAL = (
    ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
    ("x-kubernetes-embedded-resource", "must be false to be structural"),
    ("x-kubernetes-int-or-string", "must be false to be structural"),
    ("x-kubernetes-list-map-keys", "must be empty to be structural"),
    ("x-kubernetes-list-type", "must be undefined to be structural"),
    ("x-kubernetes-map-type", "must be undefined to be structural"),
    ("x-kubernetes-validations", "must be empty to be structural"),
)


def _set(raw: Obj, name: str) -> bool:
    return raw.get(name) not in _ZERO


def _properties(raw: Obj) -> dict[str, Obj]:
    return {k: as_schema(v) for k, v in as_schema(raw.get("properties")).items()}


def _subs(raw: Obj, name: str) -> list[Obj]:
    value = raw.get(name)
    return [as_schema(v) for v in value] if isinstance(value, list) else []


def _only_type(raw: Any, kind: str) -> bool:
    return isinstance(raw, dict) and {k: v for k, v in raw.items() if v not in _ZERO} == {"type": kind}


def _int_or_string_any_of(raw: Obj) -> bool:
    """``anyOf: [{type: integer}, {type: string}]``, nothing else in either."""
    any_of = raw.get("anyOf")
    return (
        isinstance(any_of, list)
        and len(any_of) == 2
        and _only_type(any_of[0], "integer")
        and _only_type(any_of[1], "string")
    )


def _int_or_string_all_of(raw: Obj) -> bool:
    all_of = raw.get("allOf")
    return isinstance(all_of, list) and bool(all_of) and _int_or_string_any_of(as_schema(all_of[0]))


def validate_structural(raw: Obj, path: str) -> Errors:
    """Every structural rule ``raw`` (a root schema that :func:`.structural.unsupported` takes) breaks,
    sorted by message as upstream sorts them."""
    errs = _invariants(raw, ROOT, path)
    errs.extend(_value_completeness(raw, raw, path, path))
    return sorted(errs, key=str)


def _invariants(raw: Obj, level: str, path: str) -> Errors:
    errs: Errors = []
    kind = type_of(raw)
    items = raw.get("items")
    if kind == "array" and not isinstance(items, dict):
        errs.append(required(child(path, "items"), "must be specified"))
    if isinstance(items, dict):
        errs.extend(_invariants(items, ITEM, child(path, "items")))
    properties = _properties(raw)
    for name in sorted(properties):
        errs.extend(_invariants(properties[name], FIELD, key(child(path, "properties"), name)))
    additional = raw.get("additionalProperties")
    if isinstance(additional, dict | bool):
        if level == ROOT:
            errs.append(forbidden(child(path, "additionalProperties"), "must not be used at the root"))
        if isinstance(additional, dict):
            errs.extend(_invariants(additional, FIELD, child(path, "additionalProperties")))
    errs.extend(_extensions(raw, path))
    errs.extend(_value_validation(raw, _int_or_string_any_of(raw), _int_or_string_all_of(raw), level, path))
    errs.extend(_type_rules(raw, level, path))
    embedded = flag(raw, "x-kubernetes-embedded-resource")
    check_metadata = level == ROOT or embedded
    for field in ("kind", "apiVersion"):
        if field in properties and check_metadata and type_of(properties[field]) != "string":
            field_path = child(key(child(path, "properties"), field), "type")
            errs.append(invalid(field_path, type_of(properties[field]), "must be string"))
    if "metadata" in properties:
        meta_path = key(child(path, "properties"), "metadata")
        errs.extend(_metadata(properties["metadata"], check_metadata, level, meta_path))
    if embedded and not flag(raw, "x-kubernetes-preserve-unknown-fields") and not properties:
        detail = (
            "must not be empty if x-kubernetes-embedded-resource is true "
            "without x-kubernetes-preserve-unknown-fields"
        )
        errs.append(required(child(path, "properties"), detail))
    return errs


def _type_rules(raw: Obj, level: str, path: str) -> Errors:
    errs: Errors = []
    kind = type_of(raw)
    embedded = flag(raw, "x-kubernetes-embedded-resource")
    if embedded and kind != "object":
        detail = "must be object if x-kubernetes-embedded-resource is true"
        errs.append(
            required(child(path, "type"), detail) if not kind else invalid(child(path, "type"), kind, detail)
        )
    elif not kind and not flag(raw, "x-kubernetes-int-or-string") and not flag(raw, _PRESERVE):
        errs.append(required(child(path, "type"), _EMPTY_TYPE[level]))
    if embedded and isinstance(raw.get("additionalProperties"), dict | bool):
        detail = "must not be used if x-kubernetes-embedded-resource is set"
        errs.append(forbidden(child(path, "additionalProperties"), detail))
    if level == ROOT and kind and kind != "object":
        errs.append(invalid(child(path, "type"), kind, "must be object at the root"))
    return errs


def _extensions(raw: Obj, path: str) -> Errors:
    errs: Errors = []
    if flag(raw, "x-kubernetes-int-or-string"):
        for name in ("x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource"):
            if flag(raw, name):
                errs.append(
                    invalid(child(path, name), True, "must be false if x-kubernetes-int-or-string is true")
                )
    return errs


def _metadata(meta: Obj, check_metadata: bool, level: str, path: str) -> Errors:
    errs: Errors = []
    if check_metadata and type_of(meta) != "object":
        errs.append(invalid(child(path, "type"), type_of(meta), "must be object"))
    if level == ROOT:
        names = set(_properties(meta))
        only_names = bool(names) and names <= {"name", "generateName"}
        rest = {k for k, v in meta.items() if k not in ("type", "default") and v not in _ZERO}
        if only_names:
            rest.discard("properties")
        if rest:
            detail = (
                "must not specify anything other than name and generateName, "
                "but metadata is implicitly specified"
            )
            errs.append(forbidden(path, detail))
    return errs


def _value_validation(
    raw: Obj, skip_any_of: bool, skip_first_all_of_any_of: bool, level: str, path: str
) -> Errors:
    errs: Errors = []
    if not skip_any_of:
        for i, sub in enumerate(_subs(raw, "anyOf")):
            errs.extend(_nested(sub, False, level, index(child(path, "anyOf"), i)))
    for i, sub in enumerate(_subs(raw, "allOf")):
        errs.extend(_nested(sub, skip_first_all_of_any_of and i == 0, level, index(child(path, "allOf"), i)))
    for i, sub in enumerate(_subs(raw, "oneOf")):
        errs.extend(_nested(sub, False, level, index(child(path, "oneOf"), i)))
    if isinstance(raw.get("not"), dict):
        errs.extend(_nested(raw["not"], False, level, child(path, "not")))
    pattern = raw.get("pattern")
    if isinstance(pattern, str) and pattern:
        problem = pattern_error(pattern)
        if problem is not None:
            detail = f"must be a valid regular expression, but isn't: {problem}"
            errs.append(invalid(child(path, "pattern"), pattern, detail))
    return errs


def _nested(raw: Obj, skip_any_of: bool, level: str, path: str) -> Errors:
    """A schema under a logical junctor: it may only validate values."""
    errs = _value_validation(raw, skip_any_of, False, level, path)
    if isinstance(raw.get("items"), dict):
        errs.extend(_nested(raw["items"], False, level, child(path, "items")))
    properties = _properties(raw)
    for name in sorted(properties):
        errs.extend(_nested(properties[name], False, FIELD, key(child(path, "properties"), name)))
    if type_of(raw):
        errs.append(forbidden(child(path, "type"), "must be empty to be structural"))
    additional = raw.get("additionalProperties")
    if isinstance(additional, dict) or additional is True:
        errs.append(forbidden(child(path, "additionalProperties"), "must be undefined to be structural"))
    if has_default(raw):
        errs.append(forbidden(child(path, "default"), "must be undefined to be structural"))
    for name in ("title", "description"):
        if _set(raw, name):
            errs.append(forbidden(child(path, name), "must be empty to be structural"))
    if flag(raw, "nullable"):
        errs.append(forbidden(child(path, "nullable"), "must be false to be structural"))
    for name, detail in _NOT_STRUCTURAL:
        if _set(raw, name):
            errs.append(forbidden(child(path, name), detail))
    if "metadata" in properties:
        meta_path = key(child(path, "properties"), "metadata")
        errs.append(forbidden(meta_path, "must not be specified in a nested context"))
    return errs


# -- completeness: whatever a junctor names is also specified structurally --------------------------


def _value_completeness(v: Obj, s: Obj | None, s_path: str, v_path: str) -> Errors:
    if s is None:
        return [required(s_path, f"because it is defined in {v_path}")]
    errs: Errors = []
    if isinstance(v.get("not"), dict):
        errs.extend(_nested_completeness(v["not"], s, s_path, child(v_path, "not")))
    for name in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(_subs(v, name)):
            errs.extend(_nested_completeness(sub, s, s_path, index(child(v_path, name), i)))
    return errs


def _nested_completeness(v: Obj, s: Obj | None, s_path: str, v_path: str) -> Errors:
    if s is None:
        return [required(s_path, f"because it is defined in {v_path}")]
    errs = _value_completeness(v, s, s_path, v_path)
    if isinstance(v.get("items"), dict):
        items = s.get("items")
        structural_items = items if isinstance(items, dict) else None
        errs.extend(
            _nested_completeness(v["items"], structural_items, child(s_path, "items"), child(v_path, "items"))
        )
    specified = _properties(s)
    for name, sub in sorted(_properties(v).items()):
        s_field, v_field = key(child(s_path, "properties"), name), key(child(v_path, "properties"), name)
        if name not in specified:
            errs.append(required(s_field, f"because it is defined in {v_field}"))
        else:
            errs.extend(_nested_completeness(sub, specified[name], s_field, v_field))
    return errs
