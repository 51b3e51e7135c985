"""Concurrent updates to etcd, several to a transaction.

Each etcd call costs the API server ~200 µs of CPU in the gRPC client whatever it carries, and at
5,000 nodes the server writes ~1,000 times a second (half of them Lease renewals), so one write per
call saturated its core. Updates instead join a queue: what arrives while up to ``MAX_IN_FLIGHT``
transactions are out leaves together in the next one, as the SQLite writer groups its commits —
alone when the store is quiet, by the dozen under load.

A transaction compares every write's ``mod_revision`` and puts them all, each value marked with its
place (``etcd_revisions``), so each write still has a revision of its own. If any compare fails,
nothing is written and the failure branch reads every key: writes whose key moved get ``Conflict``
(or ``NotFound``), the others go back to the front of the queue. Two updates of one key never share a
transaction (etcd refuses that): the later one waits for the next.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from etcd3aio._protobuf import Compare, PutRequest, RangeRequest, RequestOp, TxnRequest

from everynode.storage.errors import Conflict, NotFound, StorageError
from everynode.storage.etcd_revisions import SLOTS, RevisionBook, from_etcd, stored_value, to_etcd
from everynode.storage.records import KeyValue

MAX_IN_FLIGHT = 4  # transactions out at once; more writes wait and leave together
MAX_BYTES = 1 << 20  # per transaction, under etcd's default 1.5 MiB request limit

Send = Callable[[TxnRequest], Awaitable[Any]]
ToKeyValue = Callable[[Any], KeyValue]


class _Update(NamedTuple):
    key: str
    value: bytes
    expected_revision: int  # the store revision the caller read
    future: asyncio.Future[KeyValue]


class UpdateBatcher:
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
        self._queue: deque[_Update] = deque()
        self._in_flight = 0
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.transactions = 0  # sent, for tests and the log
        self.updates = 0
        self.largest = 0

    async def update(self, key: str, value: bytes, expected_revision: int) -> KeyValue:
        """Put ``value`` at ``key`` if its revision is still ``expected_revision`` (> 0, with
        ``to_etcd(expected_revision) > 0``); raises ``Conflict``, ``NotFound`` or ``StorageUnavailable``."""
        future: asyncio.Future[KeyValue] = asyncio.get_running_loop().create_future()
        self._queue.append(_Update(key, value, expected_revision, future))
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

    async def _run(self, batch: list[_Update]) -> None:
        try:
            await self._commit(batch)
        except BaseException as exc:  # the callers get the error; never leave one waiting forever
            for update in batch:
                if not update.future.done():
                    update.future.set_exception(exc)
            if not isinstance(exc, StorageError):
                raise
        finally:
            self._in_flight -= 1
            self._schedule()

    async def _commit(self, batch: list[_Update]) -> None:
        self.transactions += 1
        self.updates += len(batch)
        self.largest = max(self.largest, len(batch))
        raw_keys = [update.key.encode() for update in batch]
        request = TxnRequest(
            compare=[
                Compare(
                    result=Compare.EQUAL,
                    target=Compare.MOD,
                    key=raw,
                    mod_revision=to_etcd(update.expected_revision),
                )
                for raw, update in zip(raw_keys, batch, strict=True)
            ],
            success=[
                RequestOp(
                    request_put=PutRequest(key=raw, value=stored_value(update.value, slot), prev_kv=True)
                )
                for slot, (raw, update) in enumerate(zip(raw_keys, batch, strict=True))
            ],
            failure=[RequestOp(request_range=RangeRequest(key=raw)) for raw in raw_keys],
        )
        response = await self._send(request)
        if response.succeeded:
            revision = int(response.header.revision)
            self._book.record(revision, len(batch) - 1)
            for slot, (update, result) in enumerate(zip(batch, response.responses, strict=True)):
                prev = result.response_put.prev_kv
                kv = KeyValue(
                    update.key, update.value, from_etcd(int(prev.create_revision)), from_etcd(revision, slot)
                )
                if not update.future.done():
                    update.future.set_result(kv)
            return
        retry = []
        for update, result in zip(batch, response.responses, strict=True):
            current = result.response_range.kvs
            if not current:
                outcome: StorageError = NotFound(update.key)
            elif int(current[0].mod_revision) != to_etcd(update.expected_revision) or len(batch) == 1:
                outcome = Conflict(update.key, update.expected_revision, self._to_kv(current[0]))
            else:
                retry.append(update)  # its own compare held: another write's failed
                continue
            if not update.future.done():
                update.future.set_exception(outcome)
        self._queue.extendleft(reversed(retry))

    async def close(self) -> None:
        """Wait for the transactions already sent (their callers are waiting for them)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def take_batch(queue: deque[_Update], limit: int = SLOTS, max_bytes: int = MAX_BYTES) -> list[_Update]:
    """The next transaction's updates, in queue order: distinct keys, at most ``limit`` of them and
    about ``max_bytes`` (one larger value goes alone). Updates left out keep their places; updates
    whose caller stopped waiting are dropped."""
    batch: list[_Update] = []
    keys: set[str] = set()
    size = 0
    kept: list[_Update] = []
    while queue and len(batch) < limit and len(kept) < limit:  # bounded look past repeated keys
        update = queue.popleft()
        if update.future.done():
            continue
        if update.key in keys or (batch and size + len(update.value) > max_bytes):
            kept.append(update)
            continue
        batch.append(update)
        keys.add(update.key)
        size += len(update.value)
    queue.extendleft(reversed(kept))
    return batch
