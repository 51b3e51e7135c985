"""The DaemonSet walkthrough, end to end: `everynode up` as a subprocess, driven with the real kubectl.

One cluster for the module (3 simulated nodes). Each scenario keeps to its own namespace and
DaemonSets; a scenario that needs to label, taint, cordon or delete nodes makes its own with
`everynode nodes create` and deletes them at the end. The first two follow the seed walkthrough
(/work/shared/seed/000_decf4a37d9fff445.txt: fluentd-elasticsearch in kube-system); the last stops and
restarts `up` on the same data directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from everynode.core.types import Obj
from everynode.spawn.etcd import free_port
from tests import builders
from tests.builders import namespace
from tests.e2e.cluster import (
    KUBECTL,
    Cluster,
    PodWatch,
    by_node,
    is_ready,
    one_ready_pod_per_node,
    summary,
    table,
)
from tests.e2e.conftest import SEED, SEED_DS_YAML

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed"),
]

# seconds. Not shorter: `up` does not shorten the node agent's Lease renewals (every 10 s) to match, so
# with a grace period under 10 s every node flaps to Unknown, tainted unreachable, every 10 s.
NODE_GRACE_PERIOD = 20
POD_GC_QUARANTINE = 2  # seconds before pod GC removes the pods of a deleted node
BASE_NODES = ["node-1", "node-2", "node-3"]
POD_NAME = re.compile(rf"^{SEED}-[bcdfghjklmnpqrstvwxz2456789]{{5}}$")
HASH = re.compile(r"^[4-9bcdf]{1,10}$")  # FNV-1a decimal digits through upstream's alphabet
LABEL = "walkthrough.everynode.io/logging"
DEDICATED = "walkthrough.everynode.io/dedicated"
EVICT = "walkthrough.everynode.io/evict"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("walkthrough")
    up = Cluster(
        base / "data",
        free_port(),
        nodes=len(BASE_NODES),
        up_args=(
            "--node-grace-period",
            str(NODE_GRACE_PERIOD),
            "--pod-gc-quarantine",
            str(POD_GC_QUARANTINE),
        ),
    )
    try:
        up.start()
        up.eventually(lambda: up.nodes_ready(BASE_NODES), "the 3 nodes of `up` Ready")
        yield up
    finally:
        up.stop()


@pytest.fixture(scope="module")
def seed_applied(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """`kubectl apply -f ds.yaml` with the seed's file: what it printed."""
    manifest = tmp_path_factory.mktemp("seed") / "ds.yaml"
    manifest.write_text(SEED_DS_YAML)
    return cluster.out("apply", "-f", str(manifest))


# -- manifests and reads ----------------------------------------------------------------------------


def daemonset(
    name: str,
    ns: str,
    *,
    image_name: str = "registry.example/agent:1",
    node_selector: dict[str, str] | None = None,
    tolerations: list[Obj] | None = None,
    strategy: Obj | None = None,
) -> Obj:
    return builders.daemonset(
        name,
        namespace=ns,
        containers=[builders.container("agent", image=image_name)],
        pod_spec=builders.present(nodeSelector=node_selector or None, tolerations=tolerations or None),
        strategy=strategy or None,
    )


def converged(
    cluster: Cluster, ns: str, name: str, nodes: list[str], *, updated: int | None = None
) -> dict[str, Obj]:
    """The DaemonSet runs one Ready pod on each of ``nodes`` and nowhere else, and its status (for the
    current generation) says so; its pods by node."""
    pods = cluster.pods(ns, f"app={name}") if ns != "kube-system" else cluster.pods(ns, f"name={name}")
    found = one_ready_pod_per_node(pods, nodes)
    ds = cluster.daemonset(ns, name)
    status, n = ds.get("status", {}), len(nodes)
    counters = tuple(
        status.get(key, 0)
        for key in (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "updatedNumberScheduled",
            "numberAvailable",
            "numberMisscheduled",
        )
    )
    expected = (n, n, n, n if updated is None else updated, n, 0)
    assert status.get("observedGeneration") == ds["metadata"]["generation"], status
    assert counters == expected, f"status {status}, expected (desired … misscheduled) {expected}"
    return found


def uids(pods: dict[str, Obj]) -> dict[str, str]:
    return {node: pod["metadata"]["uid"] for node, pod in pods.items()}


def replaced(
    cluster: Cluster,
    ns: str,
    name: str,
    nodes: list[str],
    *,
    node: str,
    old_uid: str,
    updated: int | None = None,
) -> dict[str, Obj]:
    """``converged``, with a pod on ``node`` other than the one whose uid was ``old_uid``."""
    found = converged(cluster, ns, name, nodes, updated=updated)
    assert found[node]["metadata"]["uid"] != old_uid, f"{node} still runs {found[node]['metadata']['name']}"
    return found


def watched(watch: PodWatch, nodes: list[str], image_name: str) -> dict[str, Obj]:
    """The watch shows one Ready pod on each of ``nodes``, all running ``image_name``."""
    assert not watch.errors, watch.errors
    found = one_ready_pod_per_node(watch.current(), nodes)
    assert {image(pod) for pod in found.values()} == {image_name}, summary(found.values())
    return found


def pods_on(cluster: Cluster, ns: str, name: str, node: str) -> list[Obj]:
    """Every pod of the DaemonSet ``name`` bound to ``node``, terminating ones included."""
    return by_node(cluster.pods(ns, f"app={name}")).get(node, [])


def ready_pod_on(cluster: Cluster, ns: str, name: str, node: str) -> Obj:
    found = pods_on(cluster, ns, name, node)
    assert len(found) == 1, f"{name} on {node}:\n{summary(found)}"
    assert is_ready(found[0]), f"{name} on {node}:\n{summary(found)}"
    return found[0]


def revisions(cluster: Cluster, ns: str, ds_name: str) -> dict[str, Obj]:
    """The ControllerRevisions named after the DaemonSet, by name."""
    items = cluster.json("get", "controllerrevisions", "-n", ns)["items"]
    return {r["metadata"]["name"]: r for r in items if r["metadata"]["name"].startswith(f"{ds_name}-")}


