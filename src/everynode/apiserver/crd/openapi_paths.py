"""The operations a served CRD version publishes in OpenAPI, as apiextensions-apiserver's builder lays
them out (``pkg/controller/openapi/builder/builder.go``: ``generateBuilder``, ``buildRoute``; operation
ids and tags as ``GetOperationIDAndTags`` derives them from the group and version).

- list, create and deletecollection on the collection; read, replace, patch and delete on an object;
  list across namespaces for a namespaced kind; read, replace and patch of ``/status`` and ``/scale``
  when the version has them (``/scale`` takes and returns ``autoscaling/v1`` Scale);
- PATCH takes JSON patch, merge patch and apply patch, never strategic merge patch (kubectl then
  computes a merge patch); create, replace and patch take ``fieldValidation`` (kubectl 1.27+ leaves
  validation to the server when the PATCH operation of a kind has it);
- every operation carries ``x-kubernetes-action`` and the kind's ``x-kubernetes-group-version-kind``.

The paths are independent of the OpenAPI version: :mod:`everynode.apiserver.description.openapi` writes
them as v3 or v2.
"""

from __future__ import annotations

from dataclasses import dataclass

from everynode.apiserver.crd.openapi import SCALE, model_name, names, subresources
from everynode.apiserver.description.openapi_paths import (
    DELETE_OPTIONS,
    PATCH,
    STATUS,
    Operation,
    Param,
    PathItem,
)
from everynode.apiserver.validation.fields import as_dict
from everynode.core.types import Obj

CRD_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
_BODY_TYPES = ("application/json", "application/yaml")

_PRETTY = Param("pretty", "query", "If 'true', the output is pretty printed.")
_WRITE = (
    Param("dryRun", "query", "When present (All), changes are checked but not persisted."),
    Param("fieldManager", "query", "The name of the actor making these changes."),
    Param("fieldValidation", "query", "Ignore, Warn or Strict: what to do with unknown or duplicate fields."),
)
_FORCE = Param("force", "query", "Force apply requests to take conflicting fields.", "boolean")
_DELETE = (
    _WRITE[0],
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
_OK, _CREATED, _ACCEPTED = ("200", "OK"), ("201", "Created"), ("202", "Accepted")
_UNAUTHORIZED = ("401", "Unauthorized", None)


def operation_id_part(text: str, *, capitalize: bool) -> str:
    """``ToValidOperationID``: letters, digits (not first) and ``_``, a capital after each dropped
    character."""
    out: list[str] = []
    upper = capitalize
    for i, char in enumerate(text):
        if char.isalpha() or char == "_" or (i and char.isdigit()):
            out.append(char.upper() if upper else char)
            upper = False
        else:
            upper = True
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Template:
    """One operation: HTTP method, operation verb, discovery action, parameters, request body,
    response definition and codes, description. ``"own"`` stands for the operation's own object,
    ``"list"`` for the kind's list."""

    method: str
    verb: str
    action: str
    params: tuple[Param, ...]
    body: str | None
    response: str
    codes: tuple[tuple[str, str], ...]
    description: str


_LIST_ALL = _Template("get", "list", "list", _LIST, None, "list", (_OK,), "list {kind}")
_COLLECTION = (  # list, create, deletecollection (its operation id: delete<Group><Version>Collection<Kind>)
    _LIST_ALL,
    _Template("post", "create", "post", _WRITE, "own", "own", (_OK, _CREATED, _ACCEPTED), "create a {kind}"),
    _Template(
        "delete",
        "delete",
        "deletecollection",
        (*_DELETE, *_LIST),
        DELETE_OPTIONS,
        STATUS,
        (_OK,),
        "delete collection of {kind}",
    ),
)
_ITEM = (
    _Template("get", "read", "get", (), None, "own", (_OK,), "read{of} {kind}"),
    _Template("put", "replace", "put", _WRITE, "own", "own", (_OK, _CREATED), "replace{of} {kind}"),
    _Template(
        "patch",
        "patch",
        "patch",
        (*_WRITE, _FORCE),
        PATCH,
        "own",
        (_OK, _CREATED),
        "partially update{of} {kind}",
    ),
    _Template(
        "delete", "delete", "delete", _DELETE, DELETE_OPTIONS, STATUS, (_OK, _ACCEPTED), "delete a {kind}"
    ),
)


@dataclass(frozen=True, slots=True)
class _Operations:
    """Builds the operations of one served version."""

    gvk: tuple[str, str, str]
    infix: str  # ``MonitoringExampleComV1``, after the verb in operation ids
    tag: str  # ``monitoringExampleCom_v1``
    own_list: str

    def make(self, template: _Template, name: str, own: str, sub: str = "") -> Operation:
        definitions = {"own": own, "list": self.own_list}
        body = definitions.get(template.body, template.body) if template.body else None
        response = definitions.get(template.response, template.response)
        consumes = CRD_PATCH_TYPES if template.method == "patch" else _BODY_TYPES if body else ("*/*",)
        of = f" {sub} of" if sub else " the specified"
        responses = (*((code, text, response) for code, text in template.codes), _UNAUTHORIZED)
        return Operation(
            template.method,
            template.verb + self.infix + name,
            template.action,
            self.gvk,
            self.tag,
            template.description.format(kind=self.gvk[2], of=of),
            template.params,
            body,
            responses,
            consumes,
        )


def path_items(crd: Obj, version: str) -> list[PathItem]:
    """The paths one served version adds to a document."""
    group, kind, list_kind, plural = names(crd)
    namespaced = as_dict(crd.get("spec")).get("scope") == "Namespaced"
    short_group = group.removesuffix(".k8s.io")
    ops = _Operations(
        (group, version, kind),
        operation_id_part(short_group, capitalize=True) + operation_id_part(version, capitalize=True),
        operation_id_part(short_group, capitalize=False) + "_" + operation_id_part(version, capitalize=False),
        model_name(group, version, list_kind),
    )
    own, ns = model_name(group, version, kind), "Namespaced" if namespaced else ""
    base = f"/apis/{group}/{version}"
    scope = (Param("namespace", "path", "object name and auth scope", required=True),) if namespaced else ()
    collection = f"{base}/{'namespaces/{namespace}/' if namespaced else ''}{plural}"
    named = (Param("name", "path", f"name of the {kind}", required=True), *scope, _PRETTY)
    list_op, create_op, delete_all = _COLLECTION
    on_collection = (
        ops.make(list_op, f"{ns}{kind}", own),
        ops.make(create_op, f"{ns}{kind}", own),
        ops.make(delete_all, f"Collection{ns}{kind}", own),
    )
    items = [
        PathItem(collection, (*scope, _PRETTY), on_collection),
        PathItem(f"{collection}/{{name}}", named, tuple(ops.make(t, f"{ns}{kind}", own) for t in _ITEM)),
    ]
    if namespaced:
        every = ops.make(_LIST_ALL, f"{kind}ForAllNamespaces", own)
        items.append(PathItem(f"{base}/{plural}", (_PRETTY,), (every,)))
    served = subresources(crd, version)
    for sub, definition in (("status", own), ("scale", SCALE)):
        if sub in served:
            name = f"{ns}{kind}{sub.capitalize()}"
            operations = tuple(ops.make(t, name, definition, sub) for t in _ITEM[:3])
            items.append(PathItem(f"{collection}/{{name}}/{sub}", named, operations))
    return items
