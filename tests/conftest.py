"""Fixtures shared by every tier: a real etcd server, and one storage backend per kind."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from everynode.spawn.etcd import EtcdProcess, find_etcd
from everynode.storage.backend import Backend
from everynode.storage.memory import MemoryBackend
from everynode.storage.sqlite import SQLiteBackend

BACKEND_KINDS = ["memory", "sqlite", pytest.param("etcd", marks=pytest.mark.etcd)]


@pytest.fixture(scope="session")
def etcd_server() -> Iterator[EtcdProcess]:
    """One real etcd for the session. Missing etcd skips, unless EVERYNODE_REQUIRE_ETCD=1 (make test)."""
    binary = find_etcd()
    if binary is None:
        if os.environ.get("EVERYNODE_REQUIRE_ETCD") == "1":
            pytest.fail("EVERYNODE_REQUIRE_ETCD=1 but no etcd binary was found (scripts/ensure-etcd)")
        pytest.skip("no etcd binary (install etcd-server, or run make test)")
    with EtcdProcess(binary) as server:
        yield server


async def make_backend(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    backend: Backend
    if kind == "memory":
        backend = MemoryBackend()
    elif kind == "sqlite":
        backend = SQLiteBackend(str(tmp_path / f"state-{uuid.uuid4().hex[:6]}.db"))
    else:
        from everynode.storage.etcd import EtcdBackend

        server: EtcdProcess = request.getfixturevalue("etcd_server")
        backend = EtcdBackend([server.endpoint])
    await backend.start()
    return backend


@pytest.fixture(params=BACKEND_KINDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    store = await make_backend(request.param, tmp_path, request)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def root() -> str:
    """A key prefix of this test's own (etcd is shared by the whole session)."""
    return f"/registry-{uuid.uuid4().hex[:8]}/"
