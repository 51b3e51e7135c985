"""Shared pieces of the controller-against-a-live-server modules: each module's own API server, a
polling wait with a deadline, a background service, and the common objects."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, Protocol

import pytest

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.spawn.apiserver import ApiServerProcess
from tests.polling import eventually

__all__ = ["eventually"]  # re-exported: the modules of this tier import it from here

# For ``params=`` of a module's server fixture: SQLite, and again on a real etcd.
BACKENDS = ["sqlite", pytest.param("etcd", marks=pytest.mark.etcd)]


@contextlib.contextmanager
def own_apiserver(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    extra_args: tuple[str, ...] = ("--bookmark-interval", "1"),
) -> Iterator[ApiServerProcess]:
    """An API server of the calling fixture's own: on SQLite in a fresh tmp dir, or on the shared etcd
    where the fixture is parametrized with ``BACKENDS`` and this is its etcd run."""
    if getattr(request, "param", "sqlite") == "etcd":
        dsn = request.getfixturevalue("etcd_server").dsn
    else:
        dsn = f"sqlite:///{tmp_path_factory.mktemp(name) / 'state.db'}"
    with ApiServerProcess(dsn, extra_args=extra_args) as process:
        yield process


class Service(Protocol):
    synced: asyncio.Event

    async def run(self) -> None: ...


@contextlib.asynccontextmanager
async def running(service: Service, *alongside: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Runs ``service`` (and ``alongside`` tasks) in the background once it has synced; cancels on exit."""
    tasks = [asyncio.create_task(service.run()), *(asyncio.create_task(c) for c in alongside)]
    try:
        await asyncio.wait_for(service.synced.wait(), 30)
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def create_namespace(client: RestClient, prefix: str) -> str:
    name = unique(prefix)
    await client.resource(r.NAMESPACES).create({"metadata": {"name": name}})
    return name


async def create_all(
    client: RestClient, info: r.ResourceInfo, objects: list[Obj], namespace: str | None = None
) -> None:
    """Creates ``objects``, up to 64 at a time."""
    resource = client.resource(info)
    limit = asyncio.Semaphore(64)

    async def one(obj: Obj) -> None:
        async with limit:
            await resource.create(obj, namespace)

    await asyncio.gather(*(one(obj) for obj in objects))
