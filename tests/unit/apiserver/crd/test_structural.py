"""Structural schemas: ``NewStructural``'s refusals and ``ValidateStructural``
(upstream ``pkg/apiserver/schema/validation_test.go``: ``TestValidateStructuralMetadataInvariants``,
``TestValidateStructuralCompleteness``, ``TestValidateNestedValueValidationComplete``)."""

from __future__ import annotations

import pytest

from everynode.apiserver.crd.structural import build, unsupported
from everynode.apiserver.crd.structuralcheck import validate_structural
from everynode.core.types import Obj

INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


def check(schema: Obj) -> list[str]:
    return [str(e) for e in validate_structural(schema, "")]


def obj(**properties: Obj) -> Obj:
    return {"type": "object", "properties": properties}


def test_a_typed_tree_is_structural() -> None:
    schema = obj(
        spec=obj(
            replicas={"type": "integer"}, ports={"type": "array", "items": obj(port={"type": "integer"})}
        ),
        extra={"x-kubernetes-preserve-unknown-fields": True},
        port={"x-kubernetes-int-or-string": True, "anyOf": INT_OR_STRING},
    )
    assert check(schema) == []


def test_missing_types_and_items() -> None:
    schema = {
        "properties": {
            "a": {},
            "b": {"type": "array"},
            "c": {"type": "array", "items": {}},
        }
    }
    assert check(schema) == [
        "properties[a].type: Required value: must not be empty for specified object fields",
        "properties[b].items: Required value: must be specified",
        "properties[c].items.type: Required value: must not be empty for specified array items",
        "type: Required value: must not be empty at the root",
    ]


def test_root_must_be_an_object_without_additional_properties() -> None:
    assert check({"type": "object", "additionalProperties": {"type": "string"}}) == [
        "additionalProperties: Forbidden: must not be used at the root"
    ]
    assert check({"type": "string"}) == ['type: Invalid value: "string": must be object at the root']


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        # TestValidateStructuralMetadataInvariants
        ({"type": "object"}, []),
        ({"type": "object", "properties": {"name": {"type": "string"}}}, []),
        (
            {
                "type": "object",
                "properties": {"name": {"type": "string"}, "generateName": {"type": "string"}},
            },
            [],
        ),
        ({"type": "string"}, ['properties[metadata].type: Invalid value: "string": must be object']),
        (
            {"type": "object", "description": "the metadata"},
            [
                "properties[metadata]: Forbidden: must not specify anything other than name and "
                "generateName, "
                "but metadata is implicitly specified"
            ],
        ),
        (
            {"type": "object", "properties": {"labels": {"type": "object"}}},
            [
                "properties[metadata]: Forbidden: must not specify anything other than name and "
                "generateName, "
                "but metadata is implicitly specified"
            ],
        ),
    ],
)
def test_root_metadata(metadata: Obj, expected: list[str]) -> None:
    assert check(obj(metadata=metadata)) == expected


def test_kind_and_api_version_are_strings_at_resource_roots() -> None:
    schema = obj(
        kind={"type": "integer"},
        embedded={
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "properties": {"apiVersion": {"type": "object"}},
        },
    )
    assert check(schema) == [
        'properties[embedded].properties[apiVersion].type: Invalid value: "object": must be string',
        'properties[kind].type: Invalid value: "integer": must be string',
    ]


def test_junctors_only_validate_values() -> None:
    # TestValidateNestedValueValidationComplete and the forbidden generics/extensions
    schema = obj(
        a={
            "type": "string",
            "anyOf": [{"type": "string", "description": "x", "nullable": True, "default": "y"}],
        },
        b={"type": "object", "allOf": [{"properties": {"metadata": {}}}]},
        c={"type": "string", "not": {"x-kubernetes-list-type": "atomic", "title": "t"}},
    )
    assert check(schema) == [
        "properties[a].anyOf[0].default: Forbidden: must be undefined to be structural",
        "properties[a].anyOf[0].description: Forbidden: must be empty to be structural",
        "properties[a].anyOf[0].nullable: Forbidden: must be false to be structural",
        "properties[a].anyOf[0].type: Forbidden: must be empty to be structural",
        "properties[b].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context",
        "properties[c].not.title: Forbidden: must be empty to be structural",
        "properties[c].not.x-kubernetes-list-type: Forbidden: must be undefined to be structural",
    ]


def test_int_or_string_patterns_are_allowed() -> None:
    assert (
        check(
            obj(
                a={"x-kubernetes-int-or-string": True, "allOf": [{"anyOf": INT_OR_STRING}, {"pattern": "^x"}]}
            )
        )
        == []
    )
    assert check(
        obj(a={"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "boolean"}]})
    ) == [
        "properties[a].anyOf[0].type: Forbidden: must be empty to be structural",
        "properties[a].anyOf[1].type: Forbidden: must be empty to be structural",
    ]
    assert check(
        obj(a={"x-kubernetes-int-or-string": True, "x-kubernetes-preserve-unknown-fields": True})
    ) == [
        "properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if "
        "x-kubernetes-int-or-string is true"
    ]


def test_completeness() -> None:
    # TestValidateStructuralCompleteness: "disallowed property in valuevalidation, and in structure"
    schema = {
        "type": "object",
        "properties": {"foo": {"type": "string"}},
        "allOf": [{"properties": {"notfoo": {"minLength": 2}}}],
    }
    assert check(schema) == [
        "properties[notfoo]: Required value: because it is defined in allOf[0].properties[notfoo]"
    ]
    items = {
        "type": "object",
        "properties": {"list": {"type": "string"}},
        "anyOf": [{"properties": {"list": {"items": {"minLength": 1}}}}],
    }
    assert check(items) == [
        "properties[list].items: Required value: because it is defined in anyOf[0].properties[list].items"
    ]


def test_embedded_resource_rules() -> None:
    assert check(
        obj(
            e={
                "type": "string",
                "x-kubernetes-embedded-resource": True,
                "x-kubernetes-preserve-unknown-fields": True,
            }
        )
    ) == [
        'properties[e].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is '
        "true"
    ]


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "object", "$ref": "#/x"}, "OpenAPIV3Schema '$ref' is not supported"),
        (
            obj(a={"type": "array", "items": [{"type": "string"}]}),
            "OpenAPIV3Schema 'items' must be a schema, but is an array",
        ),
        (
            obj(a={"type": "object", "definitions": {"x": {}}}),
            "OpenAPIV3Schema 'definitions' is not supported",
        ),
        (
            obj(a={"x-kubernetes-preserve-unknown-fields": False}),
            "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined",
        ),
    ],
)
def test_new_structural_refuses(schema: Obj, reason: str) -> None:
    assert unsupported(schema) == reason


def test_build_reads_the_structure() -> None:
    node = build(
        obj(m={"type": "object", "additionalProperties": False}, d={"type": "string", "default": None})
    )
    assert node.properties["m"].has_additional
    assert node.properties["m"].additional is None
    assert not node.properties["d"].has_default  # default: null is no default
