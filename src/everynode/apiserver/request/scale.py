"""``GET|PUT|PATCH .../<resource>/<name>/scale``: the scale subresource over HTTP (the rules are in
``registry.scale``). A PATCH applies to the Scale, as upstream's does: kubectl scale sends
``{"spec":{"replicas":N}}`` as a merge patch."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from everynode.apiserver.apply.manager import manager_or_user_agent
from everynode.apiserver.description import schema
from everynode.apiserver.registry.objects import deep_copy, drop_nulls
from everynode.apiserver.registry.scale import scale_of, scaled
from everynode.apiserver.registry.store import Registry
from everynode.apiserver.request import decoding, responses
from everynode.apiserver.request import options as request_options
from everynode.apiserver.request.http import ApiRequest, json_response, media_type, read_body, read_object
from everynode.apiserver.request.routing import Target
from everynode.apiserver.tables.apps import SCALES
from everynode.apiserver.tables.columns import Printer
from everynode.core import errors
from everynode.core.patch import PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj


@dataclass(frozen=True, slots=True)
class _ScaleTable:
    printer: Printer = SCALES
    info: ResourceInfo | None = None


SCALE_TABLE = _ScaleTable()
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)


async def serve_scale(registry: Registry, request: ApiRequest, target: Target) -> web.StreamResponse:
    info, namespace, name = target.info, target.namespace, target.name or ""
    paths = registry.catalog.kind(info).scale_paths
    dry_run = request_options.dry_run(request)
    # who scales owns the replica count (upstream records the entry against the scaled object)
    manager = manager_or_user_agent(
        request.query.get("fieldManager", ""), request.headers.get("User-Agent", "")
    )
    if request.method == "GET":
        scale = scale_of(await registry.get(info, namespace, name), paths)
        return responses.object_response(request, SCALE_TABLE, scale)  # kubectl get --subresource=scale
    if request.method == "PUT":
        body = await read_object(request)
        obj = await registry.patch(
            info,
            namespace,
            name,
            lambda current: scaled(current, body, paths),
            dry_run=dry_run,
            manager=manager,
        )
        return json_response(scale_of(obj, paths))
    if request.method == "PATCH":
        content_type = media_type(request)
        if content_type not in PATCH_TYPES:
            raise errors.UnsupportedMediaType(
                f'the body of the request was in an unknown format "{content_type}" - accepted media types '
                "include: " + ", ".join(PATCH_TYPES)
            )
        document = decoding.load_json(await read_body(request))

        def apply(current: Obj) -> Obj:
            return scaled(current, _patched(scale_of(current, paths), document, content_type), paths)

        obj = await registry.patch(info, namespace, name, apply, dry_run=dry_run, manager=manager)
        return json_response(scale_of(obj, paths))
    raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")


def _patched(scale: Obj, document: object, content_type: str) -> object:
    try:
        if content_type == "application/json-patch+json":
            return drop_nulls(apply_json_patch(deep_copy(scale), document, owned=True))
        if content_type == "application/merge-patch+json":
            return drop_nulls(apply_merge_patch(deep_copy(scale), document, owned=True))
        if not isinstance(document, dict):
            raise errors.BadRequest("a strategic merge patch must be a JSON object")
        patch_schema = schema.patch_schema("autoscaling", "v1", "Scale")
        return drop_nulls(apply_strategic_merge_patch(deep_copy(scale), document, patch_schema, owned=True))
    except PatchError as exc:
        raise errors.BadRequest(exc.message) from None
