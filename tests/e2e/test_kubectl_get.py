"""`kubectl get` prints upstream's columns (server-side Tables), for kubectl 1.27 and 1.33."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from tests.e2e.conftest import SEED_DS_YAML, kubectl_binary


@pytest.fixture(scope="module")
def kubeconfig(served: tuple[ApiServerProcess, Path]) -> Path:
    """The module's server, holding the seed DaemonSet."""
    _, config = served
    subprocess.run(
        ["kubectl", "--kubeconfig", str(config), "create", "-f", "-", "--validate=false"],
        input=SEED_DS_YAML,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return config


def kubectl(version: str, config: Path, cache: Path, *args: str) -> list[list[str]]:
    result = subprocess.run(
        [kubectl_binary(version), "--kubeconfig", str(config), "--cache-dir", str(cache), *args],
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
            kubectl_binary("1.33"),
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


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_pods_wide_revisions_and_leases_columns(kubeconfig: Path, tmp_path: Path, version: str) -> None:
    create = [
        kubectl_binary(version),
        "--kubeconfig",
        str(kubeconfig),
        "--cache-dir",
        str(tmp_path),
        "create",
        "-f",
        "-",
        "--validate=false",
    ]
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p-{version}", "namespace": "default"},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox:1"}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {"name": f"r-{version}", "namespace": "default"},
            "data": {},
            "revision": 3,
        },
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": f"l-{version}", "namespace": "default"},
            "spec": {"holderIdentity": "n1"},
        },
    ]
    for obj in objects:
        subprocess.run(create, input=json.dumps(obj), capture_output=True, text=True, timeout=60, check=True)
    pods = kubectl(version, kubeconfig, tmp_path, "get", "pods", "-o", "wide")
    assert pods[0] == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    row = next(r for r in pods if r[0] == f"p-{version}")
    assert row[1:4] == ["0/1", "Pending", "0"]
    assert row[6] == "n1"
    revisions = kubectl(version, kubeconfig, tmp_path, "get", "controllerrevisions")
    assert revisions[0] == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert next(r for r in revisions if r[0] == f"r-{version}")[1:3] == ["<none>", "3"]
    leases = kubectl(version, kubeconfig, tmp_path, "get", "leases")
    assert leases[0] == ["NAME", "HOLDER", "AGE"]
    assert next(r for r in leases if r[0] == f"l-{version}")[1] == "n1"
