"""Errors of the storage contract.

The API server maps them onto Kubernetes Status objects: ``KeyExists`` → 409 AlreadyExists,
``NotFound`` → 404, ``Conflict`` → 409 Conflict, ``Compacted`` → 410 Gone (also for an expired
continue token), ``FutureRevision`` → 504 "Too large resource version", ``InvalidContinueToken`` → 400,
``StorageUnavailable`` → 503/500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from everynode.storage.records import KeyValue


class StorageError(Exception):
    """Base class of every error a backend raises on purpose."""


class KeyExists(StorageError):
    """A create found the key already present."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} already exists")
        self.key = key


class NotFound(StorageError):
    """The key is not present (at the revision asked for)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} not found")
        self.key = key


class Conflict(StorageError):
    """A conditional write found the key at another revision than expected."""

    def __init__(self, key: str, expected_revision: int, current: KeyValue) -> None:
        super().__init__(
            f"key {key!r} is at revision {current.mod_revision}, not the expected {expected_revision}"
        )
        self.key = key
        self.expected_revision = expected_revision
        self.current = current


class Compacted(StorageError):
    """The revision asked for is older than the compacted revision: its history is gone."""

    def __init__(self, requested_revision: int, compacted_revision: int | None) -> None:
        known = f" (compacted at {compacted_revision})" if compacted_revision is not None else ""
        super().__init__(f"revision {requested_revision} has been compacted{known}")
        self.requested_revision = requested_revision
        self.compacted_revision = compacted_revision


class FutureRevision(StorageError):
    """The revision asked for is newer than the store's current revision."""

    def __init__(self, requested_revision: int, current_revision: int | None) -> None:
        known = f" (current is {current_revision})" if current_revision is not None else ""
        super().__init__(f"revision {requested_revision} is in the future{known}")
        self.requested_revision = requested_revision
        self.current_revision = current_revision


class InvalidContinueToken(StorageError):
    """A continue token that this store did not issue for this prefix."""


class StorageUnavailable(StorageError):
    """The store could not be reached or failed; for a write, its outcome is unknown."""


def read_revision(revision: int, *, head: int, compacted: int) -> int:
    """The revision a read at ``revision`` (0: the head) sees, in a store whose newest revision is
    ``head`` and whose history before ``compacted`` is gone: ``Compacted`` or ``FutureRevision``
    when it is out of that range, ``ValueError`` when negative."""
    if revision < 0:
        raise ValueError("revision must be >= 0")
    if revision == 0:
        return head
    if revision < compacted:
        raise Compacted(revision, compacted)
    if revision > head:
        raise FutureRevision(revision, head)
    return revision
