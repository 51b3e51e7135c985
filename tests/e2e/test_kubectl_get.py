"""`kubectl get` prints upstream's columns (server-side Tables), for kubectl 1.27 and 1.33."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from everynode.testing.apiserver import ApiServerProcess

KUBECTL = shutil.which("kubectl")
SEED_DS = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      containers:
        - name: fluentd-elasticsearch
          image: 'fluent/fluentd:v1.4-1'
"""


def binary(version: str) -> str:
    assert KUBECTL is not None
    path = os.path.join(os.path.dirname(os.path.realpath(KUBECTL)), f"kubectl.{version}")
    if not os.path.exists(path):
        pytest.skip(f"kubectl.{version} is not installed")
    return path


@pytest.fixture(scope="module")
def kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    base = tmp_path_factory.mktemp("get")
    with ApiServerProcess(f"sqlite:///{base}/state.db") as api:
        config = base / "kubeconfig"
        config.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters: [{{name: e, cluster: {{server: '{api.url}'}}}}]\n"
            "users: [{name: e, user: {}}]\n"
            "contexts: [{name: e, context: {cluster: e, user: e}}]\ncurrent-context: e\n"
        )
        subprocess.run(
            ["kubectl", "--kubeconfig", str(config), "create", "-f", "-", "--validate=false"],
            input=SEED_DS,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        yield config


def kubectl(version: str, config: Path, cache: Path, *args: str) -> list[list[str]]:
    result = subprocess.run(
        [binary(version), "--kubeconfig", str(config), "--cache-dir", str(cache), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line.split() for line in result.stdout.splitlines()]


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_get_ds_prints_the_seed_columns(kubeconfig: Path, tmp_path: Path, version: str) -> None:
    header, row = kubectl(version, kubeconfig, tmp_path, "get", "ds", "-n", "kube-system")
    assert header == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE",
        "SELECTOR",
        "AGE",
    ]
    assert row[:7] == ["fluentd-elasticsearch", "0", "0", "0", "0", "0", "<none>"]


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_get_ds_wide_adds_containers_images_selector(kubeconfig: Path, tmp_path: Path, version: str) -> None:
    header, row = kubectl(version, kubeconfig, tmp_path, "get", "ds", "-n", "kube-system", "-o", "wide")
    assert header[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert row[-3:] == ["fluentd-elasticsearch", "fluent/fluentd:v1.4-1", "name=fluentd-elasticsearch"]


def test_get_namespaces(kubeconfig: Path, tmp_path: Path) -> None:
    rows = kubectl("1.33", kubeconfig, tmp_path, "get", "namespaces")
    assert rows[0] == ["NAME", "STATUS", "AGE"]
    assert ["default", "Active"] in [row[:2] for row in rows[1:]]


def test_get_watch_streams_table_rows(kubeconfig: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            binary("1.33"),
            "--kubeconfig",
            str(kubeconfig),
            "--cache-dir",
            str(tmp_path),
            "get",
            "ds",
            "-A",
            "-w",
            "--request-timeout=3s",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0][:3] == ["NAMESPACE", "NAME", "DESIRED"]
    assert lines[1][:2] == ["kube-system", "fluentd-elasticsearch"]
