"""Namespace, Event and Lease tables, and the fallback for any other resource."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.tables.columns import (
    AGE,
    NAME,
    Cells,
    Column,
    Printer,
    integer,
    mapping,
    metadata,
    name_of,
    text,
    wide,
)
from everynode.apiserver.tables.timefmt import GO_ZERO_TIME, parse_time, since
from everynode.core.timestamps import format_time


def namespace_cells(ns: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(ns),
        text(mapping(ns.get("status")).get("phase")),
        since(metadata(ns).get("creationTimestamp"), now),
    ]


NAMESPACES = Printer(
    (NAME, Column("Status", description="The namespace's phase (Active or Terminating)."), AGE),
    namespace_cells,
)


def lease_cells(lease: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(lease),
        text(mapping(lease.get("spec")).get("holderIdentity")),
        since(metadata(lease).get("creationTimestamp"), now),
    ]


LEASES = Printer(
    (NAME, Column("Holder", description="Identity of the current holder of the lease."), AGE),
    lease_cells,
)


def event_source(event: Mapping[str, Any]) -> str:
    """``component, host``; the events.k8s.io reporting fields stand in for empty legacy ones."""
    source = mapping(event.get("source"))
    component = text(source.get("component")) or text(event.get("reportingComponent"))
    host = text(source.get("host")) or text(event.get("reportingInstance"))
    return f"{component}, {host}" if host else component


def event_cells(event: Mapping[str, Any], now: datetime) -> Cells:
    first = since(event.get("firstTimestamp"), now)
    if parse_time(event.get("firstTimestamp")) is None:
        first = since(event.get("eventTime"), now)
    last = since(event.get("lastTimestamp"), now)
    if parse_time(event.get("lastTimestamp")) is None:
        last = first
    count = integer(event.get("count"))
    series = event.get("series")
    if isinstance(series, Mapping):
        last = since(series.get("lastObservedTime"), now)
        count = integer(series.get("count"))
    elif count == 0:
        count = 1  # events created through events.k8s.io carry no count: they happened once
    involved = mapping(event.get("involvedObject"))
    kind, name = text(involved.get("kind")).lower(), text(involved.get("name"))
    return [
        last,
        text(event.get("type")),
        text(event.get("reason")),
        f"{kind}/{name}" if name else kind,
        text(involved.get("fieldPath")),
        event_source(event),
        text(event.get("message")).strip(),
        first,
        count,
        name_of(event),
    ]


EVENTS = Printer(
    (
        Column("Last Seen", description="Time since the event was last seen."),
        Column("Type", description="Normal or Warning."),
        Column("Reason", description="Why the event happened, in CamelCase."),
        Column("Object", description="The object the event is about (kind/name)."),
        wide("Subobject", "The part of the object the event is about (fieldPath)."),
        wide("Source", "The component (and host) that reported the event."),
        Column("Message", description="What happened, for humans."),
        wide("First Seen", "Time since the event was first seen."),
        # Upstream declares "string" here although the cell is an integer; kept for fidelity.
        wide("Count", "How many times the event happened."),
        Column("Name", format="name", priority=1, description="Name of the Event object."),
    ),
    event_cells,
)


def default_cells(obj: Mapping[str, Any], now: datetime) -> Cells:
    """``Name`` and the creation time in RFC 3339 UTC, as the generic table convertor prints them."""
    created = parse_time(metadata(obj).get("creationTimestamp")) or GO_ZERO_TIME
    return [name_of(obj), format_time(created.timestamp())]


DEFAULT = Printer(
    (NAME, Column("Created At", "date", "When the object was created (creationTimestamp).")),
    default_cells,
)
