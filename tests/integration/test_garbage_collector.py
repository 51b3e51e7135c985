"""The garbage collector against a live API server: DaemonSets, pods and ControllerRevisions written by
hand (no DaemonSet controller runs), then deleted with each propagation policy."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.controllers.garbagecollector.service import GarbageCollectorService
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.runtime.manager import Manager
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders
from tests.builders import owner_ref
from tests.integration.support import create_namespace, eventually, own_apiserver, running

HOLD = "everynode.io/test-hold"


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    with own_apiserver(request, tmp_path_factory, "gc") as process:
        yield process


@contextlib.asynccontextmanager
async def collector(server: ApiServerProcess) -> AsyncIterator[tuple[RestClient, GarbageCollectorService]]:
    async with RestClient(ClientConfig(server=server.url)) as client:
        manager = Manager(client)
        service = GarbageCollectorService(client, manager, workers=4)
        async with running(manager):
            yield client, service


async def create_daemonset(client: RestClient, namespace: str, name: str) -> Obj:
    return await client.resource(r.DAEMONSETS).create(builders.daemonset(name, image="fluentd:v1"), namespace)


async def create_pod(
    client: RestClient, namespace: str, name: str, refs: list[Obj], *, finalizers: list[str] | None = None
) -> Obj:
    main = builders.container(image="fluentd:v1")
    body = builders.pod(name, owners=refs, finalizers=finalizers or None, containers=[main])
    return await client.resource(r.PODS).create(body, namespace)


async def create_revision(client: RestClient, namespace: str, name: str, owner: Obj) -> Obj:
    data = {"spec": {"template": {"$patch": "replace"}}}
    body = builders.revision(name, data=data, owners=[owner_ref(owner)])
    return await client.resource(r.CONTROLLER_REVISIONS).create(body, namespace)


async def daemonset_family(
    client: RestClient, namespace: str, name: str, pods: int = 3
) -> tuple[Obj, list[Obj]]:
    """A DaemonSet, ``pods`` pods and one ControllerRevision owned by it (dependents returned)."""
    ds = await create_daemonset(client, namespace, name)
    dependents = [await create_pod(client, namespace, f"{name}-{i}", [owner_ref(ds)]) for i in range(pods)]
    dependents.append(await create_revision(client, namespace, f"{name}-rev1", ds))
    return ds, dependents


def info_of(obj: Obj) -> r.ResourceInfo:
    return r.CONTROLLER_REVISIONS if obj["kind"] == "ControllerRevision" else r.PODS


async def read(client: RestClient, info: r.ResourceInfo, namespace: str, name: str) -> Obj | None:
    try:
        return await client.resource(info).get(name, namespace)
    except errors.NotFound:
        return None


async def all_gone(client: RestClient, namespace: str, objects: list[Obj]) -> bool:
    for obj in objects:
        if await read(client, info_of(obj), namespace, obj["metadata"]["name"]) is not None:
            return False
    return True


async def test_background_deletion_removes_every_dependent(server: ApiServerProcess) -> None:
    async with collector(server) as (client, _):
        namespace = await create_namespace(client, "gc")
        ds, dependents = await daemonset_family(client, namespace, "bg")
        await client.resource(r.DAEMONSETS).delete("bg", namespace, propagation_policy="Background")
        assert await read(client, r.DAEMONSETS, namespace, "bg") is None  # gone at once
        await eventually(lambda: all_gone(client, namespace, dependents), what="the dependents to be deleted")
        _ = ds


async def test_foreground_deletion_keeps_the_owner_until_its_dependents_are_gone(
    server: ApiServerProcess,
) -> None:
    async with collector(server) as (client, _):
        namespace = await create_namespace(client, "gc")
        ds, dependents = await daemonset_family(client, namespace, "fg")
        # one dependent is held by a finalizer of its own, so the owner has to wait for it
        held = await create_pod(client, namespace, "fg-held", [owner_ref(ds)], finalizers=[HOLD])
        await client.resource(r.DAEMONSETS).delete("fg", namespace, propagation_policy="Foreground")

        await eventually(lambda: all_gone(client, namespace, dependents), what="the free dependents to go")

        async def held_is_terminating() -> bool:
            pod = await read(client, r.PODS, namespace, "fg-held")
            return pod is not None and bool(pod["metadata"].get("deletionTimestamp"))

        await eventually(
            held_is_terminating, what="the held dependent to be deleted (and kept by its finalizer)"
        )
        owner = await read(client, r.DAEMONSETS, namespace, "fg")
        assert owner is not None, "the owner went before its blocking dependent"
        assert owner["metadata"]["deletionTimestamp"]
        assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]

        await client.resource(r.PODS).patch("fg-held", {"metadata": {"finalizers": None}}, namespace)

        async def owner_gone() -> bool:
            return await read(client, r.DAEMONSETS, namespace, "fg") is None

        await eventually(owner_gone, what="the owner to disappear once its dependents are gone")
        assert await read(client, r.PODS, namespace, "fg-held") is None
        _ = held


async def test_foreground_deletion_goes_down_a_chain_of_owners(server: ApiServerProcess) -> None:
    """A dependent that has dependents of its own is deleted in the foreground too: the chain is
    removed from the leaves up, and each owner waits for the level below."""
    async with collector(server) as (client, _):
        namespace = await create_namespace(client, "gc")
        ds = await create_daemonset(client, namespace, "chain")
        middle = await create_pod(client, namespace, "chain-middle", [owner_ref(ds)])
        leaf = await create_pod(client, namespace, "chain-leaf", [owner_ref(middle)], finalizers=[HOLD])
        await client.resource(r.DAEMONSETS).delete("chain", namespace, propagation_policy="Foreground")

        async def leaf_terminating() -> bool:
            pod = await read(client, r.PODS, namespace, "chain-leaf")
            return pod is not None and bool(pod["metadata"].get("deletionTimestamp"))

        await eventually(leaf_terminating, what="the leaf to be deleted")
        mid = await read(client, r.PODS, namespace, "chain-middle")
        assert mid is not None
        assert mid["metadata"].get("finalizers") == ["foregroundDeletion"]
        assert await read(client, r.DAEMONSETS, namespace, "chain") is not None

        await client.resource(r.PODS).patch("chain-leaf", {"metadata": {"finalizers": None}}, namespace)

        async def chain_gone() -> bool:
            return await read(client, r.DAEMONSETS, namespace, "chain") is None

        await eventually(chain_gone, what="the whole chain to go")
        assert await all_gone(client, namespace, [middle, leaf])


async def test_orphan_deletion_keeps_the_dependents_without_the_reference(server: ApiServerProcess) -> None:
    async with collector(server) as (client, _):
        namespace = await create_namespace(client, "gc")
        ds, dependents = await daemonset_family(client, namespace, "orph")
        await client.resource(r.DAEMONSETS).delete("orph", namespace, propagation_policy="Orphan")

        async def owner_gone() -> bool:
            return await read(client, r.DAEMONSETS, namespace, "orph") is None

        await eventually(owner_gone, what="the owner to disappear after orphaning")
        for obj in dependents:
            current = await read(client, info_of(obj), namespace, obj["metadata"]["name"])
            assert current is not None, f"{obj['metadata']['name']} was deleted"
            refs = current["metadata"].get("ownerReferences") or []
            assert all(ref["uid"] != ds["metadata"]["uid"] for ref in refs)
            assert not current["metadata"].get("deletionTimestamp")


async def test_an_object_with_a_surviving_owner_only_loses_the_reference_to_the_deleted_one(
    server: ApiServerProcess,
) -> None:
    async with collector(server) as (client, _):
        namespace = await create_namespace(client, "gc")
        first = await create_daemonset(client, namespace, "first")
        second = await create_daemonset(client, namespace, "second")
        await create_pod(client, namespace, "shared", [owner_ref(first), owner_ref(second, controller=False)])
        await client.resource(r.DAEMONSETS).delete("first", namespace, propagation_policy="Background")

        async def only_second_left() -> bool:
            pod = await read(client, r.PODS, namespace, "shared")
            assert pod is not None, "the pod was deleted although one owner still exists"
            uids = [ref["uid"] for ref in pod["metadata"].get("ownerReferences") or []]
            return uids == [second["metadata"]["uid"]]

        await eventually(only_second_left, what="the reference to the deleted owner to be removed")
        pod = await read(client, r.PODS, namespace, "shared")
        assert pod is not None
        assert not pod["metadata"].get("deletionTimestamp")


async def test_dependents_of_an_owner_that_never_existed_are_collected(server: ApiServerProcess) -> None:
    """An owner the graph only knows from references (a virtual node) is looked up; absent, its
    dependents go — also when the collector starts after the owner was deleted."""
    async with RestClient(ClientConfig(server=server.url)) as client:
        namespace = await create_namespace(client, "gc")
        ghost = builders.daemonset("ghost", uid=str(uuid.uuid4()))
        pod = await create_pod(client, namespace, "haunted", [owner_ref(ghost)])
        unknown = {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "uid": str(uuid.uuid4())},
        }
        kept = await create_pod(client, namespace, "widget-owned", [owner_ref(unknown)])
    async with collector(server) as (client, _):
        await eventually(
            lambda: all_gone(client, namespace, [pod]), what="the dependent of a missing owner to go"
        )
        # an owner of a kind we do not serve is never looked up, so its dependent stays
        assert await read(client, r.PODS, namespace, kept["metadata"]["name"]) is not None


async def test_a_recreated_owner_with_the_same_name_does_not_save_the_old_dependents(
    server: ApiServerProcess,
) -> None:
    async with collector(server) as (client, _):
        namespace = await create_namespace(client, "gc")
        _, dependents = await daemonset_family(client, namespace, "again", pods=2)
        await client.resource(r.DAEMONSETS).delete("again", namespace)
        await create_daemonset(client, namespace, "again")  # same name, new uid
        await eventually(lambda: all_gone(client, namespace, dependents), what="the old dependents to go")
        assert await read(client, r.DAEMONSETS, namespace, "again") is not None
