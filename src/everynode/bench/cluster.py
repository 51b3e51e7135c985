"""`everynode bench cluster`: a whole cluster, as `everynode up` runs it, converging and rolling a DaemonSet.

The bench starts the API server (on ``--storage``, SQLite in a temporary directory by default, or a
throw-away etcd), the controller-manager and the node agent as child processes with the arguments
``up`` gives them, creates N simulated nodes, waits until they are Ready, and then measures, phase by
phase, through watches of its own (pods, nodes, Leases, DaemonSets, ControllerRevisions, Events):

1. ``convergence``: from the DaemonSet's create request until all N pods are Ready (one on each node,
   none being deleted) *and* the DaemonSet's status is exact; each pod's startup latency is the time
   from its ADDED event to the first event showing it Ready, both seen by the bench's watch.
2. ``rollout_max_unavailable``: an image change with ``maxUnavailable: 10%``; and
   ``rollout_max_surge``: another with ``maxSurge: 10%, maxUnavailable: 0``. Each ends like
   convergence (all pods new and Ready, status exact). After every pod event the bench counts the
   nodes without a Ready pod that is not being deleted; each event that leaves more of them than the
   budget is a violation.
3. ``steady``: nothing changes for ``--steady-seconds`` while every node renews its Lease every 10 s.

Throughout: every API call the controller-manager and node agent make is timed on their side (see
``everynode.bench.probe``), and so are the bench's own; CPU seconds and peak RSS of every process come
from ``/proc``; writes are counted per resource from the watches and in total from the storage
revision. Finally the floor: as many raw creates as the storage took during convergence, timed on
the same kind of storage in the same run (a fresh SQLite file beside the cluster's, or a fresh key
prefix of the same etcd), with 64 in flight; convergence time over that time is the ratio reported.

Results go to ``OUT/results.json`` and one PNG chart per phase.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import orjson

from everynode.bench import chart
from everynode.bench.probe import Call, classify, read_calls
from everynode.bench.procstat import ProcSample, sample
from everynode.bench.stats import percentile, timed_concurrently
from everynode.bench.storage import make_value
from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.pods import is_ready
from everynode.core.resources import ResourceInfo
from everynode.storage import open_backend
from everynode.testing.apiserver import ApiServerProcess
from everynode.testing.etcd import EtcdProcess
from everynode.testing.process import stop_process

Obj = dict[str, Any]
Runner = Callable[[Coroutine[Any, Any, Any]], Any]

NAMESPACE = "everynode-bench"
DAEMONSET = "bench-agent"
IMAGES = ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10.1")
SIMULATED_ANNOTATION = "everynode.io/simulated"  # the node agent's interface (docs/node-agent.md)
MINIMUM_POD_WRITES = 3  # create, bind, the one status write that makes it Running and Ready
PERCENT = 10  # maxUnavailable, then maxSurge
COMPONENTS = ("controller-manager", "node-agent")
PHASES = ("setup", "convergence", "rollout_max_unavailable", "rollout_max_surge", "steady")
FLOOR_CONCURRENCY = 64
SERIES_POINTS = 600  # per phase, in results.json


@dataclass(frozen=True, slots=True)
class ClusterBenchOptions:
    nodes: int = 1000
    storage: str | None = None  # a DSN; None: SQLite in a temporary directory
    spawn_etcd: bool = False
    out: Path = Path(".bench/cluster")
    steady_seconds: float = 60.0
    lease_interval: float = 10.0
    timeout: float = 600.0  # seconds allowed for each phase to reach its goal
    probe: bool = True  # time the components' API calls (everynode.bench.probe)


def budget(nodes: int, percent: int = PERCENT) -> int:
    """A percentage of the nodes, rounded up, as the DaemonSet controller scales it."""
    return (nodes * percent + 99) // 100


# -- the processes ---------------------------------------------------------------------------------


class ClusterProcesses:
    """The API server, controller-manager and node agent, started with the arguments `up` uses."""

    def __init__(self, storage: str, log_dir: Path, *, probe: bool, lease_interval: float) -> None:
        self.storage = storage
        self.log_dir = log_dir
        self.probe = probe
        self.lease_interval = lease_interval
        self.apiserver: ApiServerProcess | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    @property
    def url(self) -> str:
        assert self.apiserver is not None
        return self.apiserver.url

    def probe_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.calls"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.apiserver = ApiServerProcess(self.storage).start(timeout=60)
        kubeconfig = str(self.apiserver.write_kubeconfig(self.log_dir / "kubeconfig"))
        commands = {
            "controller-manager": [
                "controller-manager",
                "--kubeconfig",
                kubeconfig,
                "--node-grace-period",
                "40",
                "--pod-gc-quarantine",
                "40",
                "--pod-gc-interval",
                "20",
            ],
            "node-agent": [
                "node-agent",
                "--kubeconfig",
                kubeconfig,
                "--lease-interval",
                str(self.lease_interval),
            ],
        }
        for name, args in commands.items():
            prefix = (
                ["-m", "everynode.bench.probe", str(self.probe_file(name))]
                if self.probe
                else ["-m", "everynode"]
            )
            log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (open while the child runs)
            self._logs.append(log)
            self.children[name] = subprocess.Popen(
                [sys.executable, *prefix, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def pids(self) -> dict[str, int]:
        found = {name: child.pid for name, child in self.children.items()}
        if self.apiserver is not None and self.apiserver.process is not None:
            found = {"apiserver": self.apiserver.process.pid, **found}
        return found

    def check(self) -> None:
        """``RuntimeError`` (with the end of its log) if a process has exited."""
        if self.apiserver is not None and self.apiserver.process is not None:
            code = self.apiserver.process.poll()
            if code is not None:
                raise RuntimeError(f"the API server exited with {code}:\n{self.apiserver.logs()[-2000:]}")
        for name, child in self.children.items():
            code = child.poll()
            if code is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the {name} exited with {code}:\n{tail}")

    def stop(self) -> None:
        """Components first, the API server last; its log is kept beside theirs."""
        for child in reversed(list(self.children.values())):
            stop_process(child, grace=10)
        for log in self._logs:
            log.close()
        self._logs.clear()
        if self.apiserver is not None:
            self.apiserver.stop()
            with contextlib.suppress(OSError):
                shutil.copyfile(self.apiserver.log_path, self.log_dir / "apiserver.log")
                self.apiserver.log_path.unlink()


# -- the bench's own client ------------------------------------------------------------------------


class TimedClient(RestClient):
    """The bench's client: no throttling, every call recorded as a ``Call`` of component "bench"."""

    def __init__(self, server: str) -> None:
        super().__init__(ClientConfig(server=server, qps=1e9, burst=10**9, user_agent="everynode-bench"))
        self.calls: list[Call] = []

    async def request(self, method: str, path: str, **kwargs: Any) -> Obj:
        started = time.monotonic()
        outcome = "ok"
        try:
            return await super().request(method, path, **kwargs)
        except errors.ApiError as exc:
            outcome = str(exc.code)
            raise
        finally:
            ended = time.monotonic()
            verb, resource = classify(method, path)
            self.calls.append(Call(ended, ended - started, 0.0, verb, resource, outcome, "bench"))


