"""Concurrent creates and updates to etcd, several to a transaction.

Each etcd call costs the API server ~200 µs of CPU in the gRPC client whatever it carries, and at
5,000 nodes the server writes ~1,000 times a second (half of them Lease renewals), so one write per
call saturated its core. Writes instead join a queue: what arrives while up to ``MAX_IN_FLIGHT``
transactions are out leaves together in the next one, as the SQLite writer groups its commits —
alone when the store is quiet, by the dozen under load.

Creates travel this way too: besides the call, every etcd transaction is one message on each watch
of its keys, and the API server reads its watch streams one message at a time; a DaemonSet
controller creating 250 pods sent 250 messages down the pod watch, which lagged ~1 s behind the
writes at 5,000 nodes (measured), and the controller waits for that watch before its next batch.

A transaction compares every write's ``mod_revision`` (0 for a create: the key must be absent) and
puts them all, each value marked with its place (``etcd_revisions``), so each write still has a
revision of its own. If any compare fails, nothing is written and the failure branch reads every
key: writes whose key moved get ``Conflict`` (or ``NotFound``; ``KeyExists`` for a create), the
others go back to the front of the queue. Two writes of one key never share a transaction (etcd
refuses that): the later one waits for the next.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from etcd3aio._protobuf import Compare, PutRequest, RangeRequest, RequestOp, TxnRequest

from everynode.storage.errors import Conflict, KeyExists, NotFound, StorageError
from everynode.storage.etcd_revisions import SLOTS, RevisionBook, from_etcd, stored_value, to_etcd
from everynode.storage.records import KeyValue

MAX_IN_FLIGHT = 4  # transactions out at once; more writes wait and leave together
MAX_BYTES = 1 << 20  # per transaction, under etcd's default 1.5 MiB request limit

Send = Callable[[TxnRequest], Awaitable[Any]]
ToKeyValue = Callable[[Any], KeyValue]


class _Write(NamedTuple):
    key: str
    value: bytes
    expected_revision: int  # the store revision the caller read; 0: a create
    future: asyncio.Future[KeyValue]


class WriteBatcher:
    def __init__(
        self,
        send: Send,
        to_key_value: ToKeyValue,
        book: RevisionBook,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._send = send
        self._to_kv = to_key_value
        self._book = book
        self._max_in_flight = max_in_flight
        self._queue: deque[_Write] = deque()
        self._in_flight = 0
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.transactions = 0  # sent, for tests and the log
        self.writes = 0
        self.largest = 0

    async def create(self, key: str, value: bytes) -> KeyValue:
        """Put ``value`` at ``key`` if there is no such key; raises ``KeyExists`` or
        ``StorageUnavailable``."""
        return await self._write(key, value, 0)

    async def update(self, key: str, value: bytes, expected_revision: int) -> KeyValue:
        """Put ``value`` at ``key`` if its revision is still ``expected_revision`` (> 0, with
        ``to_etcd(expected_revision) > 0``); raises ``Conflict``, ``NotFound`` or ``StorageUnavailable``."""
        return await self._write(key, value, expected_revision)

    async def _write(self, key: str, value: bytes, expected_revision: int) -> KeyValue:
        future: asyncio.Future[KeyValue] = asyncio.get_running_loop().create_future()
        self._queue.append(_Write(key, value, expected_revision, future))
        self._schedule()
        return await future

    def _schedule(self) -> None:
        if self._queue and not self._flush_scheduled and self._in_flight < self._max_in_flight:
            self._flush_scheduled = True  # after this loop turn: what else arrives in it comes along
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        while self._queue and self._in_flight < self._max_in_flight:
            batch = take_batch(self._queue)
            if not batch:
                return
            self._in_flight += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[_Write]) -> None:
        try:
            await self._commit(batch)
        except BaseException as exc:  # the callers get the error; never leave one waiting forever
            for write in batch:
                if not write.future.done():
                    write.future.set_exception(exc)
            if not isinstance(exc, StorageError):
                raise
        finally:
            self._in_flight -= 1
            self._schedule()

    async def _commit(self, batch: list[_Write]) -> None:
        self.transactions += 1
        self.writes += len(batch)
        self.largest = max(self.largest, len(batch))
        raw_keys = [write.key.encode() for write in batch]
        request = TxnRequest(
            compare=[
                Compare(
                    result=Compare.EQUAL,
                    target=Compare.MOD,
                    key=raw,
                    mod_revision=to_etcd(write.expected_revision),
                )
                for raw, write in zip(raw_keys, batch, strict=True)
            ],
            success=[
                RequestOp(
                    request_put=PutRequest(key=raw, value=stored_value(write.value, slot), prev_kv=True)
                )
                for slot, (raw, write) in enumerate(zip(raw_keys, batch, strict=True))
            ],
            failure=[RequestOp(request_range=RangeRequest(key=raw)) for raw in raw_keys],
        )
        response = await self._send(request)
        if response.succeeded:
            revision = int(response.header.revision)
            self._book.record(revision, len(batch) - 1)
            for slot, (write, result) in enumerate(zip(batch, response.responses, strict=True)):
                # a key's create revision is its creating transaction's (slot 0), on every version
                prev = result.response_put.prev_kv
                created = int(prev.create_revision) if write.expected_revision else revision
                kv = KeyValue(write.key, write.value, from_etcd(created), from_etcd(revision, slot))
                if not write.future.done():
                    write.future.set_result(kv)
            return
        retry = []
        for write, result in zip(batch, response.responses, strict=True):
            current = result.response_range.kvs
            if not write.expected_revision:  # a create
                if not current:
                    retry.append(write)
                    continue
                outcome: StorageError = KeyExists(write.key)
            elif not current:
                outcome = NotFound(write.key)
            elif int(current[0].mod_revision) != to_etcd(write.expected_revision) or len(batch) == 1:
                outcome = Conflict(write.key, write.expected_revision, self._to_kv(current[0]))
            else:
                retry.append(write)  # its own compare held: another write's failed
                continue
            if not write.future.done():
                write.future.set_exception(outcome)
        self._queue.extendleft(reversed(retry))

    async def close(self) -> None:
        """Wait for the transactions already sent (their callers are waiting for them)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def take_batch(queue: deque[_Write], limit: int = SLOTS, max_bytes: int = MAX_BYTES) -> list[_Write]:
    """The next transaction's writes, in queue order: distinct keys, at most ``limit`` of them and
    about ``max_bytes`` (one larger value goes alone). Writes left out keep their places; writes
    whose caller stopped waiting are dropped."""
    batch: list[_Write] = []
    keys: set[str] = set()
    size = 0
    kept: list[_Write] = []
    while queue and len(batch) < limit and len(kept) < limit:  # bounded look past repeated keys
        write = queue.popleft()
        if write.future.done():
            continue
        if write.key in keys or (batch and size + len(write.value) > max_bytes):
            kept.append(write)
            continue
        batch.append(write)
        keys.add(write.key)
        size += len(write.value)
    queue.extendleft(reversed(kept))
    return batch
