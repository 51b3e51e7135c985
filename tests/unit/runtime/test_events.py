"""The event recorder's non-blocking emit: written in order by one task; spam per object dropped."""

from __future__ import annotations

from typing import Any

from everynode.core.clock import FakeClock
from everynode.runtime.events import NORMAL, SPAM_BURST, EventRecorder


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
