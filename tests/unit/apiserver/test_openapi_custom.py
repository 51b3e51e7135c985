"""OpenAPI with custom resources: the documents one server serves while its catalog has
CustomResourceDefinitions (``description.openapi_serving`` over ``description.openapi_custom``), as
kube-apiserver serves them once apiextensions-apiserver's OpenAPI controllers merged each established
definition in (upstream ``test/integration/apiserver/openapi`` and ``apiextensions-apiserver``'s
``TestOpenAPIV3``-style checks: the index, the group-version document, the v2 document and its
protobuf)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.customkinds import custom_kinds
from everynode.apiserver.description import openapi, openapi_serving, openapi_v2
from everynode.core.types import Obj
from tests.unit.apiserver.crd import crds

PROTOBUF_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
SMP = "application/strategic-merge-patch+json"
EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "network-plane.yaml"
MONITORING = ("monitoring.example.com", "v1")
NETPLANE = ("netplane.example.io", "v1")


def network_plane() -> list[Obj]:
    """The example bundle's CustomResourceDefinitions."""
    documents = yaml.safe_load_all(EXAMPLE.read_text())
    return [d for d in documents if d and d.get("kind") == "CustomResourceDefinition"]


def felix_with_scale() -> Obj:
    crd = crds.felix_configuration()
    crd["spec"]["versions"][0]["subresources"] = {
        "scale": {"specReplicasPath": ".spec.healthPort", "statusReplicasPath": ".status.replicas"}
    }
    return crd


@pytest.fixture
def catalog() -> Catalog:
    served = Catalog()
    for crd in (crds.service_monitor(), crds.ip_pool(), felix_with_scale(), *network_plane()):
        served.serve(custom_kinds(crd))
    return served


def raw(catalog: Catalog, path: str, accept: str = "application/json") -> bytes:
    found = openapi_serving.handle(path, accept, catalog)
    assert found is not None, path
    return found[0]


def get(catalog: Catalog, path: str) -> Any:
    found = openapi_serving.handle(path, "application/json", catalog)
    assert found is not None, path
    assert found[1] == "application/json"
    return orjson.loads(found[0])


def v3(catalog: Catalog, group: str, version: str) -> Obj:
    url = get(catalog, "/openapi/v3")["paths"][f"apis/{group}/{version}"]["serverRelativeURL"]
    document: Obj = get(catalog, url)
    return document


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def patch_operations(paths: Obj, gvk: Obj) -> list[Obj]:
    return [
        item["patch"]
        for item in paths.values()
        if "patch" in item and item["patch"].get("x-kubernetes-group-version-kind") == gvk
    ]


def test_the_index_lists_each_custom_group_version_with_the_hash_of_its_document(catalog: Catalog) -> None:
    paths = get(catalog, "/openapi/v3")["paths"]
    assert "apis/apps/v1" in paths  # the built-in documents stay listed
    for group, version in (MONITORING, NETPLANE, ("crd.example-networking.org", "v1")):
        url = paths[f"apis/{group}/{version}"]["serverRelativeURL"]
        digest = hashlib.sha512(raw(catalog, url)).hexdigest().upper()
        assert url == f"/openapi/v3/apis/{group}/{version}?hash={digest}"


def test_a_group_version_document_has_the_kind_its_list_and_the_patch_operations(catalog: Catalog) -> None:
    document = v3(catalog, *MONITORING)
    schemas = document["components"]["schemas"]
    kind, listed = (
        schemas["com.example.monitoring.v1.ServiceMonitor"],
        schemas["com.example.monitoring.v1.ServiceMonitorList"],
    )
    assert kind["x-kubernetes-group-version-kind"] == [
        {"group": "monitoring.example.com", "kind": "ServiceMonitor", "version": "v1"}
    ]
    assert kind["properties"]["spec"]["required"] == ["selector"]
    assert listed["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/com.example.monitoring.v1.ServiceMonitor"
    }
    gvk = {"group": "monitoring.example.com", "kind": "ServiceMonitor", "version": "v1"}
    patches = patch_operations(document["paths"], gvk)
    assert len(patches) == 2  # the object and its /status
    for patch in patches:
        assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
        assert SMP not in patch["requestBody"]["content"]  # kubectl computes a merge patch instead
    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def test_kinds_of_one_group_version_share_its_document(catalog: Catalog) -> None:
    schemas = v3(catalog, *NETPLANE)["components"]["schemas"]
    own = sorted(name for name in schemas if name.startswith("io.example.netplane."))
    assert own == [
        f"io.example.netplane.v1.{kind}{suffix}"
        for kind in ("AddressPool", "AgentConfiguration", "EndpointGroup")
        for suffix in ("", "List")
    ]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry" in schemas  # what ObjectMeta refers to
    # only what the kinds and operations refer to
    assert "io.k8s.api.apps.v1.DaemonSet" not in schemas
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent" not in schemas


