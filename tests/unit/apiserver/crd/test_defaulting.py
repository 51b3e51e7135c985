"""Defaulting custom resources from their schema (upstream ``pkg/apiserver/schema/defaulting/
algorithm_test.go`` ``TestDefault``, ``prunenulls_test.go``) and the check that defaults are valid and
pruned (``defaulting/validation.go``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from everynode.apiserver.crd.defaultcheck import validate_defaults
from everynode.apiserver.crd.defaulting import apply_defaults, prune_nulls
from everynode.apiserver.crd.structural import build
from everynode.core.types import Obj


def defaulted(document: str, schema: Obj | None) -> Any:
    value = json.loads(document)
    apply_defaults(value, build(schema) if schema is not None else None)
    return value


def d(value: Any, **extra: Any) -> Obj:
    return {"default": value, **extra}


@pytest.mark.parametrize(
    ("name", "document", "schema", "expected"),
    [
        ("empty", "null", None, None),
        ("scalar", "4", d("foo"), 4),
        ("scalar array", "[1,2]", {"items": d("foo")}, [1, 2]),
        (
            "object array",
            '[{"a":1},{"b":1},{"c":1}]',
            {"items": {"properties": {"a": d("A"), "b": d("B"), "c": d("C")}}},
            [{"a": 1, "b": "B", "c": "C"}, {"a": "A", "b": 1, "c": "C"}, {"a": "A", "b": "B", "c": 1}],
        ),
        (
            "empty and null",
            '[{},{"a":1},{"a":0},{"a":""},{"a":null},{"a":[]},{"a":{}}]',
            {"items": {"properties": {"a": d("A")}}},
            [{"a": "A"}, {"a": 1}, {"a": 0}, {"a": ""}, {"a": "A"}, {"a": []}, {"a": {}}],
        ),
        (
            "null in nullable list",
            "[null]",
            {"nullable": True, "items": {"properties": {"a": d("A")}}},
            [None],
        ),
        ("null in non-nullable list", "[null]", {"items": d("A")}, ["A"]),
        ("null in nullable object", '{"a": null}', {"properties": {"a": d("A", nullable=True)}}, {"a": None}),
        ("null in non-nullable object", '{"a": null}', {"properties": {"a": d("A")}}, {"a": "A"}),
        (
            "null in nullable object with additionalProperties",
            '{"a": null}',
            {"additionalProperties": d("A", nullable=True)},
            {"a": None},
        ),
        (
            "null in non-nullable object with additionalProperties",
            '{"a": null}',
            {"additionalProperties": d("A")},
            {"a": "A"},
        ),
        ("null unknown field", '{"a": null}', {"additionalProperties": True}, {"a": None}),
    ],
)
def test_default(name: str, document: str, schema: Obj | None, expected: Any) -> None:
    assert defaulted(document, schema) == expected, name


def test_object_array_object() -> None:
    # "object array object": top-down, through arrays, objects and additionalProperties
    schema = {
        "properties": {
            "array": {"items": {"properties": {"a": d("A"), "b": d("B")}}},
            "object": {"properties": {"a": d("N"), "b": d("O")}},
            "additionalProperties": {
                "additionalProperties": {"properties": {"a": d("alpha"), "b": d("beta")}}
            },
            "foo": d("bar"),
        }
    }
    document = '{"array":[{"a":1},{"b":2}],"object":{"a":1},"additionalProperties":{"x":{"a":1},"y":{"b":2}}}'
    assert defaulted(document, schema) == {
        "array": [{"a": 1, "b": "B"}, {"a": "A", "b": 2}],
        "object": {"a": 1, "b": "O"},
        "additionalProperties": {"x": {"a": 1, "b": "beta"}, "y": {"a": "alpha", "b": 2}},
        "foo": "bar",
    }


def test_defaults_are_copies_and_apply_top_down() -> None:
    schema = build(
        {
            "properties": {
                "spec": {"type": "object", "default": {}, "properties": {"size": d(3)}},
                "list": d([1]),
            }
        }
    )
    first: Obj = {}
    second: Obj = {}
    apply_defaults(first, schema)
    apply_defaults(second, schema)
    assert first == {"spec": {"size": 3}, "list": [1]}
    first["list"].append(2)
    assert second["list"] == [1]
    apply_defaults(first, schema)
    assert first == {"spec": {"size": 3}, "list": [1, 2]}


def test_prune_non_nullable_nulls_without_defaults() -> None:
    schema = build(
        {"properties": {"a": {}, "b": {"nullable": True}, "c": d("C"), "o": {"properties": {"x": {}}}}}
    )
    value: Obj = {"a": None, "b": None, "c": None, "o": {"x": None}, "unknown": None}
    prune_nulls(value, schema)
    assert value == {"b": None, "c": None, "o": {}, "unknown": None}


# -- ValidateDefaults ---------------------------------------------------------------------------------


def default_errors(schema: Obj) -> list[str]:
    return [str(e) for e in validate_defaults("s", build(schema), require_pruned=True)]


def test_valid_and_pruned_defaults_pass() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                    "ports": {"type": "array", "items": {"type": "integer"}, "default": [80]},
                },
            }
        },
    }
    assert default_errors(schema) == []


def test_defaults_must_validate() -> None:
    schema = {
        "type": "object",
        "properties": {
            "mode": {"type": "string", "enum": ["a", "b"], "default": "c"},
            "n": {"type": "integer", "minimum": 1, "default": 0},
        },
    }
    assert default_errors(schema) == [
        's.properties[mode].default: Unsupported value: "c": supported values: "a", "b"',
        "s.properties[n].default: Invalid value: 0:  in body should be greater than or equal to 1",
    ]


def test_defaults_must_be_pruned() -> None:
    schema = {
        "type": "object",
        "properties": {
            "o": {"type": "object", "properties": {"a": {"type": "string"}}, "default": {"a": "x", "b": "y"}}
        },
    }
    assert default_errors(schema) == [
        's.properties[o].default: Invalid value: {"a":"x","b":"y"}: must not have unknown fields'
    ]


def test_defaults_in_embedded_metadata_must_make_valid_metadata() -> None:
    # "embedded metadata defaults"
    embedded = {
        "type": "object",
        "x-kubernetes-embedded-resource": True,
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "default": "a/b"}}}
        },
    }
    found = default_errors({"type": "object", "properties": {"e": embedded}})
    assert found == [
        's.properties[e].properties[metadata].properties[name].default: Invalid value: "a/b": must result in '
        "valid "
        "metadata: metadata.name: Invalid value: \"a/b\": may not contain '/'"
    ]
