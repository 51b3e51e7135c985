from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from everynode.core import resources as r
from everynode.core.clock import FakeClock
from everynode.informers.informer import Informer
from everynode.informers.shared import SharedInformers, describe
from everynode.informers.store import by_controller_uid, by_namespace, by_node_name
from tests import builders


class FakeResource:
    """Lists ``items`` once, then holds a quiet watch open; counts both."""

    def __init__(self, items: list[dict]) -> None:
        self.items = items
        self.lists = 0
        self.watches = 0

    async def list(self, namespace: str | None = None, **kwargs: Any) -> dict:
        self.lists += 1
        return {"items": self.items, "metadata": {"resourceVersion": "1"}}

    async def watch(self, namespace: str | None = None, **kwargs: Any) -> AsyncIterator[dict]:
        self.watches += 1
        await asyncio.Event().wait()
        yield {}


class FakeClient:
    def __init__(self, items: dict[str, list[dict]] | None = None) -> None:
        self.items = items or {}
        self.made: list[tuple[str, FakeResource]] = []

    def resource(self, info: r.ResourceInfo) -> FakeResource:
        made = FakeResource(self.items.get(info.resource, []))
        self.made.append((info.resource, made))
        return made


@contextlib.asynccontextmanager
async def running(factory: SharedInformers) -> AsyncIterator[None]:
    task = asyncio.create_task(factory.run())
    try:
        await asyncio.wait_for(factory.wait_for_sync(), 5)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_one_informer_per_resource_namespace_and_selectors() -> None:
    client = FakeClient()
    factory = SharedInformers(client, clock=FakeClock())
    pods = factory.informer(r.PODS)
    assert factory.informer(r.PODS) is pods
    assert factory.informer(r.NODES) is not pods
    assert factory.informer(r.PODS, namespace="ns") is not pods
    assert factory.informer(r.PODS, label_selector="a=b") is not pods
    assert factory.informer(r.PODS, field_selector="spec.nodeName=n1") is not pods
    leases = factory.informer(r.LEASES, namespace="kube-node-lease")
    assert factory.informer(r.LEASES, namespace="kube-node-lease") is leases
    assert leases.namespace == "kube-node-lease"
    assert len(factory.informers()) == 6
    assert [name for name, _ in client.made].count("pods") == 4, "one resource client per informer"


def test_indexers_asked_for_by_different_callers_are_merged() -> None:
    factory = SharedInformers(FakeClient(), clock=FakeClock())
    first = factory.informer(r.PODS, indexers={"node": by_node_name})
    second = factory.informer(r.PODS, indexers={"owner": by_controller_uid, "node": by_node_name})
    assert first is second
    first.store.upsert(builders.pod("a", namespace="ns", node="n1", resource_version="1"))
    assert [p["metadata"]["name"] for p in second.store.by_index("node", "n1")] == ["a"]
    assert second.store.by_index("owner", "x") == []
    with pytest.raises(ValueError, match="'node' already exists"):
        factory.informer(r.PODS, indexers={"node": by_namespace})


async def test_run_lists_and_watches_each_informer_once_for_every_caller() -> None:
    client = FakeClient(
        {
            "pods": [
                builders.pod("a", namespace="ns", node="n1", resource_version="1"),
                builders.pod("b", namespace="ns", node="n2", resource_version="1"),
            ]
        }
    )
    factory = SharedInformers(client, clock=FakeClock())
    seen: dict[str, list[str]] = {"scheduler": [], "podgc": []}
    for component in seen:
        informer = factory.informer(r.PODS)
        informer.add_handlers(on_add=lambda o, c=component: seen[c].append(o["metadata"]["name"]))
    factory.informer(r.NODES)
    async with running(factory):
        for _ in range(5):
            await asyncio.sleep(0)
        assert seen == {"scheduler": ["a", "b"], "podgc": ["a", "b"]}
        assert {name: (res.lists, res.watches) for name, res in client.made} == {
            "pods": (1, 1),
            "nodes": (1, 1),
        }


async def test_informers_must_be_asked_for_before_run() -> None:
    factory = SharedInformers(FakeClient(), clock=FakeClock())
    pods = factory.informer(r.PODS)
    async with running(factory):
        assert factory.started
        assert factory.informer(r.PODS) is pods, "an existing informer may still be looked up"
        with pytest.raises(RuntimeError, match=r"before SharedInformers\.run\(\)"):
            factory.informer(r.NODES)
        with pytest.raises(RuntimeError, match="called twice"):
            await factory.run()


async def test_an_informer_cannot_run_twice_at_once() -> None:
    informer = Informer(FakeResource([]), clock=FakeClock())
    task = asyncio.create_task(informer.run())
    await asyncio.wait_for(informer.synced.wait(), 5)
    with pytest.raises(RuntimeError, match="already running"):
        await informer.run()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert not informer.running


def test_describe_names_the_informer() -> None:
    assert describe((r.PODS, None, "", "")) == "pods"
    assert describe((r.DAEMONSETS, "ns", "a=b", "")) == "daemonsets.apps in ns labels=a=b"
