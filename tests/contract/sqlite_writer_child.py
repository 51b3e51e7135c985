"""Child process for the kill -9 test: writes keys and prints each one once it is acknowledged."""

from __future__ import annotations

import asyncio
import hashlib
import sys

from everynode.storage.sqlite import SQLiteBackend


def value_for(index: int) -> bytes:
    digest = hashlib.sha256(str(index).encode()).hexdigest()
    return (digest * 40).encode()  # 2.5 KiB, content checkable


async def main(path: str) -> None:
    backend = SQLiteBackend(path)
    await backend.start()
    index = 0
    lock = asyncio.Lock()

    async def writer() -> None:
        nonlocal index
        while True:
            async with lock:
                mine = index
                index += 1
            kv = await backend.create(f"/registry/pods/default/p{mine:07d}", value_for(mine))
            sys.stdout.write(f"{mine} {kv.mod_revision}\n")
            sys.stdout.flush()

    await asyncio.gather(*(writer() for _ in range(16)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
