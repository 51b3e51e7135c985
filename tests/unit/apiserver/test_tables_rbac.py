"""Role, ClusterRole, RoleBinding and ClusterRoleBinding rows."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.apiserver.tables import GENERIC
from everynode.apiserver.tables.columns import Printer
from everynode.apiserver.tables.rbac import CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, ROLE_BINDINGS, ROLES
from everynode.core.types import Obj
from tests.unit.apiserver.tablerows import ago, cells, columns


@pytest.mark.parametrize("printer", [ROLES, CLUSTER_ROLES], ids=["roles", "clusterroles"])
def test_role_columns_are_the_generic_table(printer: Printer) -> None:
    assert printer is GENERIC.printer
    assert columns(printer) == [("Name", "string", "name", 0), ("Created At", "date", "", 0)]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(
            {
                "metadata": {
                    "name": "pod-reader",
                    "namespace": "default",
                    "creationTimestamp": "2024-05-01T10:00:00Z",
                },
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            },
            ["pod-reader", "2024-05-01T10:00:00Z"],
            id="role",
        ),
        pytest.param(
            {"metadata": {"name": "view", "creationTimestamp": "2023-12-31T23:59:59+01:00"}},
            ["view", "2023-12-31T22:59:59Z"],
            id="converted-to-utc",
        ),
        pytest.param({"metadata": {"name": "fresh"}}, ["fresh", "0001-01-01T00:00:00Z"], id="zero-time"),
        pytest.param({"metadata": "nope"}, ["", "0001-01-01T00:00:00Z"], id="wrong-metadata"),
    ],
)
def test_role_rows(role: Obj, expected: list[Any]) -> None:
    assert cells(ROLES, role) == expected
    assert cells(CLUSTER_ROLES, role) == expected


@pytest.mark.parametrize("printer", [ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS], ids=["rolebindings", "crbs"])
def test_binding_columns(printer: Printer) -> None:
    assert columns(printer) == [
        ("Name", "string", "name", 0),
        ("Role", "string", "", 0),
        ("Age", "string", "", 0),
        ("Users", "string", "", 1),
        ("Groups", "string", "", 1),
        ("ServiceAccounts", "string", "", 1),
    ]


def binding(name: str, role_ref: Any, subjects: Any = None, *, created: str | None = None) -> Obj:
    obj: Obj = {"metadata": {"name": name, "creationTimestamp": created or ago(days=9)}, "roleRef": role_ref}
    if subjects is not None:
        obj["subjects"] = subjects
    return obj


def ref(kind: str, name: str) -> Obj:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def user(name: str) -> Obj:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def group(name: str) -> Obj:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def account(name: str, namespace: str | None) -> Obj:
    subject: Obj = {"kind": "ServiceAccount", "name": name}
    if namespace is not None:
        subject["namespace"] = namespace
    return subject


@pytest.mark.parametrize(
    ("rb", "expected"),
    [
        pytest.param(
            binding("cluster-admin", ref("ClusterRole", "cluster-admin"), [group("system:masters")]),
            ["cluster-admin", "ClusterRole/cluster-admin", "9d", "", "system:masters", ""],
            id="cluster-admin",
        ),
        pytest.param(
            binding(
                "read-pods",
                ref("Role", "pod-reader"),
                [
                    user("jane"),
                    account("builder", "ci"),
                    group("devs"),
                    user("bob"),
                    account("default", None),
                    group("ops"),
                ],
                created=ago(minutes=3),
            ),
            ["read-pods", "Role/pod-reader", "3m", "jane, bob", "devs, ops", "ci/builder, /default"],
            id="every-subject-kind-in-order",
        ),
        pytest.param(
            binding("no-subjects", ref("ClusterRole", "view")),
            ["no-subjects", "ClusterRole/view", "9d", "", "", ""],
            id="no-subjects",
        ),
        pytest.param(
            binding(
                "other-kinds", ref("ClusterRole", "view"), [{"kind": "Robot", "name": "r2"}, user("amy")]
            ),
            ["other-kinds", "ClusterRole/view", "9d", "amy", "", ""],
            id="unknown-kind-left-out",
        ),
        pytest.param(
            binding("odd", "ClusterRole/view", [user("x"), "group:y", {"kind": "User", "name": 3}]),
            ["odd", "/", "9d", "x, ", "", ""],
            id="wrong-types",
        ),
        pytest.param(
            binding("odd", {"kind": "ClusterRole"}, {"kind": "User", "name": "x"}),
            ["odd", "ClusterRole/", "9d", "", "", ""],
            id="subjects-not-a-list",
        ),
    ],
)
def test_binding_rows(rb: Obj, expected: list[Any]) -> None:
    assert cells(ROLE_BINDINGS, rb) == expected
    assert cells(CLUSTER_ROLE_BINDINGS, rb) == expected
