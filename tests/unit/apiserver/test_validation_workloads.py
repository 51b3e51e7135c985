"""StatefulSet and PodDisruptionBudget validation: create, update and status rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.validation import policy, statefulset
from everynode.apiserver.validation.fields import dedupe
from everynode.core.types import Obj
from tests import builders

SERVER_META = {"uid": "u-1", "resourceVersion": "9", "creationTimestamp": "2025-03-01T08:00:00Z"}
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
    "regex used for validation is '[0-9]+%')"
)
NEGATIVE = "must be greater than or equal to 0"
MISMATCH = "`selector` does not match template `labels`"
IMMUTABLE_SPEC = (
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in dedupe(errs)]


def loki(**spec: Any) -> Obj:
    """A defaulted StatefulSet: a log store the node agents ship to."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "loki", "namespace": "logging", "generation": 1, **SERVER_META},
        "spec": {
            "replicas": 3,
            "serviceName": "loki-headless",
            "selector": {"matchLabels": {"app": "loki"}},
            "template": {
                "metadata": {"labels": {"app": "loki", "tier": "storage"}},
                "spec": {
                    "containers": [builders.container("loki", image="grafana/loki:3.0.0")],
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst",
                    "terminationGracePeriodSeconds": 30,
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                },
            },
            "volumeClaimTemplates": [
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "10Gi"}},
                        "volumeMode": "Filesystem",
                    },
                    "status": {"phase": "Pending"},
                }
            ],
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "revisionHistoryLimit": 10,
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            **spec,
        },
    }


def check(obj: Obj) -> list[str]:
    return messages(statefulset.validate_statefulset(obj))


def test_a_statefulset_is_valid() -> None:
    assert statefulset.validate_statefulset(loki()) == []
    assert (
        check(
            loki(updateStrategy={"type": "OnDelete"}, podManagementPolicy="Parallel", ordinals={"start": 1})
        )
        == []
    )


def test_statefulset_names_are_dns_labels() -> None:
    obj = loki()
    obj["metadata"]["name"] = "loki.logs"
    assert check(obj) == ['metadata.name: Invalid value: "loki.logs": must not contain dots']
    obj["metadata"]["name"] = "Loki"
    assert check(obj) == [f'metadata.name: Invalid value: "Loki": {LABEL_MSG}']


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"podManagementPolicy": ""}, ["spec.podManagementPolicy: Required value"]),
        (
            {"podManagementPolicy": "Burst"},
            ["spec.podManagementPolicy: Invalid value: \"Burst\": must be 'OrderedReady' or 'Parallel'"],
        ),
        ({"updateStrategy": {}}, ["spec.updateStrategy: Required value"]),
        (
            {"updateStrategy": {"type": "Recreate"}},
            [
                'spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Recreate", '
                "RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: "
                "must be 'RollingUpdate' or 'OnDelete'"
            ],
        ),
        (
            {"updateStrategy": {"type": "OnDelete", "rollingUpdate": {"partition": 2}}},
            [
                "spec.updateStrategy.rollingUpdate: Invalid value: "
                "apps.RollingUpdateStatefulSetStrategy{Partition:2, "
                "MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'"
            ],
        ),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": -1}}},
            [f"spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: {NEGATIVE}"],
        ),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}},
            ["spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"],
        ),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "150%"}}},
            [
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater "
                "than 100%"
            ],
        ),
        (
            {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "half"}}},
            [
                f'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "half": {PERCENT_MSG}',
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: half: cannot be 0",
            ],
        ),
        ({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}}}, []),
        (
            {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Keep"}},
            [
                'spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": '
                'supported values: "Retain", "Delete"'
            ],
        ),
        ({"replicas": -1}, [f"spec.replicas: Invalid value: -1: {NEGATIVE}"]),
        ({"minReadySeconds": -5}, [f"spec.minReadySeconds: Invalid value: -5: {NEGATIVE}"]),
        ({"ordinals": {"start": -1}}, [f"spec.ordinals.start: Invalid value: -1: {NEGATIVE}"]),
    ],
)
def test_spec_rules(spec: Obj, expected: list[str]) -> None:
    assert check(loki(**spec)) == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (
            None,
            [
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: "
                'map[string]string{"app":"loki", "tier":"storage"}: ' + MISMATCH,
            ],
        ),
        (
            {},
            [
                "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
                "MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for statefulset"
            ],
        ),
        (
            {"matchLabels": {"app": "promtail"}},
            [
                "spec.template.metadata.labels: Invalid value: "
                'map[string]string{"app":"loki", "tier":"storage"}: ' + MISMATCH
            ],
        ),
        (
            {"matchExpressions": [{"key": "app", "operator": "Near"}]},
            [
                'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector '
                "operator",
                "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
                "MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:app,Operator:Near,"
                "Values:[],},},}",
            ],
        ),
    ],
)
def test_selector_rules(selector: Obj | None, expected: list[str]) -> None:
    obj = loki()
    if selector is None:
        del obj["spec"]["selector"]
    else:
        obj["spec"]["selector"] = selector
    assert check(obj) == expected


