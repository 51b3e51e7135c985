"""Validation of the other kinds: Node, Namespace, Event, ControllerRevision, Lease; and dispatch."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.kinds import KINDS, kind_of
from everynode.core import resources as r
from everynode.core.resources import RESOURCES
from everynode.core.types import Obj
from tests import builders

SERVER_META = {"uid": "u-1", "resourceVersion": "9", "creationTimestamp": "2025-03-01T08:00:00Z"}


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in errs]


def node(**spec: Any) -> Obj:
    capacity = {"cpu": "4", "memory": "16Gi", "pods": "110"}
    obj = builders.node(
        "node-1", labels={"kubernetes.io/hostname": "node-1"}, metadata=SERVER_META, capacity=capacity, **spec
    )
    kind_of("nodes").apply_defaults(obj)
    return obj


def test_a_node_is_valid() -> None:
    assert (
        kind_of("nodes").validate_create(
            node(taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
        )
        == []
    )


@pytest.mark.parametrize(
    ("taints", "expected"),
    [
        (
            [{"key": "a", "effect": "NoSchedule"}, {"key": "a", "effect": "NoSchedule"}],
            [
                'metadata.taints[1]: Duplicate value: {"effect":"NoSchedule","key":"a"}: '
                "taints must be unique by key and effect pair"
            ],
        ),
        ([{"key": "a", "effect": ""}], ["metadata.taints[0].effect: Required value"]),
        (
            [{"key": "a", "effect": "Later"}],
            [
                'metadata.taints[0].effect: Unsupported value: "Later": supported values: '
                '"NoSchedule", "PreferNoSchedule", "NoExecute"'
            ],
        ),
    ],
)
def test_node_taints(taints: list[Obj], expected: list[str]) -> None:
    assert messages(kind_of("nodes").validate_create(node(taints=taints))) == expected


def test_node_capacity_must_be_non_negative() -> None:
    obj = node()
    obj["status"]["capacity"]["cpu"] = "-1"
    assert messages(kind_of("nodes").validate_create(obj)) == [
        'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0'
    ]


def test_node_updates_may_taint_and_cordon_but_not_change_the_provider_id() -> None:
    old = node(providerID="sim://node-1")
    new = copy.deepcopy(old)
    new["spec"].update(
        unschedulable=True, taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    )
    assert kind_of("nodes").validate_update(new, old) == []
    new["spec"]["providerID"] = "sim://other"
    assert messages(kind_of("nodes").validate_update(new, old)) == [
        'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid'
    ]


def test_node_status_updates_use_the_update_rules() -> None:
    old = node()
    new = copy.deepcopy(old)
    new["status"]["addresses"] = [{"type": "InternalIP", "address": "10.0.0.1"}] * 2
    assert messages(kind_of("nodes").validate_status_update(new, old)) == [
        'status.addresses[1]: Duplicate value: {"address":"10.0.0.1","type":"InternalIP"}'
    ]


def test_a_node_with_a_repeated_address_is_refused_at_create_as_its_first_update_would_be() -> None:
    repeated = node()
    repeated["status"]["addresses"] = [{"type": "InternalIP", "address": "10.0.0.1"}] * 2
    assert messages(kind_of("nodes").validate_create(repeated)) == [
        'status.addresses[1]: Duplicate value: {"address":"10.0.0.1","type":"InternalIP"}'
    ]


def namespace(name: str = "team-a") -> Obj:
    obj = builders.namespace(name, metadata=SERVER_META)
    kind_of("namespaces").apply_defaults(obj)
    return obj


def test_namespaces() -> None:
    assert kind_of("namespaces").validate_create(namespace()) == []
    assert messages(kind_of("namespaces").validate_create(namespace("team.a"))) == [
        'metadata.name: Invalid value: "team.a": must not contain dots'
    ]
    bad = namespace()
    bad["spec"]["finalizers"] = ["custom"]
    assert messages(kind_of("namespaces").validate_create(bad)) == [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it '
        "fully qualified"
    ]


def test_namespace_phase_follows_deletion() -> None:
    old = namespace()
    new = copy.deepcopy(old)
    new["status"]["phase"] = "Terminating"
    assert messages(kind_of("namespaces").validate_status_update(new, old)) == [
        "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"
    ]
    old["metadata"]["deletionTimestamp"] = new["metadata"]["deletionTimestamp"] = "2025-03-01T09:00:00Z"
    assert kind_of("namespaces").validate_status_update(new, old) == []


def event(**fields: Any) -> Obj:
    obj: Obj = {
        "metadata": {"name": "node-agent.17f3a", "namespace": "kube-system", **SERVER_META},
        "involvedObject": {"kind": "DaemonSet", "namespace": "kube-system", "name": "node-agent"},
        "reason": "SuccessfulCreate",
        "message": "Created pod: node-agent-7x2kq",
        "type": "Normal",
        "source": {"component": "daemonset-controller"},
    }
    obj.update(fields)
    return obj


def test_events() -> None:
    assert kind_of("events").validate_create(event()) == []
    assert (
        kind_of("events").validate_create(
            event(metadata={"name": "Node:Agent.1", "namespace": "kube-system"})
        )
        == []
    )
    assert messages(
        kind_of("events").validate_create(event(involvedObject={"kind": "Pod", "namespace": "other"}))
    ) == ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']
    assert messages(
        kind_of("events").validate_create(event(metadata={"name": "a/b", "namespace": "kube-system"}))
    ) == ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]


def test_new_style_events_need_a_reporter() -> None:
    errs = messages(
        kind_of("events").validate_create(event(eventTime="2025-03-01T08:00:00.000000Z", action=""))
    )
    assert errs[0] == "reportingComponent: Required value"
    assert "reportingInstance: Required value" in errs
    assert "action: Required value" in errs


def revision(**fields: Any) -> Obj:
    data = {"spec": {"template": {"$patch": "replace"}}}
    obj = builders.revision("node-agent-6d4b9c7f8", namespace="kube-system", data=data, metadata=SERVER_META)
    return {**obj, **fields}


def test_controller_revisions() -> None:
    assert kind_of("controllerrevisions").validate_create(revision()) == []
    assert messages(kind_of("controllerrevisions").validate_create(revision(data=None, revision=-1))) == [
        "data: Required value: data is mandatory",
        "revision: Invalid value: -1: must be greater than or equal to 0",
    ]
    old = revision()
    assert kind_of("controllerrevisions").validate_update(revision(revision=3), old) == []
    assert messages(kind_of("controllerrevisions").validate_update(revision(data={"x": 1}), old)) == [
        'data: Invalid value: {"x":1}: field is immutable'
    ]


def lease(**spec: Any) -> Obj:
    return builders.lease("node-1", namespace="kube-node-lease", metadata=SERVER_META, **spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"holderIdentity": "node-1", "leaseDurationSeconds": 40}, []),
        (
            {"leaseDurationSeconds": 0},
            ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"],
        ),
        (
            {"leaseTransitions": -1},
            ["spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            {"strategy": "Newest"},
            ['spec.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion"'],
        ),
        (
            {"preferredHolder": "x"},
            ["spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined"],
        ),
    ],
)
def test_leases(spec: Obj, expected: list[str]) -> None:
    assert messages(kind_of("leases").validate_create(lease(**spec))) == expected
    assert messages(kind_of("leases").validate_update(lease(**spec), lease())) == expected


def test_every_served_resource_is_declared_once_and_no_other() -> None:
    assert sorted(kind.info.resource for kind in KINDS) == sorted(info.resource for info in RESOURCES)
    assert kind_of(r.PODS) is kind_of("pods")
    with pytest.raises(KeyError):
        kind_of("widgets")


def test_a_kind_without_status_rules_uses_its_update_rules() -> None:
    old = node()
    new = copy.deepcopy(old)
    new["spec"]["providerID"] = "sim://changed"
    old["spec"]["providerID"] = "sim://first"
    assert (
        kind_of("nodes").validate_status_update(new, old) == kind_of("nodes").validate_update(new, old) != []
    )


@pytest.mark.parametrize(
    "resource", ["namespaces", "nodes", "pods", "events", "daemonsets", "controllerrevisions", "leases"]
)
@pytest.mark.parametrize(
    "body", [{}, {"metadata": "x", "spec": [], "status": 3}, {"spec": {"containers": "x", "template": 1}}]
)
def test_malformed_bodies_are_reported_not_crashed_on(resource: str, body: Obj) -> None:
    assert kind_of(resource).validate_create(body)
    assert kind_of(resource).validate_update(body, body)
    kind_of(resource).validate_status_update(body, body)


@pytest.mark.parametrize(
    ("resource", "body", "expected"),
    [
        (
            "namespaces",
            {"metadata": {"name": "x", "finalizers": "abc"}},
            'metadata.finalizers: Invalid value: "abc": must be of type array',
        ),
        (
            "namespaces",
            {"metadata": {"name": "x", "labels": 5}},
            "metadata.labels: Invalid value: 5: must be of type object",
        ),
        (
            "namespaces",
            {"metadata": {"name": "x", "labels": {"a": 5}}},
            "metadata.labels[a]: Invalid value: 5: must be of type string",
        ),
        (
            "namespaces",
            {"metadata": {"name": "x"}, "spec": {"finalizers": "kubernetes"}},
            'spec.finalizers: Invalid value: "kubernetes": must be of type array',
        ),
        ("namespaces", {"metadata": "x"}, 'metadata: Invalid value: "x": must be of type object'),
        (
            "pods",
            {"metadata": {"name": "p", "namespace": "d"}, "spec": {"containers": [], "tolerations": "all"}},
            'spec.tolerations: Invalid value: "all": must be of type array',
        ),
        (
            "pods",
            {
                "metadata": {"name": "p", "namespace": "d"},
                "spec": {"containers": [{"name": "c", "command": "ls"}]},
            },
            'spec.containers[0].command: Invalid value: "ls": must be of type array',
        ),
        (
            "daemonsets",
            {"metadata": {"name": "d", "namespace": "d"}, "spec": {"minReadySeconds": "5"}},
            'spec.minReadySeconds: Invalid value: "5": must be of type integer',
        ),
        (
            "nodes",
            {"metadata": {"name": "n"}, "spec": {"unschedulable": "yes"}},
            'spec.unschedulable: Invalid value: "yes": must be of type boolean',
        ),
        (
            "leases",
            {"metadata": {"name": "l", "namespace": "d"}, "spec": {"holderIdentity": 3}},
            "spec.holderIdentity: Invalid value: 3: must be of type string",
        ),
        (
            "events",
            {"metadata": {"name": "e", "namespace": "d"}, "count": "2"},
            'count: Invalid value: "2": must be of type integer',
        ),
    ],
)
def test_fields_of_the_wrong_json_type_are_rejected(resource: str, body: Obj, expected: str) -> None:
    assert expected in messages(kind_of(resource).validate_create(body))