# -- what the watches show -------------------------------------------------------------------------


@dataclass(slots=True)
class PodView:
    node: str  # the node it is bound to, or else pinned to by node affinity ("" for neither)
    bound: bool
    image: str
    ready: bool
    deleting: bool
    status: Any
    added_at: float
    ready_at: float | None = None

    @property
    def serving(self) -> bool:
        """Ready on its node and not being deleted: the node has its daemon."""
        return self.ready and not self.deleting and self.bound


@dataclass
class PhaseTrack:
    """What one phase's pod events showed."""

    name: str
    started: float
    image: str
    generation: int
    budget: int | None = None  # most nodes allowed without a serving pod (rollouts)
    surge_budget: int | None = None  # most pods allowed beyond one per node (maxSurge)
    # (seconds since the start, pods serving on the current image, nodes unavailable, nodes surging)
    series: list[tuple[float, int, int, int]] = field(default_factory=list)
    startup: list[float] = field(default_factory=list)
    violations: int = 0
    surge_violations: int = 0
    max_unavailable: int = 0
    max_surge: int = 0
    pods_ready_at: float | None = None
    done_at: float | None = None


class Observer:
    """Lists and watches the resources the bench follows; keeps counts, the pods by node, the phase."""

    def __init__(self, nodes: int, namespace: str) -> None:
        self.nodes = nodes
        self.namespace = namespace
        self.pods: dict[str, PodView] = {}
        self.serving_per_node: Counter[str] = Counter()  # node -> pods serving it
        self.live_by_node: dict[str, dict[str, PodView]] = {}  # node -> pods not being deleted, by uid
        self.surging: set[str] = set()  # nodes with an old pod and a new one not Ready yet
        self.updated_serving = 0
        self.ready_nodes: set[str] = set()
        self.node_names: set[str] = set()
        self.daemonset: Obj | None = None
        self.writes: Counter[str] = Counter()
        self.lease_times: list[float] = []
        self.relists = 0
        self.pod_bytes = 0  # the size of a Ready pod's JSON, for the floor's values
        self.phase: PhaseTrack | None = None
        self.changed = asyncio.Event()
        self.synced: dict[str, asyncio.Event] = {}

    # -- following ----------------------------------------------------------------------------------

    def start(self, client: RestClient) -> list[asyncio.Task[None]]:
        follows: list[tuple[ResourceInfo, str | None, Callable[[str, Obj, float], None]]] = [
            (r.PODS, self.namespace, self._pod),
            (r.NODES, None, self._node),
            (r.LEASES, None, self._lease),
            (r.DAEMONSETS, self.namespace, self._daemonset),
            (r.CONTROLLER_REVISIONS, self.namespace, self._counted("controllerrevisions")),
            (r.EVENTS, None, self._counted("events")),
        ]
        tasks = []
        for info, namespace, handle in follows:
            self.synced[info.resource] = asyncio.Event()
            tasks.append(asyncio.create_task(self._follow(client, info, namespace, handle)))
        return tasks

    async def wait_synced(self, within: float) -> None:
        async with asyncio.timeout(within):
            for event in self.synced.values():
                await event.wait()

    async def _follow(
        self,
        client: RestClient,
        info: ResourceInfo,
        namespace: str | None,
        handle: Callable[[str, Obj, float], None],
    ) -> None:
        resource = client.resource(info)
        while True:
            listed = await resource.list(namespace)
            if info is r.PODS:
                self._reset_pods()
            for obj in listed.get("items") or ():
                handle("SYNC", obj, time.monotonic())
            version = listed["metadata"]["resourceVersion"]
            self.synced[info.resource].set()
            while True:
                try:
                    async for event in resource.watch(
                        namespace, resource_version=version, allow_bookmarks=True
                    ):
                        obj = event.get("object") or {}
                        version = (obj.get("metadata") or {}).get("resourceVersion") or version
                        if event.get("type") != "BOOKMARK":
                            handle(event["type"], obj, time.monotonic())
                            self.changed.set()
                except errors.Gone:
                    self.relists += 1
                    break
                except errors.ServiceUnavailable:
                    await asyncio.sleep(0.2)  # the server ended the stream badly: watch again

    def _counted(self, name: str) -> Callable[[str, Obj, float], None]:
        def handle(kind: str, obj: Obj, now: float) -> None:
            if kind != "SYNC":
                self.writes[name] += 1

        return handle

    def _lease(self, kind: str, obj: Obj, now: float) -> None:
        if kind != "SYNC":
            self.writes["leases"] += 1
            self.lease_times.append(now)

    def _node(self, kind: str, obj: Obj, now: float) -> None:
        name = obj["metadata"]["name"]
        if kind != "SYNC":
            self.writes["nodes"] += 1
        if kind == "DELETED":
            self.node_names.discard(name)
            self.ready_nodes.discard(name)
            return
        self.node_names.add(name)
        conditions = (obj.get("status") or {}).get("conditions") or ()
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            self.ready_nodes.add(name)
        else:
            self.ready_nodes.discard(name)

    def _daemonset(self, kind: str, obj: Obj, now: float) -> None:
        if kind != "SYNC":
            self.writes["daemonsets"] += 1
        if obj["metadata"]["name"] == DAEMONSET:
            self.daemonset = None if kind == "DELETED" else obj
            self._check_goal(now)

    # -- pods ---------------------------------------------------------------------------------------

    def _reset_pods(self) -> None:
        self.pods.clear()
        self.serving_per_node.clear()
        self.live_by_node.clear()
        self.surging.clear()
        self.updated_serving = 0

    def _remove(self, uid: str) -> PodView | None:
        view = self.pods.pop(uid, None)
        if view is None:
            return None
        if not view.deleting:
            self._live(view.node, uid, None)
        if view.serving:
            self.serving_per_node[view.node] -= 1
            if self.serving_per_node[view.node] <= 0:
                del self.serving_per_node[view.node]
            if self.phase is not None and view.image == self.phase.image:
                self.updated_serving -= 1
        return view

    def _add(self, uid: str, view: PodView) -> None:
        self.pods[uid] = view
        if not view.deleting:
            self._live(view.node, uid, view)
        if view.serving:
            self.serving_per_node[view.node] += 1
            if self.phase is not None and view.image == self.phase.image:
                self.updated_serving += 1

    def _live(self, node: str, uid: str, view: PodView | None) -> None:
        """Set (or, with None, drop) a pod not being deleted, and whether its node is surging now."""
        pods = self.live_by_node.setdefault(node, {})
        if view is None:
            pods.pop(uid, None)
        else:
            pods[uid] = view
        if not pods:
            del self.live_by_node[node]
        self._surge_check(node)

    def _surge_check(self, node: str) -> None:
        """Surging, as the DaemonSet controller counts a surge: the node has an old pod and a new one
        that is not Ready (available) yet, neither being deleted."""
        image = self.phase.image if self.phase is not None else None
        pods = self.live_by_node.get(node, {}).values()
        if (
            image is not None
            and any(view.image != image for view in pods)
            and any(view.image == image and not view.ready for view in pods)
        ):
            self.surging.add(node)
        else:
            self.surging.discard(node)

    def _pod(self, kind: str, obj: Obj, now: float) -> None:
        meta = obj["metadata"]
        uid = meta["uid"]
        old = self._remove(uid)
        if kind == "DELETED":
            self.writes["pods.remove"] += 1
        else:
            spec = obj.get("spec") or {}
            containers = spec.get("containers") or [{}]
            view = PodView(
                node=_target_node(obj),
                bound=bool(spec.get("nodeName")),
                image=containers[0].get("image", ""),
                ready=is_ready(obj),
                deleting=bool(meta.get("deletionTimestamp")),
                status=obj.get("status"),
                added_at=old.added_at if old is not None else now,
                ready_at=old.ready_at if old is not None else None,
            )
            if kind != "SYNC":
                self.writes[f"pods.{self._write_kind(old, view)}"] += 1
            if view.ready and view.ready_at is None:
                view.ready_at = now
                if old is not None and self.phase is not None and view.added_at >= self.phase.started:
                    self.phase.startup.append(now - view.added_at)
                if not self.pod_bytes:
                    self.pod_bytes = len(orjson.dumps(obj))
            self._add(uid, view)
        self._track(now)

    @staticmethod
    def _write_kind(old: PodView | None, new: PodView) -> str:
        if old is None:
            return "create"
        if not old.bound and new.bound:
            return "bind"
        if new.deleting and not old.deleting:
            return "delete"
        if new.status != old.status:
            return "status"
        return "other"

    # -- phases -------------------------------------------------------------------------------------

    @property
    def unavailable(self) -> int:
        return self.nodes - len(self.serving_per_node)

    def begin(self, phase: PhaseTrack) -> None:
        self.phase = phase
        self.updated_serving = sum(
            1 for view in self.pods.values() if view.serving and view.image == phase.image
        )
        self.surging.clear()
        for node in list(self.live_by_node):
            self._surge_check(node)
        self._track(phase.started)

    def _track(self, now: float) -> None:
        phase = self.phase
        if phase is None:
            return
        unavailable = self.unavailable
        point = (now - phase.started, self.updated_serving, unavailable, len(self.surging))
        if not phase.series or phase.series[-1][1:] != point[1:]:
            phase.series.append(point)
        phase.max_unavailable = max(phase.max_unavailable, unavailable)
        surging = len(self.surging)
        phase.max_surge = max(phase.max_surge, surging)
        if phase.budget is not None and unavailable > phase.budget:
            phase.violations += 1
        if phase.surge_budget is not None and surging > phase.surge_budget:
            phase.surge_violations += 1
        self._check_goal(now)

    def _check_goal(self, now: float) -> None:
        phase = self.phase
        if phase is None or phase.done_at is not None:
            return
        if phase.pods_ready_at is None:
            if not (
                len(self.pods) == self.nodes and self.updated_serving == self.nodes and self.unavailable == 0
            ):
                return
            phase.pods_ready_at = now
        if (
            len(self.pods) == self.nodes
            and self.updated_serving == self.nodes
            and self.status_exact(phase.generation)
        ):
            phase.done_at = now

    def status_exact(self, generation: int) -> bool:
        status = (self.daemonset or {}).get("status") or {}
        n = self.nodes
        return (
            status.get("observedGeneration") == generation
            and status.get("desiredNumberScheduled") == n
            and status.get("currentNumberScheduled") == n
            and status.get("updatedNumberScheduled") == n
            and status.get("numberMisscheduled", 0) == 0
            and status.get("numberReady") == n
            and status.get("numberAvailable") == n
            and status.get("numberUnavailable", 0) == 0
        )

    async def until(
        self, goal: Callable[[], bool], *, within: float, what: str, check: Callable[[], None]
    ) -> None:
        """Wait until ``goal()`` holds, looking after every event (and ``check()`` each second)."""
        deadline = time.monotonic() + within
        while True:
            self.changed.clear()  # before looking, so an event that lands meanwhile wakes the wait
            if goal():
                return
            check()
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"timed out after {within:.0f} s waiting for {what}; {self.describe()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(1.0, left))

    def describe(self) -> str:
        status = (self.daemonset or {}).get("status") or {}
        return (
            f"nodes {len(self.node_names)} (Ready {len(self.ready_nodes)}), pods {len(self.pods)}, "
            f"serving nodes {len(self.serving_per_node)}, updated and serving {self.updated_serving}, "
            f"DaemonSet status {status}"
        )


