"""A container-network bundle shaped like the published CNI manifests (``docs/examples/network-plane.yaml``:
CustomResourceDefinitions, RBAC, a ConfigMap, a DaemonSet and a companion Deployment, then its custom
resources in ``network-plane-config.yaml``) on an `everynode up` cluster, with the real kubectl:

- plain `kubectl apply`: every object is created; the DaemonSet runs one Ready pod per node, the
  Deployment's pod is Ready; `kubectl get` of a custom resource prints the CRD's printer columns, with
  the schema's defaults filled in; applying again changes nothing;
- `kubectl apply --server-side` over it (kubectl's client-side → server-side upgrade): the fields the
  last-applied annotation shows were applied with their live value move to the server-side manager
  without conflict; an atomic field the server defaulted (an env var's ``fieldRef``, whose
  ``apiVersion`` is filled in) differs from the annotation and conflicts, as upstream's
  lastappliedmanager reports it, until forced; then `kubectl diff --server-side` finds nothing;
- everything deleted and applied again with `--server-side` from scratch: the same end state, and
  `kubectl diff --server-side` finds nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster, is_ready, one_ready_pod_per_node, table

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
BUNDLE = str(EXAMPLES / "network-plane.yaml")
CONFIG = str(EXAMPLES / "network-plane-config.yaml")
NAMESPACE = "netplane-system"
NODES = ["node-1", "node-2", "node-3"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("network-plane")
    up = Cluster(base / "data", free_port(), nodes=len(NODES))
    try:
        up.start()
        up.eventually(lambda: up.nodes_ready(NODES), "the 3 nodes of `up` Ready")
        yield up
    finally:
        up.stop()


def each_line_ends(lines: list[str], suffix: str) -> bool:
    """kubectl printed something, and every line of it ends with ``suffix``."""
    return bool(lines) and all(line.endswith(suffix) for line in lines)


def running(cluster: Cluster) -> None:
    """The DaemonSet has one Ready pod on every node and the Deployment its one Ready pod."""

    def daemonset_converged() -> bool:
        one_ready_pod_per_node(cluster.pods(NAMESPACE, "app.kubernetes.io/name=netplane-node"), NODES)
        status = cluster.daemonset(NAMESPACE, "netplane-node")["status"]
        assert status.get("numberReady") == len(NODES), status
        return True

    def deployment_ready() -> bool:
        pods = cluster.pods(NAMESPACE, "app.kubernetes.io/name=netplane-controllers")
        assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
        assert is_ready(pods[0]), pods[0]["status"]
        status = cluster.json("get", "deployment", "netplane-controllers", "-n", NAMESPACE)["status"]
        assert status.get("availableReplicas") == 1, status
        return True

    cluster.eventually(daemonset_converged, "the DaemonSet converged on every node")
    cluster.eventually(deployment_ready, "the Deployment's pod Ready")


def check_printer_columns(cluster: Cluster) -> None:
    rows = table(cluster.out("get", "addresspools"))
    assert list(rows[0]) == ["NAME", "CIDR", "ENCAPSULATION", "BLOCK", "AGE"]
    by_name = {row["NAME"]: row for row in rows}
    # blockSize and the encapsulation of default-ipv4 come from the schema's defaults
    assert by_name["default-ipv4"]["CIDR"] == "10.244.0.0/16"
    assert by_name["default-ipv4"]["BLOCK"] == "26"
    assert by_name["reserved"]["ENCAPSULATION"] == "None"
    wide = {row["NAME"]: row for row in table(cluster.out("get", "addresspools", "-o", "wide"))}
    assert wide["reserved"]["DISABLED"] == "true"
    printed = cluster.out("get", "endpointgroups", "-n", NAMESPACE).splitlines()
    # no Age column unless the definition asks for one; an array cell prints as JSON, a missing one empty
    assert printed[0].split() == ["NAME", "NETS", "READY"]
    assert printed[1].split() == ["monitoring", '["10.0.8.0/24","10.0.9.0/24"]']


def test_plain_apply(cluster: Cluster) -> None:
    printed = cluster.out("apply", "-f", BUNDLE)
    assert "customresourcedefinition.apiextensions.k8s.io/addresspools.netplane.example.io created" in printed
    assert "daemonset.apps/netplane-node created" in printed
    cluster.out("wait", "--for", "condition=Established", "crd", "--all", "--timeout", "30s")
    assert "addresspool.netplane.example.io/default-ipv4 created" in cluster.out("apply", "-f", CONFIG)
    running(cluster)
    check_printer_columns(cluster)
    for manifest in (BUNDLE, CONFIG):
        again = cluster.out("apply", "-f", manifest).splitlines()
        assert each_line_ends(again, " unchanged"), again


def test_server_side_apply_over_client_side(cluster: Cluster) -> None:
    printed = cluster.out("apply", "--server-side", "-f", CONFIG).splitlines()
    assert each_line_ends(printed, " serverside-applied"), printed
    refused = cluster.kubectl("apply", "--server-side", "-f", BUNDLE, check=False)
    assert refused.returncode == 1
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
        '.spec.template.spec.containers[name="agent"].env[name="NODENAME"].valueFrom.fieldRef'
    ) in refused.stderr, refused.stderr
    others = refused.stdout.splitlines()  # every other object moved over without a conflict
    assert len(others) > 10, others
    assert each_line_ends(others, " serverside-applied"), others
    printed = cluster.out("apply", "--server-side", "--force-conflicts", "-f", BUNDLE).splitlines()
    assert each_line_ends(printed, " serverside-applied"), printed
    for manifest in (BUNDLE, CONFIG):
        diff = cluster.kubectl("diff", "--server-side", "-f", manifest, check=False)
        assert diff.returncode == 0, diff.stdout + diff.stderr
    running(cluster)
    pool = cluster.json("get", "addresspool", "default-ipv4", "--show-managed-fields")
    managers = {(entry["manager"], entry["operation"]) for entry in pool["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers, managers


def test_server_side_apply_from_scratch(cluster: Cluster) -> None:
    cluster.out("delete", "-f", CONFIG, "--wait=true")
    # the namespace (listed before its objects) takes them with it: some are gone when kubectl gets there
    cluster.out("delete", "-f", BUNDLE, "--wait=true", "--ignore-not-found")
    printed = cluster.out("apply", "--server-side", "-f", BUNDLE).splitlines()
    assert each_line_ends(printed, " serverside-applied"), printed
    cluster.out("wait", "--for", "condition=Established", "crd", "--all", "--timeout", "30s")
    cluster.out("apply", "--server-side", "-f", CONFIG)
    running(cluster)
    check_printer_columns(cluster)
    for manifest in (BUNDLE, CONFIG):
        diff = cluster.kubectl("diff", "--server-side", "-f", manifest, check=False)
        assert diff.returncode == 0, diff.stdout + diff.stderr