def history(cluster: Cluster, ns: str, ds_name: str) -> list[int]:
    """`kubectl rollout history`: the revision numbers it lists (every CHANGE-CAUSE is <none>)."""
    lines = cluster.out("rollout", "history", f"ds/{ds_name}", "-n", ns).splitlines()
    assert lines[0].strip() == f"daemonset.apps/{ds_name}", lines
    assert lines[1].split() == ["REVISION", "CHANGE-CAUSE"], lines
    rows = [line.split() for line in lines[2:] if line.strip()]
    assert all(cause == "<none>" for _, cause in rows), lines
    return [int(revision) for revision, _ in rows]


def events(cluster: Cluster, ns: str, uid: str) -> list[Obj]:
    return [
        e for e in cluster.json("get", "events", "-n", ns)["items"] if e["involvedObject"].get("uid") == uid
    ]


def labels(pod: Obj) -> dict[str, str]:
    found: dict[str, str] = pod["metadata"]["labels"]
    return found


def image(pod_or_ds: Obj) -> str:
    spec = pod_or_ds["spec"]
    containers = spec["template"]["spec"]["containers"] if "template" in spec else spec["containers"]
    return str(containers[0]["image"])


class RolloutInvariant:
    """Fed every state a pod watch sees: how many of ``nodes`` lack a Ready pod. It arms itself the first
    time every node has one; from then on more than ``allowed`` such nodes is a violation."""

    def __init__(self, nodes: list[str], allowed: int = 1) -> None:
        self.nodes, self.allowed = set(nodes), allowed
        self.armed = False
        self.max_lacking = 0
        self.lacking_seen: list[str] = []  # each node, every time it starts lacking
        self.violations: list[str] = []
        self._lacking: set[str] = set()

    def __call__(self, pods: dict[str, Obj]) -> None:
        ready = {p["spec"].get("nodeName") for p in pods.values() if is_ready(p)}
        lacking = self.nodes - ready
        if not self.armed:
            self.armed = not lacking
            return
        self.lacking_seen += sorted(lacking - self._lacking)
        self._lacking = lacking
        self.max_lacking = max(self.max_lacking, len(lacking))
        if len(lacking) > self.allowed:
            self.violations.append(f"nodes without a Ready pod: {sorted(lacking)}\n{summary(pods.values())}")


def watch_rollout(
    cluster: Cluster, ns: str, selector: str, nodes: list[str]
) -> tuple[PodWatch, RolloutInvariant]:
    invariant = RolloutInvariant(nodes)
    watch = PodWatch(cluster, ns, selector)
    watch.on_event = invariant

    def armed() -> bool:
        assert not watch.errors, watch.errors
        assert invariant.armed, f"{len(watch.events)} events; the pods now:\n{summary(watch.current())}"
        return True

    try:
        cluster.eventually(armed, "the watch showing a Ready pod on every node")
    except BaseException:
        watch.stop()
        raise
    return watch, invariant


def check_rollout(
    watch: PodWatch, invariant: RolloutInvariant, old: dict[str, Obj], nodes: list[str]
) -> None:
    """Every node's old pod was replaced, never more than one node at a time without a Ready pod."""
    assert not watch.errors, watch.errors
    assert not invariant.violations, "\n".join(invariant.violations[:3])
    assert invariant.max_lacking == 1, "the watch never saw a node without its Ready pod"
    assert sorted(invariant.lacking_seen) == sorted(nodes), invariant.lacking_seen  # each once, one at a time
    deleted = {pod["metadata"]["uid"] for kind, pod in watch.events if kind == "DELETED"}
    assert {pod["metadata"]["uid"] for pod in old.values()} <= deleted


# -- 1. the seed: apply, get nodes/ds/pods, the pod's metadata ----------------------------------------


def test_seed_daemonset_runs_one_pod_per_node(cluster: Cluster, seed_applied: str) -> None:
    rows = table(cluster.out("get", "nodes"))
    assert list(rows[0]) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [row["NAME"] for row in rows] == BASE_NODES
    for row in rows:
        assert (row["STATUS"], row["ROLES"]) == ("Ready", "<none>"), row
        assert re.fullmatch(r"v\d+\.\d+\.\d+", row["VERSION"]), row
    nodes = [row["NAME"] for row in rows]

    assert seed_applied == f"daemonset.apps/{SEED} created\n"

    def ds_row() -> dict[str, str]:
        out = cluster.out("get", "ds", "-n", "kube-system")
        found = table(out)
        assert list(found[0]) == [
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE",
        ], out
        (row,) = [row for row in found if row["NAME"] == SEED]
        counts = [row[column] for column in ("DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE")]
        assert counts == [str(len(nodes))] * 5, out
        assert row["NODE SELECTOR"] == "<none>", out
        return row

    cluster.eventually(ds_row, f"`get ds -n kube-system` showing {len(nodes)} everywhere")

    def pod_rows() -> list[dict[str, str]]:
        out = cluster.out("get", "pods", "-n", "kube-system", "-o", "wide")
        found = [row for row in table(out) if row["NAME"].startswith(f"{SEED}-")]
        assert len(found) == len(nodes), out
        for row in found:
            assert POD_NAME.match(row["NAME"]), out
            assert (row["READY"], row["STATUS"], row["RESTARTS"]) == ("1/1", "Running", "0"), out
        assert sorted(row["NODE"] for row in found) == nodes, out
        return found

    pods = cluster.eventually(pod_rows, "`get pods -n kube-system`: one Running pod per node")

    ds_yaml = cluster.out("get", "ds", "-n", "kube-system", SEED, "-o", "yaml")
    ds = yaml.safe_load(ds_yaml)
    assert (ds["apiVersion"], ds["kind"]) == ("apps/v1", "DaemonSet")
    meta = ds["metadata"]
    assert (meta["name"], meta["namespace"], meta["generation"]) == (SEED, "kube-system", 1)
    assert meta["labels"] == {"k8s-app": "fluentd-logging"}
    assert meta["annotations"]["deprecated.daemonset.template.generation"] == "1"
    assert (
        '"image":"fluent/fluentd:v1.4-1"'
        in meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )

    pod_yaml = cluster.out("get", "pods", "-n", "kube-system", pods[0]["NAME"], "-o", "yaml")
    assert 'pod-template-generation: "1"' in pod_yaml, pod_yaml  # a string, quoted, as in the seed
    pod = yaml.safe_load(pod_yaml)
    assert (pod["apiVersion"], pod["kind"]) == ("v1", "Pod")
    pod_meta = pod["metadata"]
    assert pod_meta["generateName"] == f"{SEED}-"
    assert pod_meta["name"] == pods[0]["NAME"]
    revision_hash = pod_meta["labels"]["controller-revision-hash"]
    assert HASH.match(revision_hash), revision_hash
    assert pod_meta["labels"] == {
        "controller-revision-hash": revision_hash,
        "name": SEED,
        "pod-template-generation": "1",
    }
    assert pod_meta["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "blockOwnerDeletion": True,
            "controller": True,
            "kind": "DaemonSet",
            "name": SEED,
            "uid": meta["uid"],
        }
    ]
    assert image(pod) == "fluent/fluentd:v1.4-1"
    revision_rows = table(cluster.out("get", "controllerrevisions", "-n", "kube-system"))
    assert [(r["NAME"], r["CONTROLLER"], r["REVISION"]) for r in revision_rows] == [
        (f"{SEED}-{revision_hash}", f"daemonset.apps/{SEED}", "1")
    ]