def test_only_template_metadata_restart_policy_and_deadline_are_checked() -> None:
    obj = loki()
    template = obj["spec"]["template"]
    template["metadata"]["annotations"] = {"bad annotation": "x"}
    template["spec"]["restartPolicy"] = "OnFailure"
    template["spec"]["activeDeadlineSeconds"] = 60
    template["spec"]["containers"] = []  # upstream leaves the pod spec of a StatefulSet unchecked
    assert check(obj) == [
        'spec.template.annotations: Invalid value: "bad annotation": name part must consist of '
        "alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
        "or "
        "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not "
        "Supported",
    ]


def test_template_label_values_are_checked() -> None:
    obj = loki(selector={"matchLabels": {"app": "loki"}})
    obj["spec"]["template"]["metadata"]["labels"]["tier"] = "-x"
    assert check(obj)[0].startswith('spec.template.labels: Invalid value: "-x": a valid label must be')


@pytest.mark.parametrize(
    "change",
    [
        {"replicas": 5},
        {"minReadySeconds": 10},
        {"ordinals": {"start": 1}},
        {"updateStrategy": {"type": "OnDelete"}},
        {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"}},
    ],
)
def test_updates_may_change_the_mutable_fields(change: Obj) -> None:
    old = loki()
    new = copy.deepcopy(old)
    new["spec"].update(change)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "grafana/loki:3.1.0"
    assert statefulset.validate_statefulset_update(new, old) == []


@pytest.mark.parametrize(
    "change",
    [
        {"serviceName": "loki"},
        {"selector": {"matchLabels": {"app": "loki", "tier": "storage"}}},
        {"podManagementPolicy": "Parallel"},
        {"revisionHistoryLimit": 5},
        {"volumeClaimTemplates": []},
    ],
)
def test_updates_may_not_change_other_fields(change: Obj) -> None:
    old = loki()
    new = copy.deepcopy(old)
    new["spec"].update(change)
    assert messages(statefulset.validate_statefulset_update(new, old)) == [IMMUTABLE_SPEC]


def test_update_does_not_recheck_the_name_but_checks_identity() -> None:
    old = loki()
    old["metadata"]["name"] = "loki.v1"  # older servers accepted subdomain names
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 1
    assert statefulset.validate_statefulset_update(new, old) == []
    new["metadata"]["namespace"] = "other"
    new["spec"]["replicas"] = -1
    assert messages(statefulset.validate_statefulset_update(new, old)) == [
        'metadata.namespace: Invalid value: "other": field is immutable',
        f"spec.replicas: Invalid value: -1: {NEGATIVE}",
    ]


def with_status(**status: Any) -> Obj:
    obj = loki()
    obj["status"] = {"replicas": 3, "readyReplicas": 2, "currentReplicas": 3, "updatedReplicas": 3, **status}
    return obj


def status_update(new: Obj, old: Obj | None = None) -> list[str]:
    return messages(statefulset.validate_statefulset_status_update(new, old or with_status()))


def test_status_updates() -> None:
    assert status_update(with_status(availableReplicas=2, observedGeneration=1, collisionCount=0)) == []
    assert status_update(with_status(currentReplicas=-1)) == [
        f"status.currentReplicas: Invalid value: -1: {NEGATIVE}"
    ]
    assert status_update(with_status(readyReplicas=4, availableReplicas=4)) == [
        "status.readyReplicas: Invalid value: 4: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 4: cannot be greater than status.replicas",
    ]
    assert status_update(with_status(availableReplicas=3)) == [
        "status.availableReplicas: Invalid value: 3: cannot be greater than status.readyReplicas"
    ]
    assert status_update(with_status(observedGeneration=-1)) == [
        f"status.observedGeneration: Invalid value: -1: {NEGATIVE}"
    ]
    assert status_update(with_status(collisionCount=1), with_status(collisionCount=2)) == [
        "status.collisionCount: Invalid value: 1: cannot be decremented"
    ]
    assert status_update(with_status(), with_status(collisionCount=2)) == [
        "status.collisionCount: Invalid value: 0: cannot be decremented"
    ]


# -- PodDisruptionBudget --------------------------------------------------------------------------


def pdb(**spec: Any) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "loki", "namespace": "logging", "generation": 1, **SERVER_META},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "loki"}}, **spec},
    }


def pdb_check(obj: Obj) -> list[str]:
    return messages(policy.validate_pod_disruption_budget(obj))


