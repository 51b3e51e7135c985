"""Plain `kubectl apply -f` (default --validate=strict) and `kubectl explain`, kubectl 1.27 to 1.33.

Both need OpenAPI: 1.29+ read v3 (JSON), 1.27/1.28 the v2 gnostic protobuf. Each kubectl run gets a
fresh --cache-dir so that nothing cached (discovery, OpenAPI) hides what the server serves.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from tests.e2e.conftest import kubectl_binary

VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]

DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {name}
  namespace: default
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: agent
        {image_field}: {image}
        env: [{{name: MODE, value: fast}}]
"""


@pytest.fixture(scope="module")
def kubeconfig(served: tuple[ApiServerProcess, Path]) -> Path:
    return served[1]


def kubectl(version: str, config: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [kubectl_binary(version), "--kubeconfig", str(config), "--cache-dir", str(cache), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def manifest(tmp_path: Path, name: str, image: str, image_field: str = "image") -> str:
    path = tmp_path / f"{name}-{image_field}-{image.replace(':', '-')}.yaml"
    path.write_text(DAEMONSET.format(name=name, image=image, image_field=image_field))
    return str(path)


@pytest.mark.parametrize("version", VERSIONS)
def test_apply_creates_then_configures_with_default_validation(
    kubeconfig: Path, version: str, tmp_path: Path
) -> None:
    name = f"agent-{version.replace('.', '-')}"
    first = kubectl(
        version, kubeconfig, tmp_path / "c1", "apply", "-f", manifest(tmp_path, name, "busybox:1.36")
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"daemonset.apps/{name} created"
    assert "warning" not in first.stderr.lower(), first.stderr
    second = kubectl(
        version, kubeconfig, tmp_path / "c2", "apply", "-f", manifest(tmp_path, name, "busybox:1.37")
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"daemonset.apps/{name} configured"
    # a patch computed from the served schemas must not fall back with a warning
    assert "error calculating patch" not in second.stderr, second.stderr
    shown = kubectl(
        version, kubeconfig, tmp_path / "c3", "get", "ds", name, "-n", "default",
        "-o", "jsonpath={.spec.template.spec.containers[*].image}",
    )  # fmt: skip
    assert shown.stdout == "busybox:1.37", shown.stderr


@pytest.mark.parametrize("version", VERSIONS)
def test_apply_of_a_typo_fails_with_the_strict_decoding_error(
    kubeconfig: Path, version: str, tmp_path: Path
) -> None:
    name = f"typo-{version.replace('.', '-')}"
    path = manifest(tmp_path, name, "busybox:1.36", image_field="imagee")
    result = kubectl(version, kubeconfig, tmp_path / "cache", "apply", "-f", path)
    assert result.returncode == 1, result.stdout
    assert 'strict decoding error: unknown field "spec.template.spec.containers[0].imagee"' in result.stderr
    missing = kubectl(version, kubeconfig, tmp_path / "cache", "get", "ds", name, "-n", "default")
    assert missing.returncode == 1  # nothing was created


@pytest.mark.parametrize("version", VERSIONS)
def test_explain_daemonset_update_strategy(kubeconfig: Path, version: str, tmp_path: Path) -> None:
    result = kubectl(version, kubeconfig, tmp_path / "cache", "explain", "daemonset.spec.updateStrategy")
    assert result.returncode == 0, result.stderr
    assert "rollingUpdate" in result.stdout
    assert "type" in result.stdout
    assert "DaemonSet" in result.stdout


@pytest.mark.parametrize("version", ["1.27", "1.28", "1.33"])
def test_explain_from_openapi_v2(kubeconfig: Path, version: str, tmp_path: Path) -> None:
    # 1.27/1.28 can only validate and explain from v2; this reads the v2 protobuf on every version.
    result = kubectl(
        version, kubeconfig, tmp_path / "cache", "explain", "daemonset.spec.updateStrategy",
        "--output=plaintext-openapiv2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "RESOURCE: updateStrategy <Object>" in result.stdout
    assert "rollingUpdate\t<Object>" in result.stdout
    assert "type\t<string>" in result.stdout