# -- the bench -------------------------------------------------------------------------------------


def _target_node(pod: Obj) -> str:
    try:
        return pinned_node_name(pod) or ""
    except ValueError:
        return ""


def simulated_node(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
            "annotations": {SIMULATED_ANNOTATION: "true"},
        },
        "spec": {},
    }


def daemonset_manifest(namespace: str) -> Obj:
    labels = {"app": DAEMONSET}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": DAEMONSET, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": f"{PERCENT}%"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "agent", "image": IMAGES[0]}]},
            },
        },
    }


@dataclass
class PhaseRecord:
    name: str
    started: float
    ended: float
    revisions: tuple[int, int]
    writes: Counter[str]
    cpu: dict[str, tuple[ProcSample | None, ProcSample | None]]
    track: PhaseTrack | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class ClusterBench:
    def __init__(
        self, options: ClusterBenchOptions, processes: ClusterProcesses, extra_pids: dict[str, int]
    ) -> None:
        self.options = options
        self.processes = processes
        self.pids = {**processes.pids(), **extra_pids, "bench": os.getpid()}
        self.observer = Observer(options.nodes, NAMESPACE)
        self.records: list[PhaseRecord] = []
        self.calls: list[Call] = []  # the bench's own API calls

    def samples(self) -> dict[str, ProcSample | None]:
        return {name: sample(pid) for name, pid in self.pids.items()}

    async def revision(self, client: RestClient) -> int:
        """The storage's revision now (a consistent list's resourceVersion)."""
        listed = await client.request("GET", "/api/v1/namespaces", params={"limit": "1"})
        return int(listed["metadata"]["resourceVersion"])

    async def phase(
        self,
        client: RestClient,
        name: str,
        act: Callable[[], Awaitable[int]],
        *,
        image: str,
        budget_nodes: int | None = None,
        surge: int | None = None,
    ) -> PhaseRecord:
        """Run ``act`` (which returns the DaemonSet's new generation) and wait for the rollout's end."""
        observer = self.observer
        revision, writes, cpu = await self.revision(client), observer.writes.copy(), self.samples()
        track = PhaseTrack(
            name, time.monotonic(), image, generation=0, budget=budget_nodes, surge_budget=surge
        )
        observer.begin(track)
        track.generation = await act()
        observer._check_goal(time.monotonic())
        await observer.until(
            lambda: track.done_at is not None,
            within=self.options.timeout,
            what=f"{name} (pods on image {image} Ready and the status exact)",
            check=self.processes.check,
        )
        assert track.done_at is not None
        record = PhaseRecord(
            name,
            track.started,
            track.done_at,
            (revision, await self.revision(client)),
            observer.writes - writes,
            {k: (v, None) for k, v in cpu.items()},
            track,
        )
        self._close(record)
        observer.phase = None
        return record

    def _close(self, record: PhaseRecord) -> None:
        after = self.samples()
        record.cpu = {name: (before, after.get(name)) for name, (before, _) in record.cpu.items()}
        self.records.append(record)

    async def run(self) -> None:
        observer = self.observer
        async with TimedClient(self.processes.url) as client:
            self.calls = client.calls
            tasks = observer.start(client)
            try:
                await observer.wait_synced(60)
                if observer.node_names:
                    raise RuntimeError(
                        f"the storage holds {len(observer.node_names)} nodes; the bench needs it empty"
                    )
                await self._setup(client)
                await self._convergence(client)
                await self._rollouts(client)
                await self._steady(client)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError, errors.ApiError):
                        await task

    async def _setup(self, client: RestClient) -> None:
        started, revision, writes, cpu = (
            time.monotonic(),
            await self.revision(client),
            self.observer.writes.copy(),
            self.samples(),
        )
        await client.resource(r.NAMESPACES).create({"metadata": {"name": NAMESPACE}})
        nodes = client.resource(r.NODES)
        limit = asyncio.Semaphore(64)

        async def create(i: int) -> None:
            async with limit:
                await nodes.create(simulated_node(f"node-{i:05d}"))

        await asyncio.gather(*(create(i) for i in range(1, self.options.nodes + 1)))
        created = time.monotonic()
        await self.observer.until(
            lambda: len(self.observer.ready_nodes) >= self.options.nodes,
            within=self.options.timeout,
            what=f"{self.options.nodes} nodes Ready",
            check=self.processes.check,
        )
        record = PhaseRecord(
            "setup",
            started,
            time.monotonic(),
            (revision, await self.revision(client)),
            self.observer.writes - writes,
            {k: (v, None) for k, v in cpu.items()},
            extra={"nodes_created_seconds": round(created - started, 3)},
        )
        self._close(record)

    async def _convergence(self, client: RestClient) -> None:
        async def apply() -> int:
            made = await client.resource(r.DAEMONSETS).create(daemonset_manifest(NAMESPACE), NAMESPACE)
            return int(made["metadata"].get("generation") or 1)

        await self.phase(client, "convergence", apply, image=IMAGES[0])

    async def _rollouts(self, client: RestClient) -> None:
        daemonsets = client.resource(r.DAEMONSETS)
        n = self.options.nodes

        async def patch(body: Obj) -> int:
            made = await daemonsets.patch(DAEMONSET, body, NAMESPACE)
            return int(made["metadata"]["generation"])

        def image(value: str) -> Obj:
            return {"spec": {"containers": [{"name": "agent", "image": value}]}}

        await self.phase(
            client,
            "rollout_max_unavailable",
            lambda: patch({"spec": {"template": image(IMAGES[1])}}),
            image=IMAGES[1],
            budget_nodes=budget(n),
            surge=0,
        )
        strategy = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": f"{PERCENT}%", "maxUnavailable": 0},
        }
        await self.phase(
            client,
            "rollout_max_surge",
            lambda: patch({"spec": {"updateStrategy": strategy, "template": image(IMAGES[2])}}),
            image=IMAGES[2],
            budget_nodes=0,
            surge=budget(n),
        )

    async def _steady(self, client: RestClient) -> None:
        observer = self.observer
        revision, writes, cpu = await self.revision(client), observer.writes.copy(), self.samples()
        track = PhaseTrack("steady", time.monotonic(), IMAGES[2], generation=0, budget=0, surge_budget=0)
        observer.begin(track)
        deadline = track.started + self.options.steady_seconds
        while (left := deadline - time.monotonic()) > 0:
            self.processes.check()
            await asyncio.sleep(min(1.0, left))
        ended = time.monotonic()
        observer._track(ended)
        record = PhaseRecord(
            "steady",
            track.started,
            ended,
            (revision, await self.revision(client)),
            observer.writes - writes,
            {k: (v, None) for k, v in cpu.items()},
            track,
        )
        self._close(record)
        observer.phase = None


