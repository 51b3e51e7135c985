"""Role, ClusterRole, RoleBinding and ClusterRoleBinding validation, as a flannel- or calico-style bundle
ships them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.validation import rbac
from everynode.apiserver.validation.fields import dedupe
from everynode.core.types import Obj

SERVER_META = {"uid": "u-1", "resourceVersion": "9", "creationTimestamp": "2025-03-01T08:00:00Z"}
GROUP = "rbac.authorization.k8s.io"
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in dedupe(errs)]


def flannel_cluster_role(**fields: Any) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "flannel", "labels": {"k8s-app": "flannel"}, **SERVER_META},
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"]},
            {"apiGroups": ["networking.k8s.io"], "resources": ["clustercidrs"], "verbs": ["list", "watch"]},
            {"nonResourceURLs": ["/metrics", "/healthz"], "verbs": ["get"]},
        ],
        **fields,
    }


def flannel_cluster_role_binding(**fields: Any) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "flannel", **SERVER_META},
        "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": "flannel"},
        "subjects": [{"kind": "ServiceAccount", "name": "flannel", "namespace": "kube-flannel"}],
        **fields,
    }


def calico_role(**fields: Any) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "calico-node", "namespace": "kube-system", **SERVER_META},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": ["calico-config"],
                "verbs": ["get"],
            },
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "update"]},
        ],
        **fields,
    }


def calico_role_binding(**fields: Any) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "calico-node", "namespace": "kube-system", **SERVER_META},
        "roleRef": {"apiGroup": GROUP, "kind": "Role", "name": "calico-node"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "calico-node"},
            {"kind": "User", "apiGroup": GROUP, "name": "system:kube-proxy"},
            {"kind": "Group", "apiGroup": GROUP, "name": "system:nodes"},
        ],
        **fields,
    }


def test_the_bundle_is_valid() -> None:
    assert rbac.validate_cluster_role(flannel_cluster_role()) == []
    assert rbac.validate_cluster_role_binding(flannel_cluster_role_binding()) == []
    assert rbac.validate_role(calico_role()) == []
    assert rbac.validate_role_binding(calico_role_binding()) == []


@pytest.mark.parametrize("name", ["system:controller:flannel", "Flannel_v2", "a@b"])
def test_names_only_need_to_fit_a_path_segment(name: str) -> None:
    role = flannel_cluster_role()
    role["metadata"]["name"] = name
    assert rbac.validate_cluster_role(role) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (".", ["metadata.name: Invalid value: \".\": may not be '.'"]),
        ("..", ["metadata.name: Invalid value: \"..\": may not be '..'"]),
        ("a/b", ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]),
        ("50%", ["metadata.name: Invalid value: \"50%\": may not contain '%'"]),
    ],
)
def test_names_may_not_break_a_path(name: str, expected: list[str]) -> None:
    binding = calico_role_binding()
    binding["metadata"]["name"] = name
    assert messages(rbac.validate_role_binding(binding)) == expected


def test_scope_is_checked() -> None:
    role = flannel_cluster_role()
    role["metadata"]["namespace"] = "kube-flannel"
    assert messages(rbac.validate_cluster_role(role)) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]
    namespaced = calico_role()
    del namespaced["metadata"]["namespace"]
    assert messages(rbac.validate_role(namespaced)) == ["metadata.namespace: Required value"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"apiGroups": [""], "resources": ["pods"], "verbs": []},
            ["rules[0].verbs: Required value: verbs must contain at least one value"],
        ),
        (
            {"resources": ["pods"], "verbs": ["get"]},
            ["rules[0].apiGroups: Required value: resource rules must supply at least one api group"],
        ),
        (
            {"apiGroups": ["apps"], "verbs": ["get"]},
            ["rules[0].resources: Required value: resource rules must supply at least one resource"],
        ),
        (
            {"nonResourceURLs": ["/metrics"], "resources": ["pods"], "verbs": ["get"]},
            [
                'rules[0].nonResourceURLs: Invalid value: []string{"/metrics"}: '
                "rules cannot apply to both regular resources and non-resource URLs"
            ],
        ),
        (
            {"nonResourceURLs": ["/metrics"], "resourceNames": ["x"], "verbs": ["get"]},
            [
                'rules[0].nonResourceURLs: Invalid value: []string{"/metrics"}: '
                "rules cannot apply to both regular resources and non-resource URLs"
            ],
        ),
    ],
)
def test_cluster_role_rules(rule: Obj, expected: list[str]) -> None:
    assert messages(rbac.validate_cluster_role(flannel_cluster_role(rules=[rule]))) == expected


def test_a_role_may_not_name_non_resource_urls() -> None:
    role = calico_role(rules=[{"nonResourceURLs": ["/healthz", "/metrics"], "verbs": ["get"]}])
    assert messages(rbac.validate_role(role)) == [
        'rules[0].nonResourceURLs: Invalid value: []string{"/healthz", "/metrics"}: '
        "namespaced rules cannot apply to non-resource URLs"
    ]


def test_rules_of_the_wrong_shape_are_reported() -> None:
    role = calico_role(rules=[{"apiGroups": "", "resources": ["pods"], "verbs": ["get"]}])
    assert messages(rbac.validate_role(role)) == [
        'rules[0].apiGroups: Invalid value: "": must be of type array',
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
    ]


def test_an_aggregated_cluster_role_is_valid() -> None:
    role = flannel_cluster_role(
        rules=[],
        aggregationRule={
            "clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate-to-net": "true"}}]
        },
    )
    assert rbac.validate_cluster_role(role) == []


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {},
            [
                "aggregationRule.clusterRoleSelectors: Required value: "
                "at least one clusterRoleSelector required if aggregationRule is non-nil"
            ],
        ),
        (
            {"clusterRoleSelectors": [{"matchExpressions": [{"key": "a", "operator": "In"}]}]},
            [
                "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: Required value: "
                "must be specified when `operator` is 'In' or 'NotIn'",
                'aggregationRule.clusterRoleSelectors[0]: Invalid value: "null": invalid label selector.',
            ],
        ),
    ],
)
def test_aggregation_rules(rule: Obj, expected: list[str]) -> None:
    assert messages(rbac.validate_cluster_role(flannel_cluster_role(aggregationRule=rule))) == expected


def test_an_aggregation_rule_may_keep_values_it_already_had() -> None:
    selector = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["not valid!"]}]}
    old = flannel_cluster_role(aggregationRule={"clusterRoleSelectors": [selector]})
    assert [e.field for e in rbac.validate_cluster_role(old)] == [
        "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values[0]",
        "aggregationRule.clusterRoleSelectors[0]",
    ]
    new = copy.deepcopy(old)
    new["metadata"]["labels"]["rev"] = "2"
    assert messages(rbac.validate_cluster_role_update(new, old)) == [
        'aggregationRule.clusterRoleSelectors[0]: Invalid value: "null": invalid label selector.'
    ]


@pytest.mark.parametrize(
    ("role_ref", "expected"),
    [
        (
            {"apiGroup": "rbac.example.com", "kind": "Role", "name": "x"},
            [
                'roleRef.apiGroup: Unsupported value: "rbac.example.com": '
                'supported values: "rbac.authorization.k8s.io"'
            ],
        ),
        (
            {"apiGroup": GROUP, "kind": "Policy", "name": "x"},
            ['roleRef.kind: Unsupported value: "Policy": supported values: "Role", "ClusterRole"'],
        ),
        ({"apiGroup": GROUP, "kind": "Role"}, ["roleRef.name: Required value"]),
        (
            {"apiGroup": GROUP, "kind": "ClusterRole", "name": "a/b"},
            ["roleRef.name: Invalid value: \"a/b\": may not contain '/'"],
        ),
    ],
)
def test_role_binding_role_refs(role_ref: Obj, expected: list[str]) -> None:
    assert messages(rbac.validate_role_binding(calico_role_binding(roleRef=role_ref))) == expected


def test_a_cluster_role_binding_refers_to_a_cluster_role() -> None:
    binding = flannel_cluster_role_binding(roleRef={"apiGroup": GROUP, "kind": "Role", "name": "flannel"})
    assert messages(rbac.validate_cluster_role_binding(binding)) == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"'
    ]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ({"kind": "ServiceAccount"}, ["subjects[0].name: Required value"]),
        (
            {"kind": "ServiceAccount", "name": "Calico"},
            [f'subjects[0].name: Invalid value: "Calico": {SUBDOMAIN_MSG}'],
        ),
        (
            {"kind": "ServiceAccount", "name": "calico", "apiGroup": GROUP},
            ['subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""'],
        ),
        (
            {"kind": "User", "name": "alice"},
            ['subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"'],
        ),
        (
            {"kind": "Group", "name": "ops", "apiGroup": "example.com"},
            [
                'subjects[0].apiGroup: Unsupported value: "example.com": '
                'supported values: "rbac.authorization.k8s.io"'
            ],
        ),
        (
            {"kind": "Robot", "name": "r2"},
            [
                'subjects[0].kind: Unsupported value: "Robot": '
                'supported values: "ServiceAccount", "User", "Group"'
            ],
        ),
    ],
)
def test_role_binding_subjects(subject: Obj, expected: list[str]) -> None:
    assert messages(rbac.validate_role_binding(calico_role_binding(subjects=[subject]))) == expected


def test_a_cluster_role_binding_needs_the_service_account_namespace() -> None:
    binding = flannel_cluster_role_binding(subjects=[{"kind": "ServiceAccount", "name": "flannel"}])
    assert messages(rbac.validate_cluster_role_binding(binding)) == ["subjects[0].namespace: Required value"]


def test_updates_may_change_rules_and_subjects_but_not_the_role_ref() -> None:
    old = calico_role_binding()
    new = copy.deepcopy(old)
    new["subjects"].append({"kind": "ServiceAccount", "name": "calico-typha"})
    assert rbac.validate_role_binding_update(new, old) == []
    new["roleRef"] = {"apiGroup": GROUP, "kind": "ClusterRole", "name": "calico-node"}
    assert messages(rbac.validate_role_binding_update(new, old)) == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
        'Name:"calico-node"}: cannot change roleRef'
    ]


def test_cluster_role_binding_update_keeps_the_role_ref_and_identity() -> None:
    old = flannel_cluster_role_binding()
    new = copy.deepcopy(old)
    new["roleRef"]["name"] = "flannel-v2"
    new["metadata"]["uid"] = "u-2"
    assert messages(rbac.validate_cluster_role_binding_update(new, old)) == [
        'metadata.uid: Invalid value: "u-2": field is immutable',
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
        'Name:"flannel-v2"}: cannot change roleRef',
    ]


def test_role_updates_run_the_create_rules_then_the_metadata_rules() -> None:
    old = calico_role()
    new = copy.deepcopy(old)
    new["rules"][0]["verbs"] = []
    new["metadata"]["resourceVersion"] = ""
    assert messages(rbac.validate_role_update(new, old)) == [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        'metadata.resourceVersion: Invalid value: "": must be specified for an update',
    ]
    role = flannel_cluster_role()
    assert rbac.validate_cluster_role_update(copy.deepcopy(role), role) == []
