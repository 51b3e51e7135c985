"""A DaemonSet's bundle, applied with the real kubectl and its client-side validation on: every kind
is created, applying again changes nothing, and `kubectl get` prints upstream's columns for each.

The bundle is the README's (``docs/examples/log-shipper.yaml``), written in the shape the published
ones have (a log shipper: ServiceAccount, ClusterRole and binding, a Role for its leases, ConfigMap,
Secret, a metrics Service, a priority class, a PodDisruptionBudget, a NetworkPolicy, the DaemonSet
itself with hostNetwork, tolerations, an init container and a ConfigMap volume).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from tests.e2e.conftest import kubectl_binary

VERSIONS = ["1.27", "1.33"]
NAMESPACE = "logging"

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
BUNDLE = (EXAMPLES / "log-shipper.yaml").read_text()

# kind → (resource to `kubectl get`, namespaced, the header kubectl prints)
COLUMNS = {
    "ServiceAccount": ("serviceaccounts", True, ["NAME", "SECRETS", "AGE"]),
    "ClusterRole": ("clusterroles", False, ["NAME", "CREATED", "AT"]),
    "ClusterRoleBinding": ("clusterrolebindings", False, ["NAME", "ROLE", "AGE"]),
    "Role": ("roles", True, ["NAME", "CREATED", "AT"]),
    "RoleBinding": ("rolebindings", True, ["NAME", "ROLE", "AGE"]),
    "ConfigMap": ("configmaps", True, ["NAME", "DATA", "AGE"]),
    "Secret": ("secrets", True, ["NAME", "TYPE", "DATA", "AGE"]),
    "Service": ("services", True, ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]),
    "PriorityClass": (
        "priorityclasses",
        False,
        ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
    ),
    "PodDisruptionBudget": (
        "poddisruptionbudgets",
        True,
        ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"],
    ),
    "NetworkPolicy": ("networkpolicies", True, ["NAME", "POD-SELECTOR", "AGE"]),
}


def kubectl(version: str, config: Path, cache: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [kubectl_binary(version), "--kubeconfig", str(config), "--cache-dir", str(cache), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def server(served: tuple[ApiServerProcess, Path]) -> tuple[ApiServerProcess, Path]:
    return served


@pytest.mark.parametrize("version", VERSIONS)
def test_the_bundle_applies_with_validation_and_again_unchanged(
    server: tuple[ApiServerProcess, Path], tmp_path: Path, version: str
) -> None:
    _, config = server
    first = kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=BUNDLE).splitlines()
    assert len(first) == BUNDLE.count("\nkind: ")
    assert all(line.endswith((" created", " unchanged", " configured")) for line in first), first
    again = kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=BUNDLE).splitlines()
    changed = [line for line in again if not line.endswith(" unchanged")]
    # Three are "configured" on every apply, as against upstream, because kubectl's three-way patch
    # is never empty for them: a Secret's stringData is merged into data and never stored; a PDB's
    # selector has patch strategy "replace"; a NetworkPolicy's ports get protocol TCP by default
    # inside a list kubectl replaces whole. Everything else round-trips unchanged.
    assert changed == [
        "secret/shipper-output configured",
        "poddisruptionbudget.policy/shipper configured",
        "networkpolicy.networking.k8s.io/shipper-metrics configured",
    ], changed


@pytest.mark.parametrize("version", VERSIONS)
def test_get_prints_upstreams_columns_for_each_kind(
    server: tuple[ApiServerProcess, Path], tmp_path: Path, version: str
) -> None:
    _, config = server
    kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=BUNDLE)
    for kind, (resource, namespaced, header) in COLUMNS.items():
        scope = ["-n", NAMESPACE] if namespaced else []
        lines = kubectl(version, config, tmp_path, "get", resource, *scope).splitlines()
        assert lines[0].split() == header, (kind, lines[0])
        assert len(lines) >= 2, kind

    [service] = kubectl(version, config, tmp_path, "get", "svc", "-n", NAMESPACE, "--no-headers").splitlines()
    assert service.split()[:2] == ["shipper-metrics", "ClusterIP"]
    assert "2020/TCP" in service.split()
    [secret] = kubectl(
        version, config, tmp_path, "get", "secret", "-n", NAMESPACE, "--no-headers"
    ).splitlines()
    assert secret.split()[:3] == ["shipper-output", "Opaque", "1"]
    [binding] = kubectl(
        version, config, tmp_path, "get", "clusterrolebinding", "shipper", "--no-headers"
    ).splitlines()
    assert binding.split()[:2] == ["shipper", "ClusterRole/shipper"]


EXPLAINED = {
    "configmap": "ConfigMap",
    "secret": "Secret",
    "serviceaccount": "ServiceAccount",
    "service": "Service",
    "endpoints": "Endpoints",
    "endpointslice": "EndpointSlice",
    "role": "Role",
    "clusterrole": "ClusterRole",
    "rolebinding": "RoleBinding",
    "clusterrolebinding": "ClusterRoleBinding",
    "statefulset": "StatefulSet",
    "poddisruptionbudget": "PodDisruptionBudget",
    "networkpolicy": "NetworkPolicy",
    "priorityclass": "PriorityClass",
    "storageclass": "StorageClass",
    "csidriver": "CSIDriver",
}


@pytest.mark.parametrize("version", VERSIONS)
def test_explain_knows_every_bundle_kind(
    server: tuple[ApiServerProcess, Path], tmp_path: Path, version: str
) -> None:
    _, config = server
    for resource, kind in EXPLAINED.items():
        out = kubectl(version, config, tmp_path, "explain", resource)
        assert ["KIND:", kind] in [line.split() for line in out.splitlines()[:3]], (resource, out[:200])
        assert "DESCRIPTION:" in out, resource
    fields = kubectl(version, config, tmp_path, "explain", "service.spec.ports.targetPort")
    assert "FIELD: targetPort <string>" in fields, fields[:200]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_cni_shaped_bundle_applies_and_again_unchanged(
    server: tuple[ApiServerProcess, Path], tmp_path: Path, version: str
) -> None:
    _, config = server
    bundle = (EXAMPLES / "node-network.yaml").read_text()
    first = kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=bundle).splitlines()
    assert first[-1].startswith("daemonset.apps/node-net "), first
    again = kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=bundle).splitlines()
    assert all(line.endswith(" unchanged") for line in again), again


MORE_KINDS = f"""
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: cache, namespace: {NAMESPACE}}}
spec:
  serviceName: cache
  replicas: 2
  selector: {{matchLabels: {{app: cache}}}}
  template:
    metadata: {{labels: {{app: cache}}}}
    spec:
      containers: [{{name: cache, image: cache:7}}]
