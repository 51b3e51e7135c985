"""The registry on memory storage: what the HTTP tests cannot pin down (random names, stale caches)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
import pytest

from everynode.apiserver.registry import store as registry_module
from everynode.apiserver.registry.deletion import DeleteOptions
from everynode.apiserver.registry.store import Registry
from everynode.apiserver.watch.cache import WatchCache
from everynode.core import errors
from everynode.core import resources as r
from everynode.storage.memory import MemoryBackend
from tests import builders


@pytest.fixture
async def registry() -> AsyncIterator[Registry]:
    backend = MemoryBackend()
    await backend.start()
    caches = {info.resource: WatchCache(backend, info) for info in r.RESOURCES}
    tasks = [asyncio.create_task(cache.run()) for cache in caches.values()]
    await asyncio.gather(*(cache.ready.wait() for cache in caches.values()))
    reg = Registry(backend, caches)
    await reg.create(r.NAMESPACES, None, {"metadata": {"name": "default"}})
    yield reg
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await backend.close()


@pytest.fixture
def suffixes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    queue: list[str] = []
    monkeypatch.setattr(registry_module, "random_suffix", lambda: queue.pop(0))
    return queue


def pod(name: str = "", **metadata: str) -> dict:
    return builders.pod(name, containers=[builders.container("c", image="pause")], metadata=metadata)


async def test_a_generated_name_that_is_taken_is_generated_again(
    registry: Registry, suffixes: list[str]
) -> None:
    suffixes.extend(["aaaaa", "aaaaa", "bbbbb"])
    first = await registry.create(r.PODS, "default", pod(generateName="web-"))
    second = await registry.create(r.PODS, "default", pod(generateName="web-"))
    assert (first["metadata"]["name"], second["metadata"]["name"]) == ("web-aaaaa", "web-bbbbb")


async def test_generated_names_give_up_after_eight_attempts(registry: Registry, suffixes: list[str]) -> None:
    suffixes.extend(["aaaaa"] * 9)
    await registry.create(r.PODS, "default", pod(generateName="web-"))
    with pytest.raises(Exception, match="already exists"):
        await registry.create(r.PODS, "default", pod(generateName="web-"))
    assert suffixes == []


async def test_an_explicit_name_that_is_taken_is_already_exists(registry: Registry) -> None:
    await registry.create(r.PODS, "default", pod(name="web"))
    with pytest.raises(Exception, match="already exists"):
        await registry.create(r.PODS, "default", pod(name="web"))


async def test_a_patch_from_a_stale_cache_is_retried_from_storage(registry: Registry) -> None:
    created = await registry.create(r.PODS, "default", pod(name="web"))
    cache = registry.caches["pods"]
    key = r.PODS.key("default", "web")
    assert await cache.consistent()
    stale = cache.stored(key)
    # a write the cache has not seen yet: the cache is frozen on the stale version
    newer = await registry.backend.update(key, stale.value, expected_revision=stale.mod_revision)
    cache._stored[key] = stale

    def label(obj: dict) -> dict:
        changed = dict(obj)
        changed["metadata"] = {**obj["metadata"], "labels": {"app": "web"}}
        return changed

    patched = await registry.patch(r.PODS, "default", "web", label)
    assert patched["metadata"]["labels"] == {"app": "web"}
    assert (
        int(patched["metadata"]["resourceVersion"])
        > newer.mod_revision
        > int(created["metadata"]["resourceVersion"])
    )


async def test_a_no_op_on_a_stale_cache_is_checked_against_storage(registry: Registry) -> None:
    await registry.create(r.PODS, "default", pod(name="web"))
    cache = registry.caches["pods"]
    key = r.PODS.key("default", "web")
    assert await cache.consistent()
    stale = cache.stored(key)
    labelled = await registry.patch(
        r.PODS, "default", "web", lambda obj: {**obj, "metadata": {**obj["metadata"], "labels": {"a": "b"}}}
    )
    cache._stored[key] = stale  # the cache still shows the pod without the label

    def unlabel(obj: dict) -> dict:
        return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "labels"}}

    result = await registry.patch(r.PODS, "default", "web", unlabel)
    assert "labels" not in result["metadata"]  # storage had the label: removing it is a real write
    assert int(result["metadata"]["resourceVersion"]) > int(labelled["metadata"]["resourceVersion"])


async def test_writes_never_change_the_cached_object_they_start_from(registry: Registry) -> None:
    """The registry starts read-modify-writes from the watch cache's own objects: they are read-only."""
    await registry.create(r.PODS, "default", pod(name="web"))
    cache = registry.caches["pods"]
    key = r.PODS.key("default", "web")

    def labelled(obj: dict) -> dict:
        copy = orjson.loads(orjson.dumps(obj))
        copy["metadata"].setdefault("labels", {})["step"] = str(len(copy["metadata"].get("labels", {})))
        return copy

    def status(obj: dict) -> dict:
        copy = orjson.loads(orjson.dumps(obj))
        copy.setdefault("status", {})["phase"] = (
            "Running" if copy["status"].get("phase") != "Running" else "Pending"
        )
        return copy

    writes = [
        lambda: registry.patch(r.PODS, "default", "web", labelled),
        lambda: registry.patch(r.PODS, "default", "web", status, subresource="status"),
        lambda: registry.bind("default", "web", "node-1"),
        lambda: registry.patch(r.PODS, "default", "web", status, subresource="status"),
    ]
    for write in writes:
        assert await cache.consistent()
        before = cache.get(key)
        snapshot = orjson.dumps(before)
        await write()
        assert orjson.dumps(before) == snapshot
    assert await cache.consistent()
    final = cache.get(key)
    assert final["spec"]["nodeName"] == "node-1"
    assert final["metadata"]["labels"] == {"step": "0"}


