"""PriorityClass, StorageClass and CSIDriver validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.validation import priorityclass, storage
from everynode.apiserver.validation.fields import dedupe
from everynode.core.types import Obj

SERVER_META = {"uid": "u-1", "resourceVersion": "9", "creationTimestamp": "2025-03-01T08:00:00Z"}
RESERVED = (
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only."
)


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in dedupe(errs)]


# -- PriorityClass --------------------------------------------------------------------------------


def priority_class(name: str, value: int, **fields: Any) -> Obj:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name, "generation": 1, **SERVER_META},
        "value": value,
        "globalDefault": False,
        "preemptionPolicy": "PreemptLowerPriority",
        **fields,
    }


def system_node_critical() -> Obj:
    return priority_class(
        "system-node-critical",
        2000001000,
        description="Used for system critical pods that must not be moved from their current node.",
    )


def test_the_system_classes_and_a_user_class_are_valid() -> None:
    assert priorityclass.SYSTEM_PRIORITY_CLASSES == {
        "system-node-critical": 2000001000,
        "system-cluster-critical": 2000000000,
    }
    assert priorityclass.validate_priority_class(system_node_critical()) == []
    assert priorityclass.validate_priority_class(priority_class("system-cluster-critical", 2000000000)) == []
    assert (
        priorityclass.validate_priority_class(
            priority_class("node-agents", 1000000000, preemptionPolicy="Never")
        )
        == []
    )
    assert priorityclass.validate_priority_class(priority_class("batch-low", -10)) == []


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            priority_class("system-agents", 1000),
            [f"{RESERVED} error: system-agents is not a known system priority class"],
        ),
        (
            priority_class("system-node-critical", 2000000000),
            [f"{RESERVED} error: value of system-node-critical PriorityClass must be 2000001000"],
        ),
        (
            priority_class("system-cluster-critical", 2000000000, globalDefault=True),
            [f"{RESERVED} error: globalDefault of system-cluster-critical PriorityClass must be false"],
        ),
        (
            priority_class("node-agents", 1000000001),
            ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"],
        ),
        (priority_class("node-agents", 10, preemptionPolicy=""), ["preemptionPolicy: Required value"]),
        (
            priority_class("node-agents", 10, preemptionPolicy="Always"),
            [
                'preemptionPolicy: Unsupported value: "Always": supported values: "PreemptLowerPriority", '
                '"Never"'
            ],
        ),
        (
            priority_class("Node_Agents", 10),
            [
                'metadata.name: Invalid value: "Node_Agents": a lowercase RFC 1123 subdomain must consist of '
                "lower "
                "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                "character "
                "(e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ],
        ),
    ],
)
def test_priority_class_rules(obj: Obj, expected: list[str]) -> None:
    assert messages(priorityclass.validate_priority_class(obj)) == expected


def test_priority_classes_are_cluster_scoped() -> None:
    obj = priority_class("node-agents", 10)
    obj["metadata"]["namespace"] = "default"
    assert messages(priorityclass.validate_priority_class(obj)) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]


def test_priority_class_update_may_change_description_and_default_only() -> None:
    old = priority_class("node-agents", 1000)
    new = copy.deepcopy(old)
    new.update(description="Node agents", globalDefault=True)
    assert priorityclass.validate_priority_class_update(new, old) == []
    new.update(value=2000, preemptionPolicy="Never")
    assert messages(priorityclass.validate_priority_class_update(new, old)) == [
        "value: Forbidden: may not be changed in an update.",
        'preemptionPolicy: Invalid value: "Never": field is immutable',
    ]


def test_priority_class_update_does_not_rerun_the_create_rules() -> None:
    old = priority_class("legacy-high", 2000000000)  # stored before the limit existed
    new = copy.deepcopy(old)
    new["description"] = "kept"
    assert priorityclass.validate_priority_class_update(new, old) == []


# -- StorageClass ---------------------------------------------------------------------------------


def local_path(**fields: Any) -> Obj:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": "local-path",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            **SERVER_META,
        },
        "provisioner": "rancher.io/local-path",
        "parameters": {"nodePath": "/opt/local-path-provisioner"},
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        **fields,
    }


ZONES = {"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["zone-a", "zone-b"]}]}


def test_a_storage_class_is_valid() -> None:
    assert storage.validate_storage_class(local_path()) == []
    assert (
        storage.validate_storage_class(local_path(allowedTopologies=[ZONES], provisioner="Example.COM/csi"))
        == []
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"provisioner": ""}, ["provisioner: Required value"]),
        (
            {"provisioner": "rancher.io/local path"},
            [
                'provisioner: Invalid value: "rancher.io/local path": name part must consist of alphanumeric '
                "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                "'MyName',  "
                "or 'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            ],
        ),
        ({"parameters": {"": "x"}}, ['parameters: Invalid value: "": field can not be empty.']),
        (
            {"parameters": {f"k{i}": "v" for i in range(513)}},
            ["parameters: Too long: may not be more than 512 bytes"],
        ),
        (
            {"parameters": {"big": "x" * (256 * 1024)}},
            ["parameters: Too long: may not be more than 262144 bytes"],
        ),
        (
            {"reclaimPolicy": "Recycle"},
            ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
        ),
        ({"volumeBindingMode": None}, ["volumeBindingMode: Required value"]),
        (
            {"volumeBindingMode": "Lazy"},
            [
                'volumeBindingMode: Unsupported value: "Lazy": supported values: "Immediate", '
                '"WaitForFirstConsumer"'
            ],
        ),
        (
            {"allowedTopologies": [ZONES, copy.deepcopy(ZONES)]},
            ['allowedTopologies[1].matchLabelExpressions: Duplicate value: ""'],
        ),
        ({"allowedTopologies": [{}]}, ['allowedTopologies[0].matchLabelExpressions: Duplicate value: ""']),
        (
            {"allowedTopologies": [{"matchLabelExpressions": [{"key": "zone", "values": []}]}]},
            ["allowedTopologies[0].matchLabelExpressions[0].values: Required value"],
        ),
        (
            {"allowedTopologies": [{"matchLabelExpressions": [{"key": "zone", "values": ["a", "a"]}]}]},
            ['allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: "a"'],
        ),
        (
            {
                "allowedTopologies": [
                    {
                        "matchLabelExpressions": [
                            {"key": "zone", "values": ["a"]},
                            {"key": "zone", "values": ["b"]},
                        ]
                    }
                ]
            },
            ['allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "zone"'],
        ),
    ],
)
def test_storage_class_rules(fields: Obj, expected: list[str]) -> None:
    assert messages(storage.validate_storage_class(local_path(**fields))) == expected


def test_storage_class_update_allows_expansion_and_metadata_only() -> None:
    old = local_path()
    new = copy.deepcopy(old)
    new["allowVolumeExpansion"] = False
    new["metadata"]["annotations"] = {}
    new["mountOptions"] = ["noatime"]
    assert storage.validate_storage_class_update(new, old) == []
    new.update(
        parameters={"nodePath": "/data"},
        provisioner="example.com/csi",
        reclaimPolicy="Retain",
        volumeBindingMode="Immediate",
    )
    assert messages(storage.validate_storage_class_update(new, old)) == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
        'volumeBindingMode: Invalid value: "Immediate": field is immutable',
    ]


# -- CSIDriver ------------------------------------------------------------------------------------


def csi_driver(**spec: Any) -> Obj:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": {"name": "ebs.csi.aws.com", **SERVER_META},
        "spec": {
            "attachRequired": True,
            "podInfoOnMount": False,
            "storageCapacity": False,
            "fsGroupPolicy": "ReadWriteOnceWithFSType",
            "volumeLifecycleModes": ["Persistent"],
            "requiresRepublish": False,
            "seLinuxMount": False,
            **spec,
        },
    }


def test_a_csi_driver_is_valid() -> None:
    assert storage.validate_csi_driver(csi_driver()) == []
    tokens = [{"audience": "sts.amazonaws.com", "expirationSeconds": 3600}, {"audience": ""}]
    assert (
        storage.validate_csi_driver(csi_driver(tokenRequests=tokens, volumeLifecycleModes=["Ephemeral"]))
        == []
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"attachRequired": None}, ["spec.attachedRequired: Required value"]),
        ({"podInfoOnMount": None}, ["spec.podInfoOnMount: Required value"]),
        ({"storageCapacity": None}, ["spec.storageCapacity: Required value"]),
        ({"seLinuxMount": None}, ["spec.seLinuxMount: Required value"]),
        (
            {"fsGroupPolicy": "Always"},
            [
                'spec.fsGroupPolicy: Unsupported value: "Always": supported values: "File", "None", '
                '"ReadWriteOnceWithFSType"'
            ],
        ),
        (
            {"volumeLifecycleModes": ["Persistent", "Inline"]},
            [
                'spec.volumeLifecycleModes: Unsupported value: "Inline": supported values: "Persistent", '
                '"Ephemeral"'
            ],
        ),
        (
            {"tokenRequests": [{"audience": "a"}, {"audience": "a", "expirationSeconds": 1}]},
            ['spec.tokenRequests[1].audience: Duplicate value: "a"'],
        ),
        (
            {"tokenRequests": [{"audience": "a", "expirationSeconds": 599}]},
            [
                "spec.tokenRequests[0].expirationSeconds: Invalid value: 599: may not specify a duration "
                "less than 10 minutes"
            ],
        ),
        (
            {"tokenRequests": [{"audience": "a", "expirationSeconds": 4294967297}]},
            [
                "spec.tokenRequests[0].expirationSeconds: Invalid value: 4294967297: "
                "may not specify a duration larger than 2^32 seconds"
            ],
        ),
        (
            {"nodeAllocatableUpdatePeriodSeconds": 5},
            [
                "spec.nodeAllocatableUpdatePeriodSeconds: Invalid value: 5: must be greater than or equal to "
                "10 seconds"
            ],
        ),
    ],
)
def test_csi_driver_rules(spec: Obj, expected: list[str]) -> None:
    obj = csi_driver(**spec)
    obj["spec"] = {k: v for k, v in obj["spec"].items() if v is not None}
    assert messages(storage.validate_csi_driver(obj)) == expected


def test_csi_driver_update_fixes_attach_required_and_lifecycle_modes() -> None:
    old = csi_driver()
    new = csi_driver(podInfoOnMount=True, fsGroupPolicy="File", tokenRequests=[{"audience": "vault"}])
    assert storage.validate_csi_driver_update(new, old) == []
    new = csi_driver(attachRequired=False, volumeLifecycleModes=["Persistent", "Ephemeral"])
    assert messages(storage.validate_csi_driver_update(new, old)) == [
        "spec.attachedRequired: Invalid value: false: field is immutable",
        'spec.volumeLifecycleModes: Invalid value: []storage.VolumeLifecycleMode{"Persistent", "Ephemeral"}: '
        "field is immutable",
    ]
