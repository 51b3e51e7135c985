"""`everynode controller-manager` as a user runs it: a subprocess against a live API server.

The cluster is driven and checked with the official ``kubernetes`` client and the real ``kubectl``;
the only everynode imports are the ``everynode.testing`` helpers. There is no scheduler or kubelet,
so daemon pods stay unbound and Pending (and are deleted at once).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from everynode.spawn.apiserver import ApiServerProcess
from everynode.spawn.stop import stop_process
from everynode.testing.kubectl import kubectl_path
from tests.polling import poll_until

EVERYNODE = [sys.executable, "-m", "everynode"]
KUBECTL = kubectl_path()
DEADLINE = 15.0  # seconds, for anything awaited
LEASE_NAMESPACE, LEASE_NAME = "kube-system", "everynode-controller-manager"
FAST_ELECTION = (
    "--leader-elect",
    "--leader-elect-lease-duration",
    "2",
    "--leader-elect-renew-deadline",
    "1.5",
    "--leader-elect-retry-period",
    "0.2",
)
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
IDENTITY = re.compile(f"^{re.escape(socket.gethostname())}_{UUID}$")
ATTEMPTING = re.compile(rf"attempting to acquire leader lease {LEASE_NAMESPACE}/{LEASE_NAME} as (\S+)")
T = TypeVar("T")


class ControllerManager:
    """One `everynode controller-manager` child process, its stdout and stderr in a log file."""

    def __init__(self, kubeconfig: Path, log_path: Path, *args: str) -> None:
        self.log_path = log_path
        self._log: BinaryIO = open(log_path, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*EVERYNODE, "controller-manager", "--kubeconfig", str(kubeconfig), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def identity(self) -> str | None:
        """The leader-election identity this process announced in its log, once it has."""
        found = ATTEMPTING.search(self.logs())
        return found.group(1) if found else None

    def assert_running(self) -> None:
        code = self.process.poll()
        assert code is None, f"the controller-manager exited with {code}:\n{self.logs()[-5000:]}"

    def terminate(self, *, within: float = DEADLINE) -> int:
        """SIGTERM, and the exit status (which must come within ``within`` seconds)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(within)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"no exit {within} s after SIGTERM:\n{self.logs()[-5000:]}") from None

    def close(self) -> None:
        stop_process(self.process, grace=5)
        self._log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ApiServerProcess]:
    """A fresh API server on SQLite: the controllers see every node, so each test has its own."""
    with ApiServerProcess(
        f"sqlite:///{tmp_path}/state.db", extra_args=("--bookmark-interval", "1")
    ) as process:
        yield process


@pytest.fixture
def kubeconfig(server: ApiServerProcess, tmp_path: Path) -> Path:
    return server.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def api(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    yield api_client
    api_client.close()


@pytest.fixture
def start(kubeconfig: Path, tmp_path: Path) -> Iterator[Callable[..., ControllerManager]]:
    """Starts controller-managers; every one is stopped (SIGTERM, then SIGKILL) when the test ends."""
    started: list[ControllerManager] = []

    def start_one(*args: str) -> ControllerManager:
        manager = ControllerManager(kubeconfig, tmp_path / f"controller-manager-{len(started)}.log", *args)
        started.append(manager)
        return manager

    yield start_one
    for manager in started:
        manager.close()


def eventually(
    check: Callable[[], T | None],
    *,
    what: str,
    within: float = DEADLINE,
    managers: tuple[ControllerManager, ...] = (),
) -> T:
    """``check()``'s first truthy result; at the deadline, fail with the managers' log tails."""
    return poll_until(
        check,
        what=what,
        within=within,
        diagnostics=lambda: "".join(f"\n--- {m.log_path.name}:\n{m.logs()[-3000:]}" for m in managers),
    )


def create_namespace(core: client.CoreV1Api) -> str:
    name = f"cm-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def create_node(core: client.CoreV1Api, name: str) -> None:
    core.create_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})


def create_daemonset(apps: client.AppsV1Api, namespace: str, name: str) -> Any:
    labels = {"app": name}
    body = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9"}]},
            },
        },
    }
    return apps.create_namespaced_daemon_set(namespace, body)


def pinned_node(pod: Any) -> str:
    """The node a daemon pod is pinned to by its required node affinity on ``metadata.name``."""
    affinity = pod.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution
    field = affinity.node_selector_terms[0].match_fields[0]
    assert (field.key, field.operator, len(field.values)) == ("metadata.name", "In", 1)
    return str(field.values[0])


