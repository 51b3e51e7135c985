"""The phase drivers: setup, convergence, the two rollouts and the steady phase."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from everynode.bench.cluster.common import DAEMONSET, IMAGES, NAMESPACE, PERCENT, ClusterBenchOptions, budget
from everynode.bench.cluster.observer import Observer, PhaseTrack
from everynode.bench.cluster.processes import ClusterProcesses, TimedClient
from everynode.bench.probe import Call
from everynode.bench.procstat import ProcSample, sample
from everynode.client.rest import RestClient
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.types import Obj


def simulated_node(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                wellknown.LABEL_HOSTNAME: name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
            "annotations": {wellknown.ANNOTATION_SIMULATED: "true"},
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


@dataclass(frozen=True, slots=True)
class _Before:
    """What a phase's figures are measured from: taken as it starts."""

    started: float
    revision: int
    writes: Counter[str]
    cpu: dict[str, ProcSample | None]


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

    def storage_writes(self, storage: str) -> int | None:
        """Writes the store took in the phase, by its revision counter, where that counts writes one
        by one (memory, SQLite); None on etcd, whose revisions leave gaps (``etcd_revisions``)."""
        if storage.startswith("etcd"):
            return None
        return self.revisions[1] - self.revisions[0]


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
        before = await self._before(client)
        track = PhaseTrack(name, before.started, image, generation=0, budget=budget_nodes, surge_budget=surge)
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
        return await self._record(client, name, before, track.done_at, track=track)

    async def _before(self, client: RestClient) -> _Before:
        return _Before(
            time.monotonic(), await self.revision(client), self.observer.writes.copy(), self.samples()
        )

    async def _record(
        self,
        client: RestClient,
        name: str,
        before: _Before,
        ended: float,
        *,
        track: PhaseTrack | None = None,
        extra: dict[str, Any] | None = None,
    ) -> PhaseRecord:
        """The phase ``name`` from the figures taken at its start (``before``), now it has ended."""
        after = self.samples()
        record = PhaseRecord(
            name,
            before.started,
            ended,
            (before.revision, await self.revision(client)),
            self.observer.writes - before.writes,
            {process: (sample, after.get(process)) for process, sample in before.cpu.items()},
            track,
            extra or {},
        )
        self.records.append(record)
        self.observer.phase = None
        return record

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
        before = await self._before(client)
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
        setup_seconds = round(created - before.started, 3)
        await self._record(
            client, "setup", before, time.monotonic(), extra={"nodes_created_seconds": setup_seconds}
        )

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
        before = await self._before(client)
        track = PhaseTrack("steady", before.started, IMAGES[2], generation=0, budget=0, surge_budget=0)
        observer.begin(track)
        deadline = track.started + self.options.steady_seconds
        while (left := deadline - time.monotonic()) > 0:
            self.processes.check()
            await asyncio.sleep(min(1.0, left))
        ended = time.monotonic()
        observer._track(ended)
        await self._record(client, "steady", before, ended, track=track)
