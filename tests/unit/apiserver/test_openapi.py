"""The OpenAPI documents kubectl reads: operations, schemas, hashes, and the gnostic protobuf."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from everynode.apiserver.app import build_app
from everynode.apiserver.description import openapi
from everynode.apiserver.options import ApiServerOptions
from everynode.core import resources as r
from everynode.storage.memory import MemoryBackend

SMP = "application/strategic-merge-patch+json"
PROTOBUF_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
SERVED = [pytest.param(info, id=info.kind) for info in r.RESOURCES]


def _v3(group: str, version: str) -> dict[str, Any]:
    body = openapi.v3_document(group, version)
    assert body is not None
    document: dict[str, Any] = orjson.loads(body)
    return document


def _patch_ops(paths: dict[str, Any], gvk: dict[str, str]) -> list[dict[str, Any]]:
    return [
        item["patch"]
        for item in paths.values()
        if "patch" in item and item["patch"].get("x-kubernetes-group-version-kind") == gvk
    ]


def _walk(node: Any, *, names: bool = False) -> Iterator[dict[str, Any]]:
    """Every schema (and operation) in a document; ``names``: ``node`` maps names to schemas (a
    ``properties`` map: JSONSchemaProps has properties called ``$ref``, ``type``, ``oneOf``…)."""
    if isinstance(node, dict):
        if not names:
            yield node
        for key, value in node.items():
            yield from _walk(value, names=not names and key in ("properties", "schemas", "definitions"))
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _gvk(info: r.ResourceInfo) -> dict[str, str]:
    return {"group": info.group, "kind": info.kind, "version": info.version}


@pytest.mark.parametrize("info", SERVED)
def test_v3_every_patch_operation_of_a_kind_offers_field_validation_and_smp(info: r.ResourceInfo) -> None:
    # kubectl stops at the first PATCH operation carrying the kind, in map order: all of them must qualify.
    operations = _patch_ops(_v3(info.group, info.version)["paths"], _gvk(info))
    assert len(operations) == (2 if "status" in info.subresources else 1)
    for operation in operations:
        query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert {"fieldValidation", "dryRun", "fieldManager", "force"} <= query
        content = operation["requestBody"]["content"]
        assert set(content) == set(openapi.PATCH_TYPES)
        assert SMP in content


@pytest.mark.parametrize("info", SERVED)
def test_v3_serves_get_put_post_delete_for_every_kind(info: r.ResourceInfo) -> None:
    paths = _v3(info.group, info.version)["paths"]
    methods = {
        method
        for item in paths.values()
        for method, operation in item.items()
        if method != "parameters" and operation.get("x-kubernetes-group-version-kind") == _gvk(info)
    }
    assert {"get", "put", "post", "delete", "patch"} <= methods


@pytest.mark.parametrize("info", SERVED)
def test_v2_every_patch_operation_of_a_kind_offers_field_validation_and_smp(info: r.ResourceInfo) -> None:
    operations = _patch_ops(openapi.v2_document()["paths"], _gvk(info))
    assert operations
    for operation in operations:
        assert "fieldValidation" in {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert SMP in operation["consumes"]


@pytest.mark.parametrize(("group", "version"), openapi.group_versions())
def test_v3_refs_resolve_and_no_json_schema_isms_remain(group: str, version: str) -> None:
    document = _v3(group, version)
    schemas = document["components"]["schemas"]
    for node in _walk(document):
        ref = node.get("$ref")
        if ref is not None:
            assert ref.startswith("#/components/schemas/")
            assert ref.removeprefix("#/components/schemas/") in schemas, ref
            assert set(node) == {"$ref"}, node  # siblings go beside an allOf, as kube-openapi writes v3
        assert not isinstance(node.get("type"), list), node
        assert "oneOf" not in node
        assert "anyOf" not in node


def test_v2_refs_resolve_with_siblings_beside_them_and_no_allof() -> None:
    document = openapi.v2_document()
    for node in _walk(document):
        ref = node.get("$ref")
        if ref is not None:
            assert ref.removeprefix("#/definitions/") in document["definitions"], ref
        assert "allOf" not in node  # kubectl 1.27 panics computing patches from allOf in v2
        assert not isinstance(node.get("type"), list), node


def test_schemas_keep_upstream_extensions_and_kinds() -> None:
    schemas = _v3("apps", "v1")["components"]["schemas"]
    daemonset = schemas["io.k8s.api.apps.v1.DaemonSet"]
    assert daemonset["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "DaemonSet", "version": "v1"}
    ]
    assert "enum" not in daemonset["properties"]["kind"]
    assert daemonset["properties"]["spec"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.apps.v1.DaemonSetSpec"}
    ]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["type"] == "array"
    strategy = schemas["io.k8s.api.apps.v1.DaemonSetUpdateStrategy"]
    assert set(strategy["properties"]) == {"rollingUpdate", "type"}
    int_or_string = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert (int_or_string["type"], int_or_string["format"]) == ("string", "int-or-string")
    v2_containers = openapi.v2_document()["definitions"]["io.k8s.api.core.v1.PodSpec"]["properties"][
        "containers"
    ]
    assert v2_containers["items"] == {"$ref": "#/definitions/io.k8s.api.core.v1.Container"}


def test_eviction_and_binding_are_posts_of_their_own_kinds() -> None:
    paths = _v3("", "v1")["paths"]
    eviction = paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
    assert eviction["x-kubernetes-group-version-kind"] == {
        "group": "policy",
        "kind": "Eviction",
        "version": "v1",
    }
    assert eviction["operationId"] == "createCoreV1NamespacedPodEviction"
    binding = paths["/api/v1/namespaces/{namespace}/bindings"]["post"]
    assert binding["x-kubernetes-group-version-kind"]["kind"] == "Binding"
    assert "io.k8s.api.policy.v1.Eviction" in _v3("policy", "v1")["components"]["schemas"]


def test_index_names_every_group_version_with_the_hash_of_its_document() -> None:
    index = openapi.v3_index()
    assert set(index["paths"]) == {
        "api/v1",
        "apis/admissionregistration.k8s.io/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/apiregistration.k8s.io/v1",
        "apis/apps/v1",
        "apis/coordination.k8s.io/v1",
        "apis/discovery.k8s.io/v1",
        "apis/networking.k8s.io/v1",
        "apis/policy/v1",
        "apis/rbac.authorization.k8s.io/v1",
        "apis/scheduling.k8s.io/v1",
        "apis/storage.k8s.io/v1",
    }
    for key, entry in index["paths"].items():
        url, _, digest = entry["serverRelativeURL"].partition("?hash=")
        assert url == f"/openapi/v3/{key}"
        found = openapi.handle(url, "application/json")
        assert found is not None
        assert digest == hashlib.sha512(found[0]).hexdigest().upper()


def _clear_caches() -> None:
    for name in ("v3_document_obj", "v3_document", "v3_index", "_v3_index_json", "v2_document", "v2_json"):
        getattr(openapi, name).cache_clear()
    openapi.v2_protobuf.cache_clear()


def test_documents_are_stable_and_fast_to_build() -> None:
    before = (openapi.v3_document("apps", "v1"), openapi.v2_protobuf(), openapi.v3_index())
    _clear_caches()
    start = time.perf_counter()
    after = (openapi.v3_document("apps", "v1"), openapi.v2_protobuf(), openapi.v3_index())
    for group, version in openapi.group_versions():
        openapi.v3_document(group, version)
    openapi.v2_json()
    assert time.perf_counter() - start < 1.5
    assert after == before


@pytest.mark.parametrize(
    ("path", "accept", "content_type"),
    [
        ("/openapi/v3", "application/json, */*", "application/json"),
        ("/openapi/v3/", "application/json", "application/json"),
        ("/openapi/v3/apis/apps/v1", "application/json", "application/json"),
        ("/openapi/v3/api/v1?hash=X", "application/json", "application/json"),
        ("/openapi/v2", PROTOBUF_ACCEPT, "application/octet-stream"),
        ("/openapi/v2", "application/json", "application/json"),
        ("/swagger-2.0.0.pb-v1", "", "application/octet-stream"),
    ],
)
def test_handle_answers_openapi_paths(path: str, accept: str, content_type: str) -> None:
    found = openapi.handle(path, accept)
    assert found is not None
    assert found[1] == content_type


@pytest.mark.parametrize(
    "path",
    ["/openapi/v3/apis/extensions/v1", "/openapi/v3/api/v2", "/openapi/v3/apis", "/openapi", "/api/v1"],
)
def test_handle_leaves_other_paths_alone(path: str) -> None:
    assert openapi.handle(path, "application/json") is None


# -- decoding the protobuf back ---------------------------------------------------------------------


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """A minimal protobuf reader: (field number, varint or length-delimited bytes) in order."""
    out: list[tuple[int, int | bytes]] = []
    position = 0

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while position < len(data):
        key = varint()
        if key & 7 == 0:
            out.append((key >> 3, varint()))
        elif key & 7 == 2:
            length = varint()
            out.append((key >> 3, data[position : position + length]))
            position += length
        else:
            raise AssertionError(f"unexpected wire type {key & 7}")
    return out


def _get(data: bytes, number: int) -> list[Any]:
    return [value for field, value in _fields(data) if field == number]


def _one(data: bytes, number: int) -> Any:
    (value,) = _get(data, number)
    return value


def _decode_schema(data: bytes) -> dict[str, Any]:
    """The Schema fields the definitions use, back into Swagger JSON."""
    out: dict[str, Any] = {}
    names = {1: "$ref", 2: "format", 4: "description"}
    for field, value in _fields(data):
        assert isinstance(value, bytes)
        if field in names:
            out[names[field]] = value.decode()
        elif field == 19:
            out.setdefault("required", []).append(value.decode())
        elif field == 21:
            out["additionalProperties"] = _decode_schema(_one(value, 1))
        elif field == 22:
            (out["type"],) = (v.decode() for v in _get(value, 1))
        elif field == 23:
            out["items"] = _decode_schema(_one(value, 1))
        elif field == 25:
            for entry in _get(value, 1):
                out.setdefault("properties", {})[_one(entry, 1).decode()] = _decode_schema(_one(entry, 2))
        elif field == 31:
            out[_one(value, 1).decode()] = orjson.loads(_one(_one(value, 2), 2))
        else:
            raise AssertionError(f"schema field {field} not expected")
    return out


@functools.cache
def _document() -> dict[int, list[Any]]:
    fields: dict[int, list[Any]] = {}
    for number, value in _fields(openapi.v2_protobuf()):
        fields.setdefault(number, []).append(value)
    return fields


def test_protobuf_definitions_decode_back_to_the_json_document() -> None:
    document = _document()
    assert document[1] == [b"2.0"]
    (definitions,) = document[9]
    decoded = {_one(e, 1).decode(): _decode_schema(_one(e, 2)) for e in _get(definitions, 1)}
    assert decoded == openapi.v2_document()["definitions"]


def test_protobuf_daemonset_patch_operation_carries_field_validation_and_its_kind() -> None:
    (paths,) = _document()[8]
    items = {_one(e, 1).decode(): _one(e, 2) for e in _get(paths, 2)}
    assert set(items) == set(openapi.v2_document()["paths"])
    patch = _one(items["/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}"], 8)  # PathItem.patch
    assert SMP.encode() in _get(patch, 7)  # consumes
    extensions = {_one(e, 1).decode(): orjson.loads(_one(_one(e, 2), 2)) for e in _get(patch, 13)}
    assert extensions["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "kind": "DaemonSet",
        "version": "v1",
    }
    query = []
    for item in _get(patch, 8):  # ParametersItem.parameter.non_body_parameter.query_parameter_sub_schema
        for non_body in _get(_one(item, 1), 2):
            query.extend(_one(sub, 4).decode() for sub in _get(non_body, 3))
    assert {"fieldValidation", "dryRun"} <= set(query)


# -- through the application -----------------------------------------------------------------------


@web.middleware
async def _openapi_routes(request: web.Request, handler: Any) -> web.StreamResponse:
    """What app.py does once wired: GETs of OpenAPI paths go to ``openapi.handle``."""
    found = (
        openapi.handle(request.path, request.headers.get("Accept", "")) if request.method == "GET" else None
    )
    if found is None:
        return await handler(request)
    return web.Response(body=found[0], headers={"Content-Type": found[1]})


async def test_served_through_the_app_with_the_content_types_kubectl_parses() -> None:
    app = build_app(ApiServerOptions(), backend=MemoryBackend())
    app.middlewares.insert(0, _openapi_routes)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/openapi/v2?timeout=32s", headers={"Accept": PROTOBUF_ACCEPT})
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert await response.read() == openapi.v2_protobuf()
        index = await (await client.get("/openapi/v3")).json()
        url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        response = await client.get(url, headers={"Accept": "application/json"})
        assert response.headers["Content-Type"] == "application/json"
        assert "io.k8s.api.apps.v1.DaemonSet" in (await response.json())["components"]["schemas"]