# -- figures ---------------------------------------------------------------------------------------


def latency_figures(calls: list[Call]) -> dict[str, Any]:
    seconds = [call.seconds for call in calls]
    return {
        "count": len(calls),
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds, default=0.0) * 1000, 2),
        "errors": sum(1 for call in calls if call.outcome != "ok"),
        "throttled_seconds": round(sum(call.throttled for call in calls), 3),
    }


def by_key(calls: list[Call], key: Callable[[Call], str]) -> dict[str, Any]:
    groups: dict[str, list[Call]] = {}
    for call in calls:
        groups.setdefault(key(call), []).append(call)
    return {name: latency_figures(group) for name, group in sorted(groups.items())}


def pod_write_figures(writes: Counter[str], pods: int) -> dict[str, Any]:
    kinds = ("create", "bind", "status", "delete", "remove", "other")
    per_kind = {kind: writes.get(f"pods.{kind}", 0) for kind in kinds}
    total = sum(per_kind.values())
    return {
        "pod_writes": total,
        "pod_writes_by_kind": per_kind,
        "pod_writes_per_pod": round(total / pods, 3) if pods else 0.0,
    }


def cpu_figures(record: PhaseRecord) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, (before, after) in record.cpu.items():
        if before is None or after is None:
            continue
        used = after.cpu_seconds - before.cpu_seconds
        figures[name] = {
            "cpu_seconds": round(used, 2),
            "cpu_percent": round(100 * used / record.seconds, 1) if record.seconds > 0 else 0.0,
        }
    return figures


