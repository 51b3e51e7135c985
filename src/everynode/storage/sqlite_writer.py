"""Group commit and chunked compaction for SQLite, on the event loop's own thread.

Writes are queued by the coroutines that ask for them; the first one of a loop iteration
schedules a flush for the next iteration, so every write asked for in between is applied in one
``BEGIN IMMEDIATE … COMMIT``. Each operation's condition is checked against ``current`` inside
that transaction; a failed condition fails only its own operation, a failed commit fails the whole
batch. Outcomes and watch events are handed out only after the commit: an acknowledged write is
in the WAL, so it survives ``kill -9``.

Why the loop thread and not a writer thread: the work is CPU-bound Python around short SQLite
calls, and with a second thread the two fight over the GIL (every hand-off can wait out the
interpreter's 5 ms switch interval), which cost ~5x in throughput and latency when measured.
The one slow I/O step, checkpointing the WAL into the database (with its fsyncs), runs on a thread
of its own (``Checkpointer``), where it does not hold the GIL.

Compaction runs one chunk of revisions per transaction, each chunk a separate loop callback, so
writes and reads interleave with it; the chunk size adapts so that a step takes about 2 ms.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from everynode.storage import sqlite_schema as sql
from everynode.storage.batch import BatchPlan, Write, plan_batch
from everynode.storage.broadcaster import Broadcaster
from everynode.storage.errors import StorageError, StorageUnavailable
from everynode.storage.records import Deleted, KeyValue

log = logging.getLogger(__name__)

_MAX_VARIABLES = 30_000  # below SQLite's limit on bound parameters per statement

_STEP_TARGET = 0.002  # seconds one compaction step may hold the loop (and the write lock)
_MIN_CHUNK, _MAX_CHUNK = 16, 20_000


@dataclass(slots=True)
class WriteOp:
    write: Write
    future: asyncio.Future[KeyValue | Deleted] = field(repr=False)


class Writer:
    def __init__(
        self,
        conn: sqlite3.Connection,
        broadcaster: Broadcaster,
        *,
        max_batch: int = 1000,
        compact_chunk: int = 500,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._conn = conn
        self._after_commit = after_commit
        self._broadcaster = broadcaster
        self._max_batch = max_batch
        self._compact_chunk = compact_chunk
        self._pending: list[WriteOp] = []
        self._flush_scheduled = False
        self.revision: int = conn.execute(sql.HEAD).fetchone()[0]
        self.compact_target: int = self._meta("compact_revision")
        self._compact_done: int = self._meta("compact_done")
        self._compact_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._compact_scheduled = False
        self.commits = 0

    def submit(self, op: WriteOp) -> None:
        self._pending.append(op)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def resume_compaction(self) -> None:
        """Continue a compaction that an earlier process left unfinished."""
        if self._compact_done < self.compact_target:
            self._schedule_compaction()

    def compact(self, revision: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if revision <= self._compact_done:
            future.set_result(None)
            return future
        if revision > self.compact_target:
            try:
                with _transaction(self._conn):
                    self._conn.execute(sql.SET_META, (revision, "compact_revision"))
                    # A tombstone at the previous target survived that compaction; now it is history.
                    self._conn.execute(sql.DELETE_TOMBSTONE_AT, (self.compact_target,))
            except sqlite3.Error as exc:
                future.set_exception(StorageUnavailable(f"sqlite compaction failed: {exc}"))
                return future
            self.compact_target = revision
        self._compact_waiters.append((revision, future))
        self._schedule_compaction()
        return future

    def fail_pending(self, reason: str) -> None:
        """The store is closing: fail whatever is still queued."""
        for op in self._pending:
            if not op.future.done():
                op.future.set_exception(StorageUnavailable(reason))
        self._pending.clear()
        for _, future in self._compact_waiters:
            if not future.done():
                future.set_exception(StorageUnavailable(reason))
        self._compact_waiters.clear()

    # -- group commit ----------------------------------------------------------------------------

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
        if self._pending:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        if not batch:
            return
        try:
            with _transaction(self._conn):
                plan = self._write_batch(batch)
            self.revision = plan.revision
            outcomes, events = plan.outcomes, plan.events
        except sqlite3.Error as exc:
            log.error("sqlite write batch failed: %s", exc)
            outcomes, events = [StorageUnavailable(f"sqlite write failed: {exc}")] * len(batch), []
        self.commits += 1
        self._after_commit()
        self._broadcaster.publish(events)
        for op, outcome in zip(batch, outcomes, strict=True):
            if op.future.done():
                continue
            if isinstance(outcome, StorageError):
                op.future.set_exception(outcome)
            else:
                op.future.set_result(outcome)

    def _write_batch(self, batch: list[WriteOp]) -> BatchPlan:
        """Inside the transaction: read the touched keys once, plan, write the plan."""
        conn = self._conn
        keys = list({op.write.key.encode() for op in batch})
        current: dict[str, KeyValue] = {}
        for start in range(0, len(keys), _MAX_VARIABLES):
            chunk = keys[start : start + _MAX_VARIABLES]
            for key, value, create_revision, revision in conn.execute(
                sql.current_for_keys(len(chunk)), chunk
            ):
                name = key.decode()
                current[name] = KeyValue(name, value, create_revision, revision)
        plan = plan_batch([op.write for op in batch], current, self.revision)
        conn.executemany(
            sql.APPEND,
            [(r.revision, r.key.encode(), r.value, r.create_revision, r.prev_revision) for r in plan.log],
        )
        deleted = [(key.encode(),) for key, kv in plan.final.items() if kv is None and key in current]
        if deleted:
            conn.executemany(sql.DELETE_CURRENT, deleted)
        conn.executemany(
            sql.UPSERT_CURRENT,
            [(key.encode(), kv.mod_revision, kv.create_revision) for key, kv in plan.final.items() if kv],
        )
        return plan

    # -- compaction ------------------------------------------------------------------------------

    def _meta(self, name: str) -> int:
        row = self._conn.execute(sql.META, (name,)).fetchone()
        return int(row[0]) if row else 0

    def _schedule_compaction(self) -> None:
        if not self._compact_scheduled:
            self._compact_scheduled = True
            asyncio.get_running_loop().call_soon(self._compact_step)

    def _compact_step(self) -> None:
        """Remove the rows superseded by the writes of one chunk of revisions."""
        self._compact_scheduled = False
        low = self._compact_done
        high = min(low + self._compact_chunk, self.compact_target)
        if high <= low:
            return
        conn = self._conn
        started = time.perf_counter()
        try:
            with _transaction(conn):
                superseded = conn.execute(sql.SUPERSEDED_IN, (low, high)).fetchall()
                conn.executemany(sql.DELETE_REVISION, superseded)
                conn.execute(sql.DELETE_TOMBSTONES_IN, (low, high, self.compact_target))
                conn.execute(sql.SET_META, (high, "compact_done"))
        except sqlite3.Error as exc:
            log.error("sqlite compaction step failed: %s", exc)
            self.compact_target = self._compact_done
            self.fail_compactions(StorageUnavailable(f"sqlite compaction failed: {exc}"))
            return
        self._compact_done = high
        self._adapt_chunk(time.perf_counter() - started)
        waiting = []
        for revision, future in self._compact_waiters:
            if revision > high:
                waiting.append((revision, future))
            elif not future.done():
                future.set_result(None)
        self._compact_waiters = waiting
        if high < self.compact_target:
            self._schedule_compaction()

    def _adapt_chunk(self, seconds: float) -> None:
        """Keep one compaction step near ``_STEP_TARGET`` seconds, whatever the rows cost here."""
        if seconds > 2 * _STEP_TARGET:
            self._compact_chunk = max(_MIN_CHUNK, self._compact_chunk // 2)
        elif seconds < _STEP_TARGET / 2:
            self._compact_chunk = min(_MAX_CHUNK, self._compact_chunk * 2)

    def fail_compactions(self, error: StorageError) -> None:
        for _, future in self._compact_waiters:
            if not future.done():
                future.set_exception(error)
        self._compact_waiters.clear()


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


class Checkpointer:
    """Copies the WAL into the database from a thread of its own, so its fsyncs never stall the loop.

    The writer's connection has automatic checkpoints off; this thread runs a PASSIVE checkpoint
    (which never blocks writers or readers) whenever it is poked and at least ``interval`` seconds
    have passed since the last one.
    """

    def __init__(self, path: str, *, synchronous: str, interval: float = 0.5) -> None:
        self._path = path
        self._synchronous = synchronous
        self._interval = interval
        self._poked = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="everynode-sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        self._poked.set()

    def stop(self) -> None:
        """Stop after one last checkpoint (blocks: call it off the event loop)."""
        self._stopping.set()
        self._poked.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sql.connect(self._path, synchronous=self._synchronous)
        try:
            while not self._stopping.is_set():
                self._poked.wait()
                self._poked.clear()
                self._checkpoint(conn)
                self._stopping.wait(self._interval)
            self._checkpoint(conn)
        finally:
            conn.close()

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("sqlite checkpoint failed: %s", exc)
