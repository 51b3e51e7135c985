"""How resources go back to the client: JSON objects and lists, or Tables when kubectl asks."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from everynode.apiserver import tables
from everynode.apiserver.kinds import Kind
from everynode.apiserver.request.http import ApiRequest, json_response
from everynode.core import errors
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj


def object_response(request: ApiRequest, kind: tables.Printed, obj: Obj) -> web.Response:
    """One object, as JSON or, when the client asks (kubectl get NAME), as a one-row Table (with the
    columns of ``kind``)."""
    accept = request.headers.get("Accept", "")
    if isinstance(kind, Kind):
        obj = kind.served(obj)
    if not tables.wants_table(accept):
        return json_response(obj)
    rv = str(obj.get("metadata", {}).get("resourceVersion", ""))
    return _table_response(
        request,
        accept,
        lambda inc, v: tables.render_table(kind, [obj], include_object=inc, resource_version=rv, version=v),
    )


def list_response(
    request: ApiRequest, kind: Kind, items: list[Obj], revision: int, token: str | None
) -> web.Response:
    accept = request.headers.get("Accept", "")
    if kind.storage_api_version is not None:
        items = [kind.served(item) for item in items]
    if not tables.wants_table(accept):
        return json_response(list_body(kind.info, items, revision, token))
    return _table_response(
        request,
        accept,
        lambda inc, v: tables.render_table(
            kind,
            items,
            include_object=inc,
            resource_version=str(revision),
            continue_token=token,
            version=v,
        ),
    )


def _table_response(request: ApiRequest, accept: str, render: Callable[[str, str], Obj]) -> web.Response:
    try:
        table = render(request.query.get("includeObject", ""), tables.table_version(accept))
    except ValueError as exc:
        raise errors.BadRequest(str(exc)) from None
    response = json_response(table)
    response.headers["Content-Type"] = tables.table_content_type(accept)
    return response


def list_body(info: ResourceInfo, items: list[Obj], revision: int, token: str | None) -> Obj:
    metadata: Obj = {"resourceVersion": str(revision)}
    if token:
        metadata["continue"] = token
    return {"kind": info.list_kind, "apiVersion": info.api_version, "metadata": metadata, "items": items}