def downsample(series: list[tuple[float, int, int, int]], points: int = SERIES_POINTS) -> list[list[float]]:
    """At most ``points`` rows: per time bucket the last row, with the bucket's most unavailable nodes."""
    if len(series) <= points:
        return [[round(t, 3), a, b, c] for t, a, b, c in series]
    span = series[-1][0] or 1.0
    buckets: dict[int, list[float]] = {}
    for t, updated, unavailable, pods in series:
        slot = min(points - 1, int(t / span * points))
        previous = buckets.get(slot)
        worst = max(unavailable, int(previous[2])) if previous else unavailable
        buckets[slot] = [round(t, 3), updated, worst, pods]
    return [buckets[slot] for slot in sorted(buckets)]


def phase_figures(record: PhaseRecord, nodes: int, calls: list[Call]) -> dict[str, Any]:
    in_phase = [call for call in calls if record.started <= call.ended <= record.ended]
    storage_writes = record.revisions[1] - record.revisions[0]
    watched = sum(record.writes.values())
    figures: dict[str, Any] = {
        "seconds": round(record.seconds, 3),
        "storage_writes": storage_writes,
        "storage_writes_per_second": round(storage_writes / record.seconds, 1) if record.seconds > 0 else 0.0,
        "writes_by_resource": dict(sorted(_by_resource(record.writes).items())),
        "writes_unattributed": storage_writes - watched,
        **pod_write_figures(record.writes, nodes),
        "api_by_verb": by_key(in_phase, lambda call: call.verb),
        "cpu": cpu_figures(record),
        **record.extra,
    }
    track = record.track
    if track is not None:
        if track.done_at is not None:
            figures["pods_ready_seconds"] = round((track.pods_ready_at or track.done_at) - track.started, 3)
            figures["status_exact"] = True
            figures["status_lag_seconds"] = round(track.done_at - (track.pods_ready_at or track.done_at), 3)
        figures["pod_startup_count"] = len(track.startup)
        figures["pod_startup_p50_s"] = round(percentile(track.startup, 50), 3)
        figures["pod_startup_p99_s"] = round(percentile(track.startup, 99), 3)
        figures["pod_startup_max_s"] = round(max(track.startup, default=0.0), 3)
        figures["max_unavailable_seen"] = track.max_unavailable
        figures["max_surge_seen"] = track.max_surge
        if track.budget is not None:
            figures["max_unavailable_budget"] = track.budget
            figures["max_unavailable_violations"] = track.violations
        if track.surge_budget is not None:
            figures["max_surge_budget"] = track.surge_budget
            figures["max_surge_violations"] = track.surge_violations
    return figures