---
apiVersion: v1
kind: Endpoints
metadata: {{name: external-db, namespace: {NAMESPACE}}}
subsets:
- addresses: [{{ip: 192.0.2.10}}, {{ip: 192.0.2.11}}]
  ports: [{{port: 5432}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: external-db-1
  namespace: {NAMESPACE}
  labels: {{kubernetes.io/service-name: external-db}}
addressType: IPv4
endpoints: [{{addresses: [192.0.2.10]}}]
ports: [{{port: 5432}}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-fast
  annotations: {{storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: local.csi.example.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {{name: local.csi.example.com}}
spec: {{attachRequired: false, podInfoOnMount: true}}
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_get_prints_upstreams_columns_for_the_other_kinds(
    server: tuple[ApiServerProcess, Path], tmp_path: Path, version: str
) -> None:
    _, config = server
    kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=BUNDLE)  # the namespace
    kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=MORE_KINDS)
    rows = {
        resource: kubectl(version, config, tmp_path, "get", resource, *scope).splitlines()
        for resource, scope in (
            ("statefulsets", ["-n", NAMESPACE]),
            ("endpoints", ["-n", NAMESPACE]),
            ("endpointslices", ["-n", NAMESPACE]),
            ("storageclasses", []),
            ("csidrivers", []),
        )
    }
    assert rows["statefulsets"][0].split() == ["NAME", "READY", "AGE"]
    assert rows["statefulsets"][1].split()[:2] == ["cache", "0/2"]
    assert rows["endpoints"][0].split() == ["NAME", "ENDPOINTS", "AGE"]
    assert "192.0.2.10:5432,192.0.2.11:5432" in rows["endpoints"][-1]
    assert rows["endpointslices"][0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert rows["endpointslices"][1].split()[:4] == ["external-db-1", "IPv4", "5432", "192.0.2.10"]
    header = ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    assert rows["storageclasses"][0].split() == header
    assert rows["storageclasses"][1].split()[:6] == [
        "local-fast",
        "(default)",
        "local.csi.example.com",
        "Delete",
        "WaitForFirstConsumer",
        "false",
    ]
    assert rows["csidrivers"][0].split()[:3] == ["NAME", "ATTACHREQUIRED", "PODINFOONMOUNT"]
    assert rows["csidrivers"][1].split()[:3] == ["local.csi.example.com", "false", "true"]
