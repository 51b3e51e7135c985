"""What a served version publishes in OpenAPI (upstream ``pkg/controller/openapi/builder/builder_test.go``:
``TestNewBuilder``, ``TestBuildOpenAPIV2``, ``TestBuildOpenAPIV3``)."""

from __future__ import annotations

import copy

import pytest

from everynode.apiserver.crd import openapi, openapi_paths
from everynode.core.types import Obj
from tests.unit.apiserver.crd import crds

META_V3 = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
META_V2 = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
GVK = [{"group": "bar.k8s.io", "kind": "Foo", "version": "v1"}]


def foo(schema: Obj | None) -> Obj:
    return crds.definition("bar.k8s.io", "foos", "Foo", schema)


def strip_meta(published: Obj) -> Obj:
    """The published schema without the (long) descriptions of the fields upstream adds."""
    published = copy.deepcopy(published)
    for name in ("apiVersion", "kind", "metadata"):
        published.get("properties", {}).get(name, {}).pop("description", None)
    return published


def test_model_names() -> None:
    assert (
        openapi.model_name("monitoring.example.com", "v1", "ServiceMonitor")
        == "com.example.monitoring.v1.ServiceMonitor"
    )
    assert (
        openapi_paths.operation_id_part("monitoring.example.com", capitalize=True) == "MonitoringExampleCom"
    )
    assert openapi_paths.operation_id_part("v1beta1", capitalize=False) == "v1beta1"


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("nil", None),
        ("with invalid-typed properties", {"type": "object", "properties": {"spec": {"type": "bug"}}}),
        ("with non-structural schema", {"type": "object", "properties": {"foo": {"type": "array"}}}),
    ],
)
def test_unpublishable_schemas_are_plain_objects(name: str, schema: Obj | None) -> None:
    for v2 in (False, True):
        assert openapi.kind_schema(foo(schema), "v1", v2=v2) == {
            "type": "object",
            "x-kubernetes-group-version-kind": GVK,
        }, name


def test_with_properties() -> None:
    # "with properties"
    schema = {"type": "object", "properties": {"spec": {"type": "object"}, "status": {"type": "object"}}}
    want_v2 = {
        "type": "object",
        "properties": {
            "spec": {"type": "object"},
            "status": {"type": "object"},
            "metadata": {"$ref": META_V2},
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
        },
        "x-kubernetes-group-version-kind": GVK,
    }
    assert strip_meta(openapi.kind_schema(foo(schema), "v1", v2=True)) == want_v2
    v3 = strip_meta(openapi.kind_schema(foo(schema), "v1"))
    assert v3["properties"]["metadata"] == {"allOf": [{"$ref": META_V3}]}
    assert openapi.kind_schema(foo(schema), "v1")["properties"]["metadata"]["description"].startswith(
        "Standard object's metadata."
    )


def test_v2_drops_what_swagger_cannot_say() -> None:
    # "v2", ToStructuralOpenAPIV2: junctors, nullable structure, preserved structure, defaults
    schema = {
        "type": "object",
        "required": ["n"],
        "properties": {
            "foo": {"type": "string", "oneOf": [{"pattern": "a"}, {"pattern": "b"}], "default": "a"},
            "n": {"type": "object", "nullable": True, "properties": {"x": {"type": "string"}}},
            "p": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"x": {"type": "string"}},
            },
            "port": {"x-kubernetes-int-or-string": True},
        },
    }
    v2 = openapi.kind_schema(foo(schema), "v1", v2=True)
    assert v2["properties"]["foo"] == {"type": "string"}
    assert v2["properties"]["n"] == {}
    assert v2["properties"]["p"] == {"x-kubernetes-preserve-unknown-fields": True}
    assert v2["properties"]["port"] == {"x-kubernetes-int-or-string": True}
    assert "required" not in v2
    v3 = openapi.kind_schema(foo(schema), "v1")
    assert v3["properties"]["foo"]["oneOf"] == [{"pattern": "a"}, {"pattern": "b"}]
    assert v3["properties"]["foo"]["default"] == "a"
    assert v3["properties"]["port"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]  # Unfold
    assert v3["required"] == ["n"]


def test_preserving_root_is_a_plain_object_in_v2() -> None:
    # "with spec.preseveUnknownFields=true"
    schema = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"foo": {"type": "string"}},
    }
    assert openapi.kind_schema(foo(schema), "v1", v2=True) == {
        "type": "object",
        "x-kubernetes-group-version-kind": GVK,
    }


def test_embedded_resources_get_type_and_object_meta() -> None:
    embedded = {
        "type": "object",
        "x-kubernetes-embedded-resource": True,
        "properties": {"spec": {"type": "object"}},
    }
    published = openapi.kind_schema(foo({"type": "object", "properties": {"template": embedded}}), "v1")
    template = published["properties"]["template"]
    assert set(template["properties"]) == {"spec", "apiVersion", "kind", "metadata"}
    assert template["required"] == ["kind", "apiVersion"]


def test_selectable_fields_are_published() -> None:
    # "with selectable fields enabled"
    crd = foo({"type": "object", "properties": {"foo": {"type": "string"}}})
    crd["spec"]["versions"][0]["selectableFields"] = [{"jsonPath": ".foo"}]
    assert openapi.kind_schema(crd, "v1")["x-kubernetes-selectable-fields"] == [{"fieldPath": "foo"}]


