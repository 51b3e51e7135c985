"""Printer columns of custom resources (upstream ``pkg/registry/customresource/tableconvertor/
tableconvertor_test.go``: ``Test_cellForJSONValue``, ``Test_convertor_ConvertToTable``) and the
JSONPath subset they use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from everynode.apiserver.crd.jsonpath import JSONPathError, compile_path
from everynode.apiserver.crd.printer import cell, printer_for
from everynode.apiserver.tables import GENERIC, render_table
from everynode.core.types import Obj
from tests.unit.apiserver.crd import crds

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def stamp(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("integer", 42, 42),
        ("integer", 3.14, 3),
        ("integer", True, None),
        ("integer", "foo", None),
        ("number", 42, 42.0),
        ("number", 3.14, 3.14),
        ("number", True, None),
        ("boolean", True, True),
        ("boolean", 42, None),
        ("string", "foo", "foo"),
        ("string", 42, "42"),  # printed by JSONPath, as a table's string columns are
        ("string", 1e21, "1e+21"),
        ("string", {"b": 1, "a": [True]}, '{"a":[true],"b":1}'),
        ("string", None, "<no value>"),
        ("date", 42, None),
        ("date", stamp(-timedelta(hours=12, minutes=30)), "12h"),
        ("date", stamp(timedelta(hours=12, minutes=30)), "<invalid>"),
        ("date", "", "<unknown>"),
        ("date", "last tuesday", "<invalid>"),
        ("unknown", "foo", None),
    ],
)
def test_cell_for_json_value(kind: str, value: Any, expected: Any) -> None:
    assert cell(kind, value, NOW) == expected


def widget(**fields: Any) -> Obj:
    return {"metadata": {"name": "w", "creationTimestamp": stamp(-timedelta(minutes=5))}, **fields}


def test_columns_of_a_version() -> None:
    printer = printer_for(crds.ip_pool()["spec"]["versions"][0]["additionalPrinterColumns"])
    assert [c.definition() for c in printer.columns] == [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": printer.columns[0].description,
            "priority": 0,
        },
        {
            "name": "CIDR",
            "type": "string",
            "format": "",
            "description": "The value at .spec.cidr (JSONPath).",
            "priority": 0,
        },
        {
            "name": "Block",
            "type": "integer",
            "format": "",
            "description": "The value at .spec.blockSize (JSONPath).",
            "priority": 1,
        },
        {
            "name": "Age",
            "type": "date",
            "format": "",
            "description": "The value at .metadata.creationTimestamp (JSONPath).",
            "priority": 0,
        },
    ]
    assert printer.cells(widget(spec={"cidr": "10.0.0.0/16", "blockSize": 26}), NOW) == [
        "w",
        "10.0.0.0/16",
        26,
        "5m",
    ]
    assert printer.cells(widget(), NOW) == ["w", None, None, "5m"]  # nothing found: empty cells


def test_default_columns_are_name_and_age() -> None:
    # serveDefaultColumnsIfEmpty
    printer = printer_for([])
    assert [(c.name, c.type) for c in printer.columns] == [("Name", "string"), ("Age", "date")]
    assert printer.cells(widget(), NOW) == ["w", "5m"]


def test_condition_filter_and_label_columns() -> None:
    columns = [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "App", "type": "string", "jsonPath": ".metadata.labels.app"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "description": "Wanted."},
    ]
    printer = printer_for(columns)
    obj = widget(
        status={"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}
    )
    obj["metadata"]["labels"] = {"app": "web"}
    assert printer.cells(obj, NOW) == ["w", "True", "web", None]
    assert printer.columns[3].description == "Wanted."


def test_an_unparsable_column_ends_the_table() -> None:
    printer = printer_for(
        [
            {"name": "A", "type": "string", "jsonPath": ".spec.a"},
            {"name": "B", "type": "string", "jsonPath": ".spec[?(@.x =~ 1)]"},
            {"name": "C", "type": "string", "jsonPath": ".spec.c"},
        ]
    )
    assert [c.name for c in printer.columns] == ["Name", "A"]


def test_fits_the_table_renderer() -> None:
    class Served:
        printer = printer_for(crds.ip_pool()["spec"]["versions"][0]["additionalPrinterColumns"])
        info = GENERIC.info

    table = render_table(Served(), [widget(spec={"cidr": "10.1.0.0/16"})], include_object="None", now=NOW)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "CIDR", "Block", "Age"]
    assert table["rows"][0]["cells"] == ["w", "10.1.0.0/16", None, "5m"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (".spec.replicas", [3]),
        ("{.spec.replicas}", [3]),
        (".spec.items[*].name", ["a", "b"]),
        (".spec.items[-1].name", ["b"]),
        (".spec.items[0:1].name", ["a"]),
        (".spec.items[?(@.port > 80)].name", ["b"]),
        (".spec.items[?(@.tls)].name", ["b"]),
        (".metadata.labels.app\\.kubernetes\\.io/name", ["web"]),
        (".metadata.labels['app.kubernetes.io/name']", ["web"]),
        ("..name", ["a", "b"]),
        (".spec.missing.deeper", []),
    ],
)
def test_jsonpath(expression: str, expected: list[Any]) -> None:
    document = {
        "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
        "spec": {
            "replicas": 3,
            "items": [{"name": "a", "port": 80}, {"name": "b", "port": 443, "tls": True}],
        },
    }
    assert compile_path(expression)(document) == expected


def test_jsonpath_refuses_what_it_cannot_read() -> None:
    with pytest.raises(JSONPathError):
        compile_path(".spec[")
