"""The disruption controller against a live API server: a budget's status follows its pods."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.controllers.disruption.service import DisruptionService
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.integration.support import create_namespace, eventually, own_apiserver, running


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "disruption") as process:
        yield process


async def ready_pod(client: RestClient, namespace: str, name: str) -> Obj:
    pods = client.resource(r.PODS)
    made = await pods.create(builders.pod(name, labels={"app": "web"}, node="node-1"), namespace)
    ready = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    patched: Obj = await pods.patch(name, {"status": ready}, namespace, subresource="status")
    return patched or made


async def test_a_budgets_status_follows_its_pods(server: ApiServerProcess) -> None:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        DisruptionService(client, manager)
        async with running(manager):
            namespace = await create_namespace(client, "pdb")
            for name in ("a", "b", "c"):
                await ready_pod(client, namespace, name)
            budgets = client.resource(r.POD_DISRUPTION_BUDGETS)
            pdb = {
                "metadata": {"name": "web"},
                "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
            }
            await budgets.create(pdb, namespace)

            async def status() -> Obj:
                found: Obj = (await budgets.get("web", namespace)).get("status") or {}
                return found

            async def allows_one() -> bool:
                found = await status()
                return (found.get("observedGeneration"), found.get("disruptionsAllowed")) == (1, 1)

            await eventually(allows_one, within=10, what="the budget to allow one disruption")
            found = await status()
            assert (found["expectedPods"], found["desiredHealthy"], found["currentHealthy"]) == (3, 2, 3)
            assert found["conditions"][0]["reason"] == "SufficientPods"

            await client.resource(r.PODS).delete("a", namespace)

            async def allows_none() -> bool:
                return (await status()).get("disruptionsAllowed") == 0

            await eventually(allows_none, within=10, what="the budget to allow none with a pod gone")
            assert (await status())["conditions"][0]["reason"] == "InsufficientPods"


async def test_a_deployments_budget_counts_its_replicas_and_allows_an_eviction(
    server: ApiServerProcess,
) -> None:
    """maxUnavailable 1 over a 2-replica Deployment's pods (calico-kube-controllers' budget): the
    Deployment is found through the pods' ReplicaSet, one disruption is allowed, one eviction passes and
    the next is refused. No Deployment controller runs: the ReplicaSet and pods are written here."""
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        DisruptionService(client, manager)
        async with running(manager):
            namespace = await create_namespace(client, "pdb-deploy")
            deployment = await client.resource(r.DEPLOYMENTS).create(
                builders.deployment("kc", replicas=2, match_labels={"app": "web"}), namespace
            )
            rs = await client.resource(r.REPLICASETS).create(
                builders.replicaset(
                    "kc-5d8", replicas=2, match_labels={"app": "web"}, owners=[builders.owner_ref(deployment)]
                ),
                namespace,
            )
            pods = client.resource(r.PODS)
            for name in ("kc-5d8-a", "kc-5d8-b"):
                owned = builders.pod(
                    name, labels={"app": "web"}, node="node-1", owners=[builders.owner_ref(rs)]
                )
                await pods.create(owned, namespace)
                ready = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
                await pods.patch(name, {"status": ready}, namespace, subresource="status")
            budgets = client.resource(r.POD_DISRUPTION_BUDGETS)
            pdb = {
                "metadata": {"name": "kc"},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
            }
            await budgets.create(pdb, namespace)

            async def status() -> Obj:
                found: Obj = (await budgets.get("kc", namespace)).get("status") or {}
                return found

            async def allows_one() -> bool:
                found = await status()
                return (found.get("observedGeneration"), found.get("disruptionsAllowed")) == (1, 1)

            await eventually(allows_one, within=10, what="the Deployment's budget to allow one disruption")
            found = await status()
            assert (found["expectedPods"], found["desiredHealthy"], found["currentHealthy"]) == (2, 1, 2)
            assert found["conditions"][0]["reason"] == "SufficientPods"

            eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "kc-5d8-a"}}
            path = f"/api/v1/namespaces/{namespace}/pods/kc-5d8-a/eviction"
            assert (await client.request("POST", path, body=eviction))["status"] == "Success"
            other = {**eviction, "metadata": {"name": "kc-5d8-b"}}
            with pytest.raises(errors.TooManyRequests):
                await client.request(
                    "POST", f"/api/v1/namespaces/{namespace}/pods/kc-5d8-b/eviction", body=other
                )

            async def counted_the_eviction() -> bool:
                found = await status()
                return (found.get("currentHealthy"), found.get("disruptionsAllowed")) == (1, 0)

            await eventually(counted_the_eviction, within=10, what="the budget to count one pod gone")
            assert (await status())["expectedPods"] == 2  # the Deployment still wants 2