def test_a_pdb_is_valid() -> None:
    assert policy.validate_pod_disruption_budget(pdb()) == []
    assert (
        pdb_check(pdb(maxUnavailable=None, minAvailable="50%", unhealthyPodEvictionPolicy="AlwaysAllow"))
        == []
    )
    assert pdb_check(pdb(selector={})) == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"minAvailable": 2},
            [
                "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:2, Selector:&LabelSelector{"
                "MatchLabels:map[string]string{app: loki,},MatchExpressions:[]LabelSelectorRequirement{},}, "
                "MaxUnavailable:1, "
                "UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: "
                "minAvailable and maxUnavailable cannot be both set"
            ],
        ),
        ({"maxUnavailable": -1}, [f"spec.maxUnavailable: Invalid value: -1: {NEGATIVE}"]),
        (
            {"maxUnavailable": "101%"},
            ["spec.maxUnavailable: Invalid value: 101%: must not be greater than 100%"],
        ),
        (
            {"maxUnavailable": None, "minAvailable": "most"},
            [f'spec.minAvailable: Invalid value: "most": {PERCENT_MSG}'],
        ),
        ({"maxUnavailable": 0}, []),
        (
            {"selector": {"matchLabels": {"app": "-loki"}}},
            [
                'spec.selector.matchLabels: Invalid value: "-loki": a valid label must be an empty string or '
                "consist "
                "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                "character "
                "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
            ],
        ),
        (
            {"unhealthyPodEvictionPolicy": "Never"},
            [
                'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": '
                'supported values: "AlwaysAllow", "IfHealthyBudget"'
            ],
        ),
    ],
)
def test_pdb_spec_rules(spec: Obj, expected: list[str]) -> None:
    assert pdb_check(pdb(**spec)) == expected


def test_pdb_metadata_is_checked_only_once_the_spec_passes() -> None:
    obj = pdb()
    obj["metadata"]["name"] = "loki/ha"
    assert pdb_check(obj) == ["metadata.name: Invalid value: \"loki/ha\": may not contain '/'"]
    obj["metadata"]["name"] = "Loki_HA"  # only a path segment is required of a PDB name
    assert pdb_check(obj) == []
    obj["spec"]["maxUnavailable"] = -1
    del obj["metadata"]["namespace"]
    assert pdb_check(obj) == [f"spec.maxUnavailable: Invalid value: -1: {NEGATIVE}"]


def test_pdb_spec_is_mutable_and_keeps_stored_selector_values() -> None:
    old = pdb()
    new = pdb(
        maxUnavailable=None, minAvailable=2, selector={"matchLabels": {"app": "loki", "tier": "storage"}}
    )
    assert policy.validate_pod_disruption_budget_update(new, old) == []
    selector = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["not valid!"]}]}
    stored = pdb(selector=selector)
    changed = copy.deepcopy(stored)
    changed["spec"]["maxUnavailable"] = 2
    assert policy.validate_pod_disruption_budget_update(changed, stored) == []
    assert [e.field for e in policy.validate_pod_disruption_budget_update(changed, old)] == [
        "spec.selector.matchExpressions[0].values[0]"
    ]


def pdb_with_status(**status: Any) -> Obj:
    obj = pdb()
    obj["status"] = {
        "observedGeneration": 1,
        "disruptionsAllowed": 1,
        "currentHealthy": 3,
        "desiredHealthy": 2,
        "expectedPods": 3,
        "conditions": [
            {
                "type": "DisruptionAllowed",
                "status": "True",
                "reason": "SufficientPods",
                "message": "",
                "observedGeneration": 1,
                "lastTransitionTime": "2025-03-01T08:01:00Z",
            }
        ],
        **status,
    }
    return obj


def test_pdb_status_updates() -> None:
    old = pdb()
    assert policy.validate_pod_disruption_budget_status_update(pdb_with_status(), old) == []
    assert messages(
        policy.validate_pod_disruption_budget_status_update(pdb_with_status(disruptionsAllowed=-1), old)
    ) == [f"status.disruptionsAllowed: Invalid value: -1: {NEGATIVE}"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {"status": "Maybe"},
            [
                'status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", '
                '"Unknown"'
            ],
        ),
        ({"reason": ""}, ["status.conditions[0].reason: Required value: must be set"]),
        (
            {"reason": "Sufficient Pods"},
            [
                'status.conditions[0].reason: Invalid value: "Sufficient Pods": a condition reason must '
                "start with "
                "alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', "
                "and must "
                "end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or "
                "'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is "
                "'[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')"
            ],
        ),
        (
            {"lastTransitionTime": None},
            ["status.conditions[0].lastTransitionTime: Required value: must be set"],
        ),
        (
            {"observedGeneration": -1},
            [
                "status.conditions[0].observedGeneration: Invalid value: -1: must be greater than or equal "
                "to zero"
            ],
        ),
        (
            {"message": "x" * 32769},
            ["status.conditions[0].message: Too long: may not be more than 32768 bytes"],
        ),
    ],
)
def test_pdb_status_conditions(condition: Obj, expected: list[str]) -> None:
    obj = pdb_with_status()
    obj["status"]["conditions"][0].update(condition)
    assert messages(policy.validate_pod_disruption_budget_status_update(obj, pdb())) == expected


def test_pdb_condition_types_are_unique() -> None:
    obj = pdb_with_status()
    obj["status"]["conditions"].append(copy.deepcopy(obj["status"]["conditions"][0]))
    assert messages(policy.validate_pod_disruption_budget_status_update(obj, pdb())) == [
        'status.conditions[1].type: Duplicate value: "DisruptionAllowed"'
    ]
