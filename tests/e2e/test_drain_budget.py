"""`kubectl drain` of a node running one pod of a 2-replica Deployment whose pods a PodDisruptionBudget
(maxUnavailable: 1) guards — calico-kube-controllers' shape. The disruption controller finds the
Deployment through the pods' ReplicaSet, allows one disruption, and the drain's eviction passes (before
Deployments were found, the budget failed safe with "found no controllers" and the drain timed out).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from everynode.core.types import Obj
from everynode.spawn.etcd import free_port
from tests import builders
from tests.builders import namespace
from tests.e2e.cluster import KUBECTL, Cluster, by_node, is_ready, summary, table

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed"),
]

NODES = ["node-1", "node-2", "node-3"]
NS = "drain-budget"
NAME = "kube-controllers"
LABELS = {"k8s-app": NAME}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    up = Cluster(tmp_path_factory.mktemp("drain-budget") / "data", free_port(), nodes=len(NODES))
    try:
        up.start()
        up.eventually(lambda: up.nodes_ready(NODES), "the 3 nodes of `up` Ready")
        yield up
    finally:
        up.stop()


def budget() -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": LABELS}},
    }


def ready_pods(cluster: Cluster) -> dict[str, list[Obj]]:
    """The Deployment's 2 pods, Ready and not being deleted, by node."""
    pods = cluster.pods(NS, "k8s-app=" + NAME)
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 2, summary(pods)
    assert all(map(is_ready, live)), summary(pods)
    return by_node(live)


def allows(cluster: Cluster, disruptions: int) -> Obj:
    """The budget, once `kubectl get pdb` shows ``disruptions`` allowed."""
    (row,) = table(cluster.out("get", "pdb", NAME, "-n", NS))
    assert (row["MIN AVAILABLE"], row["MAX UNAVAILABLE"], row["ALLOWED DISRUPTIONS"]) == (
        "N/A",
        "1",
        str(disruptions),
    ), row
    found: Obj = cluster.json("get", "pdb", NAME, "-n", NS)
    return found


def test_drain_evicts_one_pod_of_a_deployment_guarded_by_max_unavailable_one(cluster: Cluster) -> None:
    deployment = builders.deployment(NAME, namespace=NS, replicas=2, match_labels=LABELS)
    cluster.apply(namespace(NS), deployment, budget())
    placed = cluster.eventually(lambda: ready_pods(cluster), "the Deployment's 2 pods Ready")
    pdb = cluster.eventually(lambda: allows(cluster, 1), "the budget to allow one disruption")
    status = pdb["status"]
    assert (status["expectedPods"], status["desiredHealthy"], status["currentHealthy"]) == (2, 1, 2)
    (allowed,) = [c for c in status["conditions"] if c["type"] == "DisruptionAllowed"]
    assert (allowed["status"], allowed["reason"]) == ("True", "SufficientPods")

    node = (
        "node-2" if len(placed.get("node-2", [])) == 1 else next(n for n, p in placed.items() if len(p) == 1)
    )
    (victim,) = (p["metadata"]["name"] for p in placed[node])
    try:
        drained = cluster.kubectl("drain", node, "--ignore-daemonsets", "--timeout=60s", check=False)
        assert drained.returncode == 0, f"{drained}\n{cluster.diagnostics()}"
        assert f"pod/{victim} evicted" in drained.stdout, drained
        assert f"node/{node} drained" in drained.stdout, drained

        def replaced_elsewhere() -> dict[str, list[Obj]]:
            now = ready_pods(cluster)
            assert node not in now, f"a pod still on the drained {node}: {now.keys()}"
            return now

        cluster.eventually(replaced_elsewhere, f"2 Ready pods again, none on the drained {node}")
        cluster.eventually(lambda: allows(cluster, 1), "the budget to allow one disruption again")
    finally:
        cluster.kubectl("uncordon", node, check=False)
