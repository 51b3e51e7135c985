"""A DaemonSet's bundle, applied with the real kubectl and its client-side validation on: every kind
is created, applying again changes nothing, and `kubectl get` prints upstream's columns for each.

The bundle is written here in the shape the published ones have (a log shipper: ServiceAccount,
ClusterRole and binding, a Role for its leases, ConfigMap, Secret, a metrics Service, a priority
class, a PodDisruptionBudget, a NetworkPolicy, the DaemonSet itself with hostNetwork, tolerations,
an init container and a ConfigMap volume); no file is copied from any project.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from tests.e2e.conftest import kubectl_binary

VERSIONS = ["1.27", "1.33"]
NAMESPACE = "logging"

BUNDLE = f"""
apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shipper
  namespace: {NAMESPACE}
  labels: {{app.kubernetes.io/name: shipper}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: shipper
rules:
- apiGroups: [""]
  resources: [namespaces, pods, nodes]
  verbs: [get, list, watch]
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: shipper
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: shipper
subjects:
- kind: ServiceAccount
  name: shipper
  namespace: {NAMESPACE}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: shipper-leader
  namespace: {NAMESPACE}
rules:
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: shipper-leader
  namespace: {NAMESPACE}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: shipper-leader
subjects:
- kind: ServiceAccount
  name: shipper
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shipper-config
  namespace: {NAMESPACE}
data:
  shipper.conf: |
    [INPUT]
        Path /var/log/containers/*.log
  parsers.conf: |
    [PARSER]
        Name docker
---
apiVersion: v1
kind: Secret
metadata:
  name: shipper-output
  namespace: {NAMESPACE}
type: Opaque
stringData:
  password: not-a-real-one
---
apiVersion: v1
kind: Service
metadata:
  name: shipper-metrics
  namespace: {NAMESPACE}
spec:
  selector: {{app.kubernetes.io/name: shipper}}
  ports:
  - name: http-metrics
    port: 2020
    targetPort: http-metrics
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: shipper-critical
value: 1000000
globalDefault: false
description: log shippers start before ordinary pods
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: shipper
  namespace: {NAMESPACE}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{app.kubernetes.io/name: shipper}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: shipper-metrics
  namespace: {NAMESPACE}
spec:
  podSelector:
    matchLabels: {{app.kubernetes.io/name: shipper}}
  ingress:
  - ports:
    - port: 2020
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: shipper
  namespace: {NAMESPACE}
spec:
  selector:
    matchLabels: {{app.kubernetes.io/name: shipper}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: shipper}}
    spec:
      serviceAccountName: shipper
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      tolerations:
      - operator: Exists
      initContainers:
      - name: wait-for-config
        image: busybox:1.36
        command: [sh, -c, "test -f /config/shipper.conf"]
        volumeMounts:
        - {{name: config, mountPath: /config}}
      containers:
      - name: shipper
        image: shipper:3.1
        ports:
        - {{name: http-metrics, containerPort: 2020}}
        volumeMounts:
        - {{name: config, mountPath: /config}}
        - {{name: varlog, mountPath: /var/log, readOnly: true}}
      volumes:
      - name: config
        configMap: {{name: shipper-config}}
      - name: varlog
        hostPath: {{path: /var/log}}
"""

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