# -- 2. set image: rolling update, describe, rollout status/history/undo ------------------------------


def check_describe(
    cluster: Cluster, generation: int, image_name: str, created: set[str], deleted: set[str]
) -> bool:
    out = cluster.out("describe", "ds", "-n", "kube-system", SEED)
    expected = [
        rf"Name:\s+{SEED}",
        r"Selector:\s+name=fluentd-elasticsearch",
        r"Node-Selector:\s+<none>",
        r"Labels:\s+k8s-app=fluentd-logging",
        rf"Annotations:\s+deprecated\.daemonset\.template\.generation: {generation}",
        r"Desired Number of Nodes Scheduled: 3",
        r"Current Number of Nodes Scheduled: 3",
        r"Number of Nodes Scheduled with Up-to-date Pods: 3",
        r"Number of Nodes Scheduled with Available Pods: 3",
        r"Number of Nodes Misscheduled: 0",
        r"Pods Status:\s+3 Running / 0 Waiting / 0 Succeeded / 0 Failed",
        r"Pod Template:",
        r"  Labels:\s+name=fluentd-elasticsearch",
        r"  Containers:",
        rf"   {SEED}:",
        rf"    Image:\s+{re.escape(image_name)}",
        r"Events:",
        r"  Type\s+Reason\s+Age\s+From\s+Message",
    ]
    lines = iter(out.splitlines())
    for pattern in expected:  # in this order, other lines in between
        assert any(re.fullmatch(pattern, line.rstrip()) for line in lines), (
            f"no line {pattern!r} in order:\n{out}"
        )
    rows = re.findall(r"^  (Normal|Warning)\s+(\w+)\s+.*?\s{2,}(\S+)\s{2,}(.+)$", out, re.MULTILINE)
    found = {(kind, reason, source, message.rstrip()) for kind, reason, source, message in rows}
    want = {("Normal", "SuccessfulCreate", "daemonset-controller", f"Created pod: {n}") for n in created}
    want |= {("Normal", "SuccessfulDelete", "daemonset-controller", f"Deleted pod: {n}") for n in deleted}
    assert found == want, f"events {sorted(found)}\nexpected {sorted(want)}\n{out}"
    return True


def test_set_image_rolls_pods_one_node_at_a_time_and_undo_rolls_back(
    cluster: Cluster, seed_applied: str
) -> None:
    nodes = cluster.node_names()
    first = cluster.eventually(
        lambda: converged(cluster, "kube-system", SEED, nodes), "the seed DaemonSet converged"
    )
    (old_hash,) = {labels(pod)["controller-revision-hash"] for pod in first.values()}

    watch, invariant = watch_rollout(cluster, "kube-system", f"name={SEED}", nodes)
    try:
        out = cluster.out("set", "image", f"ds/{SEED}", f"{SEED}=fluent/fluentd:v1.4", "-n", "kube-system")
        assert out == f"daemonset.apps/{SEED} image updated\n"
        status = cluster.out("rollout", "status", f"ds/{SEED}", "-n", "kube-system", "--timeout=60s")
        assert status.splitlines()[-1] == f'daemon set "{SEED}" successfully rolled out', status
        second = cluster.eventually(
            lambda: watched(watch, nodes, "fluent/fluentd:v1.4"),
            "the watch showing the new pods Ready",
        )
    finally:
        watch.stop()
    check_rollout(watch, invariant, first, nodes)

    (new_hash,) = {labels(pod)["controller-revision-hash"] for pod in second.values()}
    assert HASH.match(new_hash), new_hash
    assert new_hash != old_hash
    for pod in second.values():
        assert labels(pod) == {
            "controller-revision-hash": new_hash,
            "name": SEED,
            "pod-template-generation": "2",
        }
        assert pod["metadata"]["generateName"] == f"{SEED}-"
        assert pod["metadata"]["ownerReferences"][0]["name"] == SEED
    converged(cluster, "kube-system", SEED, nodes)

    old_names = {pod["metadata"]["name"] for pod in first.values()}
    new_names = {pod["metadata"]["name"] for pod in second.values()}
    cluster.eventually(
        lambda: check_describe(cluster, 2, "fluent/fluentd:v1.4", old_names | new_names, old_names),
        "`describe ds` after the rolling update",
    )
    assert history(cluster, "kube-system", SEED) == [1, 2]
    assert {name: r["revision"] for name, r in revisions(cluster, "kube-system", SEED).items()} == {
        f"{SEED}-{old_hash}": 1,
        f"{SEED}-{new_hash}": 2,
    }

    # rollout undo: the first template again, as revision 3 (the old revision renumbered), one node at a time
    watch, invariant = watch_rollout(cluster, "kube-system", f"name={SEED}", nodes)
    try:
        out = cluster.out("rollout", "undo", f"ds/{SEED}", "-n", "kube-system")
        assert out == f"daemonset.apps/{SEED} rolled back\n"
        status = cluster.out("rollout", "status", f"ds/{SEED}", "-n", "kube-system", "--timeout=60s")
        assert status.splitlines()[-1] == f'daemon set "{SEED}" successfully rolled out', status
        third = cluster.eventually(
            lambda: watched(watch, nodes, "fluent/fluentd:v1.4-1"),
            "the watch showing the rolled-back pods Ready",
        )
    finally:
        watch.stop()
    check_rollout(watch, invariant, second, nodes)
    for pod in third.values():
        assert labels(pod) == {
            "controller-revision-hash": old_hash,
            "name": SEED,
            "pod-template-generation": "3",
        }
    assert image(cluster.daemonset("kube-system", SEED)) == "fluent/fluentd:v1.4-1"
    converged(cluster, "kube-system", SEED, nodes)
    assert history(cluster, "kube-system", SEED) == [2, 3]
    assert {name: r["revision"] for name, r in revisions(cluster, "kube-system", SEED).items()} == {
        f"{SEED}-{old_hash}": 3,
        f"{SEED}-{new_hash}": 2,
    }
    shown = cluster.out("rollout", "history", f"ds/{SEED}", "-n", "kube-system", "--revision", "3")
    assert re.search(r"^\s+Image:\s+fluent/fluentd:v1\.4-1$", shown, re.MULTILINE), shown


