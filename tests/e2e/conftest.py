"""What the e2e modules share: the course's seed DaemonSet, the kubectl binaries by version, and a
fresh API server (SQLite) with a kubeconfig for it, one per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from everynode.testing.kubectl import kubectl_path

KUBECTL = kubectl_path()

SEED = "fluentd-elasticsearch"
# The course's ds.yaml (../shared/seed/000_decf4a37d9fff445.txt): fluentd-elasticsearch in kube-system.
SEED_DS_YAML = """\
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


def kubectl_binary(version: str) -> str:
    """The installed ``kubectl.<version>`` (skips the test when it is not installed)."""
    path = kubectl_path(version)
    if path is None:
        pytest.skip(f"kubectl.{version} is not installed")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServerProcess, Path]]:
    """An API server of the module's own, and a kubeconfig for it (skips without kubectl)."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    base = tmp_path_factory.mktemp("e2e")
    with ApiServerProcess(f"sqlite:///{base}/state.db") as api:
        yield api, api.write_kubeconfig(base / "kubeconfig")
