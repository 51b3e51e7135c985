"""Properties of the SQLite backend beyond the shared contract: durability, ownership, plans."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from everynode.storage import StorageUnavailable
from everynode.storage import sqlite_schema as sql
from everynode.storage.sqlite import SQLiteBackend
from tests.contract.sqlite_writer_child import value_for


def test_every_acknowledged_write_survives_kill_9(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.contract.sqlite_writer_child", path],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    assert child.stdout is not None
    acknowledged: dict[int, int] = {}
    try:
        while len(acknowledged) < 3000:
            line = child.stdout.readline()
            assert line, f"the writer exited early with {child.poll()}"
            index, revision = map(int, line.split())
            acknowledged[index] = revision
        child.send_signal(signal.SIGKILL)  # mid-stream: writes are still in flight
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()

    async def check() -> None:
        backend = SQLiteBackend(path)
        await backend.start()
        try:
            for index, revision in acknowledged.items():
                kv = await backend.get(f"/registry/pods/default/p{index:07d}")
                assert kv.value == value_for(index)
                assert kv.mod_revision == revision
            assert await backend.current_revision() >= max(acknowledged.values())
        finally:
            await backend.close()

    asyncio.run(check())


async def test_a_second_owner_of_the_same_file_is_refused(tmp_path: Path) -> None:
    first = SQLiteBackend(str(tmp_path / "state.db"))
    await first.start()
    try:
        with pytest.raises(StorageUnavailable, match="in use"):
            await SQLiteBackend(str(tmp_path / "state.db")).start()
    finally:
        await first.close()


async def test_state_and_revision_survive_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    backend = SQLiteBackend(path)
    await backend.start()
    kv = await backend.create("/k", b"v")
    await backend.close()
    backend = SQLiteBackend(path)
    await backend.start()
    try:
        assert await backend.get("/k") == kv
        assert await backend.current_revision() == kv.mod_revision
        assert (await backend.create("/k2", b"v")).mod_revision == kv.mod_revision + 1
    finally:
        await backend.close()


@pytest.mark.parametrize("query", [sql.GET_CURRENT, sql.LIST_CURRENT, sql.current_for_keys(2)])
def test_current_reads_never_scan_the_history_log(tmp_path: Path, query: str) -> None:
    conn = sqlite3.connect(tmp_path / "plan.db")
    sql.create_schema(conn)
    args = {sql.GET_CURRENT: (b"k",), sql.LIST_CURRENT: (b"a", b"b", 10)}.get(query, (b"j", b"k"))
    steps = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query, args)]
    # current is searched by key; the log is only ever entered by primary key (one row per key).
    assert any(step.startswith("SEARCH c USING PRIMARY KEY") for step in steps), steps
    log_steps = [step for step in steps if step.split()[1] == "l"]
    assert log_steps == ["SEARCH l USING INTEGER PRIMARY KEY (rowid=?)"], steps


async def test_compaction_runs_in_chunks_between_writes(tmp_path: Path) -> None:
    backend = SQLiteBackend(str(tmp_path / "state.db"), compact_chunk=100)
    await backend.start()
    try:
        kv = await backend.create("/hot", b"0")
        for i in range(3000):
            kv = await backend.update("/hot", str(i).encode(), expected_revision=kv.mod_revision)
        compaction = asyncio.create_task(backend.compact(kv.mod_revision))
        await asyncio.sleep(0)  # let the compaction request reach the writer first
        written = await backend.create("/during", b"x")
        assert not compaction.done(), "the write waited for the whole compaction"
        await compaction
        assert (await backend.get("/during")) == written
        assert (await backend.get("/hot")).value == b"2999"
    finally:
        await backend.close()
    with sqlite3.connect(tmp_path / "state.db") as conn:
        rows = conn.execute("SELECT COUNT(*) FROM log WHERE key = ?", (b"/hot",)).fetchone()[0]
    assert rows == 1, "superseded versions were not removed"


async def test_a_watcher_that_falls_behind_catches_up_from_the_log(tmp_path: Path) -> None:
    backend = SQLiteBackend(str(tmp_path / "state.db"))
    await backend.start()
    backend._broadcaster.max_queued = 5
    try:
        start = await backend.current_revision()
        async with backend.watch("/", after_revision=start) as watch:
            iterator = aiter(watch)
            first = await backend.create("/k0000", b"0")
            assert (await asyncio.wait_for(anext(iterator), 10)).revision == first.mod_revision
            written = [first.mod_revision]
            for i in range(1, 50):  # far more than the watcher's queue holds
                written.append((await backend.create(f"/k{i:04d}", b"x")).mod_revision)
            seen = [first.mod_revision]
            while len(seen) < len(written):
                seen.append((await asyncio.wait_for(anext(iterator), 10)).revision)
        assert seen == written
    finally:
        await backend.close()


def test_the_file_lock_is_released_when_the_owner_dies(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    code = (
        "import asyncio, os, signal, sys\n"
        "from everynode.storage.sqlite import SQLiteBackend\n"
        "async def main():\n"
        f"    await SQLiteBackend({path!r}).start()\n"
        "    print('ready', flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "asyncio.run(main())\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)
    assert child.stdout.strip() == b"ready"
    assert child.returncode == -signal.SIGKILL

    async def reopen() -> None:
        backend = SQLiteBackend(path)
        await backend.start()
        await backend.close()

    asyncio.run(reopen())
    assert os.path.exists(path)
