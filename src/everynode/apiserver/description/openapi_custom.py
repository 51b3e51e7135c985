"""The OpenAPI documents of one catalog generation: the built-in ones with every served custom resource
merged in, as kube-apiserver serves them once apiextensions-apiserver's OpenAPI controllers have
added each established CustomResourceDefinition (``pkg/controller/openapi`` for v2: one document,
the CRDs' specs merged into the static one; ``pkg/controller/openapiv3``: one document per custom
group-version).

What a served version publishes (its kind's and list's schemas, its paths, the built-in definitions
they refer to) is built by :mod:`everynode.apiserver.crd.openapi` and
:mod:`everynode.apiserver.crd.openapi_paths`; this module only assembles documents:

- v3: a document per custom group-version (several definitions may serve one), listed in the
  ``/openapi/v3`` index with the hash of its body; a group-version the built-in documents already
  have keeps the built-in document;
- v2: the built-in document with every custom path and definition added, as JSON or as gnostic's
  protobuf (kubectl 1.27/1.28).

Documents are built on first request and kept for the generation (the catalog's ``generation`` moves
on every change; :mod:`.openapi_serving` makes a new :class:`CustomDocuments` then).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import orjson

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.crd import openapi as crd_openapi
from everynode.apiserver.crd import openapi_paths as crd_paths
from everynode.apiserver.description import openapi, openapi_v2
from everynode.apiserver.description.openapi_paths import PathItem
from everynode.apiserver.description.schema import KUBERNETES_VERSION
from everynode.core.types import Obj

GroupVersion = tuple[str, str]
_V2_REF = "#/definitions/"


class CustomDocuments:
    """The OpenAPI documents of one catalog generation (built-in and custom group-versions)."""

    def __init__(self, catalog: Catalog, builtin_groups: list[GroupVersion]) -> None:
        self.generation = catalog.generation
        # every served (definition, version), in the catalog's order
        self._served: list[tuple[Obj, str]] = [
            (custom.crd, kind.info.version) for custom in catalog.custom() for kind in custom.kinds
        ]
        served_groups = _unique((crd_openapi.names(crd)[0], version) for crd, version in self._served)
        self.group_versions = [gv for gv in served_groups if gv not in builtin_groups]
        self._v3: dict[GroupVersion, bytes] = {}
        self._v2: dict[str, bytes] = {}
        self._v2_document: Obj | None = None

    def _published(
        self, group_version: GroupVersion | None, *, v2: bool
    ) -> tuple[list[PathItem], Obj, list[str]]:
        """The paths, own definitions and referenced built-in definitions of the served versions (of
        one group-version, or all)."""
        items: list[PathItem] = []
        own: Obj = {}
        referenced: dict[str, None] = {}
        for crd, version in self._served:
            if group_version is not None and (crd_openapi.names(crd)[0], version) != group_version:
                continue
            items.extend(crd_paths.path_items(crd, version))
            own.update(crd_openapi.definitions(crd, version, v2=v2))
            referenced.update(dict.fromkeys(crd_openapi.referenced(crd, version)))
        for item in items:
            for operation in item.operations:
                named = (operation.body, *(definition for _, _, definition in operation.responses))
                referenced.update(dict.fromkeys(n for n in named if n and n not in own))
        return items, own, _closure(referenced)

    def v3_document(self, group: str, version: str) -> bytes | None:
        """The document of a custom group-version (None when it is not one)."""
        if (group, version) not in self.group_versions:
            return None
        cached = self._v3.get((group, version))
        if cached is not None:
            return cached
        items, own, builtin = self._published((group, version), v2=False)
        document = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
            "paths": openapi.v3_paths(items),
            "components": {"schemas": {name: openapi.convert(name, v3=True) for name in builtin} | own},
        }
        body = orjson.dumps(document)
        self._v3[(group, version)] = body
        return body

    def v3_index_entries(self) -> dict[str, Obj]:
        """The ``/openapi/v3`` index entries of the custom group-versions."""
        entries: dict[str, Obj] = {}
        for group, version in self.group_versions:
            body = self.v3_document(group, version)
            assert body is not None
            digest = hashlib.sha512(body).hexdigest().upper()
            key = f"apis/{group}/{version}"
            entries[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
        return entries

    def v2_document(self, builtin: Obj) -> Obj:
        """``builtin`` (the v2 document) with every custom kind's paths and definitions added."""
        items, own, referenced = self._published(None, v2=True)
        custom = openapi_v2.document(items, {}, KUBERNETES_VERSION)
        known = builtin["definitions"]
        missing = {name: openapi.convert(name, v3=False) for name in referenced if name not in known}
        return {
            **builtin,
            "paths": {**builtin["paths"], **custom["paths"]},
            "definitions": {**known, **missing, **own},
        }

    def v2_bytes(self, *, protobuf: bool) -> bytes:
        """The merged v2 document, as JSON or as kubectl 1.27/1.28 read it (built once)."""
        key = "protobuf" if protobuf else "json"
        if key not in self._v2:
            if self._v2_document is None:
                self._v2_document = self.v2_document(openapi.v2_document())
            document = self._v2_document
            self._v2[key] = openapi_v2.encode_document(document) if protobuf else orjson.dumps(document)
        return self._v2[key]


def _closure(roots: Iterable[str]) -> list[str]:
    """``roots`` (built-in definitions) and every definition they refer to, sorted."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(_refs(openapi.convert(name, v3=False)))
    return sorted(seen)


def _refs(schema: object) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value.removeprefix(_V2_REF)
            else:
                yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def _unique(pairs: Iterable[GroupVersion]) -> list[GroupVersion]:
    return list(dict.fromkeys(pairs))