# -- 3. OnDelete ------------------------------------------------------------------------------------


def test_on_delete_updates_a_node_only_when_its_pod_is_deleted(cluster: Cluster) -> None:
    ns, name = "walkthrough-ondelete", "ondelete-agent"
    nodes = cluster.node_names()
    out = cluster.apply(namespace(ns), daemonset(name, ns, strategy={"type": "OnDelete"}))
    assert out == f"namespace/{ns} created\ndaemonset.apps/{name} created\n"
    before = cluster.eventually(lambda: converged(cluster, ns, name, nodes), f"{name} converged")
    (old_hash,) = {labels(pod)["controller-revision-hash"] for pod in before.values()}

    out = cluster.out("set", "image", f"ds/{name}", "agent=registry.example/agent:2", "-n", ns)
    assert out == f"daemonset.apps/{name} image updated\n"
    cluster.eventually(
        lambda: converged(cluster, ns, name, nodes, updated=0),
        "the controller observing generation 2 and updating no pod",
    )
    new_revision = cluster.eventually(
        lambda: [r for r in revisions(cluster, ns, name).values() if r["revision"] == 2], "revision 2"
    )[0]
    new_hash = new_revision["metadata"]["labels"]["controller-revision-hash"]
    assert new_hash != old_hash

    def untouched() -> None:
        now = converged(cluster, ns, name, nodes, updated=0)
        assert uids(now) == uids(before), summary(now.values())
        assert {image(pod) for pod in now.values()} == {"registry.example/agent:1"}

    cluster.consistently(untouched, "OnDelete leaving every pod alone")
    refused = cluster.kubectl("rollout", "status", f"ds/{name}", "-n", ns, check=False)
    assert refused.returncode != 0
    assert "rollout status is only available for RollingUpdate strategy type" in refused.stderr, refused

    victim_node = nodes[0]
    victim = before[victim_node]["metadata"]["name"]
    assert cluster.out("delete", "pod", victim, "-n", ns) == f'pod "{victim}" deleted\n'
    after = cluster.eventually(
        lambda: replaced(
            cluster,
            ns,
            name,
            nodes,
            node=victim_node,
            old_uid=before[victim_node]["metadata"]["uid"],
            updated=1,
        ),
        f"a new pod on {victim_node}",
    )
    replacement = after[victim_node]
    assert image(replacement) == "registry.example/agent:2"
    assert labels(replacement) == {
        "app": name,
        "controller-revision-hash": new_hash,
        "pod-template-generation": "2",
    }
    for node in nodes[1:]:
        assert after[node]["metadata"]["uid"] == before[node]["metadata"]["uid"]
        assert image(after[node]) == "registry.example/agent:1"
        assert labels(after[node])["pod-template-generation"] == "1"


def test_a_rollback_by_patch_keeps_the_pods_that_already_run_the_template(cluster: Cluster) -> None:
    """A patch adds a template annotation, a second removes it (``"k": null``): the template is
    the original again, so the pods that run it are up to date and nothing is replaced. (The
    server once kept ``annotations: {}``, which hashed differently and restarted every pod.)"""
    ns, name = "walkthrough-rollback", "rollback-agent"
    nodes = cluster.node_names()
    cluster.apply(namespace(ns), daemonset(name, ns, strategy={"type": "OnDelete"}))
    before = cluster.eventually(lambda: converged(cluster, ns, name, nodes), f"{name} converged")

    def patch_annotation(value: str | None) -> None:
        body = json.dumps({"spec": {"template": {"metadata": {"annotations": {"k": value}}}}})
        assert cluster.out("patch", "ds", name, "-n", ns, "--type", "merge", "-p", body) == (
            f"daemonset.apps/{name} patched\n"
        )

    patch_annotation("v")
    cluster.eventually(
        lambda: converged(cluster, ns, name, nodes, updated=0), "the annotated template observed"
    )
    patch_annotation(None)
    template = cluster.daemonset(ns, name)["spec"]["template"]
    assert "annotations" not in template["metadata"], template["metadata"]
    after = cluster.eventually(
        lambda: converged(cluster, ns, name, nodes), "the original template's pods up to date again"
    )
    assert uids(after) == uids(before), summary(after.values())


