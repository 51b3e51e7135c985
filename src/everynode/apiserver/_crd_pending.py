"""TEMPORARY stand-in for apiserver.crd (being written): no schema, generic table."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.tables.columns import Printer
from everynode.apiserver.tables.core import DEFAULT
from everynode.core.fielderrors import FieldError
from everynode.core.types import Obj

Schema = Any


def compile_schema(schema: Any) -> Schema | None:
    return None


def prune(obj: Obj, schema: Schema) -> None:
    return None


def apply_defaults(obj: Obj, schema: Schema) -> None:
    return None


def validate(obj: Obj, schema: Schema) -> list[FieldError]:
    return []


def printer_for(columns: list[Any]) -> Printer:
    return DEFAULT
