"""OpenAPI for custom resources: what kube-apiserver publishes for each established
CustomResourceDefinition (apiextensions-apiserver's ``pkg/controller/openapi/builder``), merged with the
built-in documents, so kubectl validates, explains and patches custom resources as it does built-in
ones.

- A kind's schema is named by its group reversed, its version and kind (``crd.projectcalico.org``,
  ``v1``, ``IPPool`` → ``org.projectcalico.crd.v1.IPPool``); it is the version's ``openAPIV3Schema``
  with ``apiVersion``, ``kind`` and ``metadata`` (ObjectMeta) added and the kind's
  ``x-kubernetes-group-version-kind``; a version without a schema publishes an object open to anything.
  The list kind (``…IPPoolList``) holds ``items`` of it.
- In v2 the schema loses what Swagger 2.0 cannot say (``nullable``, ``anyOf``/``oneOf``/``not``, and
  any ``x-kubernetes-*`` but the group-version-kind), as upstream's v2 conversion drops them.
- Documents are rebuilt when the catalog changes (its ``generation``) and kept until it changes again;
  with no custom resource the built-in documents are served as they are.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import orjson

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.description import openapi, openapi_v2
from everynode.apiserver.description.openapi_paths import META, group_version_paths
from everynode.apiserver.description.schema import KUBERNETES_VERSION, root_definition
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

_V2_DROPPED = frozenset({"nullable", "anyOf", "oneOf", "not", "allOf"})
# what a Swagger 2.0 schema can say (and gnostic's protobuf encodes); anything else is left out of v2
_V2_KEYS = frozenset(openapi_v2.SCHEMA_KEYS)


def definition_name(group: str, version: str, kind: str) -> str:
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def _object_schema(schema: Any, info: ResourceInfo, ref: str) -> Obj:
    published: Obj = copy.deepcopy(schema) if isinstance(schema, dict) else {"type": "object"}
    published.setdefault("type", "object")
    if not isinstance(schema, dict) or not schema.get("properties"):
        published.setdefault("x-kubernetes-preserve-unknown-fields", True)
    properties = published.setdefault("properties", {})
    properties["apiVersion"] = {
        "description": "APIVersion defines the versioned schema of this representation of an object.",
        "type": "string",
    }
    properties["kind"] = {
        "description": "Kind is a string value representing the REST resource this object represents.",
        "type": "string",
    }
    properties["metadata"] = _ref(ref + META + "ObjectMeta", ref)
    published["x-kubernetes-group-version-kind"] = [
        {"group": info.group, "kind": info.kind, "version": info.version}
    ]
    return published


def _list_schema(info: ResourceInfo, item: str, ref: str) -> Obj:
    return {
        "description": f"{info.kind}List is a list of {info.kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string", "description": "The versioned schema of this representation."},
            "items": {"type": "array", "items": _ref(ref + item, ref)},
            "kind": {"type": "string", "description": "The REST resource this object represents."},
            "metadata": _ref(ref + META + "ListMeta", ref),
        },
        "x-kubernetes-group-version-kind": [
            {"group": info.group, "kind": info.kind + "List", "version": info.version}
        ],
    }


def _ref(target: str, ref: str) -> Obj:
    # v3 wraps a $ref with siblings in allOf; these have none
    return {"$ref": target}


def _v2(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_v2(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: Obj = {}
    for key, value in schema.items():
        if key in _V2_DROPPED or (
            key.startswith("x-kubernetes-") and key != "x-kubernetes-group-version-kind"
        ):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: _v2(sub) for name, sub in value.items()} if isinstance(value, dict) else value
        elif key in ("items", "additionalProperties"):
            out[key] = _v2(value)
        else:
            out[key] = value
    return out


class CustomDocuments:
    """The OpenAPI documents of one catalog generation (built-in and custom group-versions)."""

    def __init__(self, catalog: Catalog, builtin_groups: list[tuple[str, str]]) -> None:
        self.generation = catalog.generation
        self.infos: list[ResourceInfo] = []
        self.schemas: dict[str, tuple[ResourceInfo, Any]] = {}  # definition name -> (info, raw schema)
        for custom in catalog.custom():
            for kind in custom.kinds:
                info = kind.info
                self.infos.append(info)
                self.schemas[definition_name(info.group, info.version, info.kind)] = (
                    info,
                    custom.schemas.get(info.version),
                )
        custom_groups = _unique((i.group, i.version) for i in self.infos)
        self.group_versions = [gv for gv in custom_groups if gv not in builtin_groups]
        self._v3: dict[tuple[str, str], bytes] = {}
        self._v2: dict[str, bytes] = {}

    def definition(self, group: str, version: str, kind: str) -> str | None:
        base = kind[: -len("List")] if kind.endswith("List") else kind
        name = definition_name(group, version, base)
        if name in self.schemas:
            return name + ("List" if kind != base else "")
        return root_definition(group, version, kind)

    def own_schemas(self, *, v3: bool, group_version: tuple[str, str] | None = None) -> dict[str, Obj]:
        ref = "#/components/schemas/" if v3 else "#/definitions/"
        out: dict[str, Obj] = {}
        for name, (info, raw) in self.schemas.items():
            if group_version is not None and (info.group, info.version) != group_version:
                continue
            obj = _object_schema(raw, info, ref)
            listed = _list_schema(info, name, ref)
            out[name] = obj if v3 else _v2(obj)
            out[name + "List"] = listed
        return out

    def paths(self, group: str, version: str) -> list[Any]:
        return group_version_paths(group, version, self.infos, self.definition)

    def v3_document(self, group: str, version: str) -> bytes | None:
        """The document of a custom group-version (None when it is not one)."""
        if (group, version) not in self.group_versions:
            return None
        cached = self._v3.get((group, version))
        if cached is not None:
            return cached
        items = self.paths(group, version)
        own = self.own_schemas(v3=True, group_version=(group, version))
        names = openapi.schema_names(items, (META + "ObjectMeta", META + "ListMeta"), frozenset(own))
        schemas = {name: openapi.convert(name, v3=True) for name in names} | own
        document = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
            "paths": openapi.v3_paths(items),
            "components": {"schemas": schemas},
        }
        body = orjson.dumps(document)
        self._v3[(group, version)] = body
        return body

    def v3_index_entries(self) -> dict[str, Obj]:
        entries: dict[str, Obj] = {}
        for group, version in self.group_versions:
            body = self.v3_document(group, version)
            assert body is not None
            digest = hashlib.sha512(body).hexdigest().upper()
            key = f"apis/{group}/{version}"
            entries[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
        return entries

    def v2_document(self, builtin: Obj) -> Obj:
        """The built-in v2 document with every custom kind's paths and definitions added."""
        items = [item for gv in _unique((i.group, i.version) for i in self.infos) for item in self.paths(*gv)]
        own = self.own_schemas(v3=False)
        custom = openapi_v2.document(items, {}, KUBERNETES_VERSION)
        names = openapi.schema_names(items, (META + "ObjectMeta", META + "ListMeta"), frozenset(own))
        merged = dict(builtin)
        merged["paths"] = {**builtin["paths"], **custom["paths"]}
        merged["definitions"] = {
            **builtin["definitions"],
            **{n: openapi.convert(n, v3=False) for n in names if n not in builtin["definitions"]},
            **own,
        }
        return merged

    def v2_bytes(self, *, protobuf: bool) -> bytes:
        """The merged v2 document, as JSON or as kubectl 1.27/1.28 read it (built once)."""
        key = "protobuf" if protobuf else "json"
        if key not in self._v2:
            document = self.v2_document(openapi.v2_document())
            self._v2[key] = openapi_v2.encode_document(document) if protobuf else orjson.dumps(document)
        return self._v2[key]


def _unique(pairs: Any) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for pair in pairs:
        seen.setdefault(pair, None)
    return list(seen)
