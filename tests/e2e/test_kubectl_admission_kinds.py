"""The admission configuration and API registration kinds real bundles carry, applied with the real
kubectl: a CNI-style ValidatingWebhookConfiguration with two webhooks and a MutatingWebhookConfiguration,
a Gateway-API-style ValidatingAdmissionPolicy and its binding, and a monitoring stack's APIService for
the resource metrics API. Client-side and server-side apply create them and apply again unchanged;
`kubectl get` prints upstream's columns; the APIService says it is not available, and requests for the
group it names are not proxied (everynode stores these kinds but calls no webhook, evaluates no policy
and aggregates no API).

The manifests are written here, in the shape the published ones have.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from tests.e2e.conftest import kubectl_binary

VERSIONS = ["1.27", "1.33"]
CA_BUNDLE = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n"
).decode()


def manifest(prefix: str, metrics_group: str) -> str:
    """The bundle, its names starting with ``prefix``; the APIService serves ``v1beta1.<metrics_group>``
    (its name is fixed by group and version, so each test gets a group of its own)."""
    return f"""\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: {prefix}-network-validation
  labels: {{app.kubernetes.io/name: {prefix}-network}}
webhooks:
- name: pods.validation.{prefix}.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 5
  clientConfig:
    caBundle: {CA_BUNDLE}
    service: {{name: {prefix}-webhook, namespace: kube-system, path: /validate-pods}}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: [pods, pods/status]
    scope: Namespaced
  namespaceSelector:
    matchExpressions:
    - {{key: control-plane, operator: DoesNotExist}}
