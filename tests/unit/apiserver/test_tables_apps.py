"""DaemonSet, StatefulSet and ControllerRevision rows: exact cells, wide cells included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.tables import render_table
from everynode.apiserver.tables.apps import STATEFULSETS
from everynode.apiserver.tables.columns import Printer
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj
from tests import builders

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def ago(**elapsed: float) -> str:
    return (NOW - timedelta(**elapsed)).isoformat().replace("+00:00", "Z")


def cells(resource: str, obj: Obj) -> list[Any]:
    table = render_table(kind_of(resource), [obj], now=NOW)
    (row,) = table["rows"]
    return list(row["cells"])


def columns(resource: str) -> list[tuple[str, str, str, int]]:
    table = render_table(kind_of(resource), [], now=NOW)
    return [(c["name"], c["type"], c["format"], c["priority"]) for c in table["columnDefinitions"]]


def daemonset(
    name: str = "fluentd-elasticsearch",
    *,
    status: Obj | None = None,
    node_selector: dict[str, str] | None = None,
    containers: list[Obj] | None = None,
    selector: Obj | None = None,
    created: str | None = None,
) -> Obj:
    return builders.daemonset(
        name,
        namespace="kube-system",
        created=created or ago(minutes=5),
        match_labels={"name": name},
        containers=containers or [builders.container("fluentd", image="fluentd:v2")],
        pod_spec=builders.present(nodeSelector=node_selector),
        status=status or {},
        **builders.present(selector=selector),
    )


ALL_ONE = {
    "desiredNumberScheduled": 1,
    "currentNumberScheduled": 1,
    "numberReady": 1,
    "updatedNumberScheduled": 1,
    "numberAvailable": 1,
}


def test_daemonset_columns() -> None:
    assert columns("daemonsets") == [
        ("Name", "string", "name", 0),
        ("Desired", "integer", "", 0),
        ("Current", "integer", "", 0),
        ("Ready", "integer", "", 0),
        ("Up-to-date", "integer", "", 0),
        ("Available", "integer", "", 0),
        ("Node Selector", "string", "", 0),
        ("Age", "string", "", 0),
        ("Containers", "string", "", 1),
        ("Images", "string", "", 1),
        ("Selector", "string", "", 1),
    ]


def test_daemonset_seed_example() -> None:
    ds = daemonset(status=ALL_ONE, created=ago(minutes=3, seconds=58))
    assert cells("daemonsets", ds)[:8] == ["fluentd-elasticsearch", 1, 1, 1, 1, 1, "<none>", "3m58s"]


@pytest.mark.parametrize(
    ("ds", "expected"),
    [
        pytest.param(
            daemonset(
                "agent",
                status={
                    "desiredNumberScheduled": 5,
                    "currentNumberScheduled": 4,
                    "numberReady": 3,
                    "updatedNumberScheduled": 2,
                    "numberAvailable": 1,
                    "numberMisscheduled": 7,
                },
                created=ago(days=2, hours=3),
            ),
            ["agent", 5, 4, 3, 2, 1, "<none>", "2d3h", "fluentd", "fluentd:v2", "name=agent"],
            id="counts-in-order",
        ),
        pytest.param(
            daemonset("fresh", status={}, created=ago(seconds=4)),
            ["fresh", 0, 0, 0, 0, 0, "<none>", "4s", "fluentd", "fluentd:v2", "name=fresh"],
            id="no-status-yet",
        ),
        pytest.param(
            daemonset(
                "gpu",
                node_selector={"zone": "b", "accelerator": "gpu", "kubernetes.io/os": "linux"},
                created=ago(hours=10),
            ),
            [
                "gpu",
                0,
                0,
                0,
                0,
                0,
                "accelerator=gpu,kubernetes.io/os=linux,zone=b",
                "10h",
                "fluentd",
                "fluentd:v2",
                "name=gpu",
            ],
            id="node-selector-sorted",
        ),
        pytest.param(
            daemonset(
                "multi",
                containers=[
                    {"name": "app", "image": "busybox:1.36"},
                    {"name": "proxy", "image": "envoy:1.30"},
                ],
                selector={
                    "matchLabels": {"tier": "node", "app": "multi"},
                    "matchExpressions": [
                        {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                        {"key": "canary", "operator": "DoesNotExist"},
                        {"key": "arch", "operator": "NotIn", "values": ["arm"]},
                        {"key": "owner", "operator": "Exists"},
                    ],
                },
                created=ago(days=400),
            ),
            [
                "multi",
                0,
                0,
                0,
                0,
                0,
                "<none>",
                "400d",
                "app,proxy",
                "busybox:1.36,envoy:1.30",
                "app=multi,arch notin (arm),!canary,env in (dev,prod),owner,tier=node",
            ],
            id="wide-cells",
        ),
        pytest.param(
            daemonset("empty-selector", selector={}, created=ago(minutes=90)),
            ["empty-selector", 0, 0, 0, 0, 0, "<none>", "90m", "fluentd", "fluentd:v2", "<none>"],
            id="empty-selector",
        ),
        pytest.param(
            {"metadata": {"name": "bare"}, "spec": {}},
            ["bare", 0, 0, 0, 0, 0, "<none>", "<unknown>", "", "", "<none>"],
            id="bare-object",
        ),
    ],
)
def test_daemonset_rows(ds: Obj, expected: list[Any]) -> None:
    assert cells("daemonsets", ds) == expected


def test_daemonset_invalid_selector_prints_error() -> None:
    ds = daemonset(selector={"matchExpressions": [{"key": "a", "operator": "Near", "values": ["x"]}]})
    assert cells("daemonsets", ds)[-1] == "<error>"


@dataclass(frozen=True, slots=True)
class Source:
    printer: Printer
    info: ResourceInfo | None = None


def sts_cells(obj: Obj) -> list[Any]:
    (row,) = render_table(Source(STATEFULSETS), [obj], now=NOW)["rows"]
    return list(row["cells"])


def statefulset(
    name: str = "web",
    *,
    replicas: Any = 3,
    status: Any = None,
    containers: list[Any] | None = None,
    created: str | None = None,
) -> Obj:
    obj: Obj = {
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": created or ago(minutes=5)},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers or [{"name": "nginx", "image": "nginx:1.27"}]},
            },
        },
    }
    if status is not None:
        obj["status"] = status
    return obj


def test_statefulset_columns() -> None:
    table = render_table(Source(STATEFULSETS), [], now=NOW)
    assert [(c["name"], c["type"], c["format"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", "name", 0),
        ("Ready", "string", "", 0),
        ("Age", "string", "", 0),
        ("Containers", "string", "", 1),
        ("Images", "string", "", 1),
    ]


@pytest.mark.parametrize(
    ("sts", "expected"),
    [
        pytest.param(
            statefulset(status={"replicas": 3, "readyReplicas": 3, "currentReplicas": 3}),
            ["web", "3/3", "5m", "nginx", "nginx:1.27"],
            id="all-ready",
        ),
        pytest.param(
            statefulset(
                "db",
                replicas=5,
                status={"replicas": 2, "readyReplicas": 1},
                containers=[
                    {"name": "postgres", "image": "postgres:16"},
                    {"name": "exporter", "image": "prom/postgres-exporter:v0.15.0"},
                ],
                created=ago(days=3, hours=4),
            ),
            ["db", "1/5", "3d4h", "postgres,exporter", "postgres:16,prom/postgres-exporter:v0.15.0"],
            id="rolling-out-two-containers",
        ),
        pytest.param(statefulset(status={}), ["web", "0/3", "5m", "nginx", "nginx:1.27"], id="no-status-yet"),
        pytest.param(
            statefulset(replicas=0, status={"replicas": 0}),
            ["web", "0/0", "5m", "nginx", "nginx:1.27"],
            id="scaled-to-zero",
        ),
        pytest.param(
            statefulset(
                replicas="3", status={"readyReplicas": None}, containers=[{"name": "a"}, "b", {"image": 5}]
            ),
            ["web", "0/0", "5m", "a,", ","],
            id="wrong-types",
        ),
        pytest.param(
            {"metadata": {"name": "bare"}, "spec": {"template": []}, "status": "Ready"},
            ["bare", "0/0", "<unknown>", "", ""],
            id="bare-object",
        ),
    ],
)
def test_statefulset_rows(sts: Obj, expected: list[Any]) -> None:
    assert sts_cells(sts) == expected


def revision(owners: list[Obj] | None, number: int = 1, created: str | None = None) -> Obj:
    return builders.revision(
        "agent-5d9c8b7f4",
        namespace="default",
        number=number,
        owners=owners,
        created=created or ago(minutes=3),
    )


def owner(kind: str, api_version: str, name: str, *, controller: bool | None = True) -> Obj:
    ref: Obj = {"apiVersion": api_version, "kind": kind, "name": name, "uid": "u-1"}
    if controller is not None:
        ref["controller"] = controller
    return ref


def test_controllerrevision_columns() -> None:
    assert columns("controllerrevisions") == [
        ("Name", "string", "name", 0),
        ("Controller", "string", "", 0),
        ("Revision", "string", "", 0),
        ("Age", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("cr", "expected"),
    [
        pytest.param(
            revision([owner("DaemonSet", "apps/v1", "agent")]),
            ["agent-5d9c8b7f4", "daemonset.apps/agent", 1, "3m"],
            id="daemonset-owner",
        ),
        pytest.param(
            revision([owner("Pod", "v1", "solo")], number=7, created=ago(hours=3, minutes=5)),
            ["agent-5d9c8b7f4", "pod/solo", 7, "3h5m"],
            id="core-group-owner",
        ),
        pytest.param(
            revision(
                [
                    owner("ConfigMap", "v1", "cfg", controller=None),
                    owner("StatefulSet", "apps/v1", "db", controller=False),
                    owner("Widget", "example.com/v1alpha1", "w1"),
                ]
            ),
            ["agent-5d9c8b7f4", "widget.example.com/w1", 1, "3m"],
            id="first-controller-wins",
        ),
        pytest.param(
            revision([owner("DaemonSet", "apps/v1", "agent", controller=False)]),
            ["agent-5d9c8b7f4", "<none>", 1, "3m"],
            id="no-controller",
        ),
        pytest.param(revision(None), ["agent-5d9c8b7f4", "<none>", 1, "3m"], id="no-owners"),
    ],
)
def test_controllerrevision_rows(cr: Obj, expected: list[Any]) -> None:
    assert cells("controllerrevisions", cr) == expected
