"""A create's or update's body as an object of the target's kind, refused (400) where Go's typed
decoder would refuse it: the wrong apiVersion or kind, or a field that must be an object and is not."""

from __future__ import annotations

from collections.abc import Callable

from everynode.apiserver.registry.objects import drop_nulls
from everynode.apiserver.request import fieldvalidation
from everynode.apiserver.request.http import ApiRequest, read_object
from everynode.apiserver.request.routing import Target
from everynode.core import errors
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj


async def decoded_body(
    request: ApiRequest, target: Target, custom_unknown: Callable[[Obj], list[str]] | None = None
) -> tuple[Obj, str | None, list[str]]:
    """A POST/PUT body as an object of the target's kind: nulls dropped, unknown fields handled (a
    custom kind's by ``custom_unknown``), its namespace reconciled with the URL's; with the
    fieldValidation warnings."""
    info = target.info
    body: Obj = drop_nulls(await read_object(request))
    _check_type(info, body)
    object_field(body, "metadata", info.kind, info.version)
    mode = request.query.get("fieldValidation", "Warn")
    warnings = fieldvalidation.check_fields(info, body, mode, custom_unknown=custom_unknown)
    return body, _namespace_for(info, target, body), warnings


_JSON_TYPES = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "an array"}


def object_field(body: Obj, field: str, kind: str, version: str) -> Obj:
    """``body[field]`` where the type says it is an object (absent or null: empty); 400 otherwise.

    Go's typed decoder refuses such a body before anything reads it; without this check the first
    ``.get`` on the value would fail and the client would see a 500."""
    value = body.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.BadRequest(
            f'{kind} in version "{version}" cannot be handled as a {kind}: {field} must be an object, '
            f"not {_JSON_TYPES.get(type(value), type(value).__name__)}"
        )
    return value


def _check_type(info: ResourceInfo, body: Obj) -> None:
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version not in (None, "", info.api_version):
        raise errors.BadRequest(
            f"the API version in the data ({api_version}) does not match the expected API version "
            f"({info.api_version})"
        )
    if kind not in (None, "", info.kind):
        raise errors.BadRequest(
            f"the kind in the data ({kind}) does not match the expected kind ({info.kind})"
        )


def _namespace_for(info: ResourceInfo, target: Target, body: Obj) -> str | None:
    if not info.namespaced:
        return None
    declared = (body.get("metadata") or {}).get("namespace")
    if target.namespace is None:
        raise errors.NotFound("the server could not find the requested resource")
    if declared and declared != target.namespace:
        raise errors.BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    return target.namespace
