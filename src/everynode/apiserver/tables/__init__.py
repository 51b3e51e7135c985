"""Server-side printing: the ``meta.k8s.io`` ``Table`` kube-apiserver returns when a client (kubectl's
human-readable ``get``) asks for it in the Accept header.

Pure functions over stored objects (JSON dicts). The handlers decide *whether* to answer with a Table
(``wants_table`` / ``table_content_type``) and call ``render_table`` for lists and single objects, or
``render_watch_object`` for each watch event. Cells follow upstream's printers for the served kinds;
any other resource gets the generic Name / Created At table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from everynode.apiserver.tables.accept import content_type_for, negotiate_table_version
from everynode.apiserver.tables.columns import Printer
from everynode.apiserver.tables.core import DEFAULT
from everynode.apiserver.tables.timefmt import human_duration, short_human_duration
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

__all__ = [
    "GENERIC",
    "INCLUDE_OBJECT_VALUES",
    "Printed",
    "human_duration",
    "include_object_error",
    "render_table",
    "render_watch_object",
    "short_human_duration",
    "table_content_type",
    "table_version",
    "wants_table",
]


class Printed(Protocol):
    """What a table is rendered for: a kind's printer (its columns) and resource info. A served kind
    (``apiserver.kinds.Kind``) is one; ``GENERIC`` prints any other resource."""

    @property
    def printer(self) -> Printer: ...
    @property
    def info(self) -> ResourceInfo | None: ...


@dataclass(frozen=True, slots=True)
class _Generic:
    printer: Printer = DEFAULT
    info: ResourceInfo | None = None


GENERIC = _Generic()  # the Name / Created At table of a resource without a printer of its own

# "" is what an absent ?includeObject= means: the default, Metadata.
INCLUDE_OBJECT_VALUES = ("", "Metadata", "Object", "None")


def wants_table(accept: str) -> bool:
    """Whether the best clause of this Accept header the server can answer asks for a Table."""
    return negotiate_table_version(accept) is not None


def table_version(accept: str) -> str:
    """``v1`` or ``v1beta1``: the ``meta.k8s.io`` version of the Table asked for (``v1`` if none)."""
    return negotiate_table_version(accept) or "v1"


def table_content_type(accept: str) -> str:
    """The response Content-Type for a Table: ``application/json;as=Table;v=v1;g=meta.k8s.io``."""
    return content_type_for(table_version(accept))


def include_object_error(include_object: str) -> str | None:
    """The 400 message for a bad ``includeObject`` (upstream's field error wording), else ``None``."""
    if include_object in INCLUDE_OBJECT_VALUES:
        return None
    allowed = "must be 'Metadata', 'Object', 'None', or empty"
    return f'includeObject: Invalid value: "{include_object}": {allowed}'


def _row_object(info: ResourceInfo | None, obj: Mapping[str, Any], include_object: str, version: str) -> Any:
    if include_object == "None":
        return None  # upstream encodes the empty RawExtension as null
    if include_object == "Object":
        if info is None or ("kind" in obj and "apiVersion" in obj):
            return obj
        return {"kind": info.kind, "apiVersion": info.api_version, **obj}
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {},
    }


def _rows(
    printer: Printer,
    info: ResourceInfo | None,
    objects: list[Obj],
    *,
    include_object: str,
    version: str,
    now: datetime,
) -> list[Obj]:
    rows: list[Obj] = []
    for obj in objects:
        row: Obj = {"cells": printer.cells(obj, now)}
        if printer.conditions is not None and (conditions := printer.conditions(obj)):
            row["conditions"] = conditions
        row["object"] = _row_object(info, obj, include_object, version)
        rows.append(row)
    return rows


def render_table(
    source: Printed,
    objects: list[dict[str, Any]],
    *,
    include_object: str = "Metadata",
    resource_version: str = "",
    continue_token: str | None = None,
    now: datetime | None = None,
    remaining_item_count: int | None = None,
    with_columns: bool = True,
    version: str = "v1",
) -> dict[str, Any]:
    """A ``Table`` of ``objects`` (a list's items, or one object for a GET).

    ``source`` is the kind (its printer and resource info). ``include_object`` is the
    ``?includeObject=`` value: ``Metadata`` (or ``""``) puts a PartialObjectMetadata in each row,
    ``Object`` the full object, ``None`` nothing (``null``); anything else raises ``ValueError`` (400).
    ``resource_version`` / ``continue_token`` / ``remaining_item_count`` are the list's metadata (for a
    GET, the object's resourceVersion). ``with_columns=False`` sends ``columnDefinitions: null``, as
    upstream does for every watch event after the first. ``version`` is the Table's meta.k8s.io version
    (``table_version(accept)``). ``now`` fixes the clock the AGE cells are measured against.
    """
    if (message := include_object_error(include_object)) is not None:
        raise ValueError(message)
    printer = source.printer
    clock = now or datetime.now(UTC)
    metadata: Obj = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    if remaining_item_count is not None:
        metadata["remainingItemCount"] = remaining_item_count
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": metadata,
        "columnDefinitions": [c.definition() for c in printer.columns] if with_columns else None,
        "rows": _rows(
            printer,
            source.info,
            objects,
            include_object=include_object,
            version=version,
            now=clock,
        ),
    }


def render_watch_object(
    source: Printed,
    obj: dict[str, Any],
    *,
    include_object: str = "Metadata",
    now: datetime | None = None,
    with_columns: bool = True,
    version: str = "v1",
) -> dict[str, Any]:
    """The ``object`` of one watch event when the watch asked for Tables: a one-row Table whose
    metadata carries the object's resourceVersion. Pass ``with_columns=True`` for the first event sent
    on the stream only; upstream sends ``columnDefinitions: null`` afterwards and clients keep the first
    set. ERROR events (a Status) are not rendered: send them as they are."""
    meta = obj.get("metadata")
    rv = meta.get("resourceVersion") if isinstance(meta, Mapping) else None
    return render_table(
        source,
        [obj],
        include_object=include_object,
        resource_version=rv if isinstance(rv, str) else "",
        now=now,
        with_columns=with_columns,
        version=version,
    )
