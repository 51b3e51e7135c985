"""Discovery as the real kubectl sees it, from 1.27 to 1.33 (aggregated and legacy)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from tests.e2e.conftest import kubectl_binary

VERSIONS = ["1.27", "1.29", "1.33"]
ADMISSION = "admissionregistration.k8s.io/v1"


@pytest.fixture(scope="module")
def server(served: tuple[ApiServerProcess, Path]) -> tuple[ApiServerProcess, Path]:
    return served


@pytest.mark.parametrize("version", VERSIONS)
def test_api_resources_lists_every_served_kind_with_short_names(
    server: tuple[ApiServerProcess, Path], version: str, tmp_path: Path
) -> None:
    _, config = server
    binary = kubectl_binary(version)
    result = subprocess.run(
        [binary, "--kubeconfig", str(config), "--cache-dir", str(tmp_path), "api-resources", "--no-headers"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()}
    assert rows["daemonsets"][1:] == ["ds", "apps/v1", "true", "DaemonSet"]
    assert rows["pods"][1:] == ["po", "v1", "true", "Pod"]
    assert rows["nodes"][1:] == ["no", "v1", "false", "Node"]
    assert rows["namespaces"][1:] == ["ns", "v1", "false", "Namespace"]
    assert rows["leases"][1:] == ["coordination.k8s.io/v1", "true", "Lease"]
    assert rows["controllerrevisions"][1:] == ["apps/v1", "true", "ControllerRevision"]
    bundle_kinds = {
        "configmaps": ["cm", "v1", "true", "ConfigMap"],
        "secrets": ["v1", "true", "Secret"],
        "serviceaccounts": ["sa", "v1", "true", "ServiceAccount"],
        "services": ["svc", "v1", "true", "Service"],
        "endpoints": ["ep", "v1", "true", "Endpoints"],
        "endpointslices": ["discovery.k8s.io/v1", "true", "EndpointSlice"],
        "roles": ["rbac.authorization.k8s.io/v1", "true", "Role"],
        "clusterroles": ["rbac.authorization.k8s.io/v1", "false", "ClusterRole"],
        "rolebindings": ["rbac.authorization.k8s.io/v1", "true", "RoleBinding"],
        "clusterrolebindings": ["rbac.authorization.k8s.io/v1", "false", "ClusterRoleBinding"],
        "statefulsets": ["sts", "apps/v1", "true", "StatefulSet"],
        "deployments": ["deploy", "apps/v1", "true", "Deployment"],
        "replicasets": ["rs", "apps/v1", "true", "ReplicaSet"],
        "poddisruptionbudgets": ["pdb", "policy/v1", "true", "PodDisruptionBudget"],
        "networkpolicies": ["netpol", "networking.k8s.io/v1", "true", "NetworkPolicy"],
        "priorityclasses": ["pc", "scheduling.k8s.io/v1", "false", "PriorityClass"],
        "storageclasses": ["sc", "storage.k8s.io/v1", "false", "StorageClass"],
        "csidrivers": ["storage.k8s.io/v1", "false", "CSIDriver"],
        "validatingwebhookconfigurations": [ADMISSION, "false", "ValidatingWebhookConfiguration"],
        "mutatingwebhookconfigurations": [ADMISSION, "false", "MutatingWebhookConfiguration"],
        "validatingadmissionpolicies": [ADMISSION, "false", "ValidatingAdmissionPolicy"],
        "validatingadmissionpolicybindings": [ADMISSION, "false", "ValidatingAdmissionPolicyBinding"],
        "apiservices": ["apiregistration.k8s.io/v1", "false", "APIService"],
    }
    for resource, row in bundle_kinds.items():
        assert rows[resource][1:] == row, resource
