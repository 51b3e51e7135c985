"""Lease renewal: the even schedule (pure), and the renewer on a FakeClock against an in-memory API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from everynode.agents.leases import LeaseRenewer, LeaseSchedule
from everynode.client.rest import ResourceClient
from everynode.core import errors, wellknown
from everynode.core.clock import FakeClock
from everynode.core.types import Obj
from tests import builders

MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_nodes_are_dealt_evenly() -> None:
    schedule = LeaseSchedule(100)
    for i in range(5000):
        schedule.add(f"node-{i}")
    assert schedule.loads() == [50] * 100
    assert len(schedule) == 5000
    assert "node-7" in schedule


def test_slots_stay_within_one_of_each_other_as_nodes_arrive() -> None:
    schedule = LeaseSchedule(10)
    for i in range(37):
        schedule.add(f"n{i}")
        loads = schedule.loads()
        assert max(loads) - min(loads) <= 1
    # consecutive arrivals go to consecutive slots: new nodes spread over the interval
    assert [schedule.slot_of(f"n{i}") for i in range(12)] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_adding_twice_and_removing() -> None:
    schedule = LeaseSchedule(4)
    assert schedule.add("a") == schedule.add("a") == 0
    schedule.add("b")
    schedule.remove("a")
    schedule.remove("missing")
    assert "a" not in schedule
    assert len(schedule) == 1
    assert schedule.add("c") == 2  # the next slot round, though slot 0 is empty again
    assert schedule.add("d") == 3
    assert schedule.add("e") == 0
    assert schedule.due(4) == schedule.due(0) == ["e"]


def test_a_schedule_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        LeaseSchedule(0)


class FakeLeases:
    """``patch`` and ``create`` on Leases, as the API server answers them, with every write recorded."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.objects: dict[str, Obj] = {}
        self.writes: list[tuple[float, str, str]] = []  # (time, verb, name)
        self.failing: set[str] = set()

    async def patch(self, name: str, body: Obj, namespace: str | None = None, **_: Any) -> Obj:
        assert namespace == wellknown.KUBE_NODE_LEASE
        if name in self.failing:
            raise errors.ServiceUnavailable("down")
        if name not in self.objects:
            raise errors.NotFound(f'leases "{name}" not found')
        self.writes.append((self.clock.now(), "patch", name))
        lease = self.objects[name]
        lease["spec"] |= body["spec"]
        lease["metadata"] |= body.get("metadata", {})
        return lease

    async def create(self, obj: Obj, namespace: str | None = None) -> Obj:
        assert namespace == wellknown.KUBE_NODE_LEASE
        self.writes.append((self.clock.now(), "create", obj["metadata"]["name"]))
        self.objects[obj["metadata"]["name"]] = obj
        return obj


def node(name: str, uid: str = "") -> Obj:
    return builders.node(name, uid=uid or f"uid-{name}")


@contextlib.asynccontextmanager
async def running(renewer: LeaseRenewer) -> AsyncIterator[None]:
    task = asyncio.create_task(renewer.run())
    await asyncio.sleep(0)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def advance(clock: FakeClock, seconds: float, step: float = 0.05) -> None:
    for _ in range(round(seconds / step)):
        await clock.advance(step)


async def test_every_node_is_renewed_once_per_interval_in_even_batches() -> None:
    clock = FakeClock(wall_offset=1_700_000_000)
    api = FakeLeases(clock)
    nodes = {f"n{i}": node(f"n{i}") for i in range(40)}
    renewer = LeaseRenewer(cast(ResourceClient, api), node_of=nodes.get, interval=1.0, clock=clock)
    assert (renewer.schedule.slots, renewer.tick) == (10, 0.1)
    for name in nodes:
        renewer.track(name)
    async with running(renewer):
        await advance(clock, 3.0)
    per_node: dict[str, list[float]] = {}
    for at, _, name in api.writes:
        per_node.setdefault(name, []).append(at)
    assert set(per_node) == set(nodes)
    for times in per_node.values():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps
        assert all(gap == pytest.approx(1.0, abs=0.06) for gap in gaps)
    # 40 nodes over 10 slots: four writes every tick, never a burst
    per_tick: dict[int, int] = {}
    for at, _, _ in api.writes:
        per_tick[round(at / 0.1)] = per_tick.get(round(at / 0.1), 0) + 1
    assert set(per_tick.values()) == {4}
    assert renewer.renewals == len(api.writes)
    assert renewer.failures == 0


async def test_the_first_renewal_creates_the_lease_owned_by_the_node() -> None:
    clock = FakeClock(wall_offset=1_700_000_000)
    api = FakeLeases(clock)
    renewer = LeaseRenewer(
        cast(ResourceClient, api), node_of={"a": node("a")}.get, interval=1.0, clock=clock, duration=40
    )
    assert await renewer.renew("a")
    lease = api.objects["a"]
    assert lease["metadata"]["namespace"] == wellknown.KUBE_NODE_LEASE
    assert lease["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "a", "uid": "uid-a"}
    ]
    assert lease["spec"]["holderIdentity"] == "a"
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert MICRO_TIME.match(lease["spec"]["renewTime"])
    assert lease["spec"]["renewTime"] == "2023-11-14T22:13:20.000000Z"
    await clock.advance(1.5)
    assert await renewer.renew("a")
    assert lease["spec"]["renewTime"] == "2023-11-14T22:13:21.500000Z"
    assert [verb for _, verb, _ in api.writes] == ["create", "patch"]


async def test_a_recreated_node_gets_its_owner_reference_rewritten() -> None:
    clock = FakeClock()
    api = FakeLeases(clock)
    current = {"a": node("a", "old")}
    renewer = LeaseRenewer(cast(ResourceClient, api), node_of=current.get, interval=1.0, clock=clock)
    await renewer.renew("a")
    current["a"] = node("a", "new")
    await renewer.renew("a")
    assert api.objects["a"]["metadata"]["ownerReferences"][0]["uid"] == "new"


async def test_skipped_and_failing_nodes() -> None:
    clock = FakeClock()
    api = FakeLeases(clock)
    nodes = {"up": node("up"), "down": node("down")}
    renewer = LeaseRenewer(cast(ResourceClient, api), node_of=nodes.get, interval=0.5, clock=clock)
    for name in ("up", "down", "stopped"):  # node_of says None for "stopped": not renewed
        renewer.track(name)
    api.failing.add("down")
    async with running(renewer):
        await advance(clock, 1.0)
    assert {name for _, _, name in api.writes} == {"up"}
    assert renewer.failures >= 1
    renewer.untrack("up")
    async with running(renewer):
        written = len(api.writes)
        await advance(clock, 1.0)
    assert len(api.writes) == written


async def test_a_stalled_renewer_skips_ahead_instead_of_bursting() -> None:
    clock = FakeClock()
    api = FakeLeases(clock)
    nodes = {f"n{i}": node(f"n{i}") for i in range(10)}
    renewer = LeaseRenewer(cast(ResourceClient, api), node_of=nodes.get, interval=1.0, clock=clock)
    for name in nodes:
        renewer.track(name)
    async with running(renewer):
        await advance(clock, 0.5)
        before = len(api.writes)
        clock._now += 5.0  # the process was suspended: no sleeper woke meanwhile
        await clock.advance(0)
        await asyncio.sleep(0)
        assert len(api.writes) - before <= 10  # at most one interval's worth, not five
        await advance(clock, 1.0)
    assert {name for _, _, name in api.writes} == set(nodes)


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LeaseRenewer(cast(ResourceClient, None), node_of=lambda name: None, interval=0, clock=FakeClock())