def test_logs_tell_a_pods_lifecycle_and_exec_is_refused_with_a_status(cluster: Cluster) -> None:
    ns, name = "walkthrough-logs", "logs-agent"
    nodes = cluster.node_names()
    cluster.apply(namespace(ns), daemonset(name, ns))
    pods = cluster.eventually(lambda: converged(cluster, ns, name, nodes), f"{name} converged")
    pod = next(iter(pods.values()))
    pod_name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]

    lines = cluster.out("logs", pod_name, "-n", ns).splitlines()
    assert lines[0] == f'everynode: container "agent" started on node {node} (image registry.example/agent:1)'
    through_ds = cluster.kubectl("logs", f"ds/{name}", "-n", ns)  # kubectl picks one of its pods
    assert through_ds.stdout.startswith('everynode: container "agent" started on node ')
    assert cluster.out("logs", pod_name, "-n", ns, "--tail", "1").splitlines() == lines[-1:]
    stamped = cluster.out("logs", pod_name, "-n", ns, "--timestamps").splitlines()
    assert stamped[0].endswith(lines[0])
    assert stamped[0].split(" ")[0] == pod["status"]["startTime"]

    previous = cluster.kubectl("logs", pod_name, "-n", ns, "--previous", check=False)
    assert previous.returncode != 0
    assert f'previous terminated container "agent" in pod "{pod_name}" not found' in previous.stderr

    for verb in (["exec", pod_name, "-n", ns, "--", "true"], ["port-forward", pod_name, "-n", ns, "8080:80"]):
        refused = cluster.kubectl(*verb, check=False)
        assert refused.returncode != 0, verb
        assert f"pod {ns}/{pod_name} is simulated by everynode" in refused.stderr, refused.stderr
    assert "Traceback" not in (cluster.data_dir / "apiserver.log").read_text()


def test_a_missing_account_fails_creates_and_a_missing_config_map_fails_mounts_until_applied(
    cluster: Cluster,
) -> None:
    """A bundle applied out of order, as a real cluster shows it: the DaemonSet records FailedCreate
    while its ServiceAccount is missing, its pods stay ContainerCreating with FailedMount while their
    ConfigMap is missing, and each converges once the missing object is applied."""
    ns, name = "walkthrough-bundle-order", "ordered-agent"
    nodes = cluster.node_names()
    volume = {"name": "config", "configMap": {"name": "agent-config"}}
    ds = daemonset(name, ns)
    ds["spec"]["template"]["spec"] |= {"serviceAccountName": "agent", "volumes": [volume]}
    ds["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "config", "mountPath": "/etc/agent"}
    ]
    cluster.apply(namespace(ns), ds)
    uid = cluster.daemonset(ns, name)["metadata"]["uid"]

    def failed_create() -> list[Obj]:
        return [e for e in events(cluster, ns, uid) if e.get("reason") == "FailedCreate"]

    (first, *_) = cluster.eventually(failed_create, "a FailedCreate event")
    assert (
        f'error looking up service account {ns}/agent: serviceaccount "agent" not found' in first["message"]
    )
    assert cluster.pods(ns, f"app={name}") == []

    cluster.apply(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent", "namespace": ns}}
    )

    def creating() -> list[Obj]:
        pods = cluster.pods(ns, f"app={name}")
        waiting = [
            p
            for p in pods
            if [s["state"].get("waiting", {}).get("reason") for s in p["status"].get("containerStatuses", [])]
            == ["ContainerCreating"]
        ]
        return waiting if len(waiting) == len(nodes) else []

    pods = cluster.eventually(creating, "every pod ContainerCreating, waiting for its ConfigMap")
    mounts = cluster.eventually(
        lambda: [
            e for e in events(cluster, ns, pods[0]["metadata"]["uid"]) if e.get("reason") == "FailedMount"
        ],
        "a FailedMount event",
    )
    assert (
        mounts[0]["message"]
        == 'MountVolume.SetUp failed for volume "config" : configmap "agent-config" not found'
    )
    assert mounts[0]["type"] == "Warning"
    table = cluster.out("get", "pods", "-n", ns, "--no-headers").splitlines()
    assert all(line.split()[2] == "ContainerCreating" for line in table), table

    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "agent-config", "namespace": ns},
            "data": {},
        }
    )
    after = cluster.eventually(lambda: converged(cluster, ns, name, nodes), f"{name} converged")
    assert {pod["metadata"]["uid"] for pod in after.values()} == {pod["metadata"]["uid"] for pod in pods}


def test_the_readme_bundle_converges_and_its_service_routes_to_its_pods(cluster: Cluster) -> None:
    """``docs/examples/log-shipper.yaml``, applied as the README applies it: the DaemonSet converges,
    and its metrics Service gets Endpoints and an EndpointSlice naming every pod at its named port."""
    bundle = Path(__file__).parents[2] / "docs" / "examples" / "log-shipper.yaml"
    ns, name, nodes = "logging", "shipper", cluster.node_names()
    applied = cluster.out("apply", "-f", str(bundle)).splitlines()
    assert applied[-1] == "daemonset.apps/shipper created"

    def shipper_converged() -> dict[str, Obj]:
        pods = one_ready_pod_per_node(cluster.pods(ns, "app.kubernetes.io/name=shipper"), nodes)
        status = cluster.daemonset(ns, name)["status"]
        assert (status.get("numberReady"), status.get("updatedNumberScheduled")) == (len(nodes), len(nodes))
        return pods

    pods = cluster.eventually(shipper_converged, "the bundle's DaemonSet converged")
    ips = sorted(pod["status"]["podIP"] for pod in pods.values())

    def routed() -> list[str]:
        endpoints = cluster.json("get", "endpoints", "shipper-metrics", "-n", ns)
        [subset] = endpoints["subsets"]
        assert subset["ports"] == [{"name": "http-metrics", "port": 2020, "protocol": "TCP"}]
        return sorted(address["ip"] for address in subset["addresses"])

    assert cluster.eventually(routed, "the Service's Endpoints") == ips
    slices = cluster.json(
        "get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=shipper-metrics"
    )
    [endpoint_slice] = slices["items"]
    assert sorted(e["addresses"][0] for e in endpoint_slice["endpoints"]) == ips
    table = cluster.out("get", "endpoints", "shipper-metrics", "-n", ns, "--no-headers").split()
    assert table[1].split(",")[0].endswith(":2020")