def test_list_schema_and_definitions() -> None:
    crd = crds.service_monitor()
    found = openapi.definitions(crd, "v1")
    assert list(found) == [
        "com.example.monitoring.v1.ServiceMonitor",
        "com.example.monitoring.v1.ServiceMonitorList",
    ]
    listed = found["com.example.monitoring.v1.ServiceMonitorList"]
    assert listed["required"] == ["items"]
    assert listed["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/com.example.monitoring.v1.ServiceMonitor"
    }
    assert listed["x-kubernetes-group-version-kind"] == [
        {"group": "monitoring.example.com", "kind": "ServiceMonitorList", "version": "v1"}
    ]
    v2 = openapi.definitions(crd, "v1", v2=True)["com.example.monitoring.v1.ServiceMonitorList"]
    assert (
        v2["properties"]["metadata"]["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
    )


def test_paths_of_a_namespaced_kind_with_status() -> None:
    items = openapi_paths.path_items(crds.service_monitor(), "v1")
    base = "/apis/monitoring.example.com/v1"
    assert [item.path for item in items] == [
        f"{base}/namespaces/{{namespace}}/servicemonitors",
        f"{base}/namespaces/{{namespace}}/servicemonitors/{{name}}",
        f"{base}/servicemonitors",
        f"{base}/namespaces/{{namespace}}/servicemonitors/{{name}}/status",
    ]
    ids = [op.operation_id for item in items for op in item.operations]
    assert "listMonitoringExampleComV1NamespacedServiceMonitor" in ids
    assert "patchMonitoringExampleComV1NamespacedServiceMonitorStatus" in ids
    assert "listMonitoringExampleComV1ServiceMonitorForAllNamespaces" in ids
    patch = next(op for op in items[1].operations if op.method == "patch")
    assert "application/strategic-merge-patch+json" not in patch.consumes
    assert patch.extensions()["x-kubernetes-group-version-kind"] == {
        "group": "monitoring.example.com",
        "kind": "ServiceMonitor",
        "version": "v1",
    }
    assert "fieldValidation" in [p.name for p in patch.params]
    assert {op.tag for item in items for op in item.operations} == {"monitoringExampleCom_v1"}


def test_paths_of_a_cluster_kind_with_scale() -> None:
    crd = crds.ip_pool()
    crd["spec"]["versions"][0]["subresources"] = {
        "scale": {"specReplicasPath": ".spec.r", "statusReplicasPath": ".status.r"}
    }
    items = openapi_paths.path_items(crd, "v1")
    assert [item.path for item in items] == [
        "/apis/crd.example-networking.org/v1/ippools",
        "/apis/crd.example-networking.org/v1/ippools/{name}",
        "/apis/crd.example-networking.org/v1/ippools/{name}/scale",
    ]
    assert items[2].operations[0].responses[0] == ("200", "OK", openapi.SCALE)
    assert openapi.SCALE in openapi.referenced(crd, "v1")


def test_zero_valued_keywords_are_omitted() -> None:
    # ToKubeOpenAPI marshals with omitempty: false flags and empty texts go, additionalProperties: false stays
    schema = {
        "type": "object",
        "properties": {
            "m": {"type": "object", "additionalProperties": False, "nullable": False, "description": ""}
        },
    }
    assert openapi.kind_schema(foo(schema), "v1")["properties"]["m"] == {
        "type": "object",
        "additionalProperties": False,
    }


def test_only_what_a_structural_schema_holds_is_published() -> None:
    # ToKubeOpenAPI (kubeopenapi_test.go, TestStructuralKubeOpenAPIRoundtrip): the structural fields,
    # value validations and extensions survive; anything else a definition may hold does not
    schema = {
        "type": "object",
        "properties": {
            "n": {
                "type": "integer",
                "minimum": 0,  # a pointer upstream: zero is a bound
                "maximum": 10.0,
                "maxLength": 5.0,  # an int64 written as a float
                "example": 3,
                "title": "N",
                "externalDocs": {"url": "https://example.com/n", "description": ""},
                "nullable": False,
                "description": "",
                "x-kubernetes-validations": [{"rule": "self >= 0"}],
            },
            "m": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 3},
        },
    }
    published = openapi.kind_schema(foo(schema), "v1")["properties"]
    assert published["n"] == {
        "type": "integer",
        "title": "N",
        "minimum": 0,
        "maximum": 10.0,
        "maxLength": 5,
        "x-kubernetes-validations": [{"rule": "self >= 0"}],
        "externalDocs": {"url": "https://example.com/n"},
    }
    assert published["m"] == {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "maxProperties": 3,
    }


def test_value_validations_under_junctors_publish_without_additional_properties() -> None:
    schema = {
        "type": "object",
        "properties": {"s": {"type": "string", "allOf": [{"maxLength": 3}], "not": {"pattern": "^x"}}},
    }
    s = openapi.kind_schema(foo(schema), "v1")["properties"]["s"]
    assert s == {"type": "string", "allOf": [{"maxLength": 3}], "not": {"pattern": "^x"}}
    assert openapi.kind_schema(foo(schema), "v1", v2=True)["properties"]["s"] == {"type": "string"}


def test_v2_prunes_defaults_but_not_properties_named_default() -> None:
    # the v2 controller's PruneDefaults drops the keyword, never a field the kind has
    schema = {
        "type": "object",
        "properties": {
            "default": {"type": "string", "default": "x"},
            "other": {"type": "integer", "default": 1},
        },
    }
    v2 = openapi.kind_schema(foo(schema), "v1", v2=True)["properties"]
    assert v2["default"] == {"type": "string"}
    assert v2["other"] == {"type": "integer"}
    assert openapi.kind_schema(foo(schema), "v1")["properties"]["default"]["default"] == "x"


def test_a_list_kind_left_unset_is_the_kind_and_list() -> None:
    crd = crds.ip_pool()
    del crd["spec"]["names"]["listKind"]
    assert list(openapi.definitions(crd, "v1")) == [
        "org.example-networking.crd.v1.IPPool",
        "org.example-networking.crd.v1.IPPoolList",
    ]
