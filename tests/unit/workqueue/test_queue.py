from __future__ import annotations

import asyncio

import pytest

from everynode.workqueue.queue import Queue, ShutDown


async def test_a_key_is_queued_once_however_often_it_is_added() -> None:
    queue: Queue[str] = Queue()
    for key in ["a", "b", "a", "a", "c", "b"]:
        queue.add(key)
    assert len(queue) == 3
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]


async def test_a_key_added_while_processing_is_handed_out_again_only_after_done() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    assert await queue.get() == "a"
    queue.add("a")  # changed while a worker handles it
    assert len(queue) == 0, "never handed to two workers at once"
    queue.done("a")
    assert len(queue) == 1
    assert await queue.get() == "a"
    queue.done("a")
    assert len(queue) == 0


async def test_get_waits_for_an_add() -> None:
    queue: Queue[str] = Queue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.add("x")
    assert await asyncio.wait_for(getter, 5) == "x"


async def test_shutdown_drains_then_ends_getters() -> None:
    queue: Queue[str] = Queue()
    queue.add("left")
    queue.shutdown()
    queue.add("ignored")
    assert await queue.get() == "left"
    with pytest.raises(ShutDown):
        await queue.get()


async def test_shutdown_wakes_a_blocked_getter() -> None:
    queue: Queue[str] = Queue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.shutdown()
    with pytest.raises(ShutDown):
        await asyncio.wait_for(getter, 5)


async def test_urgent_keys_are_handed_out_first_each_lane_in_order() -> None:
    queue: Queue[str] = Queue(urgent=lambda key: key.startswith("!"))
    for key in ["a", "!x", "b", "!y", "c"]:
        queue.add(key)
    assert len(queue) == 5
    assert [await queue.get() for _ in range(5)] == ["!x", "!y", "a", "b", "c"]


async def test_urgency_is_asked_each_time_a_key_enters_the_queue() -> None:
    urgent: set[str] = set()
    queue: Queue[str] = Queue(urgent=urgent.__contains__)
    queue.add("a")
    queue.add("b")
    assert await queue.get() == "a"
    queue.add("a")  # changed while processing: queued again when done, as it is then
    urgent.add("a")
    queue.done("a")
    assert [await queue.get(), await queue.get()] == ["a", "b"]


async def test_an_urgent_key_wakes_a_blocked_getter() -> None:
    queue: Queue[str] = Queue(urgent=lambda key: True)
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.add("x")
    assert await asyncio.wait_for(getter, 5) == "x"
