"""The rules a CRD's ``openAPIV3Schema`` follows node by node, beyond structurality
(``ValidateCustomResourceDefinitionOpenAPISchema`` and ``specStandardValidatorV3`` in
``pkg/apis/apiextensions/validation/validation.go``):

- OpenAPI v3 types only, no ``null`` type (``nullable`` instead), no ``id``/``$ref``/``definitions``/
  ``dependencies``/``patternProperties``/``additionalItems``, ``items`` a single schema, no
  ``uniqueItems`` (quadratic), ``additionalProperties`` and ``properties`` not together;
- no defaults in the resource's top-level ``apiVersion``/``kind``/``metadata``, nor inside
  ``additionalProperties`` applying to object metadata; no embedded resource inside metadata;
- ``x-kubernetes-list-type`` (``atomic``/``set``/``map``) only on arrays, ``map`` with
  ``x-kubernetes-list-map-keys`` naming scalar, required-or-defaulted, non-nullable item properties,
  ``set`` items atomic; ``x-kubernetes-map-type`` (``atomic``/``granular``) only on objects;
- ``x-kubernetes-validations`` rules are well formed (their CEL is not compiled here).

A schema whose root allows a ``status`` subresource may only use some fields at its root
(:func:`status_root_rules`). Property errors come in sorted property order (upstream: map order).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from everynode.apiserver.crd.fieldpath import FieldPathError, resolve
from everynode.apiserver.crd.structural import META_FIELDS, as_schema, build, flag, type_of, unsupported
from everynode.apiserver.validation.fields import Errors, child, index, key
from everynode.core.fielderrors import forbidden, invalid, not_supported, required
from everynode.core.types import Obj

OPENAPI_V3_TYPES = ("array", "boolean", "integer", "number", "object", "string")
VALIDATION_REASONS = ("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired")
# JSONSchemaProps' fields in declaration order (Go struct field name, JSON key): the status root
# check reports the first field set that is not allowed.
_FIELDS = (
    ("ID", "id"),
    ("Schema", "$schema"),
    ("Ref", "$ref"),
    ("Description", "description"),
    ("Type", "type"),
    ("Nullable", "nullable"),
    ("Format", "format"),
    ("Title", "title"),
    ("Default", "default"),
    ("Maximum", "maximum"),
    ("ExclusiveMaximum", "exclusiveMaximum"),
    ("Minimum", "minimum"),
    ("ExclusiveMinimum", "exclusiveMinimum"),
    ("MaxLength", "maxLength"),
    ("MinLength", "minLength"),
    ("Pattern", "pattern"),
    ("MaxItems", "maxItems"),
    ("MinItems", "minItems"),
    ("UniqueItems", "uniqueItems"),
    ("MultipleOf", "multipleOf"),
    ("Enum", "enum"),
    ("MaxProperties", "maxProperties"),
    ("MinProperties", "minProperties"),
    ("Required", "required"),
    ("Items", "items"),
    ("AllOf", "allOf"),
    ("OneOf", "oneOf"),
    ("AnyOf", "anyOf"),
    ("Not", "not"),
    ("Properties", "properties"),
    ("AdditionalProperties", "additionalProperties"),
    ("PatternProperties", "patternProperties"),
    ("Dependencies", "dependencies"),
    ("AdditionalItems", "additionalItems"),
    ("Definitions", "definitions"),
    ("ExternalDocs", "externalDocs"),
    ("Example", "example"),
    ("XPreserveUnknownFields", "x-kubernetes-preserve-unknown-fields"),
    ("XEmbeddedResource", "x-kubernetes-embedded-resource"),
    ("XIntOrString", "x-kubernetes-int-or-string"),
    ("XListMapKeys", "x-kubernetes-list-map-keys"),
    ("XListType", "x-kubernetes-list-type"),
    ("XMapType", "x-kubernetes-map-type"),
    ("XValidations", "x-kubernetes-validations"),
)
ALLOWED_AT_STATUS_ROOT = (
    *("Description", "Type", "Format", "Title", "Maximum", "ExclusiveMaximum", "Minimum", "ExclusiveMinimum"),
    *("MaxLength", "MinLength", "Pattern", "MaxItems", "MinItems", "UniqueItems", "MultipleOf", "Required"),
    *("Items", "Properties", "ExternalDocs", "Example", "XPreserveUnknownFields", "XValidations"),
)
_IF_STATUS = "if the status subresource is enabled"
_MAP_KEY = "this property is in x-kubernetes-list-map-keys"
_FORBIDDEN_KEYWORDS = (
    ("id", "id is not supported"),
    ("additionalItems", "additionalItems is not supported"),
    ("patternProperties", "patternProperties is not supported"),
    ("definitions", "definitions is not supported"),
    ("dependencies", "dependencies is not supported"),
    ("$ref", "$ref is not supported"),
)


@dataclass(frozen=True, slots=True)
class Options:
    """What one validation requires; on an update, rules the old definition broke are relaxed so
    stored definitions keep working (upstream's ``validationOptions``)."""

    allow_defaults: bool = True
    require_recognized_conversion_review_version: bool = True
    require_immutable_names: bool = False
    require_openapi_schema: bool = True
    require_valid_property_type: bool = True
    require_structural_schema: bool = True
    require_pruned_defaults: bool = True
    require_atomic_set_type: bool = True
    require_map_list_keys_map_set_validation: bool = True
    # versions ("" for the top level) whose unchanged selectable fields may stay more than eight
    allow_too_many_selectable_fields: frozenset[str] = frozenset()

    def replace(self, **changes: Any) -> Options:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class _Context:
    """``specStandardValidatorV3``: where in the schema a node is."""

    allow_defaults: bool
    reason: str = ""
    inside_meta: bool = False
    valid_types: bool = True

    def without_defaults(self, reason: str) -> _Context:
        return dataclasses.replace(self, allow_defaults=False, reason=reason)

    def in_meta(self) -> _Context:
        return dataclasses.replace(self, inside_meta=True)


def _set(value: Any) -> bool:
    return value not in (None, False, "", [], {})


def status_root_rules(schema: Obj, path: str) -> Errors:
    """With a status subresource: only ``object`` at the root, and only some fields."""
    for name, json_key in _FIELDS:
        value = schema.get(json_key)
        if value is None or value is False or value == "":
            continue
        if name == "Type":
            if value != "object":
                detail = f'only "object" is allowed as the type at the root of the schema {_IF_STATUS}'
                return [invalid(f"{path}.type", value, detail)]
            continue
        if name not in ALLOWED_AT_STATUS_ROOT:
            allowed = "[" + " ".join(ALLOWED_AT_STATUS_ROOT) + "]"
            detail = f"only {allowed} fields are allowed at the root of the schema {_IF_STATUS}"
            return [invalid(path, schema, detail)]
    return []


def schema_rules(schema: Obj, path: str, opts: Options) -> Errors:
    """Every rule broken in ``schema`` (a version's ``openAPIV3Schema``, at ``path``)."""
    context = _Context(opts.allow_defaults, valid_types=opts.require_valid_property_type)
    return _node(schema, path, context, True, opts)


def _standard(raw: Obj, path: str, context: _Context) -> Errors:
    errs: Errors = []
    kind = raw.get("type")
    if context.valid_types and isinstance(kind, str) and kind and kind not in OPENAPI_V3_TYPES:
        errs.append(not_supported(child(path, "type"), kind, OPENAPI_V3_TYPES))
    if "default" in raw and not context.allow_defaults:
        detail = "must not be set" + (f" {context.reason}" if context.reason else "")
        errs.append(forbidden(child(path, "default"), detail))
    for name, detail in _FORBIDDEN_KEYWORDS:
        value = raw.get(name)
        if _set(value) or (name in ("additionalItems", "dependencies") and value is not None):
            errs.append(forbidden(child(path, name), detail))
    if kind == "null":
        errs.append(
            forbidden(child(path, "type"), "type cannot be set to null, use nullable as an alternative")
        )
    if isinstance(raw.get("items"), list) and raw["items"]:
        errs.append(forbidden(child(path, "items"), "items must be a schema object and not an array"))
    if context.inside_meta and flag(raw, "x-kubernetes-embedded-resource"):
        errs.append(
            forbidden(
                child(path, "x-kubernetes-embedded-resource"), "must not be used inside of resource meta"
            )
        )
    return errs


def _node(raw: Obj, path: str, context: _Context, is_root: bool, opts: Options) -> Errors:
    errs = _standard(raw, path, context)
    if raw.get("uniqueItems") is True:
        detail = "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"
        errs.append(forbidden(child(path, "uniqueItems"), detail))
    properties = as_schema(raw.get("properties"))
    additional = raw.get("additionalProperties")
    if isinstance(additional, dict | bool):
        if properties and (additional is False or isinstance(additional, dict)):
            detail = "additionalProperties and properties are mutual exclusive"
            errs.append(forbidden(child(path, "additionalProperties"), detail))
        if isinstance(additional, dict):
            sub = context
            if context.inside_meta:
                sub = context.without_defaults("inside additionalProperties applying to object metadata")
            errs.extend(_node(additional, child(path, "additionalProperties"), sub, False, opts))
    for name in sorted(properties):
        sub = context
        if (is_root or flag(raw, "x-kubernetes-embedded-resource")) and name in META_FIELDS:
            sub = sub.in_meta()
            if is_root:
                sub = sub.without_defaults(f"in top-level {name}")
        errs.extend(
            _node(as_schema(properties[name]), key(child(path, "properties"), name), sub, False, opts)
        )
    if isinstance(raw.get("not"), dict):
        errs.extend(_node(raw["not"], child(path, "not"), context, False, opts))
    for junctor in ("allOf", "oneOf", "anyOf"):
        branches = raw.get(junctor)
        if isinstance(branches, list):
            for i, branch in enumerate(branches):
                errs.extend(_node(as_schema(branch), index(child(path, junctor), i), context, False, opts))
    for name, sub_schema in sorted(as_schema(raw.get("definitions")).items()):
        errs.extend(_node(as_schema(sub_schema), key(child(path, "definitions"), name), context, False, opts))
    items = raw.get("items")
    if isinstance(items, dict):
        errs.extend(_node(items, child(path, "items"), context, False, opts))
    elif isinstance(items, list):
        for i, item in enumerate(items):
            errs.extend(_node(as_schema(item), index(child(path, "items"), i), context, False, opts))
    for name, dependency in sorted(as_schema(raw.get("dependencies")).items()):
        if isinstance(dependency, dict):
            errs.extend(_node(dependency, key(child(path, "dependencies"), name), context, False, opts))
    errs.extend(_extension_rules(raw, path, opts))
    if opts.require_map_list_keys_map_set_validation:
        errs.extend(map_list_keys_map_set(raw, path))
    errs.extend(_validation_rules(raw, path))
    return errs


def _extension_rules(raw: Obj, path: str, opts: Options) -> Errors:
    errs: Errors = []
    kind = type_of(raw)
    if raw.get("x-kubernetes-preserve-unknown-fields") is False:
        errs.append(
            invalid(child(path, "x-kubernetes-preserve-unknown-fields"), False, "must be true or undefined")
        )
    map_type = raw.get("x-kubernetes-map-type")
    if map_type is not None and kind != "object":
        detail = "must be object if x-kubernetes-map-type is specified"
        errs.append(
            required(child(path, "type"), detail) if not kind else invalid(child(path, "type"), kind, detail)
        )
    if map_type is not None and map_type not in ("atomic", "granular"):
        errs.append(not_supported(child(path, "x-kubernetes-map-type"), map_type, ("atomic", "granular")))
    list_type = raw.get("x-kubernetes-list-type")
    items = raw.get("items")
    if list_type is not None and kind != "array":
        detail = "must be array if x-kubernetes-list-type is specified"
        errs.append(
            required(child(path, "type"), detail) if not kind else invalid(child(path, "type"), kind, detail)
        )
    elif opts.require_atomic_set_type and list_type == "set" and isinstance(items, dict):
        errs.extend(_atomic_set_items(items, path))
    if list_type is not None and list_type not in ("atomic", "set", "map"):
        errs.append(not_supported(child(path, "x-kubernetes-list-type"), list_type, ("atomic", "set", "map")))
    keys = raw.get("x-kubernetes-list-map-keys")
    if isinstance(keys, list) and keys:
        detail = "must be map if x-kubernetes-list-map-keys is non-empty"
        if list_type is None:
            errs.append(required(child(path, "x-kubernetes-list-type"), detail))
        elif list_type != "map":
            errs.append(invalid(child(path, "x-kubernetes-list-type"), list_type, detail))
    if list_type == "map":
        errs.extend(_map_list(raw, path))
    return errs


def _atomic_set_items(items: Obj, path: str) -> Errors:
    detail = "must be atomic as item of a list with x-kubernetes-list-type=set"
    item_type = type_of(items)
    if item_type == "array" and items.get("x-kubernetes-list-type") not in (None, "atomic"):
        return [
            invalid(child(path, "items", "x-kubernetes-list-type"), items["x-kubernetes-list-type"], detail)
        ]
    if item_type == "object" and items.get("x-kubernetes-map-type") != "atomic":
        # upstream reports the items' list type as the bad value here
        return [
            invalid(
                child(path, "items", "x-kubernetes-map-type"), items.get("x-kubernetes-list-type"), detail
            )
        ]
    return []


def _map_list(raw: Obj, path: str) -> Errors:
    errs: Errors = []
    keys = [k for k in raw.get("x-kubernetes-list-map-keys") or () if isinstance(k, str)]
    if not keys:
        errs.append(
            required(
                child(path, "x-kubernetes-list-map-keys"),
                "must not be empty if x-kubernetes-list-type is map",
            )
        )
    items = raw.get("items")
    if items is None:
        errs.append(required(child(path, "items"), "must have a schema if x-kubernetes-list-type is map"))
    if isinstance(items, list):
        errs.append(
            invalid(
                child(path, "items"), items, "must only have a single schema if x-kubernetes-list-type is map"
            )
        )
    if not isinstance(items, dict):
        return errs
    item_type = type_of(items)
    if item_type != "object":
        errs.append(
            invalid(
                child(path, "items", "type"),
                item_type,
                "must be object if parent array's x-kubernetes-list-type is map",
            )
        )
        return errs
    properties = as_schema(items.get("properties"))
    seen: set[str] = set()
    for name in keys:
        if name in properties:
            if type_of(as_schema(properties[name])) in ("array", "object"):
                key_path = child(key(child(path, "items", "properties"), name), "type")
                detail = "must be a scalar type if parent array's x-kubernetes-list-type is map"
                errs.append(invalid(key_path, item_type, detail))
        else:
            errs.append(
                invalid(
                    child(path, "x-kubernetes-list-map-keys"),
                    keys,
                    "entries must all be names of item properties",
                )
            )
        if name in seen:
            errs.append(
                invalid(child(path, "x-kubernetes-list-map-keys"), keys, "must not contain duplicate entries")
            )
        seen.add(name)
    return errs


def map_list_keys_map_set(raw: Obj, path: str) -> Errors:
    """``validateMapListKeysMapSet``: items of ``set`` and ``map`` lists are not nullable; map keys are
    required or defaulted, and not nullable."""
    items = raw.get("items")
    list_type = raw.get("x-kubernetes-list-type")
    if not isinstance(items, dict) or list_type not in ("set", "map"):
        return []
    errs: Errors = []
    if flag(items, "nullable"):
        errs.append(
            forbidden(
                child(path, "items", "nullable"),
                f"cannot be nullable when x-kubernetes-list-type is {list_type}",
            )
        )
    if list_type == "map":
        properties = as_schema(items.get("properties"))
        needed = {r for r in items.get("required") or () if isinstance(r, str)}
        for name in raw.get("x-kubernetes-list-map-keys") or ():
            prop = properties.get(name) if isinstance(name, str) else None
            if not isinstance(prop, dict):
                continue
            key_path = key(child(path, "items", "properties"), name)
            if name not in needed and "default" not in prop:
                detail = f"{_MAP_KEY}, so it must have a default or be a required property"
                errs.append(required(child(key_path, "default"), detail))
            if flag(prop, "nullable"):
                detail = f"{_MAP_KEY}, so it cannot be nullable"
                errs.append(forbidden(child(key_path, "nullable"), detail))
    return errs


def _validation_rules(raw: Obj, path: str) -> Errors:
    """The static shape of ``x-kubernetes-validations`` (the rules themselves are not compiled)."""
    rules = raw.get("x-kubernetes-validations")
    if not isinstance(rules, list):
        return []
    errs: Errors = []
    for i, rule in enumerate(as_schema(r) for r in rules):
        rule_path = index(child(path, "x-kubernetes-validations"), i)
        text, message = _string(rule, "rule"), _string(rule, "message")
        if not text.strip():
            errs.append(required(child(rule_path, "rule"), "rule is not specified"))
        elif message and not message.strip():
            errs.append(invalid(child(rule_path, "message"), message, "must be non-empty if specified"))
        elif _newlines(message.strip()):
            errs.append(invalid(child(rule_path, "message"), message, "must not contain line breaks"))
        elif _newlines(text.strip()) and not message.strip():
            detail = "message must be specified if rule contains line breaks"
            errs.append(required(child(rule_path, "message"), detail))
        expression = rule.get("messageExpression")
        if isinstance(expression, str) and expression and not expression.strip():
            detail = "messageExpression must be non-empty if specified"
            errs.append(required(child(rule_path, "messageExpression"), detail))
        reason = rule.get("reason")
        if reason is not None and reason not in VALIDATION_REASONS:
            errs.append(not_supported(child(rule_path, "reason"), reason, VALIDATION_REASONS))
        errs.extend(_rule_field_path(raw, rule, rule_path))
    return errs


def _string(raw: Obj, name: str) -> str:
    value = raw.get(name)
    return value if isinstance(value, str) else ""


def _newlines(text: str) -> bool:
    return "\n" in text or "\r" in text


def _rule_field_path(raw: Obj, rule: Obj, rule_path: str) -> Errors:
    field_path = rule.get("fieldPath")
    if not isinstance(field_path, str) or not field_path:
        return []
    errs: Errors = []
    if not field_path.strip():
        errs.append(invalid(child(rule_path, "fieldPath"), field_path, "must be non-empty if specified"))
    if _newlines(field_path):
        errs.append(invalid(child(rule_path, "fieldPath"), field_path, "must not contain line breaks"))
    if unsupported(raw) is None:
        try:
            resolve(field_path, build(raw))
        except FieldPathError:
            errs.append(invalid(child(rule_path, "fieldPath"), field_path, "must be a valid path"))
    return errs