def _by_resource(writes: Counter[str]) -> Counter[str]:
    merged: Counter[str] = Counter()
    for key, count in writes.items():
        merged[key.split(".")[0]] += count
    return merged


def write_charts(
    out: Path, records: list[PhaseRecord], lease_times: list[float], nodes: int
) -> dict[str, str]:
    charts: dict[str, str] = {}
    for record in records:
        track = record.track
        if track is None:
            continue
        points = [*track.series, (record.seconds, *track.series[-1][1:])] if track.series else []
        ready = [(t, float(a)) for t, a, _, _ in points]
        unavailable = [(t, float(b)) for t, _, b, _ in points]
        series = [chart.Series("pods Ready, current image", ready, chart.BLUE)]
        references: list[chart.Reference] = []
        if record.name.startswith("rollout"):
            series.append(chart.Series("nodes unavailable", unavailable, chart.ORANGE))
            references.append(chart.Reference(f"maxUnavailable {track.budget}", float(track.budget or 0)))
            if record.name == "rollout_max_surge":
                extra = [(t, float(c)) for t, _, _, c in points]
                series.append(chart.Series("nodes surging", extra, chart.GREEN))
                references.append(
                    chart.Reference(
                        f"maxSurge {track.surge_budget}", float(track.surge_budget or 0), chart.GREEN
                    )
                )
        elif record.name == "steady":
            per_second = Counter(
                int(t - record.started) for t in lease_times if record.started <= t < record.ended
            )
            renewals = [(float(s), float(per_second.get(s, 0))) for s in range(int(record.seconds) + 1)]
            series.append(chart.Series("lease renewals per second", renewals, chart.GREEN))
        title = f"{record.name.replace('_', ' ')} - {nodes:,} nodes - {record.seconds:.1f} s"
        png = chart.line_chart(
            title, series, x_label="seconds", y_label="pods / nodes", references=references
        )
        path = out / f"{record.name}.png"
        path.write_bytes(png)
        charts[record.name] = path.name
    return charts


async def measure_floor(dsn: str, writes: int, value_bytes: int, *, cleanup: bool) -> dict[str, Any]:
    """``writes`` raw creates of ``value_bytes`` each through the storage contract, 64 in flight."""
    backend = open_backend(dsn)
    await backend.start()
    prefix = f"/bench-floor-{uuid.uuid4().hex[:8]}/"
    value = make_value(value_bytes, 0)
    try:
        result = await timed_concurrently(
            "floor", writes, FLOOR_CONCURRENCY, lambda i: backend.create(f"{prefix}{i:07d}", value)
        )
        if cleanup:
            limit = asyncio.Semaphore(FLOOR_CONCURRENCY)

            async def delete(i: int) -> None:
                async with limit:
                    await backend.delete(f"{prefix}{i:07d}")

            await asyncio.gather(*(delete(i) for i in range(writes)))
    finally:
        await backend.close()
    return {
        "writes": writes,
        "value_bytes": value_bytes,
        "concurrency": FLOOR_CONCURRENCY,
        "seconds": round(result.seconds, 3),
        "per_second": round(result.rate, 1),
        "p99_ms": result.figures()["p99_ms"],
    }


def floor_dsn(storage: str) -> tuple[str, list[Path], bool]:
    """Where to time the floor: (DSN, files to remove afterwards, whether to delete the keys)."""
    parts = urlsplit(storage)
    if parts.scheme == "sqlite":
        path = Path(parts.netloc + parts.path)
        floor = path.parent / f"floor-{uuid.uuid4().hex[:8]}.db"
        dsn = f"sqlite://{floor.resolve()}" + (f"?{parts.query}" if parts.query else "")
        return dsn, [floor, Path(f"{floor}-wal"), Path(f"{floor}-shm")], False
    if parts.scheme == "etcd":
        return storage, [], True
    return storage, [], False


def public_dsn(storage: str) -> str:
    return storage.split("?", 1)[0]


