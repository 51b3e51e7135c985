"""Reading a request's options: query flags, dryRun, and DeleteOptions from the body or the query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from everynode.apiserver.registry.deletion import DeleteOptions
from everynode.apiserver.request.http import ApiRequest, media_type, parse_body, read_body
from everynode.core import errors
from everynode.core.fielderrors import FieldError, forbidden, not_supported
from everynode.core.types import Obj

INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")  # what Go's strconv.ParseInt(s, 10, 64) reads
_SHOWN = 64  # characters of a bad value quoted back in an error


def flag(request: ApiRequest, name: str) -> bool:
    """A boolean query parameter as upstream reads one: absent, ``0`` or ``false`` (any case) is
    false; anything else, the empty string included, is true."""
    value = request.query.get(name)
    return value is not None and value != "0" and value.lower() != "false"


def integer(text: str, name: str, *, minimum: int | None = 0) -> int:
    """A decimal int64, as Go parses a query parameter; 400 for anything else or out of range."""
    if not _INTEGER.match(text):
        raise errors.BadRequest(f'{name} must be an integer, not "{text[:_SHOWN]}"')
    digits = text.lstrip("+-").lstrip("0") or "0"
    value = int(digits) if len(digits) <= 19 else INT64_MAX + 1  # no 5,000-digit conversions
    value = -value if text.startswith("-") else value
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise errors.BadRequest(f'{name} "{text[:_SHOWN]}" is out of range: it must fit in 64 bits')
    if minimum is not None and value < minimum:
        raise errors.BadRequest(f"{name} must not be less than {minimum}")
    return value


def resource_version(text: str) -> int:
    """A resourceVersion to compare with storage revisions: a non-negative decimal int64."""
    if not text.isascii() or not text.isdigit():
        raise errors.BadRequest(f'invalid resourceVersion "{text[:_SHOWN]}": it must be a decimal number')
    return integer(text, "resourceVersion")


@dataclass(frozen=True, slots=True)
class ListOptions:
    """A list's or a watch's query parameters, parsed and checked as upstream's ListOptions are."""

    watch: bool
    resource_version: str  # as sent: "" (most recent), "0" (any), or a revision
    match: str  # resourceVersionMatch
    limit: int
    continue_token: str | None
    timeout_seconds: int | None
    allow_bookmarks: bool
    send_initial_events: bool | None

    @property
    def revision(self) -> int:
        """The resourceVersion as a revision (0 for "" and "0")."""
        return int(self.resource_version or 0)


def list_options(request: ApiRequest) -> ListOptions:
    """400 for a parameter of the wrong type or out of range; 422 (upstream's ``ListOptions``
    validation) for a combination upstream forbids."""
    query = request.query
    rv = query.get("resourceVersion", "")
    if rv:
        resource_version(rv)
    timeout = query.get("timeoutSeconds")
    send_initial = query.get("sendInitialEvents")
    options = ListOptions(
        watch=flag(request, "watch"),
        resource_version=rv,
        match=query.get("resourceVersionMatch", ""),
        limit=integer(query.get("limit", "") or "0", "limit"),
        continue_token=query.get("continue") or None,
        timeout_seconds=integer(timeout, "timeoutSeconds") if timeout else None,
        allow_bookmarks=flag(request, "allowWatchBookmarks"),
        send_initial_events=None if send_initial is None else flag(request, "sendInitialEvents"),
    )
    problems = _watch_problems(options) if options.watch else _list_problems(options)
    if problems:
        raise errors.invalid("ListOptions", "meta.k8s.io", "", problems)
    return options


def _list_problems(options: ListOptions) -> list[FieldError]:
    problems = []
    if match := options.match:
        if not options.resource_version:
            problems.append(
                forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            )
        if options.continue_token:
            problems.append(
                forbidden(
                    "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"
                )
            )
        if match not in ("Exact", "NotOlderThan"):
            problems.append(not_supported("resourceVersionMatch", match, ("Exact", "NotOlderThan", "")))
        if match == "Exact" and options.resource_version == "0":
            problems.append(
                forbidden(
                    "resourceVersionMatch",
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
            )
    if options.send_initial_events is not None:
        problems.append(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
    return problems


def _watch_problems(options: ListOptions) -> list[FieldError]:
    problems = []
    if options.send_initial_events is not None and options.match != "NotOlderThan":
        problems.append(
            forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )
        )
    if match := options.match:
        if options.send_initial_events is None:
            problems.append(
                forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                )
            )
        if match != "NotOlderThan":
            problems.append(not_supported("resourceVersionMatch", match, ("NotOlderThan",)))
        if options.continue_token:
            problems.append(
                forbidden(
                    "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"
                )
            )
    return problems


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
            document = await parse_body(data, media_type(request))
            if not isinstance(document, dict):
                raise errors.BadRequest("DeleteOptions must be a JSON object")
            raw = document
    query = request.query
    if "gracePeriodSeconds" in query:
        raw["gracePeriodSeconds"] = integer(query["gracePeriodSeconds"], "gracePeriodSeconds", minimum=None)
    if "propagationPolicy" in query:
        raw["propagationPolicy"] = query["propagationPolicy"]
    if "orphanDependents" in query:
        raw["orphanDependents"] = query["orphanDependents"] == "true"
    return options_from(raw, dry_run=dry_run(request))


def options_from(raw: Obj, *, dry_run: bool) -> DeleteOptions:
    """DeleteOptions from JSON, type-checked as Go's decoder would (400 for the wrong shape)."""
    grace = _typed(raw, "gracePeriodSeconds", int)
    if grace is not None and not -INT64_MAX - 1 <= grace <= INT64_MAX:
        raise errors.BadRequest(f"DeleteOptions field gracePeriodSeconds {grace} is out of the int64 range")
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
