"""The operations everynode serves, as OpenAPI describes them, independent of the OpenAPI version:
per group-version, every path with its methods, operation ids, parameters, request and response
definitions, as kube-apiserver names them (so kubectl finds the PATCH operation of a kind, and its
``fieldValidation`` parameter). Made up from :data:`everynode.core.resources.RESOURCES`; written out as
v3 and v2 by :mod:`everynode.apiserver.description.openapi`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from everynode.apiserver.description import discovery
from everynode.apiserver.description.schema import root_definition
from everynode.core import resources as r

PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
DefinitionName = Callable[[str, str, str], str | None]  # the schema's name of a (group, version, kind)
STATUS, DELETE_OPTIONS, PATCH, RESOURCE_LIST = (
    META + n for n in ("Status", "DeleteOptions", "Patch", "APIResourceList")
)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    location: str  # "query" or "path"
    description: str
    type: str = "string"
    required: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # get, put, post, delete, patch
    operation_id: str
    action: str  # x-kubernetes-action
    gvk: tuple[str, str, str]
    tag: str
    description: str
    params: tuple[Param, ...]
    body: str | None  # the definition of the request body
    responses: tuple[tuple[str, str, str | None], ...]  # (code, description, definition)
    consumes: tuple[str, ...] = ("*/*",)

    def extensions(self) -> dict[str, object]:
        """Its ``x-kubernetes-action`` and ``-group-version-kind`` (both OpenAPI versions carry them)."""
        if not self.action:
            return {}
        group, version, kind = self.gvk
        gvk = {"group": group, "kind": kind, "version": version}
        return {"x-kubernetes-action": self.action, "x-kubernetes-group-version-kind": gvk}


@dataclass(frozen=True, slots=True)
class PathItem:
    path: str
    params: tuple[Param, ...]
    operations: tuple[Operation, ...]


_PRETTY = Param("pretty", "query", "If 'true', the output is pretty printed.")
_DRY_RUN = Param("dryRun", "query", "When present (All), changes are checked but not persisted.")
_FIELD_MANAGER = Param("fieldManager", "query", "The name of the actor making these changes.")
_FIELD_VALIDATION = Param(
    "fieldValidation", "query", "Ignore, Warn or Strict: what to do with unknown or duplicate fields."
)
_FORCE = Param("force", "query", "Force apply requests to take conflicting fields.", "boolean")
_WRITE = (_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION)
_DELETE = (
    _DRY_RUN,
    Param("gracePeriodSeconds", "query", "Seconds before the object is deleted.", "integer"),
    Param("orphanDependents", "query", "Deprecated: use propagationPolicy.", "boolean"),
    Param("propagationPolicy", "query", "Orphan, Background or Foreground garbage collection."),
)
_LIST = (
    Param("allowWatchBookmarks", "query", "Ask for BOOKMARK watch events.", "boolean"),
    Param("continue", "query", "The token of the next page of a list."),
    Param("fieldSelector", "query", "Restrict the objects returned by their fields."),
    Param("labelSelector", "query", "Restrict the objects returned by their labels."),
    Param("limit", "query", "The most objects a list returns; the rest follow with continue.", "integer"),
    Param("resourceVersion", "query", "The resource version to read or watch from."),
    Param("resourceVersionMatch", "query", "How resourceVersion applies to a list."),
    Param("sendInitialEvents", "query", "Start a watch with the current state.", "boolean"),
    Param("timeoutSeconds", "query", "How long a list or watch may last.", "integer"),
    Param("watch", "query", "Stream changes instead of listing.", "boolean"),
)


def _group_id(group: str, version: str) -> tuple[str, str]:
    """``AppsV1`` / ``apps_v1``, the operationId infix and the tag upstream derives from a group."""
    name = group.split(".", maxsplit=1)[0] if group else "core"
    return name[:1].upper() + name[1:] + version.capitalize(), f"{name}_{version}"


_ACTIONS = {"list": "list", "create": "post", "deletecollection": "deletecollection", "get": "get"}
_ACTIONS |= {"update": "put", "delete": "delete", "patch": "patch"}
# Kinds of a group-version taken by another group's paths (pods/eviction); their document still holds them.
KINDS_WITHOUT_PATHS = {("policy", "v1"): ("Eviction",)}
_RESPONSES = {"200": "OK", "201": "Created", "202": "Accepted"}
_CREATED, _ACCEPTED = ("200", "201", "202"), ("200", "202")

# (method, operationId pattern, discovery verb, parameters, request body, response, response codes); the
# body and response are a definition, or "object" / "list" for the kind's own.
_Template = tuple[str, str, str, tuple[Param, ...], str | None, str, tuple[str, ...]]
_LIST_OP: _Template = ("get", "list{g}{ns}{kind}", "list", _LIST, None, "list", ("200",))
_CREATE_OP: _Template = ("post", "create{g}{ns}{kind}{sub}", "create", _WRITE, "object", "object", _CREATED)
_DELETE_ALL = (*_DELETE, *_LIST)
_COLLECTION: tuple[_Template, ...] = (
    _LIST_OP,
    _CREATE_OP,
    (
        "delete",
        "delete{g}Collection{ns}{kind}",
        "deletecollection",
        _DELETE_ALL,
        DELETE_OPTIONS,
        STATUS,
        ("200",),
    ),
)
_STATUS: tuple[_Template, ...] = (
    ("get", "read{g}{ns}{kind}{sub}", "get", (), None, "object", ("200",)),
    ("put", "replace{g}{ns}{kind}{sub}", "update", _WRITE, "object", "object", _CREATED[:2]),
    ("patch", "patch{g}{ns}{kind}{sub}", "patch", (*_WRITE, _FORCE), PATCH, "object", _CREATED[:2]),
)
_ITEM = (*_STATUS, ("delete", "delete{g}{ns}{kind}", "delete", _DELETE, DELETE_OPTIONS, STATUS, _ACCEPTED))
_RESOURCE_LIST: _Template = ("get", "get{g}APIResources", "", (), None, RESOURCE_LIST, ("200",))


def _operations(
    where: tuple[str, str],
    templates: tuple[_Template, ...],
    gvk: tuple[str, str, str],
    *,
    namespaced: bool = True,
    sub: str = "",
    verbs: tuple[str, ...] = r.ALL_VERBS,
    kind: str = "",
    definition: DefinitionName = root_definition,
) -> tuple[Operation, ...]:
    """Operations under the group-version ``where`` from templates, for the kind ``gvk``.

    ``kind`` names the resource when the operation takes another kind (``pods/eviction``: Eviction).
    """
    infix, tag = _group_id(*where)
    kind = kind or gvk[2]
    names = {"g": infix, "ns": "Namespaced" if namespaced else "", "kind": kind, "sub": sub.capitalize()}
    own = {"object": definition(*gvk), "list": definition(gvk[0], gvk[1], gvk[2] + "List")}
    out = []
    for method, pattern, verb, params, body, response, codes in templates:
        if verb and verb not in verbs:
            continue
        returned = own.get(response, response)
        assert returned is not None, gvk
        responses = (*((c, _RESPONSES[c], returned) for c in codes), ("401", "Unauthorized", None))
        description = f"{verb or 'get'} {kind}{' ' + sub if sub else ''}"
        operation = Operation(method, pattern.format(**names), _ACTIONS.get(verb, ""), gvk, tag, description,
                              params, own.get(body, body) if body else None, responses,
                              PATCH_TYPES if method == "patch" else ("*/*",))  # fmt: skip
        out.append(operation)
    return tuple(out)


def group_version_paths(
    group: str,
    version: str,
    served: Sequence[r.ResourceInfo] = r.RESOURCES,
    definition: DefinitionName = root_definition,
) -> list[PathItem]:
    """Every path of one group-version among ``served``, laid out as kube-apiserver does;
    ``definition`` names the schema of a (group, version, kind) (custom kinds have their own)."""
    gv, base = (group, version), f"/apis/{group}/{version}" if group else f"/api/{version}"
    items = [PathItem(f"{base}/", (), _operations(gv, (_RESOURCE_LIST,), (group, version, "")))]
    namespace = Param("namespace", "path", "object name and auth scope", required=True)
    for info in served:
        if (info.group, info.version) != gv:
            continue
        gvk, namespaced, verbs = (group, version, info.kind), info.namespaced, info.verbs
        scope = (namespace,) if namespaced else ()
        collection = f"{base}/{'namespaces/{namespace}/' if namespaced else ''}{info.resource}"
        named = (Param("name", "path", f"name of the {info.kind}", required=True), *scope, _PRETTY)
        for path, params, templates in (
            (collection, (*scope, _PRETTY), _COLLECTION),
            (f"{collection}/{{name}}", named, _ITEM),
        ):
            operations = _operations(
                gv, templates, gvk, namespaced=namespaced, verbs=verbs, definition=definition
            )
            items.append(PathItem(path, params, operations))
        if namespaced:
            every = ("get", "list{g}{kind}ForAllNamespaces", *_LIST_OP[2:])
            operations = _operations(gv, (every,), gvk, verbs=verbs, definition=definition)
            items.append(PathItem(f"{base}/{info.resource}", (_PRETTY,), operations))
        for sub in info.subresources:
            if sub in r.CONNECT_SUBRESOURCES:
                continue  # streams and upgrades: no object body to describe (not yet in the document)
            if sub == "status":
                operations = _operations(
                    gv, _STATUS, gvk, namespaced=namespaced, sub=sub, definition=definition
                )
            elif sub == "scale":
                scale = ("autoscaling", "v1", "Scale")
                operations = _operations(gv, _STATUS, scale, namespaced=namespaced, sub=sub, kind=info.kind)
            else:  # eviction / binding: a POST of another kind
                other = ("policy", "v1", "Eviction") if sub == "eviction" else ("", "v1", "Binding")
                operations = _operations(
                    gv, (_CREATE_OP,), other, namespaced=namespaced, sub=sub, kind=info.kind
                )
            items.append(PathItem(f"{collection}/{{name}}/{sub}", named, operations))
    if gv == ("", "v1"):  # the bindings resource: POST /api/v1/namespaces/{namespace}/bindings
        operations = _operations(gv, (_CREATE_OP,), ("", "v1", "Binding"))
        items.append(PathItem(f"{base}/namespaces/{{namespace}}/bindings", (namespace, _PRETTY), operations))
    return items


def group_versions() -> list[tuple[str, str]]:
    """Every group-version with a document: the served resources' plus policy/v1 (Eviction)."""
    served = r.group_versions()
    return served + [gv for gv in discovery.EXTRA_GROUPS if gv not in served]