- name: policies.validation.{prefix}.example.com
  admissionReviewVersions: [v1, v1beta1]
  sideEffects: NoneOnDryRun
  failurePolicy: Ignore
  matchPolicy: Exact
  clientConfig:
    caBundle: {CA_BUNDLE}
    service: {{name: {prefix}-webhook, namespace: kube-system, path: /validate-policies, port: 9443}}
  rules:
  - apiGroups: [networking.k8s.io]
    apiVersions: [v1]
    operations: ["*"]
    resources: [networkpolicies]
  matchConditions:
  - name: exclude-system-users
    expression: '!request.userInfo.username.startsWith("system:")'
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {prefix}-network-defaults
webhooks:
- name: pods.defaults.{prefix}.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  reinvocationPolicy: IfNeeded
  clientConfig:
    url: https://{prefix}-webhook.kube-system.svc:9443/mutate
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
  objectSelector:
    matchLabels: {{{prefix}.example.com/inject: "true"}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: {prefix}-safe-upgrades.example.com
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [apiextensions.k8s.io]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [customresourcedefinitions]
  validations:
  - expression: "object.spec.group != 'example.com' || object.spec.versions.all(v, v.name != 'v1alpha1')"
    message: Installing experimental versions over standard ones is not supported.
    reason: Invalid
  - expression: "!has(object.metadata.labels) || !('broken' in object.metadata.labels)"
    messageExpression: "'refusing ' + object.metadata.name"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: {prefix}-safe-upgrades.example.com
spec:
  policyName: {prefix}-safe-upgrades.example.com
  validationActions: [Deny]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.{metrics_group}
  labels: {{app.kubernetes.io/name: prometheus-adapter}}
spec:
  group: {metrics_group}
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {{name: prometheus-adapter, namespace: monitoring}}
"""


def kubectl(version: str, config: Path, cache: Path, *args: str, stdin: str | None = None) -> str:
    result = run(version, config, cache, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run(
    version: str, config: Path, cache: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [kubectl_binary(version), "--kubeconfig", str(config), "--cache-dir", str(cache), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def server(served: tuple[ApiServerProcess, Path]) -> tuple[ApiServerProcess, Path]:
    return served


def applied_names(prefix: str, group: str) -> list[str]:
    """What kubectl reports, in the manifest's order."""
    return [
        f"validatingwebhookconfiguration.admissionregistration.k8s.io/{prefix}-network-validation",
        f"mutatingwebhookconfiguration.admissionregistration.k8s.io/{prefix}-network-defaults",
        f"validatingadmissionpolicy.admissionregistration.k8s.io/{prefix}-safe-upgrades.example.com",
        f"validatingadmissionpolicybinding.admissionregistration.k8s.io/{prefix}-safe-upgrades.example.com",
        f"apiservice.apiregistration.k8s.io/v1beta1.{group}",
    ]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("server_side", [False, True], ids=["client-side", "server-side"])
def test_the_bundle_applies_and_again_unchanged(
    server: tuple[ApiServerProcess, Path], tmp_path: Path, version: str, server_side: bool
) -> None:
    _, config = server
    prefix = f"{'ss' if server_side else 'cs'}{version.replace('.', '')}"
    group = f"{prefix}.metrics.example.com"
    bundle = manifest(prefix, group)
    mode = ["--server-side"] if server_side else []
    first = kubectl(version, config, tmp_path, "apply", *mode, "-f", "-", stdin=bundle).splitlines()
    verb = "serverside-applied" if server_side else "created"
    assert first == [f"{name} {verb}" for name in applied_names(prefix, group)]
    again = kubectl(version, config, tmp_path, "apply", *mode, "-f", "-", stdin=bundle).splitlines()
    names = applied_names(prefix, group)
    if server_side:
        assert again == [f"{name} serverside-applied" for name in names]
    else:
        # A rule list has no merge key, so kubectl's three-way patch replaces it whole whenever the
        # stored one differs, and the server fills in a rule's scope ("*") where the manifest leaves
        # it out: the two configurations and the policy are "configured" again, as upstream's would
        # be, though the patch changes nothing stored (their generation stays 1, below).
        assert again == [
            f"{names[0]} configured",
            f"{names[1]} configured",
            f"{names[2]} configured",
            f"{names[3]} unchanged",
            f"{names[4]} unchanged",
        ]
    generations = kubectl(
        version,
        config,
        tmp_path,
        "get",
        "validatingwebhookconfiguration,validatingadmissionpolicy",
        "-l",
        f"app.kubernetes.io/name={prefix}-network",
        "-o",
        "jsonpath={.items[*].metadata.generation}",
    )
    assert generations == "1"  # nothing changed, nothing moved


def test_stored_objects_carry_upstreams_defaults(
    server: tuple[ApiServerProcess, Path], tmp_path: Path
) -> None:
    _, config = server
    kubectl("1.33", config, tmp_path, "apply", "-f", "-", stdin=manifest("defaults", "defaults.example.com"))
    hooks = kubectl(
        "1.33",
        config,
        tmp_path,
        "get",
        "validatingwebhookconfiguration",
        "defaults-network-validation",
        "-o",
        "jsonpath={range .webhooks[*]}{.failurePolicy} {.matchPolicy} {.timeoutSeconds} "
        "{.clientConfig.service.port} {.rules[0].scope} {.objectSelector}{'\\n'}{end}",
    ).splitlines()
    assert hooks == ["Fail Equivalent 5 443 Namespaced {}", "Ignore Exact 10 9443 * {}"]
    mutating = kubectl(
        "1.33",
        config,
        tmp_path,
        "get",
        "mutatingwebhookconfiguration",
        "defaults-network-defaults",
        "-o",
        "jsonpath={.webhooks[0].reinvocationPolicy} {.webhooks[0].failurePolicy} "
        "{.webhooks[0].namespaceSelector}",
    )
    assert mutating == "IfNeeded Fail {}"
    policy = kubectl(
        "1.33",
        config,
        tmp_path,
        "get",
        "validatingadmissionpolicy",
        "defaults-safe-upgrades.example.com",
        "-o",
        "jsonpath={.spec.matchConstraints.matchPolicy} {.spec.matchConstraints.resourceRules[0].scope} "
        "{.metadata.generation}",
    )
    assert policy == "Equivalent * 1"
    port = kubectl(
        "1.33",
        config,
        tmp_path,
        "get",
        "apiservice",
        "v1beta1.defaults.example.com",
        "-o",
        "jsonpath={.spec.service.port}",
    )
    assert port == "443"


@pytest.mark.parametrize("version", VERSIONS)
def test_get_prints_upstreams_columns(
    server: tuple[ApiServerProcess, Path], tmp_path: Path, version: str
) -> None:
    _, config = server
    prefix, group = f"get{version.replace('.', '')}", f"get{version.replace('.', '')}.metrics.example.com"
    kubectl(version, config, tmp_path, "apply", "-f", "-", stdin=manifest(prefix, group))
    rows = {
        "validatingwebhookconfigurations": (
            f"{prefix}-network-validation",
            ["NAME", "WEBHOOKS", "AGE"],
            ["2"],
        ),
        "mutatingwebhookconfigurations": (f"{prefix}-network-defaults", ["NAME", "WEBHOOKS", "AGE"], ["1"]),
        "validatingadmissionpolicies": (
            f"{prefix}-safe-upgrades.example.com",
            ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"],
            ["2", "<unset>"],
        ),
        "validatingadmissionpolicybindings": (
            f"{prefix}-safe-upgrades.example.com",
            ["NAME", "POLICYNAME", "PARAMREF", "AGE"],
            [f"{prefix}-safe-upgrades.example.com", "<unset>"],
        ),
        "apiservices": (
            f"v1beta1.{group}",
            ["NAME", "SERVICE", "AVAILABLE", "AGE"],
            ["monitoring/prometheus-adapter", "False", "(ServiceNotFound)"],
        ),
    }
    for resource, (name, header, cells) in rows.items():
        lines = kubectl(version, config, tmp_path, "get", resource, name).splitlines()
        assert lines[0].split() == header, (resource, lines[0])
        row = lines[1].split()
        assert row[0] == name, resource
        assert row[1:-1] == cells, (resource, lines[1])


def test_the_api_service_tells_the_truth_about_aggregation(
    server: tuple[ApiServerProcess, Path], tmp_path: Path
) -> None:
    _, config = server
    group = "truth.metrics.example.com"
    kubectl("1.33", config, tmp_path, "apply", "-f", "-", stdin=manifest("truth", group))
    message = kubectl(
        "1.33",
        config,
        tmp_path,
        "get",
        "apiservice",
        f"v1beta1.{group}",
        "-o",
        "jsonpath={.status.conditions[?(@.type=='Available')].message}",
    )
    assert message == (
        f"everynode does not aggregate APIs: requests for {group}/v1beta1 are not proxied to "
        "service monitoring/prometheus-adapter"
    )
    proxied = run("1.33", config, tmp_path, "get", "--raw", f"/apis/{group}/v1beta1")
    assert proxied.returncode != 0
    assert "NotFound" in proxied.stderr or "not found" in proxied.stderr.lower(), proxied.stderr
    listed = kubectl("1.33", config, tmp_path, "get", "api-extensions", "-o", "name").splitlines()
    assert f"apiservice.apiregistration.k8s.io/v1beta1.{group}" in listed
    assert "validatingwebhookconfiguration.admissionregistration.k8s.io/truth-network-validation" in listed
