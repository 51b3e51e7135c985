"""The event recorder's non-blocking emit: written in order by one task; spam per object dropped;
writes held to the recorder's own budget, and a full queue drops new events instead of growing."""

from __future__ import annotations

import asyncio
from typing import Any

from everynode.core.clock import FakeClock
from everynode.runtime.events import (
    EVENT_BURST,
    EVENT_QPS,
    MAX_QUEUED_EVENTS,
    NORMAL,
    SPAM_BURST,
    EventRecorder,
)


class FakeEventsResource:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.patched: list[tuple[str, dict[str, Any]]] = []

    async def create(self, obj: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        self.created.append(obj)
        return obj

    async def patch(self, name: str, patch: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        self.patched.append((name, patch))
        return patch


class FakeClient:
    def __init__(self) -> None:
        self.events = FakeEventsResource()

    def resource(self, info: Any) -> FakeEventsResource:
        return self.events


def ds(name: str) -> dict[str, Any]:
    return {
        "kind": "DaemonSet",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "namespace": "ns", "uid": name},
    }


async def test_emit_returns_at_once_and_the_writer_keeps_order() -> None:
    client = FakeClient()
    recorder = EventRecorder(client, "daemonset-controller", clock=FakeClock())  # type: ignore[arg-type]
    for i in range(5):
        recorder.emit(ds("a"), NORMAL, "SuccessfulCreate", f"Created pod: a-{i}")
    assert client.events.created == []  # nothing written yet: emit did not wait
    await recorder.flush()
    assert [e["message"] for e in client.events.created] == [f"Created pod: a-{i}" for i in range(5)]
    await recorder.close()


async def test_an_object_gets_a_burst_then_one_event_every_five_minutes() -> None:
    clock = FakeClock()
    client = FakeClient()
    recorder = EventRecorder(client, "daemonset-controller", clock=clock)  # type: ignore[arg-type]
    for i in range(SPAM_BURST + 10):
        recorder.emit(ds("a"), NORMAL, "SuccessfulCreate", f"Created pod: a-{i}")
    recorder.emit(ds("b"), NORMAL, "SuccessfulCreate", "Created pod: b-0")  # another object is unaffected
    await recorder.flush()
    assert len(client.events.created) == SPAM_BURST + 1
    assert recorder.dropped == 10
    await clock.advance(299)
    recorder.emit(ds("a"), NORMAL, "SuccessfulCreate", "Created pod: a-late")
    assert recorder.dropped == 11
    await clock.advance(2)
    recorder.emit(ds("a"), NORMAL, "SuccessfulCreate", "Created pod: a-later")
    await recorder.flush()
    assert client.events.created[-1]["message"] == "Created pod: a-later"
    await recorder.close()


def pod(name: str) -> dict[str, Any]:
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": "ns", "uid": name}}


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


def test_the_default_budget_is_upstreams_fifty_a_second_bursting_to_a_hundred() -> None:
    assert (EVENT_QPS, EVENT_BURST, MAX_QUEUED_EVENTS) == (50.0, 100, 1000)


async def test_events_are_written_within_the_recorders_budget() -> None:
    clock = FakeClock()
    client = FakeClient()
    recorder = EventRecorder(client, "default-scheduler", clock=clock, qps=2, burst=3)  # type: ignore[arg-type]
    for i in range(9):  # one event each for nine pods: no spam filter involved
        recorder.emit(pod(f"p{i}"), NORMAL, "Scheduled", f"Successfully assigned ns/p{i} to n{i}")
    await settle()
    assert len(client.events.created) == 3  # the burst
    assert recorder.queued == 6
    await clock.advance(1)
    assert len(client.events.created) == 5  # two a second
    await clock.advance(2)
    assert len(client.events.created) == 9
    assert recorder.queued == 0
    assert recorder.overflowed == 0
    await recorder.close()


async def test_a_full_queue_drops_new_events_and_counts_them() -> None:
    clock = FakeClock()
    client = FakeClient()
    recorder = EventRecorder(  # type: ignore[arg-type]
        client, "default-scheduler", clock=clock, qps=1, burst=1, max_queued=4
    )
    for i in range(10):
        recorder.emit(pod(f"p{i}"), NORMAL, "Scheduled", f"Successfully assigned ns/p{i} to n{i}")
    assert recorder.queued == 4
    assert recorder.overflowed == 6
    await settle()
    await clock.advance(10)
    await recorder.flush()
    assert sorted(e["involvedObject"]["name"] for e in client.events.created) == ["p0", "p1", "p2", "p3"]
    recorder.emit(pod("late"), NORMAL, "Scheduled", "Successfully assigned ns/late to n")  # room again
    await clock.advance(1)
    await recorder.flush()
    assert client.events.created[-1]["involvedObject"]["name"] == "late"
    await recorder.close()
