"""Custom resources checked against their schema: kube-openapi's messages as apiextensions-apiserver
reports them (upstream ``pkg/apiserver/validation/validation_test.go`` ``TestValidateCustomResource``),
embedded objects (``objectmeta/validation_test.go`` ``TestValidateEmbeddedResource``), list sets and
maps (``listtype/validation_test.go`` ``TestValidateListSetsAndMaps``), ratcheting, type meta and scale."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.crd import schema as crd_schema
from everynode.apiserver.crd.schema import compile_schema
from everynode.core.types import Obj
from tests.unit.apiserver.crd import crds


def errors(schema: Obj, obj: Any, old: Any = None) -> list[str]:
    compiled = compile_schema(schema)
    return sorted(str(e) for e in crd_schema.validate(obj, compiled, old))


def field(**props: Any) -> Obj:
    return {"type": "object", "properties": {"field": props}}


@pytest.mark.parametrize(
    ("value", "kind"),
    [("foo", "string"), (42, "integer"), (True, "boolean"), (1.2, "number"), ([], "array"), (None, "null")],
)
def test_not_nullable(value: Any, kind: str) -> None:
    # "!nullable"
    assert errors(field(type="object"), {"field": value}) == [
        f'field: Invalid value: "{kind}": field in body must be of type object: "{kind}"'
    ]


def test_nullable() -> None:
    # "nullable", "nullable and no type"
    assert errors(field(type="object", nullable=True), {"field": None}) == []
    assert errors(field(nullable=True), {"field": 1.2}) == []


@pytest.mark.parametrize(
    ("value", "kind"), [(None, "null"), (True, "boolean"), (1.2, "number"), ({}, "object")]
)
def test_int_or_string(value: Any, kind: str) -> None:
    # "x-kubernetes-int-or-string"
    schema = field(**{"x-kubernetes-int-or-string": True})
    assert errors(schema, {"field": 42}) == errors(schema, {"field": "foo"}) == []
    assert errors(schema, {"field": value}) == [
        f'field: Invalid value: "{kind}": field in body must be of type integer,string: "{kind}"'
    ]


def test_int_or_string_with_any_of() -> None:
    # "nullable, x-kubernetes-int-or-string and user-provided anyOf"
    schema = field(
        nullable=True, anyOf=[{"type": "integer"}, {"type": "string"}], **{"x-kubernetes-int-or-string": True}
    )
    assert errors(schema, {"field": 1.2}) == [
        '<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)',
        '<nil>: Invalid value: "": Checked value must be of type integer (default format) in field',
        'field: Invalid value: "number": field in body must be of type integer,string: "number"',
        'field: Invalid value: "number": field in body must be of type integer: "number"',
    ]


def test_int_or_string_with_all_of() -> None:
    # "nullable, x-kubernetes-int-or-string and user-provider allOf"
    schema = field(
        nullable=True,
        allOf=[{"anyOf": [{"type": "integer"}, {"type": "string"}]}],
        **{"x-kubernetes-int-or-string": True},
    )
    assert errors(schema, {"field": True}) == [
        '<nil>: Invalid value: "": "field" must validate all the schemas (allOf). None validated',
        '<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)',
        'field: Invalid value: "boolean": field in body must be of type integer,string: "boolean"',
        'field: Invalid value: "boolean": field in body must be of type integer: "boolean"',
    ]


def test_invalid_regex() -> None:
    # "invalid regex"
    assert errors(field(type="string", pattern="+"), {"field": "foo"}) == [
        'field: Invalid value: "foo": field in body should match \'+, but pattern is invalid: '
        "error parsing regexp: missing argument to repetition operator: `+`'"
    ]


def test_required_field() -> None:
    # "required field"
    schema = {
        "type": "object",
        "required": ["field"],
        "properties": {"field": {"type": "object", "required": ["nested"], "properties": {"nested": {}}}},
    }
    assert errors(schema, {"test": "a"}) == ["field: Required value"]
    assert errors(schema, {"field": {}}) == ["field.nested: Required value"]


def test_enum() -> None:
    # "enum"
    schema = field(
        type="object",
        required=["nestedint", "nestedstring"],
        properties={
            "nestedint": {"type": "integer", "enum": [1, 2]},
            "nestedstring": {"type": "string", "enum": ["a", "b"]},
        },
    )
    assert errors(schema, {"field": {"nestedint": "x", "nestedstring": True}}) == [
        'field.nestedint: Invalid value: "string": field.nestedint in body must be of type integer: "string"',
        'field.nestedint: Unsupported value: "x": supported values: "1", "2"',
        'field.nestedstring: Invalid value: "boolean": field.nestedstring in body must be of type string: '
        '"boolean"',
        'field.nestedstring: Unsupported value: true: supported values: "a", "b"',
    ]


@pytest.mark.parametrize(
    ("props", "value", "expected"),
    [
        # "maxProperties", "maxItems", "maxLength"
        (
            {"type": "object", "maxProperties": 2},
            {"a": 1, "b": 2, "c": 3},
            "fieldX: Too many: 3: must have at most 2 items",
        ),
        ({"type": "array", "maxItems": 2}, ["a", "b", "c"], "fieldX: Too many: 3: must have at most 2 items"),
        ({"type": "string", "maxLength": 2}, "abc", "fieldX: Too long: may not be more than 2 bytes"),
        ({"type": "string", "maxLength": 1}, "ab", "fieldX: Too long: may not be more than 1 byte"),
        (
            {"type": "string", "minLength": 3},
            "ab",
            'fieldX: Invalid value: "ab": fieldX in body should be at least 3 chars long',
        ),
        (
            {"type": "array", "minItems": 1},
            [],
            "fieldX: Invalid value: 0: fieldX in body should have at least 1 items",
        ),
        (
            {"type": "object", "minProperties": 1},
            {},
            "fieldX: Invalid value: 0: fieldX in body should have at least 1 properties",
        ),
        (
            {"type": "integer", "maximum": 10},
            11,
            "fieldX: Invalid value: 11: fieldX in body should be less than or equal to 10",
        ),
        (
            {"type": "integer", "maximum": 10, "exclusiveMaximum": True},
            10,
            "fieldX: Invalid value: 10: fieldX in body should be less than 10",
        ),
        (
            {"type": "integer", "minimum": 1},
            0,
            "fieldX: Invalid value: 0: fieldX in body should be greater than or equal to 1",
        ),
        (
            {"type": "number", "minimum": 0.5, "exclusiveMinimum": True},
            0.5,
            "fieldX: Invalid value: 0.5: fieldX in body should be greater than 0.5",
        ),
        (
            {"type": "integer", "multipleOf": 5},
            12,
            "fieldX: Invalid value: 12: fieldX in body should be a multiple of 5",
        ),
        (
            {"type": "string", "pattern": "^[a-z]+$"},
            "A1",
            "fieldX: Invalid value: \"A1\": fieldX in body should match '^[a-z]+$'",
        ),
        (
            {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            ["a", "a"],
            'fieldX: Invalid value: "": fieldX in body shouldn\'t contain duplicates',
        ),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}},
            {"a": "x"},
            'fieldX.a: Invalid value: "string": fieldX.a in body must be of type integer: "string"',
        ),
        (
            {"type": "object", "additionalProperties": False},
            {"a": 1},
            'fieldX: Invalid value: "a": fieldX.a in body is a forbidden property',
        ),
        (
            {"type": "string", "not": {"enum": ["no"]}},
            "no",
            '<nil>: Invalid value: "": "fieldX" must not validate the schema (not)',
        ),
    ],
)
def test_value_rules(props: Obj, value: Any, expected: str) -> None:
    assert errors({"type": "object", "properties": {"fieldX": props}}, {"fieldX": value}) == [expected]


def test_one_of() -> None:
    schema = {
        "type": "object",
        "properties": {"x": {"type": "string", "oneOf": [{"pattern": "^a"}, {"pattern": "b$"}]}},
    }
    assert errors(schema, {"x": "ab"}) == [
        '<nil>: Invalid value: "": "x" must validate one and only one schema (oneOf). Found 2 valid '
        "alternatives"
    ]
    assert errors(schema, {"x": "a"}) == []


@pytest.mark.parametrize(
    ("props", "value", "expected"),
    [
        # "numeric formats invalid"
        (
            {"type": "integer", "format": "int32"},
            2**31,
            '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in n',
        ),
        (
            {"type": "number", "format": "float"},
            3.4028234663852886e38 * 1.1,
            '<nil>: Invalid value: "": Checked value must be of type number with format float in n',
        ),
        (
            {"type": "string", "format": "date-time"},
            "yesterday",
            'n: Invalid value: "yesterday": n in body must be of type date-time: "yesterday"',
        ),
        (
            {"type": "string", "format": "ipv4"},
            "1.2.3",
            'n: Invalid value: "1.2.3": n in body must be of type ipv4: "1.2.3"',
        ),
        (
            {"type": "string", "format": "uuid"},
            "x",
            'n: Invalid value: "x": n in body must be of type uuid: "x"',
        ),
    ],
)
def test_formats(props: Obj, value: Any, expected: str) -> None:
    assert errors({"type": "object", "properties": {"n": props}}, {"n": value}) == [expected]


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        ("int32", 2**31 - 1),
        ("int64", -(2**63)),
        ("date", "2024-02-29"),
        ("date-time", "2024-02-29T10:00:00.5+02:00"),
        ("hostname", "node-1.example.com"),
        ("ipv6", "fe80::1"),
        ("cidr", "10.0.0.0/8"),
        ("mac", "00:1a:2b:3c:4d:5e"),
        ("byte", "aGVsbG8="),
        ("email", "ops@example.com"),
        ("uri", "https://example.com/x"),
        ("unknown-format", "anything"),  # unsupported formats are dropped
    ],
)
def test_valid_formats(fmt: str, value: Any) -> None:
    kind = "integer" if fmt.startswith("int") else "string"
    assert errors({"type": "object", "properties": {"n": {"type": kind, "format": fmt}}}, {"n": value}) == []


def test_float_values_print_as_go_does() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "number", "maximum": 1000000}}}
    assert errors(schema, {"n": 2000000.5}) == [
        "n: Invalid value: 2.0000005e+06: n in body should be less than or equal to 1e+06"
    ]


# -- ratcheting (CRDValidationRatcheting) ------------------------------------------------------------


def test_unchanged_invalid_fields_ratchet() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "size": {"type": "integer", "maximum": 5},
                    "name": {"type": "string", "maxLength": 3},
                },
            }
        },
    }
    old = {"spec": {"size": 9, "name": "abc"}}
    assert errors(schema, {"spec": {"size": 9, "name": "abd"}}, old) == []
    assert errors(schema, {"spec": {"size": 9, "name": "abcd"}}, old) == [
        "spec.name: Too long: may not be more than 3 bytes"
    ]
    assert errors(schema, {"spec": {"size": 10, "name": "abc"}}, old) == [
        "spec.size: Invalid value: 10: spec.size in body should be less than or equal to 5"
    ]


def test_map_list_items_ratchet_by_key() -> None:
    items = {
        "type": "object",
        "properties": {"k": {"type": "string"}, "v": {"type": "integer", "minimum": 0}},
    }
    schema = {
        "type": "object",
        "properties": {
            "l": {
                "type": "array",
                "items": items,
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["k"],
            }
        },
    }
    old = {"l": [{"k": "a", "v": -1}]}
    assert errors(schema, {"l": [{"k": "b", "v": 0}, {"k": "a", "v": -1}]}, old) == []
    assert errors(schema, {"l": [{"k": "b", "v": -1}]}, old) == [
        "l[0].v: Invalid value: -1: l[0].v in body should be greater than or equal to 0"
    ]


# -- embedded resources and list types ---------------------------------------------------------------

EMBEDDED = {
    "type": "object",
    "properties": {
        "template": {
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "x-kubernetes-preserve-unknown-fields": True,
        }
    },
}


def test_embedded_resources() -> None:
    # TestValidateEmbeddedResource: "empty", "invalid kind", "invalid"
    assert errors(EMBEDDED, {"template": {}}) == [
        "template.apiVersion: Required value",
        "template.kind: Required value",
    ]
    found = errors(
        EMBEDDED,
        {
            "template": {
                "apiVersion": "a/b/c",
                "kind": "foo_bar",
                "metadata": {"name": "..", "namespace": "$$$"},
            }
        },
    )
    assert found[0] == 'template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c'
    assert found[1].startswith(
        'template.kind: Invalid value: "foo_bar": may have mixed case, but should otherwise match: '
    )
    assert found[2] == "template.metadata.name: Invalid value: \"..\": may not be '..'"
    assert found[3].startswith(
        'template.metadata.namespace: Invalid value: "$$$": a lowercase RFC 1123 label'
    )
    assert errors(EMBEDDED, {"template": {"apiVersion": "v1", "kind": "Pod"}}) == []


def test_set_and_map_lists() -> None:
    # TestValidateListSetsAndMaps: "set list with two equal items", "map list with compound map items"
    schema = {
        "type": "object",
        "properties": {
            "s": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            "m": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["k1", "k2"],
                "items": {
                    "type": "object",
                    "properties": {"k1": {"type": "string"}, "k2": {"type": "integer"}},
                },
            },
        },
    }
    obj = {
        "s": ["a", "b", "a", "a"],
        "m": [{"k1": "x", "k2": 1}, {"k1": "x", "k2": 2}, {"k1": "x", "k2": 1, "v": 0}],
    }
    assert errors(schema, obj) == [
        'm[2]: Duplicate value: {"k1":"x","k2":1}',
        's[2]: Duplicate value: "a"',
    ]
    assert errors(schema, {"m": ["x"]}) == [
        'm[0]: Invalid value: "string": m[0] in body must be of type object: "string"',
        'm[0]: Invalid value: "x": must be an object for an array of list-type map',
    ]


def test_list_duplicates_ratchet_when_old_had_them() -> None:
    schema = {
        "type": "object",
        "properties": {"s": {"type": "array", "items": {"type": "integer"}, "x-kubernetes-list-type": "set"}},
    }
    assert errors(schema, {"s": [1, 1, 2]}, {"s": [1, 1]}) == []
    assert errors(schema, {"s": [1, 1, 2]}, {"s": [1]}) == ["s[1]: Duplicate value: 1"]


# -- the rest of upstream's validator ----------------------------------------------------------------


def test_type_meta() -> None:
    assert [
        str(e) for e in crd_schema.validate_type_meta({"apiVersion": "x/v1", "kind": "Foo"}, "x", "v1", "Foo")
    ] == []
    found = crd_schema.validate_type_meta({"apiVersion": "x/v2", "kind": "Bar"}, "x", "v1", "Foo")
    assert [str(e) for e in found] == [
        'kind: Invalid value: "Bar": must be Foo',
        'apiVersion: Invalid value: "x/v2": must be x/v1',
    ]


def test_scale_paths() -> None:
    scale = {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }
    good = {"spec": {"replicas": 3}, "status": {"replicas": 2, "selector": "app=x"}}
    assert crd_schema.validate_scale(good, scale) == []
    bad = {"spec": {"replicas": -1}, "status": {"replicas": "two", "selector": 5}}
    assert [str(e) for e in crd_schema.validate_scale(bad, scale)] == [
        ".spec.replicas: Invalid value: -1: should be a non-negative integer",
        ".status.replicas: Invalid value: 0: .status.replicas accessor error: two is of the type string, "
        "expected int64",
        '.status.selector: Invalid value: "": .status.selector accessor error: 5 is of the type int64, '
        "expected string",
    ]


def test_status_subresource_validates_status_alone() -> None:
    compiled = compile_schema(crds.service_monitor_schema())
    new = {"spec": {"selector": {}}, "status": {"conditions": [{"type": "Ready", "status": "Maybe"}]}}
    found = [str(e) for e in crd_schema.validate_status(new, compiled, {"spec": {"selector": {}}})]
    assert found == [
        'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", '
        '"Unknown"'
    ]


def test_a_service_monitor_through_decoding_and_validation() -> None:
    compiled = compile_schema(crds.service_monitor_schema())
    obj = {
        "apiVersion": "monitoring.example.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "endpoints": [
                {"port": "http", "interval": "30s", "relabelings": [{"targetLabel": "x"}], "bogus": 1}
            ],
            "unknown": True,
        },
    }
    sent = copy.deepcopy(obj)
    assert crd_schema.prune(obj, compiled) == ["spec.endpoints[0].bogus", "spec.unknown"]
    crd_schema.apply_defaults(obj, compiled)
    endpoint = obj["spec"]["endpoints"][0]
    assert endpoint["honorLabels"] is False
    assert endpoint["relabelings"] == [{"targetLabel": "x", "action": "replace"}]
    assert obj["metadata"] == sent["metadata"]
    assert crd_schema.validate(obj, compiled) == []
    endpoint["interval"] = "30 seconds"
    assert [str(e) for e in crd_schema.validate(obj, compiled)] == [
        'spec.endpoints[0].interval: Invalid value: "30 seconds": spec.endpoints[0].interval in body should '
        "match '^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?)$'"
    ]


def test_no_schema_accepts_anything() -> None:
    assert compile_schema(None) is None
    assert crd_schema.validate({"a": 1}, None) == []
    assert crd_schema.prune({"a": 1}, None) == []