def assemble(
    options: ClusterBenchOptions,
    bench: ClusterBench,
    *,
    calls: list[Call],
    totals: dict[str, ProcSample | None],
    floor: dict[str, Any],
    storage: str,
    seconds_total: float,
    charts: dict[str, str],
) -> dict[str, Any]:
    n = options.nodes
    records = {record.name: record for record in bench.records}
    phases = {name: phase_figures(records[name], n, calls) for name in PHASES if name in records}
    convergence, steady = phases["convergence"], phases["steady"]
    steady_record = records["steady"]
    steady_calls = [call for call in calls if steady_record.started <= call.ended <= steady_record.ended]
    renewals = records["steady"].writes.get("leases", 0)
    steady["lease_renewals"] = renewals
    steady["lease_renewals_per_second"] = round(renewals / steady_record.seconds, 1)
    steady["lease_renewals_expected_per_second"] = round(n / options.lease_interval, 1)
    floor["convergence_to_floor_ratio"] = (
        round(convergence["seconds"] / floor["seconds"], 1) if floor.get("seconds") else None
    )
    processes = {}
    for name, last in totals.items():
        if last is None:
            continue
        processes[name] = {
            "pid": bench.pids[name],
            "cpu_seconds": round(last.cpu_seconds, 2),
            "peak_rss_mb": round(last.peak_rss_bytes / 2**20, 1),
            "cpu_seconds_by_phase": {
                phase: figures["cpu"].get(name, {}).get("cpu_seconds") for phase, figures in phases.items()
            },
            "steady_cpu_percent": steady["cpu"].get(name, {}).get("cpu_percent"),
        }
    rollouts = [phases["rollout_max_unavailable"], phases["rollout_max_surge"]]
    return {
        "bench": "cluster",
        "nodes": n,
        "storage": public_dsn(storage),
        "out": str(options.out),
        "probe": options.probe,
        "seconds_total": round(seconds_total, 1),
        "convergence_seconds": convergence["seconds"],
        "pods_ready_seconds": convergence.get("pods_ready_seconds"),
        "pod_startup_p50_s": convergence["pod_startup_p50_s"],
        "pod_startup_p99_s": convergence["pod_startup_p99_s"],
        "rollout_max_unavailable_seconds": rollouts[0]["seconds"],
        "rollout_max_surge_seconds": rollouts[1]["seconds"],
        "max_unavailable_violations": sum(p.get("max_unavailable_violations", 0) for p in rollouts),
        "max_surge_violations": sum(p.get("max_surge_violations", 0) for p in rollouts),
        "status_exact": all(phases[name].get("status_exact") for name in PHASES[1:4]),
        "writes_per_pod": convergence["pod_writes_per_pod"],
        "writes_per_pod_minimum": MINIMUM_POD_WRITES,
        "storage_writes_per_pod": round(convergence["storage_writes"] / n, 2),
        "floor_seconds": floor.get("seconds"),
        "convergence_to_floor_ratio": floor["convergence_to_floor_ratio"],
        "steady_api_p99_ms": {
            verb: figures["p99_ms"] for verb, figures in by_key(steady_calls, lambda c: c.verb).items()
        },
        "steady_cpu_percent": {name: p["steady_cpu_percent"] for name, p in processes.items()},
        "peak_rss_mb": {name: p["peak_rss_mb"] for name, p in processes.items()},
        "cpu_seconds": {name: p["cpu_seconds"] for name, p in processes.items()},
        "watch_relists": bench.observer.relists,
        "phases": phases,
        "api": by_key(calls, lambda call: f"{call.verb} {call.resource}"),
        "api_by_component": by_key(calls, lambda call: call.component),
        "processes": processes,
        "floor": floor,
        "charts": charts,
    }


def run(options: ClusterBenchOptions, runner: Runner) -> dict[str, Any]:
    """Start everything, run the phases on ``runner``'s event loop, stop everything, write the results."""
    if options.nodes < 1:
        raise ValueError("--nodes must be at least 1")
    options.out.mkdir(parents=True, exist_ok=True)
    logs = options.out / "logs"
    if logs.exists():
        shutil.rmtree(logs)
    scratch = Path(tempfile.mkdtemp(prefix="everynode-bench-"))
    etcd: EtcdProcess | None = None
    processes: ClusterProcesses | None = None
    started, load_at_start = time.monotonic(), os.getloadavg()
    try:
        if options.spawn_etcd:
            etcd = EtcdProcess().start()
        storage = etcd.dsn if etcd is not None else options.storage or f"sqlite://{scratch / 'state.db'}"
        processes = ClusterProcesses(
            storage, logs, probe=options.probe, lease_interval=options.lease_interval
        )
        processes.start()
        extra = {"etcd": etcd.process.pid} if etcd is not None and etcd.process is not None else {}
        bench = ClusterBench(options, processes, extra)
        runner(bench.run())
        totals = bench.samples()
        processes.stop()
        calls = list(bench.calls)
        if options.probe:
            for name in COMPONENTS:
                calls += read_calls(processes.probe_file(name), name)
        calls.sort(key=lambda call: call.ended)
        floor = _floor(bench, storage, runner, spawned=etcd is not None)
        result = assemble(
            options,
            bench,
            calls=calls,
            totals=totals,
            floor=floor,
            storage=storage,
            seconds_total=time.monotonic() - started,
            charts=write_charts(options.out, bench.records, bench.observer.lease_times, options.nodes),
        )
        # other work on the machine skews every figure: say how busy it was (1-minute load average)
        result["machine"] = {
            "cpus": os.cpu_count(),
            "load_average_at_start": round(load_at_start[0], 2),
            "load_average_at_end": round(os.getloadavg()[0], 2),
        }
        _write_results(options.out / "results.json", result, bench.records)
        return result
    finally:
        if processes is not None:
            processes.stop()
        if etcd is not None:
            etcd.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _floor(bench: ClusterBench, storage: str, runner: Runner, *, spawned: bool) -> dict[str, Any]:
    """As many raw writes as the storage took during convergence, on the same kind of storage."""
    convergence = next(record for record in bench.records if record.name == "convergence")
    writes = max(1, convergence.revisions[1] - convergence.revisions[0])
    dsn, leftovers, cleanup = floor_dsn(storage)
    try:
        floor: dict[str, Any] = runner(
            measure_floor(dsn, writes, bench.observer.pod_bytes or 2048, cleanup=cleanup and not spawned)
        )
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)
    floor["storage"] = public_dsn(dsn)
    return floor


