from __future__ import annotations

import pytest

from everynode.storage import open_backend
from everynode.storage.etcd import EtcdBackend
from everynode.storage.memory import MemoryBackend
from everynode.storage.sqlite import SQLiteBackend


def test_memory() -> None:
    assert isinstance(open_backend("memory://"), MemoryBackend)


def test_sqlite_absolute_and_relative_paths() -> None:
    absolute = open_backend("sqlite:///var/lib/everynode/state.db")
    assert isinstance(absolute, SQLiteBackend)
    assert absolute.path == "/var/lib/everynode/state.db"
    relative = open_backend("sqlite://.everynode/state.db?synchronous=full")
    assert isinstance(relative, SQLiteBackend)
    assert relative.path == ".everynode/state.db"


def test_etcd_endpoints() -> None:
    backend = open_backend("etcd://10.0.0.1:2379,10.0.0.2:2379?timeout=5")
    assert isinstance(backend, EtcdBackend)
    assert backend.endpoints == ["10.0.0.1:2379", "10.0.0.2:2379"]


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("postgres://db", "unknown scheme"),
        ("sqlite://", "names no database file"),
        ("sqlite:///tmp/x.db?journal=off", "unknown option"),
        ("sqlite:///tmp/x.db?synchronous=sometimes", "synchronous must be one of"),
        ("etcd://", "host:port"),
        ("etcd://localhost", "host:port"),
        ("etcd://127.0.0.1:2379?timeout=soon", "must be a number"),
        ("etcd://127.0.0.1:2379?timeout=-1", "must be positive"),
    ],
)
def test_bad_dsns_are_explained(dsn: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_backend(dsn)
