"""Pruning unknown fields (upstream ``pkg/apiserver/schema/pruning/algorithm_test.go`` ``TestPrune``)
and the decode-time cleanup of :func:`everynode.apiserver.crd.schema.prune`."""

from __future__ import annotations

import json
from typing import Any

from everynode.apiserver.crd import schema as crd_schema
from everynode.apiserver.crd.pruning import prune
from everynode.apiserver.crd.structural import build
from everynode.core.types import Obj

OBJECT: Obj = {"type": "object"}
PRESERVE: Obj = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def run(document: str, schema: Obj | None, *, root: bool = False) -> tuple[Any, list[str]]:
    value = json.loads(document)
    removed = prune(value, build(schema) if schema is not None else None, resource_root=root)
    return value, removed


def test_scalars_and_arrays() -> None:
    # "empty", "scalar", "scalar array"
    assert run("null", None) == (None, [])
    assert run("4", {}) == (4, [])
    assert run("[1,2]", {"items": {}}) == ([1, 2], [])


def test_object_array() -> None:
    # "object array", "object array with nil schema"
    items = {"type": "array", "items": {"type": "object", "properties": {"a": {}, "c": {}}}}
    assert run('[{"a":1},{"b":1},{"a":1,"b":2,"c":3}]', items) == (
        [{"a": 1}, {}, {"a": 1, "c": 3}],
        ["[1].b", "[2].b"],
    )
    assert run('[{"a":1},{"b":1},{"a":1,"b":2,"c":3}]', None) == (
        [{}, {}, {}],
        ["[0].a", "[1].b", "[2].a", "[2].b", "[2].c"],
    )


def test_object_array_object() -> None:
    # "object array object"
    schema = {
        "type": "object",
        "properties": {
            "array": {"type": "array", "items": {"type": "object", "properties": {"a": {}, "c": {}}}},
            "specified": {"type": "object", "properties": {"a": {}, "c": {}}},
        },
    }
    document = (
        '{"array":[{"a":1},{"b":1},{"a":1,"b":2,"c":3}],"unspecified":{"a":1},'
        '"specified":{"a":1,"b":2,"c":3}}'
    )
    assert run(document, schema) == (
        {"array": [{"a": 1}, {}, {"a": 1, "c": 3}], "specified": {"a": 1, "c": 3}},
        ["array[1].b", "array[2].b", "specified.b", "unspecified"],
    )


def test_nested_preserve_unknown_fields() -> None:
    # "nested x-kubernetes-preserve-unknown-fields"
    values = {"type": "object", "properties": {"specified": OBJECT}}
    schema = {
        **PRESERVE,
        "properties": {
            "alpha": {"type": "string"},
            "pruning": {"type": "object", "properties": {"preserving": PRESERVE, "pruning": OBJECT}},
            "preserving": {**PRESERVE, "properties": {"pruning": OBJECT, "preserving": PRESERVE}},
            "preservingAdditional": {**PRESERVE, "additionalProperties": values},
            "pruningAdditional": {"type": "object", "additionalProperties": values},
        },
    }
    document = {
        "unspecified": "bar",
        "alpha": "abc",
        "pruning": {
            "unspecified": "bar",
            "pruning": {"unspecified": "bar"},
            "apiVersion": "x",
            "preserving": {"u": 1},
        },
        "preserving": {"unspecified": "bar", "pruning": {"unspecified": "bar"}, "preserving": {"u": 1}},
        "preservingAdditional": {"foo": {"specified": {"u": 1}, "unspecified": "bar"}},
        "pruningAdditional": {"foo": {"specified": {"u": 1}, "unspecified": "bar"}},
    }
    pruned, removed = run(json.dumps(document), schema)
    assert pruned == {
        "unspecified": "bar",
        "alpha": "abc",
        "pruning": {"pruning": {}, "preserving": {"u": 1}},
        "preserving": {"unspecified": "bar", "pruning": {}, "preserving": {"u": 1}},
        "preservingAdditional": {"foo": {"specified": {}}},
        "pruningAdditional": {"foo": {"specified": {}}},
    }
    assert removed == [
        "preserving.pruning.unspecified",
        "preservingAdditional.foo.specified.u",
        "preservingAdditional.foo.unspecified",
        "pruning.apiVersion",
        "pruning.pruning.unspecified",
        "pruning.unspecified",
        "pruningAdditional.foo.specified.u",
        "pruningAdditional.foo.unspecified",
    ]


def test_additional_properties() -> None:
    # "additionalProperties with schema", "additionalProperties with bool"
    with_schema = {
        "type": "object",
        "properties": {
            "a": {},
            "c": {"type": "object", "additionalProperties": {"type": "object", "properties": {"b": {}}}},
        },
    }
    assert run('{"a":1,"b":1,"c":{"a":1,"b":2,"c":{"a":1}}}', with_schema) == (
        {"a": 1, "c": {"a": 1, "b": 2, "c": {}}},
        ["b", "c.c.a"],
    )
    with_bool = {
        "type": "object",
        "properties": {"a": {}, "c": {"type": "object", "additionalProperties": True}},
    }
    assert run('{"a":1,"b":1,"c":{"a":1,"b":2,"c":{"a":1,"apiVersion":"unknown"}}}', with_bool) == (
        {"a": 1, "c": {"a": 1, "b": 2, "c": {}}},
        ["b", "c.c.a", "c.c.apiVersion"],
    )


def test_embedded_resources_keep_their_type_and_metadata() -> None:
    # "x-kubernetes-embedded-resource", "x-kubernetes-embedded-resource, with root=true"
    embedded = {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"spec": OBJECT}}
    schema = {"type": "object", "properties": {"template": embedded}}
    document = {
        "apiVersion": "x/v1",
        "kind": "Root",
        "metadata": {"name": "r", "unknownMeta": 1},
        "unspecified": 1,
        "template": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"labels": {"a": "b"}},
            "spec": {},
            "other": 1,
        },
    }
    pruned, removed = run(json.dumps(document), schema, root=True)
    assert removed == ["template.other", "unspecified"]
    assert pruned["metadata"] == {"name": "r", "unknownMeta": 1}  # root metadata is the API server's
    assert pruned["template"] == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": {"a": "b"}},
        "spec": {},
    }
    # not a resource root: the root's apiVersion, kind and metadata go too, unreported
    not_root, removed = run(json.dumps(document), schema)
    assert removed == ["template.other", "unspecified"]
    assert set(not_root) == {"template"}


def test_decoding_drops_nulls_and_unknown_embedded_metadata() -> None:
    schema = crd_schema.compile_schema(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "string"},
                        "b": {"type": "string", "nullable": True},
                        "c": {"type": "string", "default": "C"},
                        "template": {
                            "type": "object",
                            "x-kubernetes-embedded-resource": True,
                            "x-kubernetes-preserve-unknown-fields": True,
                        },
                    },
                },
            },
        }
    )
    obj: Obj = {
        "spec": {
            "a": None,
            "b": None,
            "c": None,
            "template": {"metadata": {"name": "n", "labels": {}, "bogus": 1}},
        }
    }
    assert crd_schema.prune(obj, schema) == ["spec.template.metadata.bogus"]
    assert obj["spec"] == {"b": None, "c": None, "template": {"metadata": {"name": "n"}}}
    crd_schema.apply_defaults(obj, schema)
    assert obj["spec"]["c"] == "C"
