"""PodDisruptionBudget, PriorityClass, StorageClass and CSIDriver rows."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.apiserver.tables.cluster import (
    CSI_DRIVERS,
    POD_DISRUPTION_BUDGETS,
    PRIORITY_CLASSES,
    STORAGE_CLASSES,
)
from everynode.core.types import Obj
from tests.unit.apiserver.tablerows import ago, cells, columns


def meta(name: str, annotations: dict[str, str] | None = None) -> Obj:
    m: Obj = {"name": name, "creationTimestamp": ago(days=1, hours=2)}
    if annotations is not None:
        m["annotations"] = annotations
    return m


# --- PodDisruptionBudget ---


def test_pdb_columns() -> None:
    assert columns(POD_DISRUPTION_BUDGETS) == [
        ("Name", "string", "name", 0),
        ("Min Available", "string", "", 0),
        ("Max Unavailable", "string", "", 0),
        ("Allowed Disruptions", "integer", "", 0),
        ("Age", "string", "", 0),
    ]


def pdb(spec: Any, status: Any = None) -> Obj:
    obj: Obj = {"metadata": {**meta("web-pdb"), "namespace": "default"}, "spec": spec}
    if status is not None:
        obj["status"] = status
    return obj


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        pytest.param(
            pdb({"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}, {"disruptionsAllowed": 1}),
            ["web-pdb", "2", "N/A", 1, "26h"],
            id="min-available-number",
        ),
        pytest.param(
            pdb({"maxUnavailable": "50%"}, {"disruptionsAllowed": 0, "currentHealthy": 1}),
            ["web-pdb", "N/A", "50%", 0, "26h"],
            id="max-unavailable-percent",
        ),
        pytest.param(pdb({"minAvailable": 0}), ["web-pdb", "0", "N/A", 0, "26h"], id="zero-is-set"),
        pytest.param(pdb({}), ["web-pdb", "N/A", "N/A", 0, "26h"], id="neither-no-status"),
        pytest.param(
            pdb({"minAvailable": None, "maxUnavailable": True}, {"disruptionsAllowed": "3"}),
            ["web-pdb", "N/A", "N/A", 0, "26h"],
            id="wrong-types",
        ),
        pytest.param(pdb("x", ["y"]), ["web-pdb", "N/A", "N/A", 0, "26h"], id="spec-not-a-mapping"),
    ],
)
def test_pdb_rows(budget: Obj, expected: list[Any]) -> None:
    assert cells(POD_DISRUPTION_BUDGETS, budget) == expected


# --- PriorityClass ---


def test_priorityclass_columns() -> None:
    assert columns(PRIORITY_CLASSES) == [
        ("Name", "string", "name", 0),
        ("Value", "integer", "", 0),
        ("Global-Default", "boolean", "", 0),
        ("Age", "string", "", 0),
        ("PreemptionPolicy", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("pc", "expected"),
    [
        pytest.param(
            {
                "metadata": meta("system-node-critical"),
                "value": 2000001000,
                "description": "Used for system critical pods that must not be moved from their node.",
                "preemptionPolicy": "PreemptLowerPriority",
            },
            ["system-node-critical", 2000001000, False, "26h", "PreemptLowerPriority"],
            id="built-in",
        ),
        pytest.param(
            {"metadata": meta("batch"), "value": -10, "globalDefault": True, "preemptionPolicy": "Never"},
            ["batch", -10, True, "26h", "Never"],
            id="global-default-never",
        ),
        pytest.param({"metadata": meta("bare")}, ["bare", 0, False, "26h", ""], id="nothing-set"),
        pytest.param(
            {"metadata": meta("odd"), "value": "100", "globalDefault": "true", "preemptionPolicy": 1},
            ["odd", 0, False, "26h", ""],
            id="wrong-types",
        ),
    ],
)
def test_priorityclass_rows(pc: Obj, expected: list[Any]) -> None:
    assert cells(PRIORITY_CLASSES, pc) == expected


# --- StorageClass ---


def test_storageclass_columns() -> None:
    assert columns(STORAGE_CLASSES) == [
        ("Name", "string", "name", 0),
        ("Provisioner", "string", "", 0),
        ("ReclaimPolicy", "string", "", 0),
        ("VolumeBindingMode", "string", "", 0),
        ("AllowVolumeExpansion", "string", "", 0),
        ("Age", "string", "", 0),
    ]


DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"


@pytest.mark.parametrize(
    ("sc", "expected"),
    [
        pytest.param(
            {
                "metadata": meta("standard", {DEFAULT_ANNOTATION: "true"}),
                "provisioner": "rancher.io/local-path",
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
            },
            ["standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", False, "26h"],
            id="default-class",
        ),
        pytest.param(
            {
                "metadata": meta("gp2", {BETA_DEFAULT_ANNOTATION: "true"}),
                "provisioner": "ebs.csi.aws.com",
                "reclaimPolicy": "Retain",
                "volumeBindingMode": "Immediate",
                "allowVolumeExpansion": True,
            },
            ["gp2 (default)", "ebs.csi.aws.com", "Retain", "Immediate", True, "26h"],
            id="beta-default-annotation",
        ),
        pytest.param(
            {
                "metadata": meta("fast", {DEFAULT_ANNOTATION: "True", BETA_DEFAULT_ANNOTATION: "false"}),
                "provisioner": "pd.csi.storage.gke.io",
            },
            ["fast", "pd.csi.storage.gke.io", "Delete", "Immediate", False, "26h"],
            id="not-exactly-true-and-unset-fields",
        ),
        pytest.param(
            {
                "metadata": {"name": "odd", "annotations": [DEFAULT_ANNOTATION]},
                "provisioner": 5,
                "reclaimPolicy": {"x": 1},
                "volumeBindingMode": None,
                "allowVolumeExpansion": "yes",
            },
            ["odd", "", "Delete", "Immediate", False, "<unknown>"],
            id="wrong-types",
        ),
    ],
)
def test_storageclass_rows(sc: Obj, expected: list[Any]) -> None:
    assert cells(STORAGE_CLASSES, sc) == expected


# --- CSIDriver ---


def test_csidriver_columns() -> None:
    assert columns(CSI_DRIVERS) == [
        ("Name", "string", "name", 0),
        ("AttachRequired", "boolean", "", 0),
        ("PodInfoOnMount", "boolean", "", 0),
        ("StorageCapacity", "boolean", "", 0),
        ("TokenRequests", "string", "", 0),
        ("RequiresRepublish", "boolean", "", 0),
        ("Modes", "string", "", 0),
        ("Age", "string", "", 0),
    ]


def driver(name: str, spec: Any) -> Obj:
    return {"metadata": meta(name), "spec": spec}


DEFAULTED: Obj = {
    "attachRequired": True,
    "podInfoOnMount": False,
    "storageCapacity": False,
    "fsGroupPolicy": "ReadWriteOnceWithFSType",
    "volumeLifecycleModes": ["Persistent"],
    "requiresRepublish": False,
    "seLinuxMount": False,
}


@pytest.mark.parametrize(
    ("csi", "expected"),
    [
        pytest.param(
            driver("ebs.csi.aws.com", DEFAULTED),
            ["ebs.csi.aws.com", True, False, False, "<unset>", False, "Persistent", "26h"],
            id="defaulted",
        ),
        pytest.param(
            driver(
                "secrets-store.csi.k8s.io",
                {
                    **DEFAULTED,
                    "attachRequired": False,
                    "podInfoOnMount": True,
                    "tokenRequests": [{"audience": "vault"}, {"audience": "", "expirationSeconds": 3600}],
                    "requiresRepublish": True,
                    "volumeLifecycleModes": ["Ephemeral", "Persistent"],
                },
            ),
            ["secrets-store.csi.k8s.io", False, True, False, "vault,", True, "Ephemeral,Persistent", "26h"],
            id="token-requests",
        ),
        pytest.param(
            driver("hostpath.csi.k8s.io", {"storageCapacity": True, "tokenRequests": []}),
            ["hostpath.csi.k8s.io", True, False, True, "<unset>", False, "<none>", "26h"],
            id="unset-fields-and-empty-token-requests",
        ),
        pytest.param(
            driver(
                "odd",
                {
                    "attachRequired": "false",
                    "podInfoOnMount": 1,
                    "tokenRequests": [{"audience": 7}, "api", {"audience": "x"}],
                    "volumeLifecycleModes": "Persistent",
                },
            ),
            ["odd", True, False, False, ",x", False, "<none>", "26h"],
            id="wrong-types",
        ),
        pytest.param(
            driver("odd", {"tokenRequests": {"audience": "x"}, "volumeLifecycleModes": [3, "Ephemeral"]}),
            ["odd", True, False, False, "<unset>", False, "Ephemeral", "26h"],
            id="token-requests-not-a-list",
        ),
        pytest.param(
            driver("odd", None), ["odd", True, False, False, "<unset>", False, "<none>", "26h"], id="no-spec"
        ),
    ],
)
def test_csidriver_rows(csi: Obj, expected: list[Any]) -> None:
    assert cells(CSI_DRIVERS, csi) == expected
