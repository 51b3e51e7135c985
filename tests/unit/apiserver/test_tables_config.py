"""ConfigMap, Secret and ServiceAccount rows: entry counts and ages."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.apiserver.tables.config import CONFIGMAPS, SECRETS, SERVICE_ACCOUNTS
from everynode.core.types import Obj
from tests.unit.apiserver.tablerows import ago, cells, columns


def meta(name: str, created: str | None = None) -> Obj:
    return {"name": name, "namespace": "default", "creationTimestamp": created or ago(minutes=5)}


def test_configmap_columns() -> None:
    assert columns(CONFIGMAPS) == [
        ("Name", "string", "name", 0),
        ("Data", "string", "", 0),
        ("Age", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("cm", "expected"),
    [
        pytest.param(
            {"metadata": meta("kube-root-ca.crt", ago(days=3)), "data": {"ca.crt": "-----BEGIN..."}},
            ["kube-root-ca.crt", 1, "3d"],
            id="one-entry",
        ),
        pytest.param(
            {
                "metadata": meta("app-config"),
                "data": {"a": "1", "b": "2"},
                "binaryData": {"logo.png": "iVBORw0KGgo="},
            },
            ["app-config", 3, "5m"],
            id="data-plus-binary-data",
        ),
        pytest.param({"metadata": meta("empty")}, ["empty", 0, "5m"], id="no-data"),
        pytest.param(
            {"metadata": {"name": "odd"}, "data": ["a", "b"], "binaryData": "x"},
            ["odd", 0, "<unknown>"],
            id="wrong-types",
        ),
    ],
)
def test_configmap_rows(cm: Obj, expected: list[Any]) -> None:
    assert cells(CONFIGMAPS, cm) == expected


def test_secret_columns() -> None:
    assert columns(SECRETS) == [
        ("Name", "string", "name", 0),
        ("Type", "string", "", 0),
        ("Data", "string", "", 0),
        ("Age", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        pytest.param(
            {
                "metadata": meta("web-tls", ago(hours=2, minutes=30)),
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "Y3J0", "tls.key": "a2V5"},
            },
            ["web-tls", "kubernetes.io/tls", 2, "150m"],
            id="tls",
        ),
        pytest.param(
            {
                "metadata": meta("creds"),
                "type": "Opaque",
                "data": {"user": "YQ=="},
                "stringData": {"pw": "x"},
            },
            ["creds", "Opaque", 2, "5m"],
            id="string-data-counted-once-merged",
        ),
        pytest.param(
            {"metadata": meta("same"), "type": "Opaque", "data": {"k": "YQ=="}, "stringData": {"k": "b"}},
            ["same", "Opaque", 1, "5m"],
            id="string-data-overrides-same-key",
        ),
        pytest.param({"metadata": meta("bare")}, ["bare", "", 0, "5m"], id="no-type-no-data"),
        pytest.param(
            {"metadata": meta("odd"), "type": 7, "data": "YQ=="},
            ["odd", "", 0, "5m"],
            id="wrong-types",
        ),
    ],
)
def test_secret_rows(secret: Obj, expected: list[Any]) -> None:
    assert cells(SECRETS, secret) == expected


def test_serviceaccount_columns() -> None:
    assert columns(SERVICE_ACCOUNTS) == [
        ("Name", "string", "name", 0),
        ("Secrets", "string", "", 0),
        ("Age", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("sa", "expected"),
    [
        pytest.param({"metadata": meta("default", ago(days=30))}, ["default", 0, "30d"], id="modern"),
        pytest.param(
            {"metadata": meta("builder"), "secrets": [{"name": "builder-token"}, {"name": "pull"}]},
            ["builder", 2, "5m"],
            id="legacy-secrets",
        ),
        pytest.param({"metadata": meta("odd"), "secrets": {"name": "x"}}, ["odd", 0, "5m"], id="wrong-type"),
        pytest.param({}, ["", 0, "<unknown>"], id="empty-object"),
    ],
)
def test_serviceaccount_rows(sa: Obj, expected: list[Any]) -> None:
    assert cells(SERVICE_ACCOUNTS, sa) == expected
