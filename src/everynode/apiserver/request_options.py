"""Reading a request's options: query flags, dryRun, and DeleteOptions from the body or the query."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.deletion import DeleteOptions
from everynode.apiserver.http import ApiRequest, media_type, parse_document, read_body
from everynode.apiserver.objects import Obj
from everynode.core import errors


def flag(request: ApiRequest, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


def integer(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise errors.BadRequest(f'{name} must be an integer, not "{text}"') from None
    if value < 0:
        raise errors.BadRequest(f"{name} must not be negative")
    return value


def dry_run(request: ApiRequest) -> bool:
    values = request.query.getall("dryRun", [])
    for value in values:
        if value != "All":
            raise errors.BadRequest(f'unsupported dryRun value "{value}": the only supported value is "All"')
    return bool(values)


async def delete_options(request: ApiRequest) -> DeleteOptions:
    raw: Obj = {}
    if request.can_read_body:
        data = await read_body(request)
        if data.strip():
            document = parse_document(data, media_type(request) or "application/json")
            if not isinstance(document, dict):
                raise errors.BadRequest("DeleteOptions must be a JSON object")
            raw = document
    query = request.query
    if "gracePeriodSeconds" in query:
        raw["gracePeriodSeconds"] = _signed(query["gracePeriodSeconds"])
    if "propagationPolicy" in query:
        raw["propagationPolicy"] = query["propagationPolicy"]
    if "orphanDependents" in query:
        raw["orphanDependents"] = query["orphanDependents"] == "true"
    return options_from(raw, dry_run=dry_run(request))


def _signed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise errors.BadRequest(f'gracePeriodSeconds must be an integer, not "{text}"') from None


def options_from(raw: Obj, *, dry_run: bool) -> DeleteOptions:
    """DeleteOptions from JSON, type-checked as Go's decoder would (400 for the wrong shape)."""
    grace = _typed(raw, "gracePeriodSeconds", int)
    policy = _typed(raw, "propagationPolicy", str)
    orphan = _typed(raw, "orphanDependents", bool)
    if policy is None and orphan is not None:
        policy = "Orphan" if orphan else "Background"
    preconditions = _typed(raw, "preconditions", dict) or {}
    uid = _typed(preconditions, "uid", str, "preconditions.")
    resource_version = _typed(preconditions, "resourceVersion", str, "preconditions.")
    dry = _typed(raw, "dryRun", list) or []
    if any(value != "All" for value in dry):
        raise errors.BadRequest('unsupported dryRun value: the only supported value is "All"')
    return DeleteOptions(
        grace_period_seconds=grace,
        propagation_policy=policy,
        precondition_uid=uid,
        precondition_resource_version=resource_version,
        dry_run=dry_run or bool(dry),
    )


def _typed(raw: Obj, name: str, kind: type, prefix: str = "") -> Any:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise errors.BadRequest(
            f"DeleteOptions field {prefix}{name} must be of type {kind.__name__}, not {type(value).__name__}"
        )
    return value