def test_a_cni_shaped_bundle_runs_critical_host_network_pods_everywhere(cluster: Cluster) -> None:
    bundle = Path(__file__).parents[2] / "docs" / "examples" / "node-network.yaml"
    cluster.out("apply", "-f", str(bundle))
    nodes = cluster.node_names()

    def running() -> dict[str, Obj]:
        pods = one_ready_pod_per_node(cluster.pods("kube-system", "app=node-net"), nodes)
        status = cluster.daemonset("kube-system", "node-net")["status"]
        assert status.get("numberAvailable") == len(nodes), status
        return pods

    pods = cluster.eventually(running, "node-net on every node")
    for pod in pods.values():
        spec = pod["spec"]
        assert (spec["priority"], spec["priorityClassName"]) == (2000001000, "system-node-critical")
        assert (spec["serviceAccountName"], spec["hostNetwork"]) == ("node-net", True)
        assert pod["status"]["podIP"] == pod["status"]["hostIP"]


# -- 4. nodes join and leave, pods deleted or failing -------------------------------------------------


def test_nodes_joining_and_leaving_and_pods_deleted_or_failed(cluster: Cluster) -> None:
    ns, name = "walkthrough-nodes", "node-watcher"
    nodes = cluster.node_names()
    cluster.apply(namespace(ns), daemonset(name, ns))
    before = cluster.eventually(lambda: converged(cluster, ns, name, nodes), f"{name} converged")

    (joined,) = cluster.create_nodes(1)
    try:
        grown = cluster.eventually(
            lambda: converged(cluster, ns, name, [*nodes, joined]), f"a pod on the new node {joined}"
        )
        assert {node: uid for node, uid in uids(grown).items() if node != joined} == uids(before)
        assert cluster.out("delete", "node", joined) == f'node "{joined}" deleted\n'
        cluster.eventually(
            lambda: converged(cluster, ns, name, nodes), f"the pod of the deleted node {joined} gone"
        )
    finally:
        cluster.kubectl("delete", "node", joined, "--ignore-not-found", check=False)
    assert uids(converged(cluster, ns, name, nodes)) == uids(before)

    # a deleted pod is replaced on its node
    node = nodes[0]
    victim = before[node]
    assert cluster.out("delete", "pod", victim["metadata"]["name"], "-n", ns).startswith("pod ")
    replaced_pods = cluster.eventually(
        lambda: replaced(cluster, ns, name, nodes, node=node, old_uid=victim["metadata"]["uid"]),
        f"a replacement for the deleted pod on {node}",
    )
    assert {n: uid for n, uid in uids(replaced_pods).items() if n != node} == {
        n: uid for n, uid in uids(before).items() if n != node
    }

    # a pod that fails (the node agent's fail-after annotation) is replaced on its node
    node = nodes[1]
    target = replaced_pods[node]["metadata"]["name"]
    watch = PodWatch(cluster, ns, f"app={name}")
    try:
        cluster.eventually(lambda: len(watch.current()) == len(nodes), "the watch listing the pods")
        out = cluster.out("annotate", "pod", target, "-n", ns, "sim.everynode.io/fail-after=0s")
        assert out == f"pod/{target} annotated\n"
        cluster.eventually(
            lambda: replaced(
                cluster, ns, name, nodes, node=node, old_uid=replaced_pods[node]["metadata"]["uid"]
            ),
            f"a replacement for the failed pod {target}",
        )
    finally:
        watch.stop()
    phases = [pod["status"].get("phase") for _, pod in watch.events if pod["metadata"]["name"] == target]
    assert "Failed" in phases, phases
    ds_uid = cluster.daemonset(ns, name)["metadata"]["uid"]
    failed = cluster.eventually(
        lambda: [e for e in events(cluster, ns, ds_uid) if e["reason"] == "FailedDaemonPod"],
        "a FailedDaemonPod event",
    )
    assert [(e["type"], e["message"], e["source"].get("component")) for e in failed] == [
        (
            "Warning",
            f"Found failed daemon pod {ns}/{target} on node {node}, will try to kill it",
            "daemonset-controller",
        )
    ]


# -- 5. placement: nodeSelector, taints, cordon, drain ------------------------------------------------


def test_node_labels_taints_cordon_and_drain(cluster: Cluster) -> None:
    ns = "walkthrough-placement"
    base = cluster.node_names()
    own = cluster.create_nodes(2)
    a, b = own
    try:
        out = cluster.apply(
            namespace(ns),
            daemonset("plain", ns),
            daemonset("tolerant", ns, tolerations=[{"operator": "Exists"}]),
            daemonset("picky", ns, node_selector={LABEL: "yes"}),
        )
        assert out.splitlines() == [
            f"namespace/{ns} created",
            "daemonset.apps/plain created",
            "daemonset.apps/tolerant created",
            "daemonset.apps/picky created",
        ]
        everywhere = [*base, a, b]
        cluster.eventually(lambda: converged(cluster, ns, "plain", everywhere), "plain converged")
        cluster.eventually(lambda: converged(cluster, ns, "tolerant", everywhere), "tolerant converged")
        cluster.eventually(lambda: converged(cluster, ns, "picky", []) == {}, "picky on no node")
        (row,) = [r for r in table(cluster.out("get", "ds", "-n", ns)) if r["NAME"] == "picky"]
        assert (row["DESIRED"], row["NODE SELECTOR"]) == ("0", f"{LABEL}=yes"), row

        check_node_selector(cluster, ns, a)
        own.append(check_taints(cluster, ns, a, b, everywhere))
        check_cordon_and_drain(cluster, ns, b)
    finally:
        cluster.kubectl("delete", "node", *own, "--ignore-not-found", check=False)


def check_node_selector(cluster: Cluster, ns: str, a: str) -> None:
    """Labelling node ``a`` adds picky's pod there, unlabelling it removes the pod."""
    assert cluster.out("label", "node", a, f"{LABEL}=yes") == f"node/{a} labeled\n"
    cluster.eventually(lambda: converged(cluster, ns, "picky", [a]), f"picky's pod on the labelled {a}")
    assert cluster.out("label", "node", a, f"{LABEL}-") == f"node/{a} unlabeled\n"
    cluster.eventually(
        lambda: converged(cluster, ns, "picky", []) == {} and not pods_on(cluster, ns, "picky", a),
        f"picky's pod gone from the unlabelled {a}",
    )


