from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.informers.informer import Informer


def obj(name: str, rv: int) -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": str(rv)}}


class FakeResource:
    """Scripted lists and watches: each watch() plays the next script (events, then an ending)."""

    def __init__(self, lists: list[list[dict]], watches: list[list[Any]]) -> None:
        self.lists = lists
        self.watches = watches
        self.watch_calls: list[str] = []
        self.idle = asyncio.Event()

    async def list(self, namespace: str | None = None, **kwargs: Any) -> dict:
        items = self.lists.pop(0)
        rv = max((int(i["metadata"]["resourceVersion"]) for i in items), default=0)
        return {"items": items, "metadata": {"resourceVersion": str(rv)}}

    async def watch(self, namespace: str | None = None, **kwargs: Any) -> AsyncIterator[dict]:
        self.watch_calls.append(kwargs["resource_version"])
        script = self.watches.pop(0) if self.watches else []
        for step in script:
            if isinstance(step, Exception):
                raise step
            yield step
        if not self.watches:
            self.idle.set()
            await asyncio.Event().wait()  # a quiet, open watch


async def run_until_idle(informer: Informer, resource: FakeResource) -> None:
    task = asyncio.create_task(informer.run())
    await asyncio.wait_for(resource.idle.wait(), 5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_list_then_watch_dispatches_adds_updates_deletes_in_order() -> None:
    resource = FakeResource(
        lists=[[obj("a", 1)]],
        watches=[
            [
                {"type": "ADDED", "object": obj("b", 2)},
                {"type": "MODIFIED", "object": obj("a", 3)},
                {"type": "DELETED", "object": obj("b", 4)},
            ]
        ],
    )
    informer = Informer(resource, clock=FakeClock())
    seen: list[str] = []
    informer.add_handlers(
        on_add=lambda o: seen.append(f"add {o['metadata']['name']}"),
        on_update=lambda old, new: seen.append(f"update {new['metadata']['name']}"),
        on_delete=lambda o: seen.append(f"delete {o['metadata']['name']}"),
    )
    await run_until_idle(informer, resource)
    assert seen == ["add a", "add b", "update a", "delete b"]
    assert resource.watch_calls[0] == "1", "the watch starts from the list's resourceVersion"
    assert informer.synced.is_set()
    assert [o["metadata"]["name"] for o in informer.store.objects()] == ["a"]


async def test_a_410_relists_and_replays_only_the_difference() -> None:
    resource = FakeResource(
        lists=[[obj("a", 1), obj("b", 1)], [obj("a", 5), obj("c", 6)]],
        watches=[[errors.Gone("too old resource version")], []],
    )
    informer = Informer(resource, clock=FakeClock())
    seen: list[str] = []
    informer.add_handlers(
        on_add=lambda o: seen.append(f"add {o['metadata']['name']}"),
        on_update=lambda old, new: seen.append(f"update {new['metadata']['name']}"),
        on_delete=lambda o: seen.append(f"delete {o['metadata']['name']}"),
    )
    await run_until_idle(informer, resource)
    assert seen == ["add a", "add b", "delete b", "update a", "add c"]
    assert informer.relists == 2
    assert resource.watch_calls == ["1", "6"]


async def test_other_errors_back_off_through_the_clock() -> None:
    clock = FakeClock()
    resource = FakeResource(
        lists=[[obj("a", 1)], [obj("a", 1)]],
        watches=[[errors.ServiceUnavailable("down")], []],
    )
    informer = Informer(resource, clock=clock)
    task = asyncio.create_task(informer.run())
    for _ in range(20):
        await asyncio.sleep(0)
    assert clock.sleepers == 1, "waiting out a backoff, not spinning"
    await clock.advance(1.0)
    await asyncio.wait_for(resource.idle.wait(), 5)
    assert informer.relists == 2
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
