"""The Deployment controller against a live API server, with the ReplicaSet controller, the scheduler
and a simulated kubelet (``simkubelet``: starts bound pods, makes them Ready, finishes deletes).

A Deployment of 3 gets one ReplicaSet (revision 1) whose 3 pods become Ready, and the status kubectl
rollout status reads (observedGeneration, updatedReplicas, availableReplicas, Progressing
NewReplicaSetAvailable). A template change rolls to a second ReplicaSet (revision 2) while, at every
observation, the ReplicaSets together ask for at most replicas + maxSurge pods and at least
replicas - maxUnavailable pods are Ready and not being deleted; the old ReplicaSet ends at 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.controllers.deployment.service import DeploymentService
from everynode.controllers.replicaset.service import ReplicaSetService
from everynode.core import resources as r
from everynode.core.pods import is_ready
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.scheduler.service import SchedulerService
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.integration.simkubelet import SimKubelet
from tests.integration.support import (
    BACKENDS,
    create_all,
    create_namespace,
    eventually,
    own_apiserver,
    running,
)

REVISION = "deployment.kubernetes.io/revision"
REPLICAS, MAX_SURGE, MAX_UNAVAILABLE = 3, 1, 1


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "deploy") as process:
        yield process


@contextlib.asynccontextmanager
async def cluster(server: ApiServerProcess) -> AsyncIterator[RestClient]:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        DeploymentService(client, manager)
        ReplicaSetService(client, manager)
        SchedulerService(client, manager)
        sim = SimKubelet(client)
        try:
            async with running(manager, sim.run()):
                yield client
        finally:
            await sim.close()


def condition(status: Obj, kind: str) -> Obj:
    return next((c for c in status.get("conditions") or () if c.get("type") == kind), {})


async def deployment_status(client: RestClient, namespace: str) -> Obj:
    return await client.resource(r.DEPLOYMENTS).get("web", namespace)


def rolled_out(deployment: Obj, generation: int) -> bool:
    """What ``kubectl rollout status`` waits for, and the conditions of a finished rollout."""
    status = deployment.get("status") or {}
    return (
        status.get("observedGeneration") == generation
        and status.get("replicas") == REPLICAS
        and status.get("updatedReplicas") == REPLICAS
        and status.get("readyReplicas") == REPLICAS
        and status.get("availableReplicas") == REPLICAS
        and not status.get("unavailableReplicas")
        and condition(status, "Available").get("reason") == "MinimumReplicasAvailable"
        and condition(status, "Progressing").get("reason") == "NewReplicaSetAvailable"
    )


@dataclass
class Fences:
    """Follows the namespace's ReplicaSets and pods; records the most pods ever asked for and the
    fewest Ready pods not being deleted."""

    specs: dict[str, int] = field(default_factory=dict)
    serving: set[str] = field(default_factory=set)
    most_asked: int = 0
    fewest_serving: int = REPLICAS
    listed: set[str] = field(default_factory=set)  # the resources whose initial list is in
    timeline: list[str] = field(default_factory=list)

    def on_replicaset(self, kind: str, rs: Obj) -> None:
        uid = rs["metadata"]["uid"]
        if kind == "DELETED":
            self.specs.pop(uid, None)
        else:
            self.specs[uid] = int(rs["spec"].get("replicas", 1))
        counts = rs.get("status") or {}
        self.timeline.append(
            f"{kind} {rs['metadata']['name']}: spec {rs['spec'].get('replicas')}, "
            f"status {counts.get('replicas')}/{counts.get('availableReplicas')}"
        )
        self.most_asked = max(self.most_asked, sum(self.specs.values()))

    def on_pod(self, kind: str, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        if kind != "DELETED" and is_ready(pod) and not pod["metadata"].get("deletionTimestamp"):
            self.serving.add(uid)
        else:
            self.serving.discard(uid)
        if "pods" in self.listed:  # past the initial list: every event is an observation
            self.fewest_serving = min(self.fewest_serving, len(self.serving))
        deleting = bool(pod["metadata"].get("deletionTimestamp"))
        self.timeline.append(f"{kind} {pod['metadata']['name']}: ready {is_ready(pod)}, deleting {deleting}")

    async def follow(self, client: RestClient, info: r.ResourceInfo, namespace: str) -> None:
        resource = client.resource(info)
        handle = self.on_replicaset if info is r.REPLICASETS else self.on_pod
        listed = await resource.list(namespace)
        for obj in listed["items"]:
            handle("ADDED", obj)
        self.listed.add(info.resource)
        async for event in resource.watch(namespace, resource_version=listed["metadata"]["resourceVersion"]):
            if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                handle(event["type"], event["object"])


async def test_deployment_runs_its_pods_and_rolls_within_max_surge_and_max_unavailable(
    server: ApiServerProcess,
) -> None:
    group = uuid.uuid4().hex[:6]
    async with cluster(server) as client:
        namespace = await create_namespace(client, "deploy")
        await create_all(
            client,
            r.NODES,
            [
                builders.node(
                    f"dn-{group}-{i}",
                    labels={"group": group},
                    conditions=[builders.condition("Ready")],
                    allocatable={"cpu": "8", "memory": "16Gi", "pods": "110"},
                )
                for i in range(3)
            ],
        )
        strategy = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": MAX_SURGE, "maxUnavailable": MAX_UNAVAILABLE},
        }
        manifest = builders.deployment(
            "web",
            replicas=REPLICAS,
            image="nginx:1.25",
            strategy=strategy,
            pod_spec={"nodeSelector": {"group": group}},
        )
        deployments = client.resource(r.DEPLOYMENTS)
        replicasets = client.resource(r.REPLICASETS)
        created = await deployments.create(manifest, namespace)

        async def first_rollout() -> bool:
            return rolled_out(await deployment_status(client, namespace), 1)

        await eventually(first_rollout, within=60, what="3 available replicas of revision 1")
        (first,) = (await replicasets.list(namespace))["items"]
        assert first["metadata"]["annotations"][REVISION] == "1"
        assert first["spec"]["replicas"] == REPLICAS
        (owner,) = first["metadata"]["ownerReferences"]
        assert (
            owner["kind"],
            owner["name"],
            owner["uid"],
            owner["controller"],
            owner["blockOwnerDeletion"],
        ) == (
            "Deployment",
            "web",
            created["metadata"]["uid"],
            True,
            True,
        )
        pod_hash = first["metadata"]["labels"]["pod-template-hash"]
        assert first["metadata"]["name"] == f"web-{pod_hash}"
        pods = (await client.resource(r.PODS).list(namespace))["items"]
        assert len(pods) == REPLICAS
        assert all(
            is_ready(pod) and pod["metadata"]["labels"]["pod-template-hash"] == pod_hash for pod in pods
        )
        assert (await deployment_status(client, namespace))["metadata"]["annotations"][REVISION] == "1"

        fences = Fences()
        followers = [
            asyncio.create_task(fences.follow(client, r.REPLICASETS, namespace)),
            asyncio.create_task(fences.follow(client, r.PODS, namespace)),
        ]
        try:
            await eventually(lambda: len(fences.listed) == 2, within=10, what="the watches to start")
            await deployments.patch(
                "web",
                {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}}}},
                namespace,
                patch_type="strategic",
            )

            async def second_rollout() -> bool:
                return rolled_out(await deployment_status(client, namespace), 2)

            await eventually(second_rollout, within=90, what="the rollout to revision 2")
        finally:
            for task in followers:
                task.cancel()
            for task in followers:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        assert fences.most_asked == REPLICAS + MAX_SURGE, (  # the surge was used, never passed
            f"{fences.most_asked} pods asked for at once\n" + "\n".join(fences.timeline)
        )
        assert fences.fewest_serving >= REPLICAS - MAX_UNAVAILABLE, (
            f"only {fences.fewest_serving} pods served\n" + "\n".join(fences.timeline)
        )

        items = (await replicasets.list(namespace))["items"]
        by_revision = {rs["metadata"]["annotations"][REVISION]: rs for rs in items}
        assert set(by_revision) == {"1", "2"}
        assert by_revision["1"]["metadata"]["uid"] == first["metadata"]["uid"]
        assert by_revision["1"]["spec"]["replicas"] == 0
        assert by_revision["2"]["spec"]["replicas"] == REPLICAS
        current = await deployment_status(client, namespace)
        assert current["metadata"]["annotations"][REVISION] == "2"
        progressing = condition(current["status"], "Progressing")
        assert (
            progressing["message"]
            == f'ReplicaSet "{by_revision["2"]["metadata"]["name"]}" has successfully progressed.'
        )

        async def old_pods_gone() -> bool:
            pods = (await client.resource(r.PODS).list(namespace))["items"]
            images = {pod["spec"]["containers"][0]["image"] for pod in pods}
            return len(pods) == REPLICAS and images == {"nginx:1.26"}

        await eventually(old_pods_gone, within=30, what="only revision 2's pods")
