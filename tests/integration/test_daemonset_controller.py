"""The DaemonSet controller against a live API server, with nodes and pods written directly.

Each module gets its own API server (the controller sees every node in the cluster). A small
simulated kubelet (``simkubelet``) binds, starts and readies pods and finishes graceful deletes.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.controllers.daemonset.service import DaemonSetService
from everynode.core import resources as r
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.pods import is_ready
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.builders import node
from tests.integration.simkubelet import SimKubelet
from tests.integration.support import (
    BACKENDS,
    create_all,
    create_namespace,
    eventually,
    own_apiserver,
    running,
)


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "dsc") as process:
        yield process


def daemonset(name: str, *, image: str = "fluentd:v1", strategy: Obj | None = None, **spec: Any) -> Obj:
    rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    return builders.daemonset(name, image=image, strategy=strategy or rolling, **spec)


@contextlib.asynccontextmanager
async def cluster(
    server: ApiServerProcess, *, kubelet: bool = True
) -> AsyncIterator[tuple[RestClient, DaemonSetService]]:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        service = DaemonSetService(client, manager)
        sim = SimKubelet(client)
        try:
            async with running(manager, *([sim.run()] if kubelet else [])):
                yield client, service
        finally:
            await sim.close()


async def status_of(client: RestClient, namespace: str, name: str) -> Obj:
    ds = await client.resource(r.DAEMONSETS).get(name, namespace)
    status: Obj = ds.get("status", {})
    return status


def exact(status: Obj, desired: int, *, generation: int, ready: bool = True) -> bool:
    counted = desired if ready else 0
    return (
        status.get("observedGeneration") == generation
        and status.get("desiredNumberScheduled") == desired
        and status.get("currentNumberScheduled") == desired
        and status.get("updatedNumberScheduled") == desired
        and status.get("numberMisscheduled", 0) == 0
        and status.get("numberReady", 0) == counted
        and status.get("numberAvailable", 0) == counted
        and status.get("numberUnavailable", 0) == desired - counted
    )


class RolloutWatcher:
    """Follows every pod event of a namespace and records the most nodes ever without an available pod.

    Incremental: each event updates the set of pods serving its node (Ready, not being deleted).
    """

    def __init__(self, eligible: set[str], image: str) -> None:
        self.eligible = eligible
        self.image = image
        self.pods: dict[str, Obj] = {}
        self.serving: dict[str, set[str]] = {}
        self.worst = 0
        self.events = 0
        self.done = asyncio.Event()

    def _update(self, uid: str, pod: Obj | None) -> None:
        old = self.pods.pop(uid, None)
        if old is not None:
            self.serving.get(pinned_node_name(old) or "", set()).discard(uid)
        if pod is None:
            return
        self.pods[uid] = pod
        if is_ready(pod) and not pod["metadata"].get("deletionTimestamp"):
            self.serving.setdefault(pinned_node_name(pod) or "", set()).add(uid)

    def unavailable(self) -> int:
        return sum(1 for node in self.eligible if not self.serving.get(node))

    def rolled_out(self) -> bool:
        return len(self.pods) == len(self.eligible) and all(
            pod["spec"]["containers"][0]["image"] == self.image
            and is_ready(pod)
            and not pod["metadata"].get("deletionTimestamp")
            for pod in self.pods.values()
        )

    async def follow(self, client: RestClient, namespace: str) -> None:
        pods = client.resource(r.PODS)
        listed = await pods.list(namespace)
        for pod in listed["items"]:
            self._update(pod["metadata"]["uid"], pod)
        version = listed["metadata"]["resourceVersion"]
        async for event in pods.watch(namespace, resource_version=version):
            if event["type"] == "BOOKMARK":
                continue
            obj = event["object"]
            self.events += 1
            self._update(obj["metadata"]["uid"], None if event["type"] == "DELETED" else obj)
            unavailable = self.unavailable()
            self.worst = max(self.worst, unavailable)
            if unavailable == 0 and self.rolled_out():
                self.done.set()


def size_for(server: ApiServerProcess) -> int:
    return 200 if server.storage.startswith("etcd") else 1000


async def test_one_pod_per_eligible_node_exact_status_and_a_rollout_within_max_unavailable(
    server: ApiServerProcess,
) -> None:
    count = size_for(server)
    tainted = count // 20
    group = uuid.uuid4().hex[:6]
    async with cluster(server) as (client, _service):
        namespace = await create_namespace(client, "ds")
        await create_all(
            client,
            r.NODES,
            [node(f"big-{group}-{i}", labels={"group": group}) for i in range(count - tainted)]
            + [
                node(
                    f"big-{group}-t{i}",
                    labels={"group": group},
                    taints=[{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}],
                )
                for i in range(tainted)
            ],
        )
        ds = daemonset(
            "fluentd",
            strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            pod_spec={"nodeSelector": {"group": group}},
        )
        await client.resource(r.DAEMONSETS).create(ds, namespace)
        desired = count - tainted
        max_unavailable = math.ceil(desired / 10)  # 10 %, rounded up as upstream scales it

        async def converged() -> bool:
            return exact(await status_of(client, namespace, "fluentd"), desired, generation=1)

        await eventually(converged, within=120, what=f"{desired} ready daemon pods")
        pods = (await client.resource(r.PODS).list(namespace))["items"]
        assert len(pods) == desired
        nodes = [pod["spec"]["nodeName"] for pod in pods]
        assert len(set(nodes)) == desired
        assert not any("-t" in name.rsplit("-", 1)[1] for name in nodes)
        sample = pods[0]
        assert sample["metadata"]["generateName"] == "fluentd-"
        assert sample["metadata"]["labels"]["pod-template-generation"] == "1"
        assert sample["metadata"]["labels"]["controller-revision-hash"]
        (ref,) = sample["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == (
            "DaemonSet",
            "fluentd",
            True,
            True,
        )
        tolerations = {t["key"] for t in sample["spec"]["tolerations"]}
        assert "node.kubernetes.io/unschedulable" in tolerations

        watcher = RolloutWatcher(set(nodes), "fluentd:v2")
        following = asyncio.create_task(watcher.follow(client, namespace))
        try:
            await client.resource(r.DAEMONSETS).patch(
                "fluentd",
                {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "fluentd:v2"}]}}}},
                namespace,
                patch_type="strategic",
            )
            await asyncio.wait_for(watcher.done.wait(), 240)
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
        assert watcher.worst <= max_unavailable, f"{watcher.worst} nodes unavailable at once"
        assert watcher.worst > 0  # the rollout did replace pods, in batches

        async def rolled() -> bool:
            return exact(await status_of(client, namespace, "fluentd"), desired, generation=2)

        await eventually(rolled, within=60, what="status after the rollout")
        revisions = (await client.resource(r.CONTROLLER_REVISIONS).list(namespace))["items"]
        assert sorted(rev["revision"] for rev in revisions) == [1, 2]
        pods = (await client.resource(r.PODS).list(namespace))["items"]
        assert {pod["metadata"]["labels"]["pod-template-generation"] for pod in pods} == {"2"}
        current = max(revisions, key=lambda rev: rev["revision"])
        assert {pod["metadata"]["labels"]["controller-revision-hash"] for pod in pods} == {
            current["metadata"]["labels"]["controller-revision-hash"]
        }
