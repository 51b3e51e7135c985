"""The manager: shared informers started once, each runnable after its own informers have listed,
leader election before anything starts, and every stop callback called however the run ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from everynode.core import resources as r
from everynode.core.clock import FakeClock
from everynode.runtime.manager import Every, Manager, Task


class GatedResource:
    """Lists (empty) once ``gate`` opens, then holds a quiet watch open."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.lists = 0

    async def list(self, namespace: str | None = None, **kwargs: Any) -> dict:
        await self.gate.wait()
        self.lists += 1
        return {"items": [], "metadata": {"resourceVersion": "1"}}

    async def watch(self, namespace: str | None = None, **kwargs: Any) -> AsyncIterator[dict]:
        await asyncio.Event().wait()
        yield {}


class GatedClient:
    def __init__(self) -> None:
        self.resources: dict[str, GatedResource] = {}

    def resource(self, info: r.ResourceInfo) -> GatedResource:
        return self.resources.setdefault(info.resource, GatedResource())


@dataclass
class Recorder:
    """A runnable that notes when it started and waits until cancelled."""

    name: str
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        self.started.set()
        await asyncio.Event().wait()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def running(manager: Manager) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(manager.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_each_runnable_starts_once_its_own_informers_have_listed() -> None:
    client = GatedClient()
    manager = Manager(client)
    pods = manager.informers.informer(r.PODS)
    nodes = manager.informers.informer(r.NODES)
    on_pods, on_both = Recorder("on-pods"), Recorder("on-both")
    manager.add(on_pods, needs=[pods])
    manager.add(on_both, needs=[pods, nodes])
    async with running(manager):
        await settle()
        assert not on_pods.started.is_set()
        client.resources["pods"].gate.set()
        await asyncio.wait_for(on_pods.started.wait(), 5)
        await settle()
        assert not on_both.started.is_set()
        assert not manager.synced.is_set()
        client.resources["nodes"].gate.set()
        await asyncio.wait_for(on_both.started.wait(), 5)
        await asyncio.wait_for(manager.synced.wait(), 5)
    assert client.resources["pods"].lists == 1  # one informer per resource, however many read it


async def test_stop_callbacks_run_in_reverse_order_when_the_manager_is_cancelled() -> None:
    manager = Manager(GatedClient())
    stopped: list[str] = []

    def stopper(name: str) -> Callable[[], Awaitable[None]]:
        async def stop() -> None:
            stopped.append(name)
            if name == "second":
                raise RuntimeError("a stop that fails does not keep the others from running")

        return stop

    for name in ("first", "second", "third"):
        manager.on_stop(stopper(name))
    runnable = Recorder("work")
    manager.add(runnable)
    async with running(manager):
        await asyncio.wait_for(runnable.started.wait(), 5)
    assert stopped == ["third", "second", "first"]


async def test_a_failing_runnable_stops_the_others_and_the_manager_says_why() -> None:
    manager = Manager(GatedClient())
    stopped: list[str] = []

    async def fail() -> None:
        raise RuntimeError("broken")

    async def note_stop() -> None:
        stopped.append("stopped")

    other = Recorder("other")
    manager.add(other)
    manager.add(Task("failing", fail))
    manager.on_stop(note_stop)
    with pytest.raises(ExceptionGroup) as raised:
        await asyncio.wait_for(manager.run(), 5)
    assert raised.group_contains(RuntimeError, match="broken")
    assert stopped == ["stopped"]


async def test_under_leader_election_nothing_starts_before_the_lease_is_held() -> None:
    class Elector:
        def __init__(self) -> None:
            self.leading = asyncio.Event()

        async def run(self, on_started_leading: Callable[[], Awaitable[None]]) -> None:
            await self.leading.wait()
            await on_started_leading()

    client, elector = GatedClient(), Elector()
    manager = Manager(client, elector=elector)
    manager.informers.informer(r.PODS)
    runnable = Recorder("work")
    manager.add(runnable)
    async with running(manager):
        await settle()
        assert not runnable.started.is_set()
        assert not manager.informers.started  # not even the informers
        elector.leading.set()
        await asyncio.wait_for(runnable.started.wait(), 5)
        assert manager.informers.started


async def test_a_manager_runs_once_and_takes_no_runnable_after_starting() -> None:
    manager = Manager(GatedClient())
    async with running(manager):
        await settle()
        with pytest.raises(RuntimeError, match="has started"):
            manager.add(Recorder("late"))
        with pytest.raises(RuntimeError, match="called twice"):
            await manager.run()


async def test_every_runs_at_once_then_after_each_interval_and_survives_a_failing_pass() -> None:
    clock = FakeClock()
    passes: list[float] = []

    async def action() -> None:
        passes.append(clock.now())
        if len(passes) == 2:
            raise RuntimeError("one bad pass")

    task = asyncio.create_task(Every("pass", 10.0, action, clock).run())
    try:
        await clock.advance(0)
        assert passes == [0.0]
        await clock.advance(25)
        assert passes == [0.0, 10.0, 20.0]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
