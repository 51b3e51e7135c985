"""The in-memory backend: the reference implementation of the contract, and the test oracle.

Written for obviousness rather than speed: every key keeps its list of versions, and reads at a
past revision search them. Nothing survives the process.
"""

from __future__ import annotations

import bisect
import builtins
from dataclasses import dataclass

from everynode.storage import continuation
from everynode.storage.broadcaster import Broadcaster, LocalWatch
from everynode.storage.errors import (
    Compacted,
    Conflict,
    FutureRevision,
    KeyExists,
    NotFound,
    StorageUnavailable,
    read_revision,
)
from everynode.storage.records import Deleted, Event, EventType, KeyValue, ListResult


@dataclass(frozen=True, slots=True)
class _Version:
    revision: int
    kv: KeyValue | None  # None: deleted at this revision


class MemoryBackend:
    def __init__(self) -> None:
        self._revision = 0
        self._compacted = 0
        self._versions: dict[str, list[_Version]] = {}
        self._log: list[Event] = []  # every event with revision >= _compacted, in order
        self._broadcaster = Broadcaster()
        self._open = False

    async def start(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False
        self._broadcaster.close()

    async def current_revision(self) -> int:
        self._check_open()
        return self._revision

    async def create(self, key: str, value: bytes) -> KeyValue:
        self._check_open()
        if self._latest(key) is not None:
            raise KeyExists(key)
        revision = self._revision + 1
        kv = KeyValue(key=key, value=value, create_revision=revision, mod_revision=revision)
        self._commit(key, kv, Event(EventType.PUT, key, revision, value, None, revision))
        return kv

    async def get(self, key: str, *, revision: int = 0) -> KeyValue:
        self._check_open()
        kv = self._at(key, self._read_revision(revision))
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
        self._check_open()
        start = prefix
        if continue_token is not None:
            if revision:
                raise ValueError("revision and continue_token are mutually exclusive")
            cont = continuation.decode(continue_token)
            revision, start = cont.revision, prefix + cont.start
        at = self._read_revision(revision)
        items: list[KeyValue] = []
        more = False
        for key in sorted(k for k in self._versions if k.startswith(prefix) and k >= start):
            kv = self._at(key, at)
            if kv is None:
                continue
            if limit and len(items) == limit:
                more = True
                break
            items.append(kv)
        token = continuation.encode(at, continuation.next_start(items[-1].key, prefix)) if more else None
        return ListResult(items=items, revision=at, continue_token=token)

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        self._check_open()
        current = self._current_or_raise(key, expected_revision)
        revision = self._revision + 1
        kv = KeyValue(key=key, value=value, create_revision=current.create_revision, mod_revision=revision)
        event = Event(EventType.PUT, key, revision, value, current.value, current.create_revision)
        self._commit(key, kv, event)
        return kv

    async def delete(self, key: str, *, expected_revision: int | None = None) -> Deleted:
        self._check_open()
        current = self._current_or_raise(key, expected_revision)
        revision = self._revision + 1
        event = Event(EventType.DELETE, key, revision, None, current.value, current.create_revision)
        self._commit(key, None, event)
        return Deleted(revision=revision, prev=current)

    def watch(self, prefix: str, *, after_revision: int) -> LocalWatch:
        self._check_open()
        return LocalWatch(self._broadcaster, prefix, after_revision, self._replay)

    async def compact(self, revision: int) -> None:
        self._check_open()
        if revision > self._revision:
            raise FutureRevision(revision, self._revision)
        if revision <= self._compacted:
            return
        self._compacted = revision
        for key in list(self._versions):
            versions = self._versions[key]
            keep_from = bisect.bisect_right([v.revision for v in versions], revision) - 1
            kept = versions[max(keep_from, 0) :]
            if kept and kept[0].kv is None and kept[0].revision < revision:
                kept = kept[1:]
            if kept:
                self._versions[key] = kept
            else:
                del self._versions[key]
        self._log = [e for e in self._log if e.revision >= revision]

    # -- internals ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise StorageUnavailable("the memory backend is not started")

    def _commit(self, key: str, kv: KeyValue | None, event: Event) -> None:
        self._revision = event.revision
        self._versions.setdefault(key, []).append(_Version(event.revision, kv))
        self._log.append(event)
        self._broadcaster.publish([event])

    def _latest(self, key: str) -> KeyValue | None:
        versions = self._versions.get(key)
        return versions[-1].kv if versions else None

    def _at(self, key: str, revision: int) -> KeyValue | None:
        versions = self._versions.get(key, [])
        index = bisect.bisect_right([v.revision for v in versions], revision) - 1
        return versions[index].kv if index >= 0 else None

    def _current_or_raise(self, key: str, expected_revision: int | None) -> KeyValue:
        current = self._latest(key)
        if current is None:
            raise NotFound(key)
        if expected_revision is not None and current.mod_revision != expected_revision:
            raise Conflict(key, expected_revision, current)
        return current

    def _read_revision(self, revision: int) -> int:
        return read_revision(revision, head=self._revision, compacted=self._compacted)

    async def _replay(self, prefix: str, after: int, upto: int) -> builtins.list[Event]:
        if after < self._compacted:
            raise Compacted(after, self._compacted)
        revisions = [e.revision for e in self._log]
        lo = bisect.bisect_right(revisions, after)
        hi = bisect.bisect_right(revisions, upto)
        return [e for e in self._log[lo:hi] if e.key.startswith(prefix)]
