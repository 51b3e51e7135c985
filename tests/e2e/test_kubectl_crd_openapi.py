"""Custom resources through kubectl's OpenAPI, kubectl 1.27 to 1.33: `kubectl explain` of a custom kind,
plain `kubectl apply -f` (default --validate=strict) of custom resources, and a custom resource with an
unknown field refused.

The definitions are the example bundle's (``docs/examples/network-plane.yaml``, its custom resources in
``network-plane-config.yaml``). kubectl 1.27/1.28 read OpenAPI v2 (the gnostic protobuf), 1.29+ v3;
each finds the ``fieldValidation`` parameter on the kind's PATCH operation and leaves validation to the
server. Each kubectl run gets a fresh --cache-dir so that nothing cached hides what the server serves.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from tests.e2e.conftest import kubectl_binary

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
VERSIONS = ["1.27", "1.28", "1.29", "1.33"]

TYPO = """\
apiVersion: netplane.example.io/v1
kind: AddressPool
metadata:
  name: {name}
spec:
  cidr: 10.96.0.0/16
  colour: blue
"""


def kubectl(version: str, config: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [kubectl_binary(version), "--kubeconfig", str(config), "--cache-dir", str(cache), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def kubeconfig(served: tuple[ApiServerProcess, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A server with the bundle's definitions established and its custom resources created."""
    config = served[1]
    cache = tmp_path_factory.mktemp("cache")
    created = kubectl("1.33", config, cache, "apply", "-f", str(EXAMPLES / "network-plane.yaml"))
    assert created.returncode == 0, created.stderr
    ready = kubectl(
        "1.33", config, cache, "wait", "--for=condition=Established", "crd", "--all", "--timeout=30s"
    )
    assert ready.returncode == 0, ready.stderr
    configured = kubectl("1.33", config, cache, "apply", "-f", str(EXAMPLES / "network-plane-config.yaml"))
    assert configured.returncode == 0, configured.stderr
    return config


@pytest.mark.parametrize("version", VERSIONS)
def test_explain_a_field_of_a_custom_kind(kubeconfig: Path, version: str, tmp_path: Path) -> None:
    result = kubectl(version, kubeconfig, tmp_path / "cache", "explain", "addresspool.spec")
    assert result.returncode == 0, result.stderr
    assert "KIND:       AddressPool" in result.stdout
    assert "VERSION:    v1" in result.stdout
    assert "cidr\t<string> -required-" in result.stdout
    assert "The range, in CIDR notation." in result.stdout
    assert "blockSize\t<integer>" in result.stdout


@pytest.mark.parametrize("version", VERSIONS)
def test_explain_a_list_map_of_a_custom_kind(kubeconfig: Path, version: str, tmp_path: Path) -> None:
    result = kubectl(version, kubeconfig, tmp_path / "cache", "explain", "endpointgroup.status.conditions")
    assert result.returncode == 0, result.stderr
    assert "conditions <[]Object>" in result.stdout
    assert "type\t<string> -required-" in result.stdout


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_explain_a_custom_kind_from_openapi_v2(kubeconfig: Path, version: str, tmp_path: Path) -> None:
    result = kubectl(
        version, kubeconfig, tmp_path / "cache", "explain", "agentconfiguration.spec",
        "--output=plaintext-openapiv2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "RESOURCE: spec <Object>" in result.stdout
    assert "healthPort\t<integer>" in result.stdout
    assert "interfacePrefixes\t<[]string>" in result.stdout


@pytest.mark.parametrize("version", VERSIONS)
def test_apply_custom_resources_with_default_validation(
    kubeconfig: Path, version: str, tmp_path: Path
) -> None:
    result = kubectl(
        version, kubeconfig, tmp_path / "cache", "apply", "-f", str(EXAMPLES / "network-plane-config.yaml")
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower(), result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4, lines
    assert all(line.endswith(" unchanged") for line in lines), lines


@pytest.mark.parametrize("version", VERSIONS)
def test_a_custom_resource_with_an_unknown_field_is_refused(
    kubeconfig: Path, version: str, tmp_path: Path
) -> None:
    name = f"typo-{version.replace('.', '-')}"
    manifest = tmp_path / "typo.yaml"
    manifest.write_text(TYPO.format(name=name))
    result = kubectl(version, kubeconfig, tmp_path / "cache", "apply", "-f", str(manifest))
    assert result.returncode == 1, result.stdout
    assert 'strict decoding error: unknown field "spec.colour"' in result.stderr, result.stderr
    missing = kubectl(version, kubeconfig, tmp_path / "cache", "get", "addresspool", name)
    assert missing.returncode == 1  # nothing was created
