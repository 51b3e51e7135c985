"""Property: random operation sequences give the same results on SQLite and etcd as on memory.

Revisions differ between stores (etcd's counter is shared by the whole test session), so results
are compared with every revision replaced by its ordinal: "the n-th successful write of this run".
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everynode.spawn.etcd import EtcdProcess
from everynode.storage import Backend, Conflict, Deleted, Event, KeyValue, StorageError
from everynode.storage.memory import MemoryBackend
from everynode.storage.sqlite import SQLiteBackend

KEYS = ["a", "b", "b/c", "d"]
key = st.sampled_from(KEYS)
value = st.binary(min_size=0, max_size=8)
operation = st.one_of(
    st.tuples(st.just("create"), key, value),
    st.tuples(st.just("update"), key, value, st.booleans()),
    st.tuples(st.just("delete"), key, st.sampled_from(["current", "stale", "unconditional"])),
    st.tuples(st.just("get"), key, st.none() | st.integers(min_value=1, max_value=40)),
    st.tuples(st.just("list"), st.integers(min_value=0, max_value=3), st.none() | st.integers(1, 40)),
    st.tuples(st.just("compact"), st.integers(min_value=1, max_value=40)),
)
programs = st.lists(operation, min_size=1, max_size=40)


class Run:
    """Applies a program to one backend and records normalized outcomes."""

    def __init__(self, backend: Backend, prefix: str) -> None:
        self.backend = backend
        self.prefix = prefix
        self.written: list[int] = []  # revisions of successful writes, in order
        self.compacted_ordinal = 0
        self.outcomes: list[Any] = []

    def ordinal(self, revision: int) -> int:
        return self.written.index(revision) + 1 if revision in self.written else -revision

    def norm(self, item: Any) -> Any:
        if isinstance(item, KeyValue):
            return (
                self.name(item.key),
                item.value,
                self.ordinal(item.create_revision),
                self.ordinal(item.mod_revision),
            )
        if isinstance(item, Deleted):
            return ("deleted", self.ordinal(item.revision), self.norm(item.prev))
        if isinstance(item, Event):
            return (
                item.type.value,
                self.name(item.key),
                item.value,
                item.prev_value,
                self.ordinal(item.revision),
            )
        if isinstance(item, Conflict):
            return ("Conflict", self.norm(item.current))
        if isinstance(item, StorageError):
            return type(item).__name__
        if isinstance(item, list):
            return [self.norm(x) for x in item]
        return item

    def name(self, key: str) -> str:
        assert key.startswith(self.prefix)
        return key[len(self.prefix) :]

    def revision_of(self, ordinal: int | None) -> int | None:
        if ordinal is None:
            return 0
        return self.written[ordinal - 1] if ordinal <= len(self.written) else None

    async def expected_revision(self, name: str, stale: bool) -> int:
        try:
            current = await self.backend.get(name)
        except StorageError:
            return 1
        if not stale:
            return current.mod_revision
        # an older revision: etcd batches writes into shared transactions and checks the one a
        # revision belongs to, so "stale" is a revision the key has moved on from, not any number
        return current.mod_revision - 1 if current.mod_revision > 1 else current.mod_revision + 1

    async def step(self, op: tuple[Any, ...]) -> None:
        kind, rest = op[0], op[1:]
        try:
            result = await self.apply(kind, *rest)
        except StorageError as exc:
            result = exc
        self.outcomes.append((kind, self.norm(result)))

    async def apply(self, kind: str, *args: Any) -> Any:
        backend, p = self.backend, self.prefix
        if kind == "create":
            kv = await backend.create(p + args[0], args[1])
            self.written.append(kv.mod_revision)
            return kv
        if kind == "update":
            expected = await self.expected_revision(p + args[0], args[2])
            kv = await backend.update(p + args[0], args[1], expected_revision=expected)
            self.written.append(kv.mod_revision)
            return kv
        if kind == "delete":
            mode = args[1]
            expected = (
                None
                if mode == "unconditional"
                else await self.expected_revision(p + args[0], mode == "stale")
            )
            deleted = await backend.delete(p + args[0], expected_revision=expected)
            self.written.append(deleted.revision)
            return deleted
        if kind == "get":
            revision = self.revision_of(args[1])
            return "skipped" if revision is None else await backend.get(p + args[0], revision=revision)
        if kind == "list":
            revision = self.revision_of(args[1])
            return "skipped" if revision is None else await self.list_all(args[0], revision)
        if kind == "compact":
            revision = self.revision_of(args[0])
            if revision is None:
                return "skipped"
            await backend.compact(revision)
            self.compacted_ordinal = max(self.compacted_ordinal, args[0])
            return "compacted"
        raise AssertionError(kind)

    async def list_all(self, limit: int, revision: int) -> list[KeyValue]:
        page = await self.backend.list(self.prefix, revision=revision, limit=limit)
        items = list(page.items)
        while page.continue_token is not None:
            page = await self.backend.list(self.prefix, limit=limit, continue_token=page.continue_token)
            items += page.items
        return items

    async def final_state(self, start: int) -> Any:
        listed = await self.list_all(2, 0)
        after = self.revision_of(self.compacted_ordinal) if self.compacted_ordinal else start
        assert after is not None
        expected = len([r for r in self.written if r > after])
        events: list[Event] = []
        if expected:
            async with self.backend.watch(self.prefix, after_revision=after) as watch:
                async for event in watch:
                    events.append(event)
                    if len(events) == expected:
                        break
        return self.norm(listed), self.norm(events)


async def run_program(backend: Backend, program: list[tuple[Any, ...]]) -> Any:
    await backend.start()
    try:
        prefix = f"/eq-{uuid.uuid4().hex[:8]}/"
        start = await backend.current_revision()
        run = Run(backend, prefix)
        for op in program:
            await run.step(op)
        final = await asyncio.wait_for(run.final_state(start), 30)
        return run.outcomes, final
    finally:
        await backend.close()


def check_equivalent(make_backend: Any, program: list[tuple[Any, ...]]) -> None:
    expected = asyncio.run(run_program(MemoryBackend(), program))
    actual = asyncio.run(run_program(make_backend(), program))
    assert actual == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=programs)
def test_sqlite_behaves_like_memory(tmp_path: Path, program: list[tuple[Any, ...]]) -> None:
    check_equivalent(lambda: SQLiteBackend(str(tmp_path / f"{uuid.uuid4().hex}.db")), program)


@pytest.mark.etcd
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=programs)
def test_etcd_behaves_like_memory(etcd_server: EtcdProcess, program: list[tuple[Any, ...]]) -> None:
    from everynode.storage.etcd import EtcdBackend

    check_equivalent(lambda: EtcdBackend([etcd_server.endpoint]), program)
