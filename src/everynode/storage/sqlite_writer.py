"""The single SQLite writer: a thread that group-commits queued writes and compacts in small steps.

Every write goes through one queue. The thread takes what has accumulated (up to ``max_batch``),
applies each operation's condition against ``current`` inside one ``BEGIN IMMEDIATE`` transaction,
commits once, and only then hands the outcomes and events back to the event loop: an acknowledged
write is on disk (in the WAL), so it survives ``kill -9``. A failed condition fails only its own
operation; a failed commit fails the whole batch and nothing of it is acknowledged.

Compaction runs on the same thread, one bounded chunk of revisions per transaction, alternating
with write batches, so it never holds the write lock for long.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from everynode.storage import sqlite_schema as sql
from everynode.storage.errors import Conflict, KeyExists, NotFound, StorageError, StorageUnavailable
from everynode.storage.records import Deleted, Event, EventType, KeyValue

log = logging.getLogger(__name__)

Outcome = KeyValue | Deleted | StorageError
Deliver = Callable[[list["WriteOp"], list[Outcome], list[Event]], None]


@dataclass(slots=True)
class WriteOp:
    kind: Literal["create", "update", "delete"]
    key: str
    value: bytes | None
    expected_revision: int | None
    future: asyncio.Future[KeyValue | Deleted] = field(repr=False)


@dataclass(slots=True)
class _CompactRequest:
    revision: int
    future: asyncio.Future[None] = field(repr=False)


_STOP = object()


class Writer:
    def __init__(
        self,
        path: str,
        *,
        synchronous: str,
        loop: asyncio.AbstractEventLoop,
        deliver: Deliver,
        max_batch: int = 1000,
        compact_chunk: int = 2000,
    ) -> None:
        self._conn = sql.connect(path, synchronous=synchronous)
        self._loop = loop
        self._deliver = deliver
        self._max_batch = max_batch
        self._compact_chunk = compact_chunk
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.revision: int = self._conn.execute(sql.HEAD).fetchone()[0]
        self._compact_target: int = self._meta("compact_revision")
        self._compact_done: int = self._meta("compact_done")
        self._compact_waiters: list[_CompactRequest] = []
        self._thread = threading.Thread(target=self._run, name="everynode-sqlite-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, item: WriteOp | _CompactRequest) -> None:
        self._queue.put(item)

    def compact(self, revision: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = self._loop.create_future()
        self._queue.put(_CompactRequest(revision, future))
        return future

    def stop(self) -> None:
        """Finish what is queued, then end the thread (blocks: call it off the event loop)."""
        self._queue.put(_STOP)
        self._thread.join()
        self._conn.close()
        for request in self._compact_waiters:
            self._resolve(request, StorageUnavailable("the store was closed before compaction finished"))
        self._compact_waiters.clear()

    # -- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            if self._compact_done < self._compact_target:
                try:
                    first = self._queue.get_nowait()
                except queue.Empty:
                    self._compact_step()
                    continue
            else:
                first = self._queue.get()
            batch: list[WriteOp] = []
            item: object = first
            while True:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, _CompactRequest):
                    self._begin_compaction(item)
                elif isinstance(item, WriteOp):
                    batch.append(item)
                if stopping or len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._commit_batch(batch)
            if self._compact_done < self._compact_target and not stopping:
                self._compact_step()

    def _commit_batch(self, batch: list[WriteOp]) -> None:
        conn = self._conn
        start_revision = self.revision
        outcomes: list[Outcome] = []
        events: list[Event] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op in batch:
                outcomes.append(self._apply(conn, op, events))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("sqlite write batch failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self.revision = start_revision
            failure = StorageUnavailable(f"sqlite write failed: {exc}")
            outcomes, events = [failure] * len(batch), []
        self._loop.call_soon_threadsafe(self._deliver, batch, outcomes, events)

    def _apply(self, conn: sqlite3.Connection, op: WriteOp, events: list[Event]) -> Outcome:
        key_bytes = op.key.encode()
        row = conn.execute(sql.CURRENT_FOR_WRITE, (key_bytes,)).fetchone()
        if op.kind == "create":
            if row is not None:
                return KeyExists(op.key)
            revision = self.revision + 1
            assert op.value is not None
            conn.execute(sql.APPEND, (revision, key_bytes, op.value, revision, 0))
            conn.execute(sql.INSERT_CURRENT, (key_bytes, revision, revision, op.value))
            self.revision = revision
            events.append(Event(EventType.PUT, op.key, revision, op.value, None, revision))
            return KeyValue(op.key, op.value, revision, revision)
        if row is None:
            return NotFound(op.key)
        current = KeyValue(op.key, row[2], row[1], row[0])
        if op.expected_revision is not None and current.mod_revision != op.expected_revision:
            return Conflict(op.key, op.expected_revision, current)
        revision = self.revision + 1
        if op.kind == "update":
            assert op.value is not None
            conn.execute(sql.APPEND, (revision, key_bytes, op.value, current.create_revision, row[0]))
            conn.execute(sql.UPDATE_CURRENT, (revision, op.value, key_bytes))
            self.revision = revision
            events.append(
                Event(EventType.PUT, op.key, revision, op.value, current.value, current.create_revision)
            )
            return KeyValue(op.key, op.value, current.create_revision, revision)
        conn.execute(sql.APPEND, (revision, key_bytes, None, current.create_revision, row[0]))
        conn.execute(sql.DELETE_CURRENT, (key_bytes,))
        self.revision = revision
        events.append(Event(EventType.DELETE, op.key, revision, None, current.value, current.create_revision))
        return Deleted(revision=revision, prev=current)

    # -- compaction ------------------------------------------------------------------------------

    def _meta(self, name: str) -> int:
        row = self._conn.execute(sql.META, (name,)).fetchone()
        return int(row[0]) if row else 0

    def _begin_compaction(self, request: _CompactRequest) -> None:
        if request.revision > self._compact_target:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute(sql.SET_META, (request.revision, "compact_revision"))
                # A tombstone at the previous target survived that compaction; now it is history.
                self._conn.execute(sql.DELETE_TOMBSTONE_AT, (self._compact_target,))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._resolve(request, StorageUnavailable(f"sqlite compaction failed: {exc}"))
                return
            self._compact_target = request.revision
        self._compact_waiters.append(request)
        self._resolve_finished_compactions()

    def _compact_step(self) -> None:
        """Remove the rows superseded by the writes of one chunk of revisions."""
        low = self._compact_done
        high = min(low + self._compact_chunk, self._compact_target)
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            superseded = conn.execute(sql.SUPERSEDED_IN, (low, high)).fetchall()
            conn.executemany(sql.DELETE_REVISION, superseded)
            conn.execute(sql.DELETE_TOMBSTONES_IN, (low, high, self._compact_target))
            conn.execute(sql.SET_META, (high, "compact_done"))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("sqlite compaction step failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for request in self._compact_waiters:
                self._resolve(request, StorageUnavailable(f"sqlite compaction failed: {exc}"))
            self._compact_waiters.clear()
            self._compact_target = self._compact_done
            return
        self._compact_done = high
        self._resolve_finished_compactions()

    def _resolve_finished_compactions(self) -> None:
        waiting = []
        for request in self._compact_waiters:
            if request.revision <= self._compact_done:
                self._resolve(request, None)
            else:
                waiting.append(request)
        self._compact_waiters = waiting

    def _resolve(self, request: _CompactRequest, error: StorageError | None) -> None:
        def settle() -> None:
            if request.future.done():
                return
            if error is None:
                request.future.set_result(None)
            else:
                request.future.set_exception(error)

        self._loop.call_soon_threadsafe(settle)
