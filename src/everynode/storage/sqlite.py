"""The SQLite backend, the default store: one file, one owning process, WAL, group commit.

Writes go to the single ``Writer`` thread (see ``sqlite_writer``). Reads run on a small pool of
reader threads, each with its own connection, inside one read transaction (a WAL snapshot) so
that the revision reported with a result is the one the result was read at. Watches are served
in-process: live events come from the writer through a ``Broadcaster``, and missed ones are
replayed from the log.

Only one process may open a database: a lock file beside it enforces that, since the in-process
watch fan-out could not see another process's writes.
"""

from __future__ import annotations

import asyncio
import builtins
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from everynode.core.keyrange import prefix_end
from everynode.storage import continuation
from everynode.storage import sqlite_schema as sql
from everynode.storage.broadcaster import Broadcaster, LocalWatch
from everynode.storage.errors import (
    Compacted,
    FutureRevision,
    NotFound,
    StorageError,
    StorageUnavailable,
)
from everynode.storage.records import Deleted, Event, EventType, KeyValue, ListResult
from everynode.storage.sqlite_writer import Outcome, WriteOp, Writer

T = TypeVar("T")
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


class SQLiteBackend:
    def __init__(
        self,
        path: str,
        *,
        synchronous: str = "NORMAL",
        readers: int = 2,
        max_batch: int = 1000,
        compact_chunk: int = 2000,
    ) -> None:
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
        self.path = path
        self._synchronous = synchronous.upper()
        self._readers = readers
        self._max_batch = max_batch
        self._compact_chunk = compact_chunk
        self._broadcaster = Broadcaster()
        self._writer: Writer | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._lock_fd: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._prepare_file)
        loop = asyncio.get_running_loop()
        self._writer = Writer(
            self.path,
            synchronous=self._synchronous,
            loop=loop,
            deliver=self._deliver,
            max_batch=self._max_batch,
            compact_chunk=self._compact_chunk,
        )
        self._broadcaster.published_revision = self._writer.revision
        self._pool = ThreadPoolExecutor(self._readers, thread_name_prefix="everynode-sqlite-read")
        self._writer.start()

    def _prepare_file(self) -> None:
        """Create the directory, take ownership of the file (the lock), and create the schema."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(lock_fd)
            raise StorageUnavailable(f"{self.path} is in use by another everynode process") from exc
        self._lock_fd = lock_fd
        setup = sql.connect(self.path, synchronous=self._synchronous)
        try:
            sql.create_schema(setup)
        finally:
            setup.close()

    async def close(self) -> None:
        writer, pool = self._writer, self._pool
        self._writer = self._pool = None
        if writer is not None:
            await asyncio.to_thread(writer.stop)
        if pool is not None:
            pool.shutdown(wait=True)
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._broadcaster.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- writes ----------------------------------------------------------------------------------

    async def current_revision(self) -> int:
        self._require_writer()
        return self._broadcaster.published_revision

    async def create(self, key: str, value: bytes) -> KeyValue:
        result = await self._write(WriteOp("create", key, value, None, self._new_future()))
        assert isinstance(result, KeyValue)
        return result

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        result = await self._write(WriteOp("update", key, value, expected_revision, self._new_future()))
        assert isinstance(result, KeyValue)
        return result

    async def delete(self, key: str, *, expected_revision: int | None = None) -> Deleted:
        result = await self._write(WriteOp("delete", key, None, expected_revision, self._new_future()))
        assert isinstance(result, Deleted)
        return result

    async def compact(self, revision: int) -> None:
        writer = self._require_writer()
        head = await self._read(lambda conn: conn.execute(sql.HEAD).fetchone()[0])
        if revision > head:
            raise FutureRevision(revision, head)
        await writer.compact(revision)

    def _new_future(self) -> asyncio.Future[KeyValue | Deleted]:
        return asyncio.get_running_loop().create_future()

    async def _write(self, op: WriteOp) -> KeyValue | Deleted:
        self._require_writer().submit(op)
        return await op.future

    def _deliver(self, batch: list[WriteOp], outcomes: list[Outcome], events: list[Event]) -> None:
        """Runs on the event loop once a batch is committed (or failed)."""
        self._broadcaster.publish(events)
        for op, outcome in zip(batch, outcomes, strict=True):
            if op.future.done():
                continue
            if isinstance(outcome, StorageError):
                op.future.set_exception(outcome)
            else:
                op.future.set_result(outcome)

    def _require_writer(self) -> Writer:
        if self._writer is None:
            raise StorageUnavailable("the sqlite backend is not started")
        return self._writer

    # -- reads -----------------------------------------------------------------------------------

    async def get(self, key: str, *, revision: int = 0) -> KeyValue:
        if revision < 0:
            raise ValueError("revision must be >= 0")

        def read(conn: sqlite3.Connection) -> KeyValue | None:
            at, head = _snapshot_revision(conn, revision)
            query, args = (
                (sql.GET_CURRENT, (key.encode(),)) if at == head else (sql.GET_AT, (key.encode(), at))
            )
            row = conn.execute(query, args).fetchone()
            return _row_to_kv(row) if row is not None and row[1] is not None else None

        kv = await self._read(read)
        if kv is None:
            raise NotFound(key)
        return kv

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        if revision < 0 or limit < 0:
            raise ValueError("revision and limit must be >= 0")
        start = prefix
        if continue_token is not None:
            if revision:
                raise ValueError("revision and continue_token are mutually exclusive")
            cont = continuation.decode(continue_token)
            revision, start = cont.revision, prefix + cont.start
        low, high = start.encode(), prefix_end(prefix.encode()) or sql.KEY_MAX
        fetch = limit + 1 if limit else -1

        def read(conn: sqlite3.Connection) -> tuple[int, list[KeyValue]]:
            at, head = _snapshot_revision(conn, revision)
            if at == head:
                rows = conn.execute(sql.LIST_CURRENT, (low, high, fetch)).fetchall()
            else:
                rows = conn.execute(sql.LIST_AT, (low, high, at, fetch)).fetchall()
            return at, [_row_to_kv(row) for row in rows]

        at, items = await self._read(read)
        token = None
        if limit and len(items) > limit:
            items = items[:limit]
            token = continuation.encode(at, continuation.next_start(items[-1].key, prefix))
        return ListResult(items=items, revision=at, continue_token=token)

    def watch(self, prefix: str, *, after_revision: int) -> LocalWatch:
        self._require_writer()
        return LocalWatch(self._broadcaster, prefix, after_revision, self._replay)

    async def _replay(self, prefix: str, after: int, upto: int) -> builtins.list[Event]:
        low, high = prefix.encode(), prefix_end(prefix.encode()) or sql.KEY_MAX

        def read(conn: sqlite3.Connection) -> list[Event]:
            compacted = conn.execute(sql.META, ("compact_revision",)).fetchone()[0]
            if after < compacted:
                raise Compacted(after, compacted)
            rows = conn.execute(sql.REPLAY, (after, upto, low, high)).fetchall()
            return [_row_to_event(row) for row in rows]

        return await self._read(read)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._require_writer()
        assert self._pool is not None
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._in_snapshot, fn)

    def _in_snapshot(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Runs on a reader thread: ``fn`` inside one read transaction of this thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sql.connect(self.path, synchronous=self._synchronous, readonly=True)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        try:
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageUnavailable(f"sqlite read failed: {exc}") from exc


def _snapshot_revision(conn: sqlite3.Connection, revision: int) -> tuple[int, int]:
    """The revision to read at (checked against compaction and the head), and the head."""
    head: int = conn.execute(sql.HEAD).fetchone()[0]
    if revision == 0:
        return head, head
    compacted: int = conn.execute(sql.META, ("compact_revision",)).fetchone()[0]
    if revision < compacted:
        raise Compacted(revision, compacted)
    if revision > head:
        raise FutureRevision(revision, head)
    return revision, head


def _row_to_kv(row: tuple[bytes, bytes, int, int]) -> KeyValue:
    return KeyValue(key=row[0].decode(), value=row[1], create_revision=row[2], mod_revision=row[3])


def _row_to_event(row: tuple[int, bytes, bytes | None, bytes | None, int]) -> Event:
    revision, key, value, prev_value, create_revision = row
    kind = EventType.PUT if value is not None else EventType.DELETE
    return Event(kind, key.decode(), revision, value, prev_value, create_revision)
