"""List, then watch from the list's resourceVersion, forever; relist when the watch is too old (410).

Handlers see every change once, in order: ``on_add(obj)``, ``on_update(old, new)``,
``on_delete(obj)``. A relist replays the difference between the cache and what the server now holds
(adds, updates, deletes for objects that vanished meanwhile), so no change is lost across a relist.
Errors other than 410 back off exponentially (through the injected clock) and relist.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from everynode.core import errors
from everynode.core.clock import Clock, RealClock
from everynode.core.types import Obj
from everynode.informers.store import IndexFunc, Store, object_key

log = logging.getLogger(__name__)


class Lister(Protocol):
    """What an informer needs of a resource client (``client.rest.ResourceClient`` is one)."""

    async def list(
        self,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> Obj: ...

    def watch(
        self,
        namespace: str | None = None,
        *,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int | None = None,
        allow_bookmarks: bool = False,
    ) -> AsyncIterator[Obj]: ...


@dataclass
class Handlers:
    on_add: list[Callable[[Obj], None]] = field(default_factory=list)
    on_update: list[Callable[[Obj, Obj], None]] = field(default_factory=list)
    on_delete: list[Callable[[Obj], None]] = field(default_factory=list)


class Informer:
    def __init__(
        self,
        resource: Lister,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        indexers: dict[str, IndexFunc] | None = None,
        clock: Clock | None = None,
        watch_timeout: tuple[int, int] = (300, 600),
        max_backoff: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.store = Store(indexers)
        self.handlers = Handlers()
        self.clock = clock or RealClock()
        self.watch_timeout = watch_timeout
        self.max_backoff = max_backoff
        self.rng = rng or random.Random()
        self.synced = asyncio.Event()
        self.resource_version = ""
        self.relists = 0
        self.running = False

    def add_handlers(
        self,
        on_add: Callable[[Obj], None] | None = None,
        on_update: Callable[[Obj, Obj], None] | None = None,
        on_delete: Callable[[Obj], None] | None = None,
    ) -> None:
        if on_add:
            self.handlers.on_add.append(on_add)
        if on_update:
            self.handlers.on_update.append(on_update)
        if on_delete:
            self.handlers.on_delete.append(on_delete)

    async def run(self) -> None:
        """List and watch until cancelled. One run at a time: a second concurrent run would open a
        second watch and hand every handler each change twice."""
        if self.running:
            raise RuntimeError("this informer is already running")
        self.running = True
        try:
            await self._run()
        finally:
            self.running = False

    async def _run(self) -> None:
        backoff = 0.0
        while True:
            try:
                await self._list()
                backoff = 0.0
                while True:
                    await self._watch()
            except errors.Gone:
                log.info("watch expired; relisting")
            except errors.ApiError as exc:
                backoff = min(self.max_backoff, max(0.1, backoff * 2))
                log.warning("informer error (%s); retrying in %.1f s", exc, backoff)
                await self.clock.sleep(backoff)

    async def _list(self) -> None:
        listed = await self.resource.list(
            self.namespace, label_selector=self.label_selector, field_selector=self.field_selector
        )
        self.relists += 1
        fresh = {object_key(obj): obj for obj in listed.get("items", [])}
        for key in self.store.all_keys():
            if key not in fresh:
                gone = self.store.remove(self.store.get(key) or {})
                if gone is not None:
                    self._dispatch_delete(gone)
        for obj in fresh.values():
            self._apply_upsert(obj)
        self.resource_version = listed.get("metadata", {}).get("resourceVersion", "")
        self.synced.set()

    async def _watch(self) -> None:
        low, high = self.watch_timeout
        stream = self.resource.watch(
            self.namespace,
            resource_version=self.resource_version,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            timeout_seconds=self.rng.randint(low, high),
            allow_bookmarks=True,
        )
        async for event in stream:
            obj = event.get("object") or {}
            kind = event.get("type")
            if kind in ("ADDED", "MODIFIED"):
                self._apply_upsert(obj)
            elif kind == "DELETED":
                gone = self.store.remove(obj)
                self._dispatch_delete(gone or obj)
            version = obj.get("metadata", {}).get("resourceVersion")
            if version:
                self.resource_version = version

    def _apply_upsert(self, obj: Obj) -> None:
        old = self.store.upsert(obj)
        if old is None:
            for add in self.handlers.on_add:
                add(obj)
        elif old.get("metadata", {}).get("resourceVersion") != obj.get("metadata", {}).get("resourceVersion"):
            for update in self.handlers.on_update:
                update(old, obj)

    def _dispatch_delete(self, obj: Obj) -> None:
        for delete in self.handlers.on_delete:
            delete(obj)
