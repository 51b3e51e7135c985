"""Rendering one printer's table at a fixed moment, for the printer tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from everynode.apiserver.tables import render_table
from everynode.apiserver.tables.columns import Printer
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Source:
    """What ``render_table`` needs of a kind: its printer (and resource info, unused here)."""

    printer: Printer
    info: ResourceInfo | None = None


def ago(**elapsed: float) -> str:
    """A timestamp ``elapsed`` before ``NOW``."""
    return (NOW - timedelta(**elapsed)).isoformat().replace("+00:00", "Z")


def cells(printer: Printer, obj: Obj) -> list[Any]:
    """The cells of ``obj``'s row."""
    (row,) = render_table(Source(printer), [obj], now=NOW)["rows"]
    return list(row["cells"])


def columns(printer: Printer) -> list[tuple[str, str, str, int]]:
    """(name, type, format, priority) of each column."""
    table = render_table(Source(printer), [], now=NOW)
    return [(c["name"], c["type"], c["format"], c["priority"]) for c in table["columnDefinitions"]]
