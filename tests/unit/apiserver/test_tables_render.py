"""The Table envelope: metadata, includeObject modes, v1beta1, and watch-event objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.tables import render_table, render_watch_object
from everynode.core.types import Obj

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
METADATA: Obj = {
    "name": "agent",
    "namespace": "kube-system",
    "uid": "0b6c-4d",
    "resourceVersion": "105",
    "generation": 2,
    "creationTimestamp": "2024-04-26T12:00:00Z",
    "labels": {"app": "agent"},
    "annotations": {"note": "x"},
}
DS: Obj = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": METADATA,
    "spec": {
        "selector": {"matchLabels": {"app": "agent"}},
        "template": {"spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}},
    },
    "status": {
        "desiredNumberScheduled": 2,
        "currentNumberScheduled": 2,
        "numberReady": 2,
        "updatedNumberScheduled": 2,
        "numberAvailable": 2,
    },
}
AGENT_CELLS = ["agent", 2, 2, 2, 2, 2, "<none>", "5d", "c", "busybox:1.36", "app=agent"]


def test_list_table_shape() -> None:
    table = render_table(kind_of("daemonsets"), [DS], resource_version="117", now=NOW)
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "117"}
    assert [set(c) for c in table["columnDefinitions"]] == [
        {"name", "type", "format", "description", "priority"}
    ] * 11
    assert all(c["description"] for c in table["columnDefinitions"])
    assert table["rows"] == [
        {
            "cells": AGENT_CELLS,
            "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": METADATA},
        }
    ]
    json.dumps(table)  # plain JSON types only


def test_list_metadata_continue_and_remaining() -> None:
    table = render_table(
        kind_of("daemonsets"), [], resource_version="9", continue_token="tok", remaining_item_count=3, now=NOW
    )
    assert table["metadata"] == {"resourceVersion": "9", "continue": "tok", "remainingItemCount": 3}
    assert table["rows"] == []
    assert render_table(kind_of("daemonsets"), [], now=NOW)["metadata"] == {}


def test_rows_keep_list_order() -> None:
    other = {**DS, "metadata": {**METADATA, "name": "zeta"}}
    first = {**DS, "metadata": {**METADATA, "name": "alpha"}}
    table = render_table(kind_of("daemonsets"), [other, first], now=NOW)
    assert [r["cells"][0] for r in table["rows"]] == ["zeta", "alpha"]


@pytest.mark.parametrize(
    ("include_object", "expected"),
    [
        ("Metadata", {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": METADATA}),
        ("", {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": METADATA}),
        ("Object", DS),
        ("None", None),
    ],
)
def test_include_object(include_object: str, expected: Obj | None) -> None:
    (row,) = render_table(kind_of("daemonsets"), [DS], include_object=include_object, now=NOW)["rows"]
    assert row["object"] == expected
    assert row["cells"] == AGENT_CELLS


def test_include_object_fills_missing_type_meta() -> None:
    bare = {k: v for k, v in DS.items() if k not in ("kind", "apiVersion")}
    (row,) = render_table(kind_of("daemonsets"), [bare], include_object="Object", now=NOW)["rows"]
    assert row["object"]["kind"] == "DaemonSet"
    assert row["object"]["apiVersion"] == "apps/v1"
    assert row["object"]["spec"] == DS["spec"]


@pytest.mark.parametrize("include_object", ["metadata", "All", "object", " Metadata"])
def test_include_object_invalid(include_object: str) -> None:
    with pytest.raises(ValueError, match="includeObject: Invalid value") as err:
        render_table(kind_of("daemonsets"), [], include_object=include_object, now=NOW)
    assert f'"{include_object}"' in str(err.value)
    assert "must be 'Metadata', 'Object', 'None', or empty" in str(err.value)


def test_v1beta1_table() -> None:
    table = render_table(kind_of("daemonsets"), [DS], version="v1beta1", now=NOW)
    assert table["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


def test_watch_first_event_has_columns() -> None:
    obj = render_watch_object(kind_of("daemonsets"), DS, now=NOW, with_columns=True)
    assert obj["kind"] == "Table"
    assert obj["metadata"] == {"resourceVersion": "105"}
    assert [c["name"] for c in obj["columnDefinitions"]][:3] == ["Name", "Desired", "Current"]
    assert obj["rows"] == [
        {
            "cells": AGENT_CELLS,
            "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": METADATA},
        }
    ]


def test_watch_later_events_omit_columns() -> None:
    obj = render_watch_object(kind_of("daemonsets"), DS, now=NOW, with_columns=False)
    assert obj["columnDefinitions"] is None
    assert obj["rows"][0]["cells"] == AGENT_CELLS
    event = json.loads(json.dumps({"type": "MODIFIED", "object": obj}))
    assert event["object"]["columnDefinitions"] is None


def test_watch_include_object_modes() -> None:
    assert (
        render_watch_object(kind_of("daemonsets"), DS, include_object="Object", now=NOW)["rows"][0]["object"]
        == DS
    )
    assert (
        render_watch_object(kind_of("daemonsets"), DS, include_object="None", now=NOW)["rows"][0]["object"]
        is None
    )
    with pytest.raises(ValueError, match="includeObject"):
        render_watch_object(kind_of("daemonsets"), DS, include_object="Everything", now=NOW)


def test_watch_object_without_resource_version() -> None:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": []}, "status": {"phase": "Pending"}}
    obj = render_watch_object(kind_of("pods"), pod, now=NOW)
    assert obj["metadata"] == {}
    assert obj["rows"][0]["cells"][:3] == ["p", "0/0", "Pending"]


def test_default_now_is_the_current_time() -> None:
    fresh = {**DS, "metadata": {**METADATA, "creationTimestamp": datetime.now(UTC).isoformat()}}
    (row,) = render_table(kind_of("daemonsets"), [fresh])["rows"]
    assert row["cells"][7] in ("0s", "1s", "2s")
