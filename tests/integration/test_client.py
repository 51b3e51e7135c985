"""everynode's own REST client against a live API server (SQLite and etcd)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.testing.apiserver import ApiServerProcess


def pod(name: str) -> dict:
    return {
        "metadata": {"name": name, "labels": {"app": "c"}},
        "spec": {"containers": [{"name": "c", "image": "busybox:1"}]},
    }


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
