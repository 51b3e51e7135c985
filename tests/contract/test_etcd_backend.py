"""Properties of the etcd backend beyond the shared contract: paging, and failures in transit."""

from __future__ import annotations

import pytest

from everynode.spawn.etcd import EtcdProcess, find_etcd
from everynode.storage import StorageUnavailable
from everynode.storage.etcd import EtcdBackend

pytestmark = pytest.mark.etcd


async def test_lists_are_read_in_pages_at_one_revision(etcd_server: EtcdProcess, root: str) -> None:
    backend = EtcdBackend([etcd_server.endpoint], page_size=3)
    await backend.start()
    try:
        for i in range(10):
            await backend.create(f"{root}k{i:02d}", b"x")
        everything = await backend.list(root)
        assert [kv.key for kv in everything.items] == [f"{root}k{i:02d}" for i in range(10)]
        page = await backend.list(root, limit=7)
        assert len(page.items) == 7
        assert page.continue_token is not None
        rest = await backend.list(root, continue_token=page.continue_token)
        assert [kv.key for kv in page.items + rest.items] == [kv.key for kv in everything.items]
    finally:
        await backend.close()


async def test_a_write_to_a_dead_etcd_fails_once_with_an_unknown_outcome(root: str) -> None:
    binary = find_etcd()
    if binary is None:
        pytest.skip("no etcd binary")
    with EtcdProcess(binary) as server:
        backend = EtcdBackend([server.endpoint], timeout=3.0)
        await backend.start()
        try:
            kv = await backend.create(root + "a", b"1")
            server.kill()
            with pytest.raises(StorageUnavailable, match="outcome is unknown"):
                await backend.update(root + "a", b"2", expected_revision=kv.mod_revision)
            with pytest.raises(StorageUnavailable) as read_error:
                await backend.get(root + "a")
            assert "outcome" not in str(read_error.value)
        finally:
            await backend.close()


async def test_an_unreachable_etcd_is_reported_at_start() -> None:
    from everynode.spawn.etcd import free_port

    backend = EtcdBackend([f"127.0.0.1:{free_port()}"], timeout=2.0)
    with pytest.raises(StorageUnavailable):
        await backend.start()
