"""The ReplicaSet controller against a live API server, with the scheduler binding its pods, a small
simulated kubelet (``simkubelet``) running them and the garbage collector removing them with their
owner. Nodes are written directly; the ReplicaSets' pods are confined to them by a node selector.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.controllers.garbagecollector.service import WATCHED, GarbageCollectorService
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

WITHIN = 60.0


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "rsc") as process:
        yield process


@contextlib.asynccontextmanager
async def cluster(server: ApiServerProcess) -> AsyncIterator[tuple[RestClient, str]]:
    """The controller, the scheduler and the garbage collector on one manager, a simulated kubelet,
    three nodes of a group of their own; yields a client and the group's name."""
    async with RestClient(ClientConfig(server=server.url)) as client:
        group = uuid.uuid4().hex[:6]
        await create_all(
            client, r.NODES, [builders.node(f"rs-{group}-{i}", labels={"group": group}) for i in range(3)]
        )
        manager = Manager(client)
        ReplicaSetService(client, manager, workers=2)
        SchedulerService(client, manager)
        GarbageCollectorService(client, manager, workers=4, resources=(*WATCHED, r.REPLICASETS))
        sim = SimKubelet(client)
        try:
            async with running(manager, sim.run()):
                yield client, group
        finally:
            await sim.close()


def replicaset(name: str, group: str, replicas: int) -> Obj:
    return builders.replicaset(
        name, replicas=replicas, image="nginx:1.25", pod_spec={"nodeSelector": {"group": group}}
    )


async def live_pods(client: RestClient, namespace: str) -> list[Obj]:
    """The namespace's pods that are not being deleted."""
    listed = await client.resource(r.PODS).list(namespace)
    return [pod for pod in listed["items"] if not pod["metadata"].get("deletionTimestamp")]


async def settled(client: RestClient, namespace: str, name: str, replicas: int) -> bool:
    """``replicas`` Ready pods owned by the ReplicaSet, no other pod, and a status saying so for the
    current generation."""
    rs = await client.resource(r.REPLICASETS).get(name, namespace)
    status = rs.get("status", {})
    if (
        status.get("observedGeneration") != rs["metadata"]["generation"]
        or status.get("replicas", 0) != replicas
        or status.get("readyReplicas", 0) != replicas
        or status.get("availableReplicas", 0) != replicas
        or status.get("fullyLabeledReplicas", 0) != replicas
    ):
        return False
    pods = await live_pods(client, namespace)
    everything = (await client.resource(r.PODS).list(namespace))["items"]
    return (
        len(pods) == replicas == len(everything)
        and all(is_ready(pod) for pod in pods)
        and all(owner_uid(pod) == rs["metadata"]["uid"] for pod in pods)
    )


def owner_uid(pod: Obj) -> str | None:
    for ref in pod["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref["uid"])
    return None


async def scale(client: RestClient, namespace: str, name: str, replicas: int) -> None:
    await client.resource(r.REPLICASETS).patch(name, {"spec": {"replicas": replicas}}, namespace)


async def test_replicas_become_ready_scale_up_and_down_and_a_deleted_pod_is_replaced(
    server: ApiServerProcess,
) -> None:
    async with cluster(server) as (client, group):
        namespace = await create_namespace(client, "rs")
        await client.resource(r.REPLICASETS).create(replicaset("web", group, 3), namespace)
        await eventually(lambda: settled(client, namespace, "web", 3), within=WITHIN, what="3 ready replicas")

        pods = await live_pods(client, namespace)
        sample = pods[0]
        assert sample["metadata"]["generateName"] == "web-"
        assert sample["metadata"]["labels"] == {"app": "web"}
        assert sample["spec"]["nodeName"].startswith(f"rs-{group}-")
        (ref,) = sample["metadata"]["ownerReferences"]
        assert (
            ref["apiVersion"],
            ref["kind"],
            ref["name"],
            ref["controller"],
            ref["blockOwnerDeletion"],
        ) == (
            "apps/v1",
            "ReplicaSet",
            "web",
            True,
            True,
        )
        assert not sample["metadata"].get("finalizers")
        events = (await client.resource(r.EVENTS).list(namespace))["items"]
        created = [e for e in events if e.get("reason") == "SuccessfulCreate"]
        assert created
        assert created[0]["source"]["component"] == "replicaset-controller"
        assert created[0]["involvedObject"]["kind"] == "ReplicaSet"

        await scale(client, namespace, "web", 5)
        await eventually(lambda: settled(client, namespace, "web", 5), within=WITHIN, what="5 ready replicas")

        await scale(client, namespace, "web", 1)
        await eventually(lambda: settled(client, namespace, "web", 1), within=WITHIN, what="1 ready replica")

        (survivor,) = await live_pods(client, namespace)
        await client.resource(r.PODS).delete(survivor["metadata"]["name"], namespace)

        async def replaced() -> bool:
            pods = await live_pods(client, namespace)
            return [pod["metadata"]["name"] for pod in pods] != [
                survivor["metadata"]["name"]
            ] and await settled(client, namespace, "web", 1)

        await eventually(replaced, within=WITHIN, what="the deleted pod to be replaced")


async def test_an_orphan_is_adopted_and_background_deletion_leaves_no_pods(server: ApiServerProcess) -> None:
    async with cluster(server) as (client, group):
        namespace = await create_namespace(client, "rs")
        orphan = builders.pod(
            "orphan",
            labels={"app": "api"},
            containers=[builders.container(image="nginx:1.25")],
            nodeSelector={"group": group},
        )
        await client.resource(r.PODS).create(orphan, namespace)
        rs = await client.resource(r.REPLICASETS).create(replicaset("api", group, 2), namespace)
        await eventually(lambda: settled(client, namespace, "api", 2), within=WITHIN, what="2 ready replicas")
        adopted = await client.resource(r.PODS).get("orphan", namespace)
        assert owner_uid(adopted) == rs["metadata"]["uid"]  # adopted, so only one pod was created

        await client.resource(r.REPLICASETS).delete("api", namespace, propagation_policy="Background")

        async def no_pods() -> bool:
            return not (await client.resource(r.PODS).list(namespace))["items"]

        await eventually(no_pods, within=WITHIN, what="the garbage collector to delete every pod")
