"""Revisioned key/value storage with watch: the contract kube-apiserver has with etcd.

Only the API server (and the composition layers: cli, testing, bench) may import this package.
"""

from everynode.storage.backend import Backend, Watch
from everynode.storage.dsn import open_backend
from everynode.storage.errors import (
    Compacted,
    Conflict,
    FutureRevision,
    InvalidContinueToken,
    KeyExists,
    NotFound,
    StorageError,
    StorageUnavailable,
)
from everynode.storage.records import Deleted, Event, EventType, KeyValue, ListResult

__all__ = [
    "Backend",
    "Compacted",
    "Conflict",
    "Deleted",
    "Event",
    "EventType",
    "FutureRevision",
    "InvalidContinueToken",
    "KeyExists",
    "KeyValue",
    "ListResult",
    "NotFound",
    "StorageError",
    "StorageUnavailable",
    "Watch",
    "open_backend",
]
