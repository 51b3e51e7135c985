"""The SQLite backend, the default store: one file, one owning process, WAL, group commit.

Everything but checkpointing runs on the event loop's thread, on one connection: writes through
the group-committing ``Writer``, reads as plain queries between two loop callbacks (so a read sees
a consistent state and the revision reported with it is the one it was read at). Watches are
served in-process: live events come from the writer through a ``Broadcaster``, and missed ones are
replayed from the log. See ``sqlite_writer`` for why no writer thread.

Only one process may open a database: a lock file beside it enforces that, since the in-process
watch fan-out could not see another process's writes.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import fcntl
import logging
import os
import sqlite3

from everynode.core.keyrange import prefix_end
from everynode.storage import continuation
from everynode.storage import sqlite_schema as sql
from everynode.storage.batch import Write, WriteKind
from everynode.storage.broadcaster import Broadcaster, LocalWatch
from everynode.storage.errors import Compacted, FutureRevision, NotFound, StorageUnavailable, read_revision
from everynode.storage.records import Deleted, Event, EventType, KeyValue, ListResult
from everynode.storage.sqlite_writer import Checkpointer, WriteOp, Writer

log = logging.getLogger(__name__)

_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_MAX_ROWS = 2**62  # a LIMIT SQLite can bind (a 64-bit integer) with one row to spare


class SQLiteBackend:
    def __init__(
        self,
        path: str,
        *,
        synchronous: str = "NORMAL",
        max_batch: int = 1000,
        compact_chunk: int = 500,
    ) -> None:
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
        self.path = path
        self._synchronous = synchronous.upper()
        self._max_batch = max_batch
        self._compact_chunk = compact_chunk
        self._broadcaster = Broadcaster()
        self._conn: sqlite3.Connection | None = None
        self._writer: Writer | None = None
        self._checkpointer: Checkpointer | None = None
        self._lock_fd: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._prepare_file)
        conn = sql.connect(self.path, synchronous=self._synchronous)
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer thread does it
        self._checkpointer = Checkpointer(self.path, synchronous=self._synchronous)
        self._checkpointer.start()
        self._conn = conn
        self._writer = Writer(
            conn,
            self._broadcaster,
            max_batch=self._max_batch,
            compact_chunk=self._compact_chunk,
            after_commit=self._checkpointer.poke,
        )
        self._broadcaster.published_revision = self._writer.revision
        self._writer.resume_compaction()

    def _prepare_file(self) -> None:
        """Create the directory, take ownership of the file (the lock), and create the schema."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), mode=0o700, exist_ok=True)
        lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(lock_fd)
            raise StorageUnavailable(f"{self.path} is in use by another everynode process") from exc
        self._lock_fd = lock_fd
        _make_private(self.path)
        setup = sql.connect(self.path, synchronous=self._synchronous)
        try:
            sql.create_schema(setup)
            version = setup.execute(sql.META, ("schema_version",)).fetchone()[0]
        finally:
            setup.close()
        if version != sql.SCHEMA_VERSION:
            os.close(lock_fd)
            self._lock_fd = None
            raise StorageUnavailable(
                f"{self.path} has storage schema version {version}; this everynode reads version "
                f"{sql.SCHEMA_VERSION} (no migration exists: use a new data directory)"
            )

    async def close(self) -> None:
        writer, conn, checkpointer = self._writer, self._conn, self._checkpointer
        self._writer = self._conn = self._checkpointer = None
        if writer is not None:
            writer.fail_pending("the store was closed")
        self._broadcaster.close()
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.stop)
        if conn is not None:
            conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _require(self) -> tuple[Writer, sqlite3.Connection]:
        if self._writer is None or self._conn is None:
            raise StorageUnavailable("the sqlite backend is not started")
        return self._writer, self._conn

    # -- writes ----------------------------------------------------------------------------------

    async def current_revision(self) -> int:
        return self._require()[0].revision

    async def create(self, key: str, value: bytes) -> KeyValue:
        result = await self._write("create", key, value, None)
        assert isinstance(result, KeyValue)
        return result

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        result = await self._write("update", key, value, expected_revision)
        assert isinstance(result, KeyValue)
        return result

    async def delete(self, key: str, *, expected_revision: int | None = None) -> Deleted:
        result = await self._write("delete", key, None, expected_revision)
        assert isinstance(result, Deleted)
        return result

    async def _write(
        self, kind: WriteKind, key: str, value: bytes | None, expected_revision: int | None
    ) -> KeyValue | Deleted:
        writer = self._require()[0]
        future: asyncio.Future[KeyValue | Deleted] = asyncio.get_running_loop().create_future()
        writer.submit(WriteOp(Write(kind, key, value, expected_revision), future))
        return await future

    async def compact(self, revision: int) -> None:
        writer = self._require()[0]
        if revision > writer.revision:
            raise FutureRevision(revision, writer.revision)
        await writer.compact(revision)

    # -- reads -----------------------------------------------------------------------------------

    def _read_revision(self, revision: int) -> int:
        """The revision to read at, checked against compaction and the head."""
        writer = self._require()[0]
        return read_revision(revision, head=writer.revision, compacted=writer.compact_target)

    async def get(self, key: str, *, revision: int = 0) -> KeyValue:
        writer, conn = self._require()
        at = self._read_revision(revision)
        if at == writer.revision:
            row = conn.execute(sql.GET_CURRENT, (key.encode(),)).fetchone()
        else:
            row = conn.execute(sql.GET_AT, (key.encode(), at)).fetchone()
        if row is None or row[1] is None:
            raise NotFound(key)
        return _row_to_kv(row)

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        writer, conn = self._require()
        if limit < 0:
            raise ValueError("limit must be >= 0")
        start = prefix
        if continue_token is not None:
            if revision:
                raise ValueError("revision and continue_token are mutually exclusive")
            cont = continuation.decode(continue_token)
            revision, start = cont.revision, prefix + cont.start
        at = self._read_revision(revision)
        low, high = start.encode(), prefix_end(prefix.encode()) or sql.KEY_MAX
        fetch = min(limit, _MAX_ROWS) + 1 if limit else -1
        if at == writer.revision:
            rows = conn.execute(sql.LIST_CURRENT, (low, high, fetch)).fetchall()
        else:
            rows = conn.execute(sql.LIST_AT, (low, high, at, fetch)).fetchall()
        items = [_row_to_kv(row) for row in rows]
        token = None
        if limit and len(items) > limit:
            items = items[:limit]
            token = continuation.encode(at, continuation.next_start(items[-1].key, prefix))
        return ListResult(items=items, revision=at, continue_token=token)

    def watch(self, prefix: str, *, after_revision: int) -> LocalWatch:
        self._require()
        return LocalWatch(self._broadcaster, prefix, after_revision, self._replay)

    async def _replay(self, prefix: str, after: int, upto: int) -> builtins.list[Event]:
        writer, conn = self._require()
        if after < writer.compact_target:
            raise Compacted(after, writer.compact_target)
        low, high = prefix.encode(), prefix_end(prefix.encode()) or sql.KEY_MAX
        rows = conn.execute(sql.REPLAY, (after, upto, low, high)).fetchall()
        return [_row_to_event(row) for row in rows]


def _row_to_kv(row: tuple[bytes, bytes, int, int]) -> KeyValue:
    return KeyValue(key=row[0].decode(), value=row[1], create_revision=row[2], mod_revision=row[3])


def _row_to_event(row: tuple[int, bytes, bytes | None, bytes | None, int]) -> Event:
    revision, key, value, prev_value, create_revision = row
    kind = EventType.PUT if value is not None else EventType.DELETE
    return Event(kind, key.decode(), revision, value, prev_value, create_revision)


def _make_private(path: str) -> None:
    """The database readable by its owner only: created 0600 (SQLite gives its -wal and -shm files
    the database's mode), and an older file that others could read is narrowed, with a warning."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        mode = os.fstat(fd).st_mode & 0o777
        if mode & 0o077:
            log.warning("storage: %s was readable by others (mode %o); narrowing it to 0600", path, mode)
            for name in (path, path + "-wal", path + "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(name, 0o600)
    finally:
        os.close(fd)