def check_taints(cluster: Cluster, ns: str, a: str, b: str, everywhere: list[str]) -> str:
    """NoSchedule on ``a`` keeps plain's running pod, and keeps it off a node that joins with the taint
    (whose name is returned); NoExecute on ``b`` removes plain's pod. The taints are removed again."""
    plain = converged(cluster, ns, "plain", everywhere)
    tolerant = converged(cluster, ns, "tolerant", everywhere)
    assert cluster.out("taint", "node", a, f"{DEDICATED}=infra:NoSchedule") == f"node/{a} tainted\n"

    def misscheduled_on_a() -> bool:
        status = cluster.daemonset(ns, "plain")["status"]
        counts = (status["desiredNumberScheduled"], status["numberMisscheduled"])
        assert counts == (len(everywhere) - 1, 1), status
        assert ready_pod_on(cluster, ns, "plain", a)["metadata"]["uid"] == plain[a]["metadata"]["uid"]
        return True

    cluster.eventually(misscheduled_on_a, f"plain counting {a} misscheduled")
    cluster.consistently(misscheduled_on_a, f"plain's pod staying on the NoSchedule-tainted {a}")

    # a node that joins with the taint gets the tolerant DaemonSet's pod, and no other
    (c,) = cluster.create_nodes(1, "--taints", f"{DEDICATED}=infra:NoSchedule")
    cluster.eventually(lambda: ready_pod_on(cluster, ns, "tolerant", c), f"tolerant's pod on {c}")

    def nothing_untolerated_on_c() -> None:
        assert not pods_on(cluster, ns, "plain", c), summary(pods_on(cluster, ns, "plain", c))
        assert not pods_on(cluster, ns, "picky", c)

    cluster.consistently(nothing_untolerated_on_c, f"no plain pod on the NoSchedule-tainted {c}")

    # an untolerated NoExecute taint removes the running pod (the tolerating one stays)
    assert cluster.out("taint", "node", b, f"{EVICT}=now:NoExecute") == f"node/{b} tainted\n"
    cluster.eventually(lambda: not pods_on(cluster, ns, "plain", b), f"plain's pod gone from {b}")
    assert ready_pod_on(cluster, ns, "tolerant", b)["metadata"]["uid"] == tolerant[b]["metadata"]["uid"]
    assert ready_pod_on(cluster, ns, "plain", a)["metadata"]["uid"] == plain[a]["metadata"]["uid"]

    assert cluster.out("taint", "node", b, f"{EVICT}:NoExecute-") == f"node/{b} untainted\n"
    assert cluster.out("taint", "node", a, f"{DEDICATED}:NoSchedule-") == f"node/{a} untainted\n"
    back = cluster.eventually(
        lambda: converged(cluster, ns, "plain", everywhere), "plain back on every untainted node"
    )
    assert back[a]["metadata"]["uid"] == plain[a]["metadata"]["uid"]
    return c


def check_cordon_and_drain(cluster: Cluster, ns: str, b: str) -> None:
    """Cordoning ``b`` does not stop placement there; draining it with --ignore-daemonsets succeeds
    and leaves the DaemonSets' pods."""
    assert cluster.out("cordon", b) == f"node/{b} cordoned\n"
    (row,) = [r for r in table(cluster.out("get", "nodes")) if r["NAME"] == b]
    assert row["STATUS"] == "Ready,SchedulingDisabled", row
    victim = ready_pod_on(cluster, ns, "plain", b)["metadata"]["name"]
    cluster.out("delete", "pod", victim, "-n", ns)
    cluster.eventually(
        lambda: ready_pod_on(cluster, ns, "plain", b)["metadata"]["name"] != victim,
        f"a new plain pod placed on the cordoned {b}",
    )
    assert cluster.out("label", "node", b, f"{LABEL}=yes") == f"node/{b} labeled\n"
    cluster.eventually(lambda: converged(cluster, ns, "picky", [b]), f"picky's pod on the cordoned {b}")

    on_b = {ds: ready_pod_on(cluster, ns, ds, b)["metadata"] for ds in ("plain", "tolerant", "picky")}
    drained = cluster.kubectl("drain", b, "--ignore-daemonsets", "--timeout=60s")
    assert f"node/{b} drained" in drained.stdout, drained
    assert "Warning: ignoring DaemonSet-managed Pods: " in drained.stderr, drained
    for meta in on_b.values():
        assert f"{ns}/{meta['name']}" in drained.stderr, drained

    def still_on_b() -> None:
        now = {ds: ready_pod_on(cluster, ns, ds, b)["metadata"]["uid"] for ds in on_b}
        assert now == {ds: meta["uid"] for ds, meta in on_b.items()}

    cluster.consistently(still_on_b, f"the DaemonSet pods staying on the drained {b}")


# -- 6. delete ds, and --cascade=orphan then adoption -------------------------------------------------


