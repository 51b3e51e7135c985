"""A served version's table: ``Name`` and its ``additionalPrinterColumns`` (or ``Age`` when it has
none), as apiextensions-apiserver's table convertor prints a custom resource
(``pkg/registry/customresource/tableconvertor``, ``serveDefaultColumnsIfEmpty``).

Each column's cell is the first value its JSONPath finds (:mod:`.jsonpath`), typed by the column:

- ``integer``: the number, truncated to an integer; ``number``: the number; ``boolean``: the bool;
- ``string``: the value printed (text as is, numbers and booleans as Go prints them, objects and lists
  as JSON, ``null`` as ``<no value>``);
- ``date``: the age of an RFC 3339 time (``5m``), ``<invalid>`` for another string;
- nothing found, or a value of the wrong kind: an empty (``null``) cell.

A column whose JSONPath does not parse ends the table there: it and the columns after it are left
out (upstream keeps the columns built before it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.crd.gofmt import go_float, go_json
from everynode.apiserver.crd.jsonpath import JSONPathError, compile_path
from everynode.apiserver.tables.columns import NAME, Cells, Column, Printer, name_of
from everynode.apiserver.tables.timefmt import UNKNOWN, human_duration, parse_time
from everynode.core.types import Obj

AGE_COLUMN: Obj = {
    "name": "Age",
    "type": "date",
    "jsonPath": ".metadata.creationTimestamp",
    "description": "Time since the object was created (creationTimestamp).",
}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

Cell = Callable[[Any, datetime], Any]


def _text(value: Any) -> str:
    """``PrintResults`` of one value: JSON for objects and lists, else Go's ``fmt.Fprint``."""
    if isinstance(value, dict | list):
        return go_json(value)
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def _age(value: Any, now: datetime) -> Any:
    if not isinstance(value, str):
        return None
    if value in ("", "null"):
        return UNKNOWN
    if _RFC3339.match(value) is None:
        return "<invalid>"
    parsed = parse_time(value)
    return UNKNOWN if parsed is None else human_duration(now - parsed)


def cell(kind: str, value: Any, now: datetime) -> Any:
    """``cellForJSONValue`` (and string printing): the cell of a column of type ``kind``."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return _text(value)
    if value is None:
        return None
    if kind == "integer":
        return int(value) if number else None
    if kind == "number":
        return float(value) if number else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        return _age(value, now)
    return None


def _column_cell(kind: str, expression: Callable[[Any], list[Any]]) -> Cell:
    def value(obj: Any, now: datetime) -> Any:
        found = expression(obj)
        return cell(kind, found[0], now) if found else None

    return value


def columns_of(definitions: list[Obj]) -> tuple[tuple[Column, ...], tuple[Cell, ...]]:
    """The table columns of a version's ``additionalPrinterColumns`` (``Age`` when empty), after Name."""
    columns: list[Column] = [NAME]
    cells: list[Cell] = []
    for definition in [d for d in definitions if isinstance(d, dict)] or [AGE_COLUMN]:
        json_path = str(definition.get("jsonPath", ""))
        try:
            expression = compile_path(json_path)
        except JSONPathError:
            break
        kind = str(definition.get("type", "string"))
        description = str(definition.get("description") or f"The value at {json_path} (JSONPath).")
        priority = definition.get("priority")
        columns.append(
            Column(
                str(definition.get("name", "")),
                kind,
                description,
                format=str(definition.get("format") or ""),
                priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
            )
        )
        cells.append(_column_cell(kind, expression))
    return tuple(columns), tuple(cells)


def printer_for(definitions: list[Obj] | None) -> Printer:
    """The :class:`~everynode.apiserver.tables.columns.Printer` of a served version, from its
    ``additionalPrinterColumns``."""
    columns, cells = columns_of(definitions if isinstance(definitions, list) else [])

    def row(obj: Mapping[str, Any], now: datetime) -> Cells:
        return [name_of(obj), *(value(obj, now) for value in cells)]

    return Printer(columns, row)
