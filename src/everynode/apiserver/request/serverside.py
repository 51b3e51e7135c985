"""``PATCH`` with ``application/apply-patch+yaml``: server-side apply over HTTP (the merge and the
ownership are ``apiserver.apply``'s, run by ``Registry.apply``). The body is the manager's whole intent;
upstream's 4xx for a request without ``fieldManager`` (422), one naming another object (400), and
``fieldValidation`` on the configuration."""

from __future__ import annotations

from aiohttp import web

from everynode.apiserver.registry.store import Registry
from everynode.apiserver.request import bodies, decoding, fieldvalidation
from everynode.apiserver.request import options as request_options
from everynode.apiserver.request.http import ApiRequest, json_response, read_body, warning_header
from everynode.apiserver.request.routing import Target
from everynode.core import errors
from everynode.core.fielderrors import required


async def serve_apply(registry: Registry, request: ApiRequest, target: Target) -> web.StreamResponse:
    info, name = target.info, target.name or ""
    manager = request.query.get("fieldManager", "")
    if not manager:
        problem = required("fieldManager", "is required for apply patch")
        raise errors.invalid("PatchOptions", "meta.k8s.io", "", [problem])
    config = decoding.load_yaml(await read_body(request))
    if not isinstance(config, dict):
        raise errors.BadRequest("error decoding YAML: the apply configuration must be an object")
    metadata = bodies.object_field(config, "metadata", info.kind, info.version)
    if metadata.get("name") not in (None, name):
        raise errors.BadRequest(
            f"the name of the object ({metadata.get('name')}) does not match the name on the URL ({name})"
        )
    if info.namespaced and metadata.get("namespace") not in (None, "", target.namespace):
        raise errors.BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    kind = registry.catalog.kind(info)
    mode = request.query.get("fieldValidation", "Warn")
    warnings = fieldvalidation.check_fields(info, config, mode, custom_unknown=kind.unknown_fields)
    obj, created = await registry.apply(
        info,
        target.namespace,
        name,
        config,
        manager=manager,
        force=request_options.flag(request, "force"),
        subresource=target.subresource,
        dry_run=request_options.dry_run(request),
    )
    return json_response(kind.served(obj), status=201 if created else 200, headers=warning_header(warnings))
