"""The storage contract: a revisioned key/value store with watch, as kube-apiserver has with etcd.

Every write gets a revision of its own from one store-wide, strictly increasing counter (memory and
SQLite count by one; etcd, whose concurrent updates share transactions, leaves gaps: see
``etcd_revisions``). A precondition names a revision the store reported for that key. Reads can be
made at a past revision until it is compacted. A watch delivers every write under a prefix, in
revision order, from any revision that is not compacted.

Compaction at revision ``C`` keeps the state as of ``C`` and discards older history: a get or list
at a revision below ``C`` raises ``Compacted``, and so does a watch that asks for events after a
revision below ``C``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, Self, runtime_checkable

from everynode.storage.records import Deleted, Event, KeyValue, ListResult


@runtime_checkable
class Watch(Protocol):
    """An ordered stream of events; iterate it, and close it when done.

    Errors (``Compacted`` for a compacted start revision or a cancelled stream,
    ``StorageUnavailable``) surface from iteration.
    """

    supports_progress: bool  # whether progress_revision() can ever answer

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def __anext__(self) -> Event: ...

    async def close(self) -> None: ...

    def progress_revision(self) -> int | None:
        """A revision R such that every event under the prefix up to R has been yielded, if known.

        Lets a consumer (the API server's watch cache) know it is current even when the latest
        writes were to other prefixes. ``None`` when the backend cannot tell.
        """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


@runtime_checkable
class Backend(Protocol):
    """What the API server needs from a store. Implementations: memory, SQLite, etcd."""

    async def start(self) -> None:
        """Open the store; must be awaited before any other call."""

    async def close(self) -> None:
        """Release the store; pending watches end."""

    async def current_revision(self) -> int:
        """The revision of the newest acknowledged write (0 for an empty store)."""

    async def create(self, key: str, value: bytes) -> KeyValue:
        """Create ``key``; raises ``KeyExists`` when it is present."""

    async def get(self, key: str, *, revision: int = 0) -> KeyValue:
        """The version of ``key`` current at ``revision`` (0: now); raises ``NotFound``."""

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        """Keys under ``prefix`` in byte order, at ``revision`` (0: now), at most ``limit`` (0: all).

        A ``continue_token`` from an earlier page continues that list at its revision; it cannot be
        combined with ``revision``.
        """

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        """Replace ``key`` if its ``mod_revision`` is ``expected_revision``.

        Raises ``NotFound`` when the key is absent, ``Conflict`` when it is at another revision.
        """

    async def delete(self, key: str, *, expected_revision: int | None = None) -> Deleted:
        """Remove ``key`` (if at ``expected_revision``, when given); ``NotFound`` / ``Conflict``."""

    def watch(self, prefix: str, *, after_revision: int) -> Watch:
        """Events under ``prefix`` with revisions greater than ``after_revision``, then live ones."""

    async def compact(self, revision: int) -> None:
        """Discard history older than ``revision`` (a no-op if already compacted that far)."""
