"""Namespace deletion, as upstream's namespace controller finishes it.

Deleting a namespace marks it ``Terminating`` (its ``kubernetes`` finalizer holds it); this task
then deletes everything inside it and, once the namespace is empty, removes the namespace itself.
Objects held by finalizers of their own keep the namespace until those are gone; the task retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from everynode.apiserver.registry.codec import decode
from everynode.apiserver.registry.deletion import DeleteOptions
from everynode.apiserver.registry.store import Registry
from everynode.core import errors
from everynode.core import resources as r
from everynode.storage import Conflict, NotFound, StorageError

log = logging.getLogger(__name__)

RETRY_INTERVAL = 1.0
# Before emptying a namespace marked for deletion. Upstream's namespace controller gets there seconds
# later (its queue, discovery, a list of every resource), and clients count on it: `kubectl delete -f`
# of a bundle that holds its own namespace deletes the namespace first and then each object in it,
# which here found them gone already (a NotFound for every one, exit 1).
EMPTYING_DELAY = 2.0


class NamespaceFinalizer:
    """``recreate``: the namespaces the cluster seeds; one of them that is deleted (only
    ``kube-node-lease`` may be) is created afresh once it is gone, as upstream's system-namespaces
    controller does (within a minute there; at once here, so node heartbeats resume)."""

    def __init__(
        self, registry: Registry, recreate: tuple[str, ...] = (), *, emptying_delay: float = EMPTYING_DELAY
    ) -> None:
        self.registry = registry
        self.recreate = recreate
        self.emptying_delay = emptying_delay
        self._running: dict[str, asyncio.Task[None]] = {}

    def finish(self, namespace: str) -> None:
        """Start emptying and removing ``namespace`` (idempotent)."""
        task = self._running.get(namespace)
        if task is None or task.done():
            self._running[namespace] = asyncio.create_task(
                self._finish(namespace), name=f"ns-delete-{namespace}"
            )

    async def resume(self) -> None:
        """At start-up: finish the namespaces an earlier process left terminating."""
        page = await self.registry.backend.list(r.NAMESPACES.key_prefix())
        for kv in page.items:
            ns = decode(kv.value, kv.mod_revision)
            if ns["metadata"].get("deletionTimestamp"):
                self.finish(ns["metadata"]["name"])

    async def close(self) -> None:
        for task in self._running.values():
            task.cancel()
        for task in self._running.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _finish(self, namespace: str) -> None:
        await asyncio.sleep(self.emptying_delay)
        while True:
            try:
                if await self._empty(namespace):
                    await self._remove(namespace)
                    if namespace in self.recreate:
                        await seed_namespaces(self.registry, (namespace,))
                    return
            except StorageError as exc:
                log.warning("deleting namespace %s: %s", namespace, exc)
            await asyncio.sleep(RETRY_INTERVAL)

    async def _empty(self, namespace: str) -> bool:
        """Delete what is left in the namespace; whether nothing is left."""
        empty = True
        for info in self.registry.catalog.storage_infos():
            if not info.namespaced:
                continue
            page = await self.registry.backend.list(info.key_prefix(namespace))
            for kv in page.items:
                empty = False
                name = decode(kv.value, kv.mod_revision)["metadata"]["name"]
                try:
                    await self.registry.delete(info, namespace, name, DeleteOptions(grace_period_seconds=0))
                except errors.ApiError:
                    continue
        return empty

    async def _remove(self, namespace: str) -> None:
        key = r.NAMESPACES.key(None, namespace)
        while True:
            try:
                current = await self.registry.backend.get(key)
                await self.registry.backend.delete(key, expected_revision=current.mod_revision)
            except NotFound:
                return
            except Conflict:
                continue
            return


async def seed_namespaces(registry: Registry, names: tuple[str, ...]) -> None:
    """Create each of ``names`` that does not exist."""
    for name in names:
        with contextlib.suppress(errors.AlreadyExists):
            await registry.create(r.NAMESPACES, None, {"metadata": {"name": name}})
