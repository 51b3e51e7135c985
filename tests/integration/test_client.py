"""everynode's own REST client against a live API server (SQLite and etcd)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.spawn.apiserver import ApiServerProcess
from tests import builders


def pod(name: str) -> dict:
    return builders.pod(name, labels={"app": "c"}, containers=[builders.container("c", image="busybox:1")])


async def test_crud_errors_and_watch(apiserver: ApiServerProcess) -> None:
    namespace = f"c-{uuid.uuid4().hex[:6]}"
    async with RestClient(ClientConfig(server=apiserver.url)) as client:
        await client.resource(r.NAMESPACES).create({"metadata": {"name": namespace}})
        pods = client.resource(r.PODS)
        created = await pods.create(pod("a"), namespace)
        assert (await pods.get("a", namespace))["metadata"]["uid"] == created["metadata"]["uid"]
        with pytest.raises(errors.AlreadyExists):
            await pods.create(pod("a"), namespace)
        with pytest.raises(errors.NotFound):
            await pods.get("missing", namespace)
        patched = await pods.patch("a", {"metadata": {"labels": {"x": "1"}}}, namespace)
        stale = dict(created)
        with pytest.raises(errors.Conflict):
            await pods.update(stale)
        listed = await pods.list(namespace, label_selector="x=1")
        assert [p["metadata"]["name"] for p in listed["items"]] == ["a"]
        # selectors with spaces, parentheses, commas and "!" travel encoded and arrive intact
        listed = await pods.list(
            namespace, label_selector="x in (1, 2),app!=d", field_selector="metadata.name!=b"
        )
        assert [p["metadata"]["name"] for p in listed["items"]] == ["a"]

        events: list[tuple[str, str]] = []

        async def follow() -> None:
            stream = pods.watch(
                namespace, resource_version=patched["metadata"]["resourceVersion"], timeout_seconds=10
            )
            async for event in stream:
                events.append((event["type"], event["object"]["metadata"]["name"]))
                if len(events) == 2:
                    return

        watching = asyncio.create_task(follow())
        await pods.create(pod("b"), namespace)
        await pods.delete("b", namespace)
        await asyncio.wait_for(watching, 30)
        assert events == [("ADDED", "b"), ("DELETED", "b")]
        with pytest.raises(errors.Invalid):
            await pods.create({"metadata": {"name": "bad"}, "spec": {"containers": []}}, namespace)


async def test_a_watch_too_far_back_raises_gone(tmp_path: object) -> None:
    with ApiServerProcess(
        f"sqlite:///{tmp_path}/state.db", extra_args=("--watch-cache-history", "3")
    ) as server:
        async with RestClient(ClientConfig(server=server.url)) as client:
            nodes = client.resource(r.NODES)
            first = await nodes.create({"metadata": {"name": "n0"}})
            for i in range(5):
                await nodes.patch("n0", {"metadata": {"labels": {"i": str(i)}}})
            with pytest.raises(errors.Gone):
                async for _ in nodes.watch(
                    resource_version=first["metadata"]["resourceVersion"], timeout_seconds=5
                ):
                    pass


async def test_an_informer_mirrors_the_server_with_indexes(apiserver: ApiServerProcess) -> None:
    from everynode.informers.informer import Informer
    from everynode.informers.store import by_node_name

    namespace = f"i-{uuid.uuid4().hex[:6]}"
    async with RestClient(ClientConfig(server=apiserver.url)) as client:
        await client.resource(r.NAMESPACES).create({"metadata": {"name": namespace}})
        pods = client.resource(r.PODS)
        await pods.create(pod("before"), namespace)
        informer = Informer(pods, namespace=namespace, indexers={"node": by_node_name})
        deleted: list[str] = []
        gone = asyncio.Event()

        def on_delete(obj: dict) -> None:
            deleted.append(obj["metadata"]["name"])
            gone.set()

        informer.add_handlers(on_delete=on_delete)
        task = asyncio.create_task(informer.run())
        try:
            await asyncio.wait_for(informer.synced.wait(), 10)
            assert [o["metadata"]["name"] for o in informer.store.objects()] == ["before"]
            bound = pod("bound")
            bound["spec"]["nodeName"] = "n7"
            await pods.create(bound, namespace)
            await pods.delete("before", namespace)
            await asyncio.wait_for(gone.wait(), 10)  # events arrive in order: the add came first
            assert deleted == ["before"]
            assert [o["metadata"]["name"] for o in informer.store.by_index("node", "n7")] == ["bound"]
            assert [o["metadata"]["name"] for o in informer.store.objects()] == ["bound"]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_the_event_recorder_aggregates_repeats(apiserver: ApiServerProcess) -> None:
    from everynode.runtime.events import NORMAL, WARNING, EventRecorder

    namespace = f"e-{uuid.uuid4().hex[:6]}"
    async with RestClient(ClientConfig(server=apiserver.url)) as client:
        await client.resource(r.NAMESPACES).create({"metadata": {"name": namespace}})
        ds = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "web", "namespace": namespace, "uid": "u-1"},
        }
        recorder = EventRecorder(client, "daemonset-controller")
        await recorder.event(ds, NORMAL, "SuccessfulCreate", "Created pod: web-abcde")
        await recorder.event(ds, NORMAL, "SuccessfulCreate", "Created pod: web-abcde")
        await recorder.event(ds, WARNING, "FailedDaemonPod", "Found failed daemon pod")
        events = (
            await client.resource(r.EVENTS).list(
                namespace, field_selector="involvedObject.kind=DaemonSet,involvedObject.name=web"
            )
        )["items"]
        by_reason = {e["reason"]: e for e in events}
        assert set(by_reason) == {"SuccessfulCreate", "FailedDaemonPod"}
        assert by_reason["SuccessfulCreate"]["count"] == 2
        assert by_reason["SuccessfulCreate"]["source"] == {"component": "daemonset-controller"}
        assert by_reason["FailedDaemonPod"]["type"] == "Warning"
        # Recording about an object in a namespace that does not exist logs and returns.
        await recorder.event({"metadata": {"name": "x", "namespace": "nowhere"}}, NORMAL, "R", "m")
