"""Discovery as the real kubectl sees it, from 1.27 to 1.33 (aggregated and legacy)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from everynode.testing.apiserver import ApiServerProcess

KUBECTL = shutil.which("kubectl")
VERSIONS = ["1.27", "1.29", "1.33"]


def kubectl_binary(version: str) -> str:
    assert KUBECTL is not None
    return os.path.join(os.path.dirname(os.path.realpath(KUBECTL)), f"kubectl.{version}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServerProcess, Path]]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    base = tmp_path_factory.mktemp("kubectl")
    with ApiServerProcess(f"sqlite:///{base}/state.db") as api:
        config = base / "kubeconfig"
        config.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters: [{{name: e, cluster: {{server: '{api.url}'}}}}]\n"
            "users: [{name: e, user: {}}]\n"
            "contexts: [{name: e, context: {cluster: e, user: e}}]\ncurrent-context: e\n"
        )
        yield api, config


@pytest.mark.parametrize("version", VERSIONS)
def test_api_resources_lists_every_served_kind_with_short_names(
    server: tuple[ApiServerProcess, Path], version: str, tmp_path: Path
) -> None:
    _, config = server
    binary = kubectl_binary(version)
    if not os.path.exists(binary):
        pytest.skip(f"kubectl.{version} is not installed")
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
