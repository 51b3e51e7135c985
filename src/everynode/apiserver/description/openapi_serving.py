"""``GET /openapi/v2`` and ``/openapi/v3[/…]`` for one server: the built-in documents (``openapi``),
with its custom resources' (``openapi_custom``) merged in while it has any."""

from __future__ import annotations

import weakref

import orjson

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.description import openapi
from everynode.apiserver.description.openapi_custom import CustomDocuments

# each server's catalog -> (its generation, its documents)
_DOCUMENTS: weakref.WeakKeyDictionary[Catalog, tuple[int, CustomDocuments]] = weakref.WeakKeyDictionary()


def _documents(catalog: Catalog) -> CustomDocuments:
    found = _DOCUMENTS.get(catalog)
    if found is None or found[0] != catalog.generation:
        documents = CustomDocuments(catalog, openapi.group_versions())
        _DOCUMENTS[catalog] = (catalog.generation, documents)
        return documents
    return found[1]


def handle(path: str, accept: str, catalog: Catalog) -> tuple[bytes, str] | None:
    """Body and Content-Type for a GET of an OpenAPI path, or None when ``path`` is not one."""
    if not catalog.custom():
        return openapi.handle(path, accept)
    path = path.partition("?")[0].rstrip("/")
    documents = _documents(catalog)
    if path == "/openapi/v3":
        index = openapi.v3_index()
        body = orjson.dumps({"paths": {**index["paths"], **documents.v3_index_entries()}})
        return body, openapi.JSON
    if path.startswith("/openapi/v3/apis/"):
        parts = path.split("/")[3:]
        if len(parts) == 3 and (found := documents.v3_document(parts[1], parts[2])) is not None:
            return found, openapi.JSON
        return openapi.handle(path, accept)
    if path in ("/openapi/v2", "/swagger-2.0.0.pb-v1"):
        if path == "/swagger-2.0.0.pb-v1" or any(t in accept for t in openapi.V2_PROTOBUF_TYPES):
            return documents.v2_bytes(protobuf=True), openapi.V2_PROTOBUF_CONTENT_TYPE
        return documents.v2_bytes(protobuf=False), openapi.JSON
    return openapi.handle(path, accept)