def test_a_scale_subresource_brings_the_scale_definitions(catalog: Catalog) -> None:
    document = v3(catalog, "crd.example-networking.org", "v1")
    scale = document["paths"]["/apis/crd.example-networking.org/v1/felixconfigurations/{name}/scale"]
    assert scale["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.api.autoscaling.v1.Scale"
    }
    assert {"io.k8s.api.autoscaling.v1.Scale", "io.k8s.api.autoscaling.v1.ScaleSpec"} <= set(
        document["components"]["schemas"]
    )


def test_v2_holds_the_custom_kinds_beside_the_built_in_ones(catalog: Catalog) -> None:
    document = get(catalog, "/openapi/v2")
    definitions = document["definitions"]
    assert "io.k8s.api.apps.v1.DaemonSet" in definitions
    pool = definitions["io.example.netplane.v1.AddressPool"]
    assert (
        pool["properties"]["metadata"]["$ref"]
        == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    )
    assert "default" not in pool["properties"]["spec"]["properties"]["blockSize"]  # PruneDefaults
    gvk = {"group": "netplane.example.io", "kind": "AddressPool", "version": "v1"}
    (patch,) = patch_operations(document["paths"], gvk)
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    assert SMP not in patch["consumes"]
    for ref in refs(document):
        assert ref.removeprefix("#/definitions/") in definitions, ref
    custom = [name for name in definitions if name.startswith(("io.example.", "com.example.", "org.example"))]
    assert len(custom) == 12  # six definitions, a kind and a list each
    for name in custom:  # kubectl 1.27 cannot compute a patch through allOf
        assert b"allOf" not in orjson.dumps(definitions[name]), name


def test_v2_protobuf_encodes_every_custom_definition(catalog: Catalog) -> None:
    found = openapi_serving.handle("/openapi/v2", PROTOBUF_ACCEPT, catalog)
    assert found is not None
    body, content_type = found
    assert content_type == "application/octet-stream"
    assert body == raw(catalog, "/swagger-2.0.0.pb-v1", "")
    document = get(catalog, "/openapi/v2")
    assert body == openapi_v2.encode_document(document)
    for name in ("io.example.netplane.v1.AgentConfiguration", "com.example.monitoring.v1.ServiceMonitorList"):
        assert openapi_v2.encode_schema(document["definitions"][name]) in body


def test_documents_follow_the_catalog(catalog: Catalog) -> None:
    empty = Catalog()
    assert openapi_serving.handle("/openapi/v3", "", empty) == openapi.handle("/openapi/v3", "")
    assert openapi_serving.handle("/openapi/v2", PROTOBUF_ACCEPT, empty) == openapi.handle(
        "/openapi/v2", PROTOBUF_ACCEPT
    )
    before = get(catalog, "/openapi/v3")["paths"]
    catalog.withdraw("servicemonitors.monitoring.example.com")
    after = get(catalog, "/openapi/v3")["paths"]
    assert "apis/monitoring.example.com/v1" not in after
    assert after["apis/netplane.example.io/v1"] == before["apis/netplane.example.io/v1"]
    assert openapi_serving.handle("/openapi/v3/apis/monitoring.example.com/v1", "", catalog) is None
    assert "com.example.monitoring.v1.ServiceMonitor" not in get(catalog, "/openapi/v2")["definitions"]
    catalog.serve(custom_kinds(crds.service_monitor()))
    assert get(catalog, "/openapi/v3")["paths"] == before