def pods_by_node(core: client.CoreV1Api, namespace: str, nodes: set[str]) -> dict[str, Any] | None:
    """The live pods, one per node in ``nodes`` exactly; None while it is not so (yet)."""
    pods = [p for p in core.list_namespaced_pod(namespace).items if p.metadata.deletion_timestamp is None]
    by_node = {pinned_node(pod): pod for pod in pods}
    if len(pods) != len(nodes) or set(by_node) != nodes:
        return None
    return by_node


def daemonset_status(apps: client.AppsV1Api, namespace: str, name: str) -> tuple[int, ...]:
    status = apps.read_namespaced_daemon_set(name, namespace).status
    return (
        status.desired_number_scheduled,
        status.current_number_scheduled,
        status.updated_number_scheduled,
        status.number_misscheduled,
        status.observed_generation or 0,
    )


def read_lease(coordination: client.CoordinationV1Api) -> Any | None:
    try:
        return coordination.read_namespaced_lease(LEASE_NAME, LEASE_NAMESPACE)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def holder(coordination: client.CoordinationV1Api) -> str:
    lease = read_lease(coordination)
    return (lease.spec.holder_identity or "") if lease is not None else ""


def kubectl(kubeconfig: Path, *args: str) -> str:
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(kubeconfig.parent / "cache"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_revision(apps: client.AppsV1Api, namespace: str, ds: Any) -> str:
    """The DaemonSet's one ControllerRevision is revision 1, owned by it; its hash is returned."""
    revisions = apps.list_namespaced_controller_revision(namespace).items
    assert [revision.revision for revision in revisions] == [1]
    meta = revisions[0].metadata
    revision_hash: str = meta.labels["controller-revision-hash"]
    assert meta.name == f"{ds.metadata.name}-{revision_hash}"
    owner = meta.owner_references[0]
    assert (owner.kind, owner.name, owner.uid, owner.controller) == (
        "DaemonSet",
        ds.metadata.name,
        ds.metadata.uid,
        True,
    )
    return revision_hash


def check_daemon_pod(pod: Any, ds: Any, revision_hash: str) -> None:
    """What the DaemonSet controller puts on every pod it creates (from the first template)."""
    meta, ds_name = pod.metadata, ds.metadata.name
    assert meta.generate_name == f"{ds_name}-", meta
    assert meta.name.startswith(f"{ds_name}-"), meta.name
    assert len(meta.name) > len(ds_name) + 1, meta.name
    assert meta.labels == {
        "app": ds_name,
        "controller-revision-hash": revision_hash,
        "pod-template-generation": "1",
    }
    controllers = [ref for ref in meta.owner_references or [] if ref.controller]
    assert len(controllers) == 1, meta.owner_references
    owner = controllers[0]
    assert (owner.api_version, owner.kind, owner.name, owner.uid, owner.block_owner_deletion) == (
        "apps/v1",
        "DaemonSet",
        ds_name,
        ds.metadata.uid,
        True,
    )
    assert pod.spec.node_name is None, f"{meta.name} is bound, but there is no scheduler"
    assert pod.status.phase == "Pending"


def created_pod_messages(core: client.CoreV1Api, namespace: str, ds_name: str) -> set[str]:
    """The messages of the SuccessfulCreate events recorded for the DaemonSet."""
    return {
        event.message
        for event in core.list_namespaced_event(namespace).items
        if (event.involved_object.kind, event.involved_object.name, event.reason, event.type)
        == ("DaemonSet", ds_name, "SuccessfulCreate", "Normal")
    }


def test_runs_the_daemonset_controller_until_sigterm(
    start: Callable[..., ControllerManager], api: client.ApiClient, kubeconfig: Path
) -> None:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    manager = start("--controllers", "daemonset", "--workers", "2")
    namespace = create_namespace(core)
    suffix = uuid.uuid4().hex[:6]
    nodes = {f"node-{suffix}-{i}" for i in range(3)}
    for name in sorted(nodes):
        create_node(core, name)
    ds_name = f"agent-{suffix}"
    ds = create_daemonset(apps, namespace, ds_name)

    # One pod per node, pinned to it by node affinity, and the status counts them.
    eventually(
        lambda: daemonset_status(apps, namespace, ds_name) == (3, 3, 3, 0, 1),
        what="DaemonSet status desired=current=updated=3, observedGeneration=1",
        managers=(manager,),
    )
    pods = eventually(
        lambda: pods_by_node(core, namespace, nodes), what="one pod on each of 3 nodes", managers=(manager,)
    )
    revision_hash = check_revision(apps, namespace, ds)
    for pod in pods.values():
        check_daemon_pod(pod, ds, revision_hash)
    assert apps.read_namespaced_daemon_set(ds_name, namespace).status.number_ready == 0

    # kubectl shows the same counts.
    lines = kubectl(kubeconfig, "get", "ds", "-n", namespace).splitlines()
    header = lines[0].split()
    rows = [dict(zip(header, line.split(), strict=False)) for line in lines[1:]]
    assert [(row["NAME"], row["DESIRED"], row["CURRENT"]) for row in rows] == [(ds_name, "3", "3")], lines

    # A SuccessfulCreate event on the DaemonSet for every pod it created.
    expected = {f"Created pod: {pod.metadata.name}" for pod in pods.values()}
    eventually(
        lambda: created_pod_messages(core, namespace, ds_name) >= expected,
        what=f"the events {sorted(expected)}",
        managers=(manager,),
    )
    assert created_pod_messages(core, namespace, ds_name) == expected

    # A fourth node gets a fourth pod.
    fourth = f"node-{suffix}-3"
    create_node(core, fourth)
    nodes.add(fourth)
    pods = eventually(
        lambda: pods_by_node(core, namespace, nodes), what="a pod on the 4th node", managers=(manager,)
    )
    check_daemon_pod(pods[fourth], ds, revision_hash)
    eventually(
        lambda: daemonset_status(apps, namespace, ds_name) == (4, 4, 4, 0, 1),
        what="DaemonSet status counting 4 nodes",
        managers=(manager,),
    )

    # A deleted pod is replaced, under a new name, on the same node; the others stay.
    victim = pods[fourth].metadata.name
    core.delete_namespaced_pod(victim, namespace)
    replaced = eventually(
        lambda: (
            (found := pods_by_node(core, namespace, nodes))
            and found[fourth].metadata.name != victim
            and found
        ),
        what=f"a replacement for the deleted pod {victim}",
        managers=(manager,),
    )
    check_daemon_pod(replaced[fourth], ds, revision_hash)
    assert {node: pod.metadata.uid for node, pod in replaced.items() if node != fourth} == {
        node: pod.metadata.uid for node, pod in pods.items() if node != fourth
    }

    manager.assert_running()
    assert manager.terminate() == 0
    assert "Traceback" not in manager.logs()


def test_leader_election_hands_over_when_the_leader_stops(
    start: Callable[..., ControllerManager], api: client.ApiClient
) -> None:
    core, apps, coordination = client.CoreV1Api(api), client.AppsV1Api(api), client.CoordinationV1Api(api)
    candidates = (start(*FAST_ELECTION), start(*FAST_ELECTION))
    identities = [
        eventually(m.identity, what="the candidate announcing its identity", managers=(m,))
        for m in candidates
    ]
    assert all(IDENTITY.match(identity) for identity in identities), identities
    assert identities[0] != identities[1]

    # Exactly one holds the Lease, and keeps renewing it.
    first_holder = eventually(lambda: holder(coordination), what="a Lease holder", managers=candidates)
    assert first_holder in identities
    leader_index = identities.index(first_holder)
    leader, follower = candidates[leader_index], candidates[1 - leader_index]
    renewed = read_lease(coordination).spec.renew_time
    eventually(
        lambda: (
            (lease := read_lease(coordination)).spec.renew_time > renewed
            and lease.spec.holder_identity == first_holder
        ),
        what="the leader renewing the Lease",
        managers=candidates,
    )
    lease = read_lease(coordination)
    assert lease.spec.lease_duration_seconds == 2
    assert lease.spec.lease_transitions == 0

    # The leader's controllers act.
    namespace = create_namespace(core)
    suffix = uuid.uuid4().hex[:6]
    nodes = {f"node-{suffix}-{i}" for i in range(2)}
    for name in sorted(nodes):
        create_node(core, name)
    ds_name = f"agent-{suffix}"
    create_daemonset(apps, namespace, ds_name)
    eventually(lambda: pods_by_node(core, namespace, nodes), what="a pod on each node", managers=candidates)
    assert "starting controllers" in leader.logs()
    assert "starting controllers" not in follower.logs(), follower.logs()
    assert holder(coordination) == first_holder

    # SIGTERM the leader: it exits 0 and releases the Lease, and the other takes over at once.
    assert leader.terminate() == 0
    assert holder(coordination) != first_holder, "the stopped leader did not release the Lease"
    second_holder = eventually(
        lambda: (name := holder(coordination)) and name != first_holder and name,
        what="the other candidate taking the Lease over",
        managers=candidates,
    )
    assert second_holder == identities[1 - leader_index]
    assert read_lease(coordination).spec.lease_transitions == 1
    follower.assert_running()

    # The new leader's controllers act: a new node gets its pod.
    third = f"node-{suffix}-2"
    create_node(core, third)
    nodes.add(third)
    eventually(
        lambda: pods_by_node(core, namespace, nodes), what="a pod on the new node", managers=(follower,)
    )
    eventually(
        lambda: daemonset_status(apps, namespace, ds_name)[:3] == (3, 3, 3),
        what="DaemonSet status counting 3 nodes",
        managers=(follower,),
    )

    # SIGTERM the last one: it exits 0 and releases the Lease.
    assert follower.terminate() == 0
    lease = read_lease(coordination)
    assert not lease.spec.holder_identity, lease.spec
    assert lease.spec.lease_transitions == 1
    for manager in candidates:
        assert "Traceback" not in manager.logs(), manager.logs()


def test_a_standby_stops_cleanly_a_killed_leader_is_replaced_and_a_cut_off_leader_exits_1(
    start: Callable[..., ControllerManager], api: client.ApiClient, server: ApiServerProcess
) -> None:
    core, coordination = client.CoreV1Api(api), client.CoordinationV1Api(api)
    candidates = [start(*FAST_ELECTION) for _ in range(3)]
    by_identity = {eventually(m.identity, what="an identity", managers=(m,)): m for m in candidates}
    first_holder = eventually(lambda: holder(coordination), what="a Lease holder", managers=tuple(candidates))
    leader = by_identity.pop(first_holder)
    (standby_identity, standby), (follower_identity, follower) = sorted(by_identity.items())

    # SIGTERM a candidate that does not lead: it exits 0 and leaves the Lease alone.
    assert standby.terminate() == 0
    assert "starting controllers" not in standby.logs(), standby.logs()
    assert standby_identity not in {holder(coordination), first_holder}
    lease = read_lease(coordination)
    assert (lease.spec.holder_identity, lease.spec.lease_transitions) == (first_holder, 0)

    # SIGKILL the leader: nothing releases the Lease, so the other waits until it expires, then takes it.
    leader.process.kill()
    leader.process.wait(DEADLINE)
    killed_at = time.monotonic()
    eventually(
        lambda: holder(coordination) == follower_identity,
        what="the remaining candidate taking the expired Lease over",
        managers=(follower,),
    )
    assert time.monotonic() - killed_at > 1.0, "the Lease was taken over before it could have expired"
    assert read_lease(coordination).spec.lease_transitions == 1

    namespace = create_namespace(core)
    node = f"node-{uuid.uuid4().hex[:6]}"
    create_node(core, node)
    create_daemonset(client.AppsV1Api(api), namespace, "agent")
    eventually(
        lambda: pods_by_node(core, namespace, {node}), what="the pod on the node", managers=(follower,)
    )

    # The API server goes away: the leader cannot renew within the renew deadline, and exits 1.
    server.stop()
    try:
        code = follower.process.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"the leader kept running without its Lease:\n{follower.logs()[-5000:]}"
        ) from None
    assert code == 1, follower.logs()[-5000:]
    assert "leader election lost" in follower.logs()


def write_kubeconfig(path: Path, server: str) -> Path:
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    path.write_text(json.dumps(document))  # JSON is YAML
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kubeconfig", "/nonexistent"], "cannot read kubeconfig /nonexistent"),
        (["--controllers", "nosuch"], "unknown controller(s) nosuch; known: daemonset"),
        (["--controllers", ","], "known: daemonset"),
        (["--workers", "0"], "--workers"),
        (
            ["--leader-elect", "--leader-elect-lease-duration", "5", "--leader-elect-renew-deadline", "10"],
            "lease_duration must be greater than renew_deadline",
        ),
    ],
    ids=["missing-kubeconfig", "unknown-controller", "no-controller", "no-workers", "bad-election-timings"],
)
def test_bad_input_gives_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9")
    if "--kubeconfig" not in args:
        args = ["--kubeconfig", str(kubeconfig), *args]
    result = subprocess.run(
        [*EVERYNODE, "controller-manager", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("everynode controller-manager: "), lines
    assert message in lines[0], lines
    assert "Traceback" not in result.stderr
