"""Deployments end to end: `everynode up` as a subprocess, driven with the real kubectl.

One cluster for the module (3 simulated nodes); each scenario keeps to its own namespace. The rollout
path a user walks — apply, ``rollout status``, ``set image``, ``rollout history``, ``rollout undo`` — and
``kubectl scale`` and the progress deadline run with kubectl 1.27 and 1.33; ``rollout restart``,
``pause``/``resume`` and the ReplicaSet and StatefulSet scales run with PATH's kubectl. The behaviour
of record is upstream's: kubectl's own output (pkg/kubectl rollout, scale, set image) and the
Deployment controller's (pkg/controller/deployment: rolling.go, progress.go, sync.go, util).

Every step is done once, in a module-scoped fixture that records what kubectl printed and the objects
as they stood right after; the tests assert on those records, so each can run alone.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from everynode.core.types import Obj
from everynode.spawn.etcd import free_port
from tests import builders
from tests.builders import namespace
from tests.e2e.cluster import KUBECTL, Cluster, PodWatch, is_ready, summary, table
from tests.e2e.conftest import kubectl_binary
from tests.e2e.test_walkthrough import HASH, image

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed"),
]

VERSIONS = ["1.27", "1.33"]
NODES = ["node-1", "node-2", "node-3"]
NAME = "web"
REPLICAS, SURGE, UNAVAILABLE = 3, 1, 0
STRATEGY: Obj = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": SURGE, "maxUnavailable": UNAVAILABLE}}
IMAGE_1, IMAGE_2 = "registry.example/web:1", "registry.example/web:2"
CAUSE = "image 2, by hand"
# upstream's generated-name suffix: five characters of rand.SafeEncodeString's alphabet
SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
REVISION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    up = Cluster(tmp_path_factory.mktemp("deployments") / "data", free_port(), nodes=len(NODES))
    try:
        up.start()
        up.eventually(lambda: up.nodes_ready(NODES), "the 3 nodes of `up` Ready")
        yield up
    finally:
        up.stop()


# -- one kubectl binary against the cluster -----------------------------------------------------------


@dataclass(frozen=True)
class Kubectl:
    """``kubectl.<version>`` against the module's cluster, with a discovery cache of its own."""

    cluster: Cluster
    version: str
    binary: str

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cache = self.cluster.cache_dir.with_name(f"{self.cluster.cache_dir.name}-{self.version}")
        result = subprocess.run(
            [self.binary, "--kubeconfig", str(self.cluster.kubeconfig), "--cache-dir", str(cache), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl.{self.version} {' '.join(args)} exited with {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def out(self, *args: str, stdin: str | None = None) -> str:
        return self.run(*args, stdin=stdin).stdout

    def json(self, *args: str) -> Obj:
        found: Obj = json.loads(self.out(*args, "-o", "json"))
        return found

    def apply(self, *objects: Obj) -> str:
        return self.out(
            "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
        )

    def rollout_status(
        self, ns: str, name: str = NAME, timeout: str = "60s"
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            "rollout", "status", f"deployment/{name}", "-n", ns, f"--timeout={timeout}", check=False
        )


@pytest.fixture(scope="module", params=VERSIONS)
def kubectl(request: pytest.FixtureRequest, cluster: Cluster) -> Kubectl:
    version: str = request.param
    return Kubectl(cluster, version, kubectl_binary(version))


def path_kubectl(cluster: Cluster) -> Kubectl:
    """PATH's kubectl, for the scenarios run with one version only."""
    assert KUBECTL is not None
    return Kubectl(cluster, "path", KUBECTL)


def ns_for(prefix: str, k: Kubectl) -> str:
    return f"{prefix}-{k.version.replace('.', '-')}"


# -- manifests and reads ----------------------------------------------------------------------------


def deployment(
    ns: str,
    *,
    name: str = NAME,
    replicas: int = REPLICAS,
    image_name: str = IMAGE_1,
    pod_annotations: dict[str, str] | None = None,
    **spec: Any,
) -> Obj:
    return builders.deployment(
        name,
        namespace=ns,
        replicas=replicas,
        containers=[builders.container(NAME, image=image_name)],
        pod_annotations=pod_annotations,
        strategy=STRATEGY,
        **spec,
    )


def statefulset(name: str, ns: str) -> Obj:
    """A StatefulSet: a ReplicaSet's shape under another kind, with the service name it requires."""
    return {**builders.replicaset(name, namespace=ns, replicas=1, serviceName=name), "kind": "StatefulSet"}


@dataclass(frozen=True)
class State:
    """A Deployment and what it owns, read at one moment: its ReplicaSets by name, its live pods (not
    being deleted), and `kubectl get deploy` / `get rs` as tables."""

    deployment: Obj
    replicasets: dict[str, Obj]
    pods: list[Obj]
    deploy_rows: list[dict[str, str]]
    rs_rows: list[dict[str, str]]

    def replicaset_of(self, image_name: str) -> Obj:
        (found,) = [rs for rs in self.replicasets.values() if image(rs) == image_name]
        return found

    def scaled_up(self) -> dict[str, Obj]:
        return {name: rs for name, rs in self.replicasets.items() if rs["spec"]["replicas"] > 0}


def read(k: Kubectl, ns: str, name: str = NAME) -> State:
    deploy = k.json("get", "deployment", name, "-n", ns)
    uid = deploy["metadata"]["uid"]
    replicasets = {
        rs["metadata"]["name"]: rs
        for rs in k.json("get", "rs", "-n", ns)["items"]
        if any(ref["uid"] == uid for ref in rs["metadata"].get("ownerReferences") or ())
    }
    pods = [
        pod
        for pod in k.json("get", "pods", "-n", ns, "-l", f"app={name}")["items"]
        if not pod["metadata"].get("deletionTimestamp")
    ]
    return State(
        deploy,
        replicasets,
        pods,
        table(k.out("get", "deploy", "-n", ns)),
        table(k.out("get", "rs", "-n", ns)),
    )


def condition(deploy: Obj, kind: str) -> Obj:
    found = [c for c in deploy.get("status", {}).get("conditions") or () if c.get("type") == kind]
    assert len(found) == 1, deploy.get("status")
    cond: Obj = found[0]
    return cond


def reason(deploy: Obj, kind: str) -> tuple[str, str, str]:
    """The condition's (status, reason, message)."""
    cond = condition(deploy, kind)
    return cond["status"], cond.get("reason", ""), cond.get("message", "")


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1] if text.strip() else ""


def history(text: str, name: str = NAME) -> list[tuple[int, str]]:
    """`kubectl rollout history deployment/<name>` as (REVISION, CHANGE-CAUSE) rows."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].strip() == f"deployment.apps/{name}", text
    assert lines[1].split() == ["REVISION", "CHANGE-CAUSE"], text
    rows = [line.strip().split(None, 1) for line in lines[2:]]
    return [(int(revision), cause) for revision, cause in rows]


def owner(obj: Obj) -> tuple[str, str]:
    """The (kind, name) of ``obj``'s controller."""
    (ref,) = [ref for ref in obj["metadata"].get("ownerReferences") or () if ref.get("controller")]
    return ref["kind"], ref["name"]


def pods_of(rs: Obj, pods: list[Obj]) -> list[Obj]:
    return [pod for pod in pods if owner(pod) == ("ReplicaSet", rs["metadata"]["name"])]


def row(rows: list[dict[str, str]], name: str) -> dict[str, str]:
    (found,) = [r for r in rows if r["NAME"] == name]
    return found


def all_ready(state: State, count: int, image_name: str) -> None:
    """``count`` live pods, every one Ready and running ``image_name``."""
    assert len(state.pods) == count, summary(state.pods)
    assert all(map(is_ready, state.pods)), summary(state.pods)
    assert {image(pod) for pod in state.pods} == {image_name}, summary(state.pods)


# -- the surge and availability bounds, as a pod watch sees them ---------------------------------------


@dataclass
class Bounds:
    """Fed every state a pod watch sees. Arms itself once ``replicas`` pods are live (not being deleted)
    and Ready; from then on, more than ``replicas + surge`` live pods or fewer than
    ``replicas - unavailable`` Ready ones is a violation (upstream's rolling.go: NewRSNewReplicas caps
    the scale-up, reconcileOldReplicaSets keeps the minimum available). Pods being deleted count in
    neither bound, as upstream's ReplicaSets count only active pods."""

    replicas: int
    surge: int
    unavailable: int
    armed: bool = False
    most_live: int = 0
    fewest_ready: int = 1 << 30
    observations: int = 0
    violations: list[str] = field(default_factory=list)

    def __call__(self, pods: dict[str, Obj]) -> None:
        live = [pod for pod in pods.values() if not pod["metadata"].get("deletionTimestamp")]
        ready = sum(map(is_ready, live))
        if not self.armed:
            self.armed = len(live) == ready == self.replicas
            return
        self.observations += 1
        self.most_live = max(self.most_live, len(live))
        self.fewest_ready = min(self.fewest_ready, ready)
        if len(live) > self.replicas + self.surge or ready < self.replicas - self.unavailable:
            self.violations.append(f"{len(live)} live, {ready} Ready:\n{summary(pods.values())}")


def watch_bounds(cluster: Cluster, ns: str) -> tuple[PodWatch, Bounds]:
    bounds = Bounds(REPLICAS, SURGE, UNAVAILABLE)
    watch = PodWatch(cluster, ns, f"app={NAME}")
    watch.on_event = bounds

    def armed() -> bool:
        assert not watch.errors, watch.errors
        assert bounds.armed, f"{len(watch.events)} events; the pods now:\n{summary(watch.current())}"
        return True

    try:
        cluster.eventually(armed, f"the watch showing {REPLICAS} Ready pods")
    except BaseException:
        watch.stop()
        raise
    return watch, bounds


# -- 1. apply and rollout status ----------------------------------------------------------------------


@dataclass(frozen=True)
class FirstRollout:
    k: Kubectl
    ns: str
    applied: str
    status: subprocess.CompletedProcess[str]
    state: State


@pytest.fixture(scope="module")
def first_rollout(kubectl: Kubectl) -> FirstRollout:
    """`kubectl apply` of a 3-replica Deployment (maxSurge 1, maxUnavailable 0), then `rollout status`."""
    ns = ns_for("rollout", kubectl)
    applied = kubectl.apply(namespace(ns), deployment(ns))
    status = kubectl.rollout_status(ns)
    return FirstRollout(kubectl, ns, applied, status, read(kubectl, ns))


def test_apply_then_rollout_status_get_deploy_rs_and_pods(first_rollout: FirstRollout) -> None:
    ns, state = first_rollout.ns, first_rollout.state
    assert first_rollout.applied == f"namespace/{ns} created\ndeployment.apps/{NAME} created\n"
    status = first_rollout.status
    assert status.returncode == 0, status
    assert last_line(status.stdout) == f'deployment "{NAME}" successfully rolled out', status.stdout

    assert list(state.deploy_rows[0]) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    deploy_row = row(state.deploy_rows, NAME)
    assert (deploy_row["READY"], deploy_row["UP-TO-DATE"], deploy_row["AVAILABLE"]) == ("3/3", "3", "3")

    (rs_name,) = state.replicasets
    pod_hash = rs_name.removeprefix(f"{NAME}-")
    assert HASH.match(pod_hash), rs_name
    assert list(state.rs_rows[0]) == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    rs_row = row(state.rs_rows, rs_name)
    assert (rs_row["DESIRED"], rs_row["CURRENT"], rs_row["READY"]) == ("3", "3", "3")

    rs = state.replicasets[rs_name]
    assert owner(rs) == ("Deployment", NAME)
    assert rs["metadata"]["labels"] == {"app": NAME, "pod-template-hash": pod_hash}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": NAME, "pod-template-hash": pod_hash}}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": NAME, "pod-template-hash": pod_hash}
    annotations = rs["metadata"]["annotations"]
    assert {key: annotations.get(key) for key in (REVISION, "deployment.kubernetes.io/desired-replicas")} == {
        REVISION: "1",
        "deployment.kubernetes.io/desired-replicas": str(REPLICAS),
    }
    assert annotations["deployment.kubernetes.io/max-replicas"] == str(REPLICAS + SURGE)

    all_ready(state, REPLICAS, IMAGE_1)
    for pod in state.pods:
        assert re.fullmatch(rf"{rs_name}-{SUFFIX}", pod["metadata"]["name"]), pod["metadata"]["name"]
        assert owner(pod) == ("ReplicaSet", rs_name)
        assert pod["metadata"]["labels"] == {"app": NAME, "pod-template-hash": pod_hash}
    assert len({pod["spec"]["nodeName"] for pod in state.pods}) >= 1

    deploy = state.deployment
    assert deploy["metadata"]["annotations"][REVISION] == "1"
    counts = {key: deploy["status"].get(key) for key in ("replicas", "updatedReplicas", "readyReplicas")}
    assert counts == {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3}, deploy["status"]
    assert deploy["status"].get("availableReplicas") == 3
    assert not deploy["status"].get("unavailableReplicas")
    assert deploy["status"]["observedGeneration"] == deploy["metadata"]["generation"]
    assert reason(deploy, "Available") == (
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    assert reason(deploy, "Progressing") == (
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{rs_name}" has successfully progressed.',
    )


# -- 2. set image: a rolling update within maxSurge/maxUnavailable; rollout history -----------------------


@dataclass(frozen=True)
class ImageUpdate:
    first: FirstRollout
    set_image: str
    status: subprocess.CompletedProcess[str]
    bounds: Bounds
    deleted: set[str]  # uids the watch saw deleted
    history: str
    history_with_cause: str
    revision_1: str
    revision_2: str
    state: State


@pytest.fixture(scope="module")
def image_update(cluster: Cluster, first_rollout: FirstRollout) -> ImageUpdate:
    """`kubectl set image` under a pod watch, `rollout status`, `rollout history` (and again once the
    deployment carries a kubernetes.io/change-cause, which the controller copies to its new
    ReplicaSet), and `history --revision=1|2`."""
    k, ns = first_rollout.k, first_rollout.ns
    watch, bounds = watch_bounds(cluster, ns)
    try:
        set_image = k.out("set", "image", f"deployment/{NAME}", f"{NAME}={IMAGE_2}", "-n", ns)
        status = k.rollout_status(ns)

        def settled() -> bool:
            assert not watch.errors, watch.errors
            pods = watch.current()
            assert len(pods) == REPLICAS, summary(pods)  # the old ones deleted, not only terminating
            assert all(is_ready(pod) and image(pod) == IMAGE_2 for pod in pods), summary(pods)
            return True

        cluster.eventually(settled, f"the watch showing {REPLICAS} Ready pods of {IMAGE_2} and no others")
    finally:
        watch.stop()
    deleted = {pod["metadata"]["uid"] for kind, pod in watch.events if kind == "DELETED"}
    before = k.out("rollout", "history", f"deployment/{NAME}", "-n", ns)
    k.out("annotate", f"deployment/{NAME}", f"kubernetes.io/change-cause={CAUSE}", "-n", ns)

    def with_cause() -> str:
        out = k.out("rollout", "history", f"deployment/{NAME}", "-n", ns)
        assert CAUSE in out, out
        return out

    after = cluster.eventually(with_cause, "rollout history showing the change cause")
    revision_1, revision_2 = (
        k.out("rollout", "history", f"deployment/{NAME}", "-n", ns, f"--revision={n}") for n in (1, 2)
    )
    return ImageUpdate(
        first_rollout, set_image, status, bounds, deleted, before, after, revision_1, revision_2, read(k, ns)
    )


def test_set_image_rolls_within_max_surge_and_max_unavailable(image_update: ImageUpdate) -> None:
    assert image_update.set_image == f"deployment.apps/{NAME} image updated\n"
    status = image_update.status
    assert status.returncode == 0, status
    assert last_line(status.stdout) == f'deployment "{NAME}" successfully rolled out', status.stdout

    bounds = image_update.bounds
    assert not bounds.violations, "\n".join(bounds.violations[:3])
    assert bounds.observations > 0
    # with maxUnavailable 0 the rollout has to surge, and never loses a Ready pod
    assert (bounds.most_live, bounds.fewest_ready) == (REPLICAS + SURGE, REPLICAS), bounds
    old_uids = {pod["metadata"]["uid"] for pod in image_update.first.state.pods}
    assert old_uids <= image_update.deleted

    state = image_update.state
    all_ready(state, REPLICAS, IMAGE_2)
    old, new = state.replicaset_of(IMAGE_1), state.replicaset_of(IMAGE_2)
    assert old["metadata"]["name"] in image_update.first.state.replicasets
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (0, REPLICAS)
    assert (old["metadata"]["annotations"][REVISION], new["metadata"]["annotations"][REVISION]) == ("1", "2")
    assert {owner(pod) for pod in state.pods} == {("ReplicaSet", new["metadata"]["name"])}
    assert state.deployment["metadata"]["annotations"][REVISION] == "2"
    deploy_row = row(state.deploy_rows, NAME)
    assert (deploy_row["READY"], deploy_row["UP-TO-DATE"], deploy_row["AVAILABLE"]) == ("3/3", "3", "3")
    rows = {r["NAME"]: (r["DESIRED"], r["CURRENT"], r["READY"]) for r in state.rs_rows}
    assert rows == {old["metadata"]["name"]: ("0", "0", "0"), new["metadata"]["name"]: ("3", "3", "3")}


def test_rollout_history_lists_both_revisions_and_shows_each_template(image_update: ImageUpdate) -> None:
    assert history(image_update.history) == [(1, "<none>"), (2, "<none>")]
    # kubernetes.io/change-cause on the Deployment is copied to its current ReplicaSet only
    assert history(image_update.history_with_cause) == [(1, "<none>"), (2, CAUSE)]

    old = image_update.state.replicaset_of(IMAGE_1)["metadata"]["labels"]["pod-template-hash"]
    for revision, text, image_name, pod_hash in (
        (1, image_update.revision_1, IMAGE_1, old),
        (
            2,
            image_update.revision_2,
            IMAGE_2,
            image_update.state.replicaset_of(IMAGE_2)["metadata"]["labels"]["pod-template-hash"],
        ),
    ):
        lines = [line.rstrip() for line in text.splitlines()]
        assert lines[0] == f"deployment.apps/{NAME} with revision #{revision}", text
        assert "Pod Template:" in lines, text
        assert any(re.fullmatch(rf"\s+Image:\s+{re.escape(image_name)}", line) for line in lines), text
        assert any(re.fullmatch(rf"\s+pod-template-hash={pod_hash}", line) for line in lines), text
    assert IMAGE_2 not in image_update.revision_1


# -- 3. rollout undo ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undo:
    update: ImageUpdate
    out: str
    status: subprocess.CompletedProcess[str]
    history: str
    state: State


@pytest.fixture(scope="module")
def undo(image_update: ImageUpdate) -> Undo:
    k, ns = image_update.first.k, image_update.first.ns
    out = k.out("rollout", "undo", f"deployment/{NAME}", "-n", ns)
    status = k.rollout_status(ns)
    return Undo(
        image_update, out, status, k.out("rollout", "history", f"deployment/{NAME}", "-n", ns), read(k, ns)
    )


def test_rollout_undo_brings_back_the_first_image_as_revision_3(undo: Undo) -> None:
    assert undo.out == f"deployment.apps/{NAME} rolled back\n"
    assert undo.status.returncode == 0, undo.status
    assert last_line(undo.status.stdout) == f'deployment "{NAME}" successfully rolled out', undo.status.stdout
    # revision 1 became 3; the change cause went with revision 2's template
    assert history(undo.history) == [(2, CAUSE), (3, "<none>")]

    state = undo.state
    assert image(state.deployment) == IMAGE_1
    assert state.deployment["metadata"]["annotations"][REVISION] == "3"
    assert "kubernetes.io/change-cause" not in state.deployment["metadata"]["annotations"]
    first = undo.update.first.state.replicasets
    back = state.replicaset_of(IMAGE_1)
    assert back["metadata"]["name"] in first, "the first ReplicaSet is reused, not a new one made"
    assert back["metadata"]["annotations"][REVISION] == "3"
    assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert len(state.replicasets) == 2
    assert list(state.scaled_up()) == [back["metadata"]["name"]]
    all_ready(state, REPLICAS, IMAGE_1)
    assert {owner(pod) for pod in state.pods} == {("ReplicaSet", back["metadata"]["name"])}
    assert reason(state.deployment, "Progressing")[:2] == ("True", "NewReplicaSetAvailable")


# -- 4. rollout restart ---------------------------------------------------------------------------------


def test_rollout_restart_makes_a_new_replicaset_and_replaces_every_pod(cluster: Cluster) -> None:
    k, ns = path_kubectl(cluster), "restart"
    k.apply(namespace(ns), deployment(ns, replicas=2))
    assert k.rollout_status(ns).returncode == 0
    before = read(k, ns)
    all_ready(before, 2, IMAGE_1)

    assert (
        k.out("rollout", "restart", f"deployment/{NAME}", "-n", ns) == f"deployment.apps/{NAME} restarted\n"
    )
    status = k.rollout_status(ns)
    assert status.returncode == 0, status
    assert last_line(status.stdout) == f'deployment "{NAME}" successfully rolled out'

    after = read(k, ns)
    restarted_at = after.deployment["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
    assert RFC3339.match(restarted_at), restarted_at
    (new_name,) = after.scaled_up()
    assert new_name not in before.replicasets
    new = after.replicasets[new_name]
    assert new["spec"]["template"]["metadata"]["annotations"] == {RESTARTED_AT: restarted_at}
    assert new["metadata"]["annotations"][REVISION] == "2"
    (old_name,) = before.replicasets
    assert after.replicasets[old_name]["spec"]["replicas"] == 0
    all_ready(after, 2, IMAGE_1)
    assert {owner(pod) for pod in after.pods} == {("ReplicaSet", new_name)}
    old_uids = {pod["metadata"]["uid"] for pod in before.pods}
    assert not old_uids & {pod["metadata"]["uid"] for pod in after.pods}


# -- 5. kubectl scale -------------------------------------------------------------------------------------


def test_scale_deployment_up_and_down_pods_follow(cluster: Cluster, kubectl: Kubectl) -> None:
    k, ns = kubectl, ns_for("scale", kubectl)
    k.apply(namespace(ns), deployment(ns, replicas=2))
    assert k.rollout_status(ns).returncode == 0
    (rs_name,) = read(k, ns).replicasets

    for replicas in (5, 1):
        out = k.out("scale", f"deployment/{NAME}", f"--replicas={replicas}", "-n", ns)
        assert out == f"deployment.apps/{NAME} scaled\n"

        def scaled(replicas: int = replicas) -> State:
            state = read(k, ns)
            all_ready(state, replicas, IMAGE_1)
            deploy_row = row(state.deploy_rows, NAME)
            expected = (f"{replicas}/{replicas}", str(replicas), str(replicas))
            assert (deploy_row["READY"], deploy_row["UP-TO-DATE"], deploy_row["AVAILABLE"]) == expected
            rs_row = row(state.rs_rows, rs_name)
            assert (rs_row["DESIRED"], rs_row["CURRENT"], rs_row["READY"]) == (str(replicas),) * 3
            return state

        state = cluster.eventually(scaled, f"{replicas} Ready pods after `kubectl scale`")
        assert list(state.replicasets) == [rs_name], "scaling makes no new ReplicaSet"
        assert state.deployment["metadata"]["annotations"][REVISION] == "1"
        assert state.replicasets[rs_name]["metadata"]["annotations"][
            "deployment.kubernetes.io/desired-replicas"
        ] == str(replicas)

    scale = k.json("get", "deployment", NAME, "-n", ns, "--subresource=scale")
    assert (scale["apiVersion"], scale["kind"]) == ("autoscaling/v1", "Scale")
    assert scale["spec"] == {"replicas": 1}
    assert scale["status"] == {"replicas": 1, "selector": f"app={NAME}"}


def test_scale_an_orphan_replicaset_and_a_statefulset(cluster: Cluster) -> None:
    k, ns = path_kubectl(cluster), "scale-others"
    k.apply(namespace(ns), builders.replicaset("lone", namespace=ns, replicas=1), statefulset("db", ns))

    assert k.out("scale", "rs", "lone", "--replicas=3", "-n", ns) == "replicaset.apps/lone scaled\n"

    def lone_pods(count: int) -> list[Obj]:
        pods = [
            p
            for p in k.json("get", "pods", "-n", ns, "-l", "app=lone")["items"]
            if not p["metadata"].get("deletionTimestamp")
        ]
        assert len(pods) == count, summary(pods)
        assert all(map(is_ready, pods)), summary(pods)
        assert {owner(pod) for pod in pods} == {("ReplicaSet", "lone")}
        rs_row = row(table(k.out("get", "rs", "lone", "-n", ns)), "lone")
        assert (rs_row["DESIRED"], rs_row["CURRENT"], rs_row["READY"]) == (str(count),) * 3
        return pods

    cluster.eventually(lambda: lone_pods(3), "the orphan ReplicaSet's 3 Ready pods")

    refused = k.run("scale", "rs", "lone", "--current-replicas=2", "--replicas=1", "-n", ns, check=False)
    assert refused.returncode == 1, refused
    assert refused.stderr.strip() == "error: Expected replicas to be 2, was 3", refused.stderr
    assert k.json("get", "rs", "lone", "-n", ns)["spec"]["replicas"] == 3

    out = k.out("scale", "rs", "lone", "--current-replicas=3", "--replicas=1", "-n", ns)
    assert out == "replicaset.apps/lone scaled\n"
    cluster.eventually(lambda: lone_pods(1), "the orphan ReplicaSet down to 1 Ready pod")

    # StatefulSets are served, not reconciled: only the spec changes
    assert k.out("scale", "statefulset", "db", "--replicas=2", "-n", ns) == "statefulset.apps/db scaled\n"
    sts = k.json("get", "statefulset", "db", "-n", ns)
    assert (sts["spec"]["replicas"], sts["metadata"]["generation"]) == (2, 2)
    assert k.json("get", "statefulset", "db", "-n", ns, "--subresource=scale")["spec"] == {"replicas": 2}


def test_get_subresource_scale_prints_desired_and_available(cluster: Cluster) -> None:
    k, ns = path_kubectl(cluster), "scale-table"
    k.apply(namespace(ns), deployment(ns, replicas=1))
    assert k.rollout_status(ns).returncode == 0
    rows = table(k.out("get", "deployment", NAME, "-n", ns, "--subresource=scale"))
    assert list(rows[0]) == ["NAME", "DESIRED", "AVAILABLE", "AGE"], rows
    assert (rows[0]["NAME"], rows[0]["DESIRED"], rows[0]["AVAILABLE"]) == (NAME, "1", "1")


# -- 6. rollout pause / resume ------------------------------------------------------------------------


def test_paused_deployment_does_not_roll_an_image_change_until_resumed(cluster: Cluster) -> None:
    k, ns = path_kubectl(cluster), "pause"
    k.apply(namespace(ns), deployment(ns, replicas=2))
    assert k.rollout_status(ns).returncode == 0
    (first,) = read(k, ns).replicasets

    assert k.out("rollout", "pause", f"deployment/{NAME}", "-n", ns) == f"deployment.apps/{NAME} paused\n"

    def paused() -> Obj:
        deploy = k.json("get", "deployment", NAME, "-n", ns)
        assert reason(deploy, "Progressing") == ("Unknown", "DeploymentPaused", "Deployment is paused"), (
            deploy
        )
        return deploy

    cluster.eventually(paused, "the Progressing condition DeploymentPaused")
    out = k.out("set", "image", f"deployment/{NAME}", f"{NAME}={IMAGE_2}", "-n", ns)
    assert out == f"deployment.apps/{NAME} image updated\n"

    def seen() -> bool:
        deploy = paused()
        return bool(deploy["status"]["observedGeneration"] == deploy["metadata"]["generation"])

    cluster.eventually(seen, "the controller observing the paused Deployment's new template")

    def not_rolled() -> None:
        state = read(k, ns)
        assert list(state.replicasets) == [first], list(state.replicasets)
        all_ready(state, 2, IMAGE_1)
        deploy_row = row(state.deploy_rows, NAME)
        assert (deploy_row["READY"], deploy_row["UP-TO-DATE"], deploy_row["AVAILABLE"]) == ("2/2", "0", "2")
        assert reason(state.deployment, "Progressing")[1] == "DeploymentPaused"

    cluster.consistently(not_rolled, "the paused Deployment not rolling")

    assert k.out("rollout", "resume", f"deployment/{NAME}", "-n", ns) == f"deployment.apps/{NAME} resumed\n"
    status = k.rollout_status(ns)
    assert status.returncode == 0, status
    assert last_line(status.stdout) == f'deployment "{NAME}" successfully rolled out'
    state = read(k, ns)
    new = state.replicaset_of(IMAGE_2)
    assert new["metadata"]["name"] != first
    assert new["metadata"]["annotations"][REVISION] == "2"
    all_ready(state, 2, IMAGE_2)
    assert reason(state.deployment, "Progressing") == (
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{new["metadata"]["name"]}" has successfully progressed.',
    )


# -- 7. the progress deadline -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stuck(cluster: Cluster) -> str:
    """A Deployment whose pods never become Ready (the simulator's ``sim.everynode.io/ready: never``),
    with a 5 s progress deadline: its namespace."""
    ns = "deadline"
    path_kubectl(cluster).apply(
        namespace(ns),
        deployment(
            ns,
            name="stuck",
            replicas=1,
            pod_annotations={"sim.everynode.io/ready": "never"},
            progressDeadlineSeconds=5,
        ),
    )
    return ns


def test_rollout_status_fails_once_the_progress_deadline_is_exceeded(stuck: str, kubectl: Kubectl) -> None:
    status = kubectl.rollout_status(stuck, "stuck", timeout="40s")
    assert status.returncode == 1, status
    assert last_line(status.stderr) == 'error: deployment "stuck" exceeded its progress deadline', (
        status.stderr
    )

    state = read(kubectl, stuck, "stuck")
    (rs_name,) = state.replicasets
    assert reason(state.deployment, "Progressing") == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{rs_name}" has timed out progressing.',
    )
    assert reason(state.deployment, "Available") == (
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
    )
    deploy_row = row(state.deploy_rows, "stuck")
    assert (deploy_row["READY"], deploy_row["UP-TO-DATE"], deploy_row["AVAILABLE"]) == ("0/1", "1", "0")
    (pod,) = state.pods
    assert pod["status"]["phase"] == "Running", summary(state.pods)
    assert not is_ready(pod), summary(state.pods)
