"""CustomResourceDefinitions come to life inside the API server, as apiextensions-apiserver's own
controllers bring them there (naming, establishing, finalizing; ``pkg/controller/{status,establish,
finalizer}``).

One task follows the definitions' watch cache:

- a definition that appears or changes is served: its kinds go into the catalog and a watch cache
  starts for its storage (kept across changes that keep the storage), then its status says so —
  ``acceptedNames``, ``storedVersions``, conditions ``NamesAccepted`` and ``Established`` — written
  only when it differs from what is stored. A definition whose names another one (or a built-in
  kind) already serves is not served: ``NamesAccepted`` is False with the conflict as its message.
- a definition being deleted stops taking new objects (creates are refused, as upstream's are while
  it is ``Terminating``), its custom resources are deleted, and once none is left its
  ``customresourcecleanup.apiextensions.k8s.io`` finalizer is removed, so it goes;
- a definition that is gone is no longer served and its watch cache stops.

Invariant: the catalog serves exactly the established definitions in the cache; a custom resource is
reachable only while its definition is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.crd import status as crd_status
from everynode.apiserver.customkinds import custom_kinds, served_versions
from everynode.apiserver.kinds import CLEANUP_FINALIZER
from everynode.apiserver.registry.codec import decode
from everynode.apiserver.registry.deletion import DeleteOptions
from everynode.apiserver.registry.objects import deep_copy
from everynode.apiserver.registry.store import Registry
from everynode.apiserver.watch.cache import CachedEvent, WatchCache
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.timestamps import now_time
from everynode.core.types import Obj
from everynode.storage import StorageError

log = logging.getLogger(__name__)

RETRY_INTERVAL = 1.0

CacheFactory = Callable[[r.ResourceInfo], WatchCache]


def desired_status(crd: Obj, others: Iterable[Obj], conflict: str | None, now: str) -> Obj:
    """The status ``crd`` should have (pure): upstream's naming check against ``others`` (the other
    definitions; ``crd.status``), not accepted when ``conflict`` (a resource another definition or a
    built-in kind serves), and ``Terminating`` while it is being deleted."""
    status = crd_status.desired_status(crd, others, now)
    conditions = status["conditions"]
    if conflict is not None:
        crd_status.set_condition(
            conditions,
            {"type": "NamesAccepted", "status": "False", "reason": "NameConflict", "message": conflict},
            now,
        )
        crd_status.set_condition(
            conditions,
            {
                "type": "Established",
                "status": "False",
                "reason": "NotAccepted",
                "message": "not all names are accepted",
            },
            now,
        )
    if crd.get("metadata", {}).get("deletionTimestamp"):
        crd_status.set_condition(
            conditions,
            {
                "type": "Terminating",
                "status": "True",
                "reason": "InstanceDeletionInProgress",
                "message": "CustomResource deletion is in progress",
            },
            now,
        )
    return status


def accepted(status: Obj) -> bool:
    return any(
        c.get("type") == "NamesAccepted" and c.get("status") == "True" for c in status.get("conditions") or []
    )


class DefinitionServing:
    def __init__(self, registry: Registry, caches: dict[str, WatchCache], new_cache: CacheFactory) -> None:
        self.registry = registry
        self.catalog: Catalog = registry.catalog
        self.caches = caches
        self.new_cache = new_cache
        self._cache_tasks: dict[str, asyncio.Task[None]] = {}
        self._cleanups: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Follow the definitions until cancelled."""
        definitions = self.caches[r.CUSTOM_RESOURCE_DEFINITIONS.cache_name]
        await definitions.ready.wait()
        initial, watcher = definitions.watch(None, lambda obj: True)
        try:
            for kind, event in initial:
                await self._handle(kind, event)
            while True:
                await watcher.wait()
                if watcher.closed:  # the server is shutting down
                    return
                if watcher.dropped:  # fell behind: take the current state again
                    watcher.close()
                    initial, watcher = definitions.watch(None, lambda obj: True)
                    await self._resync(initial)
                    continue
                while watcher.queue:
                    kind, event = watcher.queue.popleft()
                    await self._handle(kind, event)
        finally:
            watcher.close()
            await self._stop_all()

    async def _resync(self, initial: list[tuple[str, CachedEvent]]) -> None:
        present = {event.obj["metadata"]["name"] for _, event in initial}
        for custom in self.catalog.custom():
            if custom.definition not in present:
                self._withdraw(custom.definition)
        for kind, event in initial:
            await self._handle(kind, event)

    async def _handle(self, kind: str, event: CachedEvent) -> None:
        crd = event.obj
        name = crd["metadata"]["name"]
        try:
            if kind == "DELETED":
                self._withdraw(name)
                return
            every = self._definitions_cache().list_objects(None, lambda obj: True)
            others = [other for other in every if other["metadata"]["name"] != name]
            named = desired_status(crd, others, None, now_time())
            conflict = None
            if accepted(named):
                conflict = self._serve(crd)
            else:
                self._withdraw(name)  # names another definition holds: not served
            await self._write_status(crd, others, conflict)
            if crd["metadata"].get("deletionTimestamp"):
                self._start_cleanup(name)
        except Exception:
            log.exception("serving CustomResourceDefinition %s failed", name)

    # -- serving ---------------------------------------------------------------------------------

    def _definitions_cache(self) -> WatchCache:
        return self.caches[r.CUSTOM_RESOURCE_DEFINITIONS.cache_name]

    def _serve(self, crd: Obj) -> str | None:
        """Serve ``crd``'s kinds; the conflict that prevents it, if any."""
        name = crd["metadata"]["name"]
        if not served_versions(crd):
            self._withdraw(name)
            return None
        custom = custom_kinds(crd)
        served = self.catalog.served_by(name)
        taken = [
            "/".join(p for p in (k.info.group, k.info.version, k.info.resource) if p)
            for k in custom.kinds
            if (found := self.catalog.lookup(k.info.group, k.info.version, k.info.resource)) is not None
            and (served is None or found not in [s.info for s in served.kinds])
        ]
        if taken:
            return f"{', '.join(taken)} is already in use"
        self._ensure_cache(custom.kinds[0].info)  # every version shares the one storage and cache
        self.catalog.serve(custom)
        return None

    def _ensure_cache(self, info: r.ResourceInfo) -> None:
        name = info.cache_name
        if name in self.caches:
            return
        cache = self.new_cache(info)
        self.caches[name] = cache
        self._cache_tasks[name] = asyncio.create_task(cache.run(), name=f"watchcache-{name}")

    def _withdraw(self, definition: str) -> None:
        served = self.catalog.served_by(definition)
        self.catalog.withdraw(definition)
        if served is None:
            return
        name = served.kinds[0].info.cache_name
        if any(k.info.cache_name == name for c in self.catalog.custom() for k in c.kinds):
            return
        cache = self.caches.pop(name, None)
        if cache is not None:
            cache.close_watchers()
        task = self._cache_tasks.pop(name, None)
        if task is not None:
            task.cancel()

    async def _write_status(self, crd: Obj, others: list[Obj], conflict: str | None) -> None:
        wanted = desired_status(crd, others, conflict, now_time())
        if (crd.get("status") or {}) == wanted:
            return
        name = crd["metadata"]["name"]

        def with_status(current: Obj) -> Obj:
            updated = deep_copy(current)
            updated["status"] = desired_status(current, others, conflict, now_time())
            return updated

        with contextlib.suppress(errors.NotFound, errors.Conflict):
            await self.registry.patch(
                r.CUSTOM_RESOURCE_DEFINITIONS, None, name, with_status, subresource="status"
            )

    # -- deletion --------------------------------------------------------------------------------

    def _start_cleanup(self, name: str) -> None:
        task = self._cleanups.get(name)
        if task is None or task.done():
            self._cleanups[name] = asyncio.create_task(self._cleanup(name), name=f"crd-cleanup-{name}")

    async def _cleanup(self, name: str) -> None:
        while True:
            try:
                if await self._delete_instances(name):
                    await self._remove_finalizer(name)
                    return
            except (StorageError, errors.ApiError) as exc:
                log.warning("deleting the custom resources of %s: %s", name, exc)
            await asyncio.sleep(RETRY_INTERVAL)

    async def _delete_instances(self, name: str) -> bool:
        """Delete what is left of the definition's custom resources; whether nothing is left."""
        served = self.catalog.served_by(name)
        if served is None:
            return True
        info = served.kinds[0].info
        page = await self.registry.backend.list(info.key_prefix())
        for kv in page.items:
            metadata = decode(kv.value, kv.mod_revision)["metadata"]
            with contextlib.suppress(errors.NotFound):
                await self.registry.delete(info, metadata.get("namespace"), metadata["name"], DeleteOptions())
        return not page.items

    async def _remove_finalizer(self, name: str) -> None:
        def without(current: Obj) -> Obj:
            updated = deep_copy(current)
            finalizers = [f for f in updated["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER]
            if finalizers:
                updated["metadata"]["finalizers"] = finalizers
            else:
                updated["metadata"].pop("finalizers", None)
            return updated

        with contextlib.suppress(errors.NotFound):
            await self.registry.patch(r.CUSTOM_RESOURCE_DEFINITIONS, None, name, without)

    async def _stop_all(self) -> None:
        tasks = [*self._cache_tasks.values(), *self._cleanups.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
