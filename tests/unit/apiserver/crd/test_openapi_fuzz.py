"""Whatever schema a CustomResourceDefinition holds, what its versions publish is JSON, and its OpenAPI v2
form encodes as gnostic's protobuf (kubectl 1.27/1.28 read only that: an encoder error would take
``/openapi/v2`` down for every client).

Three generators: the example definitions (``crds`` and ``docs/examples/network-plane.yaml``) with
keywords of any value set on any of their nodes; structural schemas (every kind of node a structural
schema has, with value validations, junctors, annotations and extensions, and property names that are
also keywords), which publish their structure; and arbitrary JSON in the shape of a schema (keywords
with values of any type), which must publish something that encodes, whatever it is.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from everynode.apiserver.crd import kubeopenapi, openapi
from everynode.apiserver.description import openapi_v2
from everynode.core.types import Obj
from tests.unit.apiserver.crd import crds

# property names that are also schema keywords: a walker must tell names from keywords
NAMES = st.sampled_from(["spec", "a", "default", "type", "properties", "items", "$ref", "enum", "x-y", "ñ"])
TEXT = st.text(max_size=6)
INT64 = st.integers(-(2**63), 2**63 - 1)
NUMBERS = st.one_of(INT64, st.floats(allow_nan=False, allow_infinity=False))
# an int64 may arrive as 3.0; none beyond int64 arrives at all (the decoders' type check refuses it)
COUNTS = (
    st.integers(0, 2**63 - 1) | st.integers(0, 2**53).map(float) | st.sampled_from([1e19, 1e300, 2**63 - 1])
)
JSON = st.recursive(
    st.none() | st.booleans() | INT64 | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)

VALIDATIONS = st.fixed_dictionaries(
    {},
    optional={
        "maximum": NUMBERS,
        "minimum": NUMBERS,
        "exclusiveMaximum": st.booleans(),
        "exclusiveMinimum": st.booleans(),
        "multipleOf": st.floats(min_value=0.5, max_value=64),
        "maxLength": COUNTS,
        "minLength": COUNTS,
        "maxItems": COUNTS,
        "minItems": COUNTS,
        "maxProperties": COUNTS,
        "minProperties": COUNTS,
        "pattern": st.sampled_from(["^a", "[0-9]+$", ""]),
        "format": st.sampled_from(["", "int32", "date-time", "byte"]),
        "enum": st.lists(JSON, max_size=3),
        "uniqueItems": st.just(False),
    },
)
ANNOTATIONS = st.fixed_dictionaries(
    {},
    optional={
        "description": TEXT,
        "title": TEXT,
        "example": JSON,
        "externalDocs": st.fixed_dictionaries({}, optional={"url": TEXT, "description": TEXT}),
        "nullable": st.booleans(),
        "x-kubernetes-validations": st.lists(
            st.fixed_dictionaries({"rule": TEXT}, optional={"message": TEXT}), max_size=2
        ),
    },
)
JUNCTORS = st.fixed_dictionaries(
    {},
    optional={
        "allOf": st.lists(VALIDATIONS, max_size=2),
        "anyOf": st.lists(VALIDATIONS, max_size=2),
        "oneOf": st.lists(VALIDATIONS, max_size=2),
        "not": VALIDATIONS,
    },
)


def _merge(*parts: Obj) -> Obj:
    out: Obj = {}
    for part in parts:
        out.update(part)
    return out


def _node(children: st.SearchStrategy[Obj]) -> st.SearchStrategy[Obj]:
    scalar = st.builds(
        lambda kind, default, *parts: _merge({"type": kind}, *parts, default),
        st.sampled_from(["string", "integer", "number", "boolean"]),
        st.just({}) | st.builds(lambda v: {"default": v}, JSON),
        VALIDATIONS,
        ANNOTATIONS,
        JUNCTORS,
    )
    fields = st.dictionaries(NAMES, children, min_size=1, max_size=3)
    structured = st.one_of(
        st.builds(
            lambda props, required, *parts: _merge(
                {"type": "object", "properties": props, "required": sorted(set(required) & set(props))},
                *parts,
            ),
            fields,
            st.lists(NAMES, max_size=2),
            ANNOTATIONS,
        ),
        st.builds(
            lambda sub, *parts: _merge({"type": "object", "additionalProperties": sub}, *parts),
            children,
            ANNOTATIONS,
        ),
        st.builds(
            lambda sub, *parts: _merge(
                {"type": "array", "items": sub, "x-kubernetes-list-type": "atomic"}, *parts
            ),
            children,
            ANNOTATIONS,
        ),
        st.builds(
            lambda props: {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": props,
            },
            fields,
        ),
    )
    special = st.sampled_from(
        [
            {"x-kubernetes-int-or-string": True},
            {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            {"x-kubernetes-preserve-unknown-fields": True},
            {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "x-kubernetes-preserve-unknown-fields": True,
            },
        ]
    )
    return st.one_of(scalar, structured, special)


STRUCTURAL = st.recursive(st.sampled_from([{"type": "string"}, {"type": "integer"}]), _node, max_leaves=8)
ROOTS = st.builds(lambda spec: {"type": "object", "properties": {"spec": spec}}, STRUCTURAL)

KEYWORDS = (
    *("$ref", "$schema", "id", "type", "format", "title", "description", "default", "example", "enum"),
    *("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "maxLength"),
    *("minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties"),
    *("required", "items", "properties", "additionalProperties", "patternProperties", "definitions"),
    *("dependencies", "additionalItems", "allOf", "anyOf", "oneOf", "not", "nullable", "externalDocs"),
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
)
SHAPED_JUNK = st.recursive(
    st.dictionaries(st.sampled_from(KEYWORDS), JSON, max_size=4),
    lambda inner: st.dictionaries(
        st.sampled_from(KEYWORDS),
        inner | st.lists(inner, max_size=2) | st.dictionaries(NAMES, inner, max_size=2) | JSON,
        max_size=5,
    ),
    max_leaves=10,
)


def _schemas(node: Any) -> Iterator[Obj]:
    """Every schema in a published one (names in ``properties`` are not keywords)."""
    if not isinstance(node, dict):
        return
    yield node
    for name, sub in (node.get("properties") or {}).items():
        assert isinstance(name, str)
        yield from _schemas(sub)
    for key in ("items", "additionalProperties", "not"):
        yield from _schemas(node.get(key))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or ():
            yield from _schemas(sub)


def _check_v2(definition: Obj) -> None:
    for schema in _schemas(definition):
        unknown = {k for k in schema if not k.startswith("x-")} - openapi_v2.SCHEMA_KEYS
        assert not unknown, (unknown, schema)
    openapi_v2.encode_schema(definition)  # raises on a keyword or value it cannot encode


def _check_published(crd: Obj) -> dict[str, Obj]:
    for v2 in (False, True):
        published = openapi.definitions(crd, "v1", v2=v2)
        orjson.dumps(published)
        if v2:
            for definition in published.values():
                _check_v2(definition)
    return openapi.definitions(crd, "v1")


@settings(max_examples=300, deadline=None)
@given(schema=ROOTS)
def test_structural_schemas_publish_and_encode(schema: Obj) -> None:
    published = _check_published(crds.definition("fuzz.example.com", "things", "Thing", schema))
    # the generator makes structural schemas: they publish their structure, not a plain object
    assert "spec" in published["com.example.fuzz.v1.Thing"]["properties"]


@settings(max_examples=300, deadline=None)
@given(schema=SHAPED_JUNK)
def test_any_schema_a_definition_holds_publishes_something_that_encodes(schema: Obj) -> None:
    _check_published(crds.definition("fuzz.example.com", "things", "Thing", schema))
    # and the published form alone, structural or not, holds only typed keywords
    published = kubeopenapi.to_kube_openapi(schema)
    orjson.dumps(published)
    for node in _schemas(published):
        for key in ("allOf", "anyOf", "oneOf", "not", "nullable"):
            node.pop(key, None)
    _check_v2(published)


def _examples() -> list[Obj]:
    """The test definitions (``crds``) and the example bundle's (``docs/examples/network-plane.yaml``)."""
    bundle = Path(__file__).parents[4] / "docs" / "examples" / "network-plane.yaml"
    documents = [d for d in yaml.safe_load_all(bundle.read_text()) if d]
    found = [d for d in documents if d.get("kind") == "CustomResourceDefinition"]
    return [crds.ip_pool(), crds.felix_configuration(), crds.service_monitor(), *found]


EXAMPLES = _examples()


@pytest.mark.parametrize("crd", EXAMPLES, ids=lambda crd: str(crd["metadata"]["name"]))
def test_example_definitions_publish_their_structure_and_encode(crd: Obj) -> None:
    published = _check_published(crd)
    kind = next(iter(published.values()))
    assert "spec" in kind["properties"]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_example_definitions_changed_anywhere_still_encode(data: st.DataObject) -> None:
    crd = copy.deepcopy(data.draw(st.sampled_from(EXAMPLES)))
    root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    nodes = list(_schemas(root))
    for _ in range(data.draw(st.integers(1, 3))):
        node = data.draw(st.sampled_from(nodes))
        node.update(
            data.draw(st.dictionaries(st.sampled_from(KEYWORDS), JSON | VALIDATIONS, min_size=1, max_size=3))
        )
    _check_published(crd)
