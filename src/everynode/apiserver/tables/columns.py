"""Column definitions and small helpers the per-kind printers share.

Column names, types, formats and priorities follow upstream's printers; the descriptions are our own
short wording. The server always fills the ``-o wide`` (priority 1) cells too, as kube-apiserver does:
kubectl hides those columns unless asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from everynode.core.types import Obj

NONE = "<none>"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str = "string"
    description: str = ""
    format: str = ""
    priority: int = 0

    def definition(self) -> Obj:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


NAME = Column("Name", format="name", description="Name of the object, unique within its namespace.")
AGE = Column("Age", description="Time since the object was created (creationTimestamp).")


def wide(name: str, description: str, type_: str = "string") -> Column:
    return Column(name, type_, description, priority=1)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def integer(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(obj.get("metadata"))


def name_of(obj: Mapping[str, Any]) -> str:
    return text(metadata(obj).get("name"))


def format_labels(labels: Any) -> str:
    """``labels.FormatLabels``: ``k=v`` pairs sorted by key, joined by commas; ``<none>`` if empty."""
    pairs = sorted(mapping(labels).items())
    return ",".join(f"{k}={v}" for k, v in pairs) or NONE


def container_cells(containers: Any) -> tuple[str, str]:
    """The CONTAINERS and IMAGES cells: names and images, in order, comma-joined."""
    listed = items(containers)
    return ",".join(text(c.get("name")) for c in listed), ",".join(text(c.get("image")) for c in listed)


Cells = list[Any]


@dataclass(frozen=True, slots=True)
class Printer:
    """How one kind prints: its columns, the cells of one object and (pods only) row conditions."""

    columns: tuple[Column, ...]
    cells: Callable[[Mapping[str, Any], datetime], Cells]
    conditions: Callable[[Mapping[str, Any]], list[Obj]] | None = None