async def test_a_delete_from_the_cache_leaves_the_cached_object_alone(registry: Registry) -> None:
    await registry.create(r.PODS, "default", pod(name="web"))
    cache = registry.caches["pods"]
    assert await cache.consistent()
    cached = cache.get(r.PODS.key("default", "web"))
    snapshot = orjson.dumps(cached)
    body, code = await registry.delete(r.PODS, "default", "web", DeleteOptions())
    assert code == 200
    assert int(body["metadata"]["resourceVersion"]) > int(cached["metadata"]["resourceVersion"])
    assert orjson.dumps(cached) == snapshot


async def test_a_delete_precondition_is_judged_by_storage_not_a_stale_cache(registry: Registry) -> None:
    await registry.create(r.PODS, "default", pod(name="web"))
    cache = registry.caches["pods"]
    key = r.PODS.key("default", "web")
    assert await cache.consistent()
    stale = cache.stored(key)
    newer = await registry.backend.update(key, stale.value, expected_revision=stale.mod_revision)
    cache._stored[key] = stale  # the cache has not seen the newer version
    options = DeleteOptions(precondition_resource_version=str(newer.mod_revision))
    _, code = await registry.delete(r.PODS, "default", "web", options)
    assert code == 200
    with pytest.raises(Exception, match="not found"):
        await registry.get(r.PODS, "default", "web")


async def test_creating_in_a_terminating_namespace_is_forbidden_with_its_cause(registry: Registry) -> None:
    await registry.create(r.NAMESPACES, None, {"metadata": {"name": "going"}})
    await registry.delete(r.NAMESPACES, None, "going", DeleteOptions())
    assert await registry.caches["namespaces"].consistent()
    with pytest.raises(errors.Forbidden) as refused:
        await registry.create(r.PODS, "going", pod(name="late"))
    assert refused.value.status()["details"]["causes"][0]["type"] == "NamespaceTerminating"


async def test_the_watch_cache_keeps_the_object_the_registry_wrote_instead_of_decoding_it(
    registry: Registry,
) -> None:
    created = await registry.create(r.PODS, "default", pod(name="web"))
    cache = registry.caches["pods"]
    key = r.PODS.key("default", "web")
    assert await cache.consistent()
    assert cache.get(key) is created  # handed over, not decoded again
    stored = cache.stored(key)
    assert created == {**orjson.loads(stored.value), "metadata": created["metadata"]}
    assert created["metadata"]["resourceVersion"] == str(stored.mod_revision)

    def labelled(old: dict) -> dict:
        return {**old, "metadata": {**old["metadata"], "labels": {"a": "b"}}}

    patched = await registry.patch(r.PODS, "default", "web", labelled)
    await cache.wait_for(int(patched["metadata"]["resourceVersion"]))
    assert cache.get(key) is patched
    assert orjson.loads(cache.stored(key).value)["metadata"]["labels"] == {"a": "b"}
    assert cache._own_writes == {}


async def test_a_write_that_fails_is_not_kept_as_the_caches_copy(registry: Registry) -> None:
    await registry.create(r.PODS, "default", pod(name="web"))
    with pytest.raises(errors.AlreadyExists):
        await registry.create(r.PODS, "default", pod(name="web"))
    assert registry.caches["pods"]._own_writes == {}


async def test_a_write_by_someone_else_is_decoded_even_while_one_of_ours_is_announced(
    registry: Registry,
) -> None:
    cache = registry.caches["pods"]
    key = r.PODS.key("default", "web")
    ours = {"metadata": {"name": "web"}, "spec": {}}
    cache.expect_write(key, b'{"metadata":{"name":"web"},"spec":{}}', ours)
    other = b'{"metadata":{"name":"web"},"spec":{"nodeName":"n1"}}'
    kv = await registry.backend.create(key, other)
    assert await cache.consistent()
    assert cache.get(key) is not ours
    assert cache.get(key) == {
        "metadata": {"name": "web", "resourceVersion": str(kv.mod_revision)},
        "spec": {"nodeName": "n1"},
    }