def test_delete_removes_pods_and_revisions_and_orphans_are_adopted_unrestarted(cluster: Cluster) -> None:
    ns = "walkthrough-delete"
    nodes = cluster.node_names()
    cluster.apply(namespace(ns), daemonset("doomed", ns), daemonset("kept", ns))
    cluster.eventually(lambda: converged(cluster, ns, "doomed", nodes), "doomed converged")
    cluster.out("set", "image", "ds/doomed", "agent=registry.example/agent:2", "-n", ns)
    cluster.out("rollout", "status", "ds/doomed", "-n", ns, "--timeout=60s")
    assert len(revisions(cluster, ns, "doomed")) == 2

    assert cluster.out("delete", "ds", "doomed", "-n", ns) == 'daemonset.apps "doomed" deleted\n'
    cluster.eventually(
        lambda: not cluster.pods(ns, "app=doomed") and not revisions(cluster, ns, "doomed"),
        "doomed's pods and ControllerRevisions gone",
    )

    before = cluster.eventually(lambda: converged(cluster, ns, "kept", nodes), "kept converged")
    old_uid = cluster.daemonset(ns, "kept")["metadata"]["uid"]
    (revision_name,) = revisions(cluster, ns, "kept")
    out = cluster.out("delete", "ds", "kept", "-n", ns, "--cascade=orphan")
    assert out == 'daemonset.apps "kept" deleted\n'
    gone = cluster.kubectl("get", "ds", "kept", "-n", ns, check=False)
    assert gone.returncode != 0, gone
    assert "NotFound" in gone.stderr, gone

    def orphans() -> dict[str, Obj]:
        pods = cluster.pods(ns, "app=kept")
        found = one_ready_pod_per_node(pods, nodes)
        assert uids(found) == uids(before), summary(pods)
        assert all(not pod["metadata"].get("ownerReferences") for pod in pods), summary(pods)
        (revision,) = revisions(cluster, ns, "kept").values()
        assert not revision["metadata"].get("ownerReferences"), revision["metadata"]
        return found

    cluster.eventually(orphans, "kept's pods and revision orphaned")
    cluster.consistently(orphans, "the orphaned pods staying")

    assert cluster.apply(daemonset("kept", ns)) == "daemonset.apps/kept created\n"
    new_uid = cluster.daemonset(ns, "kept")["metadata"]["uid"]
    assert new_uid != old_uid

    def adopted() -> dict[str, Obj]:
        found = converged(cluster, ns, "kept", nodes)
        owners = [
            [ref["uid"] for ref in pod["metadata"].get("ownerReferences") or () if ref.get("controller")]
            for pod in found.values()
        ]
        assert owners == [[new_uid]] * len(nodes), owners
        return found

    after = cluster.eventually(adopted, "the new kept DaemonSet adopting the pods")
    for node, pod in after.items():
        old = before[node]
        assert (pod["metadata"]["name"], pod["metadata"]["uid"]) == (
            old["metadata"]["name"],
            old["metadata"]["uid"],
        )
        assert pod["status"]["startTime"] == old["status"]["startTime"]
        assert [s["restartCount"] for s in pod["status"]["containerStatuses"]] == [0]
        assert labels(pod) == labels(old)
    (revision,) = revisions(cluster, ns, "kept").values()
    assert revision["metadata"]["name"] == revision_name
    assert [ref["uid"] for ref in revision["metadata"]["ownerReferences"]] == [new_uid]
    pod_events = [e["reason"] for e in events(cluster, ns, new_uid) if e["reason"].startswith("Successful")]
    assert pod_events == [], pod_events


# -- 7. stop and restart `up` on the same data directory ----------------------------------------------


Snapshot = tuple[list[str], dict[str, tuple[str, Obj]], dict[str, str]]


def snapshot(cluster: Cluster) -> Snapshot:
    """Nodes; DaemonSets (ns/name → uid, status); pods (ns/name → uid) — once the cluster is quiet: every
    DaemonSet's status is for its generation and has a Ready pod on each desired node and no other, and
    every pod is Ready on a node that exists."""
    nodes = cluster.node_names()
    daemonsets = cluster.json("get", "ds", "-A")["items"]
    for ds in daemonsets:
        status = ds["status"]
        assert status.get("observedGeneration") == ds["metadata"]["generation"], ds["metadata"]
        counts = [status.get(key, 0) for key in ("currentNumberScheduled", "numberReady", "numberAvailable")]
        assert counts == [status.get("desiredNumberScheduled", 0)] * 3, (ds["metadata"]["name"], status)
        assert status.get("numberMisscheduled", 0) == 0, (ds["metadata"]["name"], status)
    pods = cluster.json("get", "pods", "-A")["items"]
    unsettled = [p for p in pods if not is_ready(p) or p["spec"].get("nodeName") not in nodes]
    assert not unsettled, summary(unsettled)
    return (
        nodes,
        {
            f"{d['metadata']['namespace']}/{d['metadata']['name']}": (d["metadata"]["uid"], d["status"])
            for d in daemonsets
        },
        {f"{p['metadata']['namespace']}/{p['metadata']['name']}": p["metadata"]["uid"] for p in pods},
    )


def same_as(cluster: Cluster, before: Snapshot) -> bool:
    now = snapshot(cluster)
    assert now[0] == before[0], f"nodes {now[0]}, before {before[0]}"
    assert now[1] == before[1], f"DaemonSets {now[1]}\nbefore {before[1]}"
    assert now[2] == before[2], f"pods {now[2]}\nbefore {before[2]}"
    return True


def test_stopping_and_restarting_up_keeps_everything_and_converges(
    cluster: Cluster, seed_applied: str
) -> None:
    before = cluster.eventually(lambda: snapshot(cluster), "a quiet cluster")
    nodes, daemonsets, _ = before
    assert f"kube-system/{SEED}" in daemonsets

    assert cluster.stop() == 0, cluster.output()
    refused = cluster.kubectl("get", "nodes", check=False)
    assert refused.returncode != 0, refused

    output = cluster.start()
    assert "created nodes" not in output, output
    # at once: the same nodes, DaemonSets and pods are served
    assert cluster.node_names() == nodes
    assert {d["metadata"]["uid"] for d in cluster.json("get", "ds", "-A")["items"]} == {
        uid for uid, _ in daemonsets.values()
    }
    assert {p["metadata"]["uid"] for p in cluster.json("get", "pods", "-A")["items"]} == set(
        before[2].values()
    )
    # and once the controllers have looked again, nothing was restarted and every status is as it was
    cluster.eventually(lambda: same_as(cluster, before), "the cluster as it was before the restart")
    cluster.nodes_ready(nodes)

    # the controllers act again: a deleted pod is replaced, a new node gets its pod
    first = converged(cluster, "kube-system", SEED, nodes)
    victim = first[nodes[0]]["metadata"]["name"]
    cluster.out("delete", "pod", victim, "-n", "kube-system")
    cluster.eventually(
        lambda: converged(cluster, "kube-system", SEED, nodes)[nodes[0]]["metadata"]["name"] != victim,
        f"a replacement for {victim} after the restart",
    )
    (joined,) = cluster.create_nodes(1)
    try:
        cluster.eventually(
            lambda: converged(cluster, "kube-system", SEED, [*nodes, joined]), f"a pod on {joined}"
        )
    finally:
        cluster.kubectl("delete", "node", joined, "--ignore-not-found", check=False)
    cluster.eventually(lambda: converged(cluster, "kube-system", SEED, nodes), f"the pod of {joined} gone")