def _write_results(path: Path, result: dict[str, Any], records: list[PhaseRecord]) -> None:
    """``result`` and, per phase, the pod counts over time (downsampled)."""
    series = {record.name: downsample(record.track.series) for record in records if record.track is not None}
    document = {
        **result,
        "series_columns": ["seconds", "ready_current_image", "nodes_unavailable", "nodes_surging"],
        "series": series,
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


# -- the summary -----------------------------------------------------------------------------------


def summary(result: dict[str, Any]) -> str:
    n = result["nodes"]
    phases = result["phases"]
    machine = result.get("machine") or {}
    lines = [
        f"cluster bench: {n:,} nodes, storage {result['storage']}, results in {result['out']}",
        f"machine: {machine.get('cpus')} CPUs, load average {machine.get('load_average_at_start')} at the "
        f"start and {machine.get('load_average_at_end')} at the end (other work skews every figure)",
        "",
        f"{'phase':<26}{'seconds':>9}{'pods Ready s':>13}{'startup p50/p99 s':>19}"
        f"{'writes':>9}{'writes/s':>10}{'pod writes/pod':>15}{'max unavail.':>14}{'violations':>11}",
    ]
    for name, figures in phases.items():
        startup = (
            f"{figures['pod_startup_p50_s']:.2f} / {figures['pod_startup_p99_s']:.2f}"
            if figures.get("pod_startup_count")
            else "-"
        )
        unavailable = (
            f"{figures['max_unavailable_seen']} / {figures['max_unavailable_budget']}"
            if "max_unavailable_budget" in figures and name.startswith("rollout")
            else "-"
        )
        violations = (
            str(figures.get("max_unavailable_violations", 0) + figures.get("max_surge_violations", 0))
            if name.startswith("rollout")
            else "-"
        )
        ready = f"{figures['pods_ready_seconds']:.2f}" if "pods_ready_seconds" in figures else "-"
        per_pod = f"{figures['pod_writes_per_pod']:.2f}" if name != "setup" and figures["pod_writes"] else "-"
        lines.append(
            f"{name:<26}{figures['seconds']:>9.2f}{ready:>13}{startup:>19}{figures['storage_writes']:>9,}"
            f"{figures['storage_writes_per_second']:>10,.0f}{per_pod:>15}{unavailable:>14}{violations:>11}"
        )
    convergence = phases["convergence"]
    kinds = convergence["pod_writes_by_kind"]
    floor = result["floor"]
    steady = phases["steady"]
    lines += [
        "",
        f"convergence: status exact {result['status_exact']}; pod writes per pod "
        f"{convergence['pod_writes_per_pod']:.2f} (create {kinds['create'] / n:.2f}, "
        f"bind {kinds['bind'] / n:.2f}, status {kinds['status'] / n:.2f}; minimum {MINIMUM_POD_WRITES}); "
        "all storage writes per pod "
        f"{result['storage_writes_per_pod']:.2f} ({_resources_line(convergence['writes_by_resource'])})",
        f"floor: {floor['writes']:,} raw creates of {floor['value_bytes']:,} B on {floor['storage']} in "
        f"{floor['seconds']:.2f} s ({floor['per_second']:,.0f}/s); convergence / floor = "
        f"{result['convergence_to_floor_ratio']}x",
        f"steady {steady['seconds']:.0f} s: {steady['lease_renewals_per_second']:.1f} lease renewals/s "
        f"(expected {steady['lease_renewals_expected_per_second']:.1f}); API p99 by verb: "
        + (", ".join(f"{verb} {ms:.1f} ms" for verb, ms in result["steady_api_p99_ms"].items()) or "-"),
        "",
        f"{'process':<20}{'CPU s':>8}{'steady CPU %':>14}{'peak RSS MB':>13}   CPU s by phase",
    ]
    for name, figures in result["processes"].items():
        by_phase = "  ".join(
            f"{phase} {seconds}" for phase, seconds in figures["cpu_seconds_by_phase"].items()
        )
        steady_cpu = figures["steady_cpu_percent"]
        lines.append(
            f"{name:<20}{figures['cpu_seconds']:>8.1f}{steady_cpu if steady_cpu is not None else '-':>14}"
            f"{figures['peak_rss_mb']:>13.1f}   {by_phase}"
        )
    lines += [
        "",
        f"{'API calls (client side)':<34}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}",
    ]
    for key, figures in result["api"].items():
        lines.append(
            f"{key:<34}{figures['count']:>8,}{figures['p50_ms']:>9.2f}{figures['p99_ms']:>9.2f}"
            f"{figures['max_ms']:>9.1f}{figures['errors']:>8}"
        )
    return "\n".join(lines)


def _resources_line(writes: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(writes.items(), key=lambda item: -item[1]))
