"""The generic registry: create, read, update and delete of API objects on top of storage.

It owns the rules every kind shares: metadata the server sets (uid, creationTimestamp,
generateName, generation, resourceVersion), namespaces that must exist, optimistic concurrency
(a resourceVersion precondition → 409; otherwise read-modify-write retried on conflict),
defaulting and validation before anything is stored (``preparation``), ``dryRun``, graceful
deletion, finalizers and propagation policies. Per-kind differences come from the kind's
declaration (``apiserver.kinds``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.kinds import Kind
from everynode.apiserver.registry.binding import bound_to_node
from everynode.apiserver.registry.codec import decode, encode_for_storage, with_revision
from everynode.apiserver.registry.deletion import (
    DeleteOptions,
    check_deletable,
    plan_deletion,
    should_delete_now,
)
from everynode.apiserver.registry.fieldmanagers import field_manager
from everynode.apiserver.registry.objects import deep_copy, meta, random_suffix, status_success
from everynode.apiserver.registry.preparation import prepare_create, prepare_update
from everynode.apiserver.registry.servicenetwork import ServiceNetwork
from everynode.apiserver.registry.strategy import Strategy
from everynode.apiserver.watch.cache import WatchCache
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.resources import ResourceInfo
from everynode.core.timestamps import now_time
from everynode.core.types import Obj
from everynode.storage import Backend, KeyExists, KeyValue
from everynode.storage import Conflict as StorageConflict
from everynode.storage import NotFound as StorageNotFound

MAX_RETRIES = 16
GENERATE_NAME_ATTEMPTS = 8  # a generated name that is taken is generated again (upstream: 7 retries)
SERVER_SET_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")


Mutation = Callable[[Obj], Obj]


class CacheLookup:
    """What admission reads: the watch caches' objects (shared: never changed here or by callers),
    and the service network Services' addresses come from."""

    def __init__(self, caches: dict[str, WatchCache], service_network: ServiceNetwork) -> None:
        self.caches = caches
        self.service_network = service_network

    def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj | None:
        return self.caches[info.cache_name].get(info.key(namespace, name))

    def list(self, info: ResourceInfo) -> list[Obj]:
        return self.caches[info.cache_name].list_objects(None, lambda obj: True)


class Registry:
    def __init__(
        self,
        backend: Backend,
        caches: dict[str, WatchCache],
        service_network: ServiceNetwork | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.backend = backend
        self.caches = caches
        self.catalog = catalog or Catalog()
        self.lookup = CacheLookup(caches, service_network or ServiceNetwork())
        self.on_namespace_terminating: Callable[[str], None] = lambda name: None

    # -- create ----------------------------------------------------------------------------------

    async def create(
        self,
        info: ResourceInfo,
        namespace: str | None,
        obj: Obj,
        *,
        dry_run: bool = False,
        manager: str | None = None,
    ) -> Obj:
        """POST. ``manager``: the ``fieldManager`` the client named, whose fields the object's
        ``managedFields`` record (None: not tracked; see ``fieldmanagers``)."""
        kind = self.catalog.kind(info)
        metadata = meta(obj)
        if info.namespaced:
            await self.require_namespace(namespace or "", creating=True)
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        for field in (*SERVER_SET_META, "resourceVersion", "generation"):
            metadata.pop(field, None)
        generated = not metadata.get("name") and bool(metadata.get("generateName"))
        if generated:
            metadata["name"] = str(metadata["generateName"]) + random_suffix()
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now_time()
        prepare_create(kind, obj, self.lookup)
        if manager is not None:
            obj = field_manager(kind, None).update(None, obj, manager, now_time())
        if dry_run:
            return obj
        attempts = GENERATE_NAME_ATTEMPTS if generated else 1
        for attempt in range(1, attempts + 1):
            name = metadata["name"]
            try:
                kv = await self._write(info, info.key(namespace, name), obj, None)
            except KeyExists:
                if attempt == attempts:
                    raise errors.already_exists(info.resource, info.group, name) from None
                # upstream's RetryGenerateName: another suffix rather than a 409 for a name never asked for
                metadata["name"] = str(metadata["generateName"]) + random_suffix()
                continue
            return with_revision(obj, kv.mod_revision)
        raise AssertionError("unreachable")

    async def require_namespace(self, namespace: str, *, creating: bool) -> None:
        key = r.NAMESPACES.key(None, namespace)
        ns = self.caches["namespaces"].get(key)
        if ns is None:
            try:
                ns = decode((await self.backend.get(key)).value, 0)
            except StorageNotFound:
                raise errors.not_found("namespaces", "", namespace) from None
        if creating and ns.get("metadata", {}).get("deletionTimestamp"):
            raise errors.namespace_terminating(namespace)

    # -- read ------------------------------------------------------------------------------------

    async def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj:
        try:
            kv = await self.backend.get(info.key(namespace, name))
        except StorageNotFound:
            raise errors.not_found(info.resource, info.group, name) from None
        return decode(kv.value, kv.mod_revision)

    # -- update ----------------------------------------------------------------------------------

    async def update(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        body: Obj,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        manager: str | None = None,
    ) -> tuple[Obj, bool]:
        """PUT. Returns the stored object and whether it was created (PUT-as-create). ``manager``: the
        writer, recorded in ``managedFields`` if the object is tracked."""
        kind = self.catalog.kind(info)
        strategy = kind.strategy
        body_meta = meta(body)
        if body_meta.get("name") not in (None, name):
            raise errors.BadRequest(
                f"the name of the object ({body_meta.get('name')}) does not match "
                f"the name on the URL ({name})"
            )
        precondition = body_meta.get("resourceVersion") or None
        key = info.key(namespace, name)
        try:
            current = None if dry_run else self._cached(info, key)
            if current is None:
                current = await self.backend.get(key)
        except StorageNotFound:
            if not strategy.allow_create_on_update or subresource:
                raise errors.not_found(info.resource, info.group, name) from None
            body_meta["name"] = name
            return await self.create(info, namespace, body, dry_run=dry_run, manager=manager), True

        def mutate(old: Obj) -> Obj:
            new = prepare_update(kind, old, deep_copy(body), subresource, self.lookup)
            return self._track(kind, subresource, old, new, manager)

        stored = await self._guaranteed_update(
            info, key, name, mutate, precondition=precondition, dry_run=dry_run, current=current
        )
        return stored, False

    async def patch(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        apply_patch: Mutation,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        manager: str | None = None,
    ) -> Obj:
        """PATCH: ``apply_patch`` makes the desired object from the current one, which it must not change
        (then as for PUT)."""
        kind = self.catalog.kind(info)
        key = info.key(namespace, name)
        precondition: list[str | None] = [None]

        def mutate(old: Obj) -> Obj:
            desired = apply_patch(old)  # must not change ``old``
            if not isinstance(desired, dict):
                raise errors.BadRequest("the patch did not produce an object")
            wanted = meta(desired).get("resourceVersion")
            if wanted and wanted != old["metadata"]["resourceVersion"]:
                precondition[0] = wanted
            new = prepare_update(kind, old, desired, subresource, self.lookup)
            return self._track(kind, subresource, old, new, manager)

        return await self._update_from_cache(info, key, name, mutate, dry_run, late_precondition=precondition)

    async def apply(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        config: Obj,
        *,
        manager: str,
        force: bool,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Server-side apply of ``config`` by ``manager`` (``apiserver.apply``): merged over the stored
        object by field ownership, or creating it; then as for PUT (defaults, validation). Returns the
        stored object and whether it was created. A conflict is a 409 naming the fields and managers."""
        kind = self.catalog.kind(info)
        fields = field_manager(kind, subresource)
        key = info.key(namespace, name)

        def mutate(old: Obj) -> Obj:
            merged = fields.apply(old, config, manager, force=force, now=now_time())
            if merged is old:
                return old
            new = prepare_update(kind, old, deep_copy(merged), subresource, self.lookup)
            # /status keeps the stored metadata: the ownership the apply worked out goes back on
            new["metadata"]["managedFields"] = deep_copy(merged["metadata"].get("managedFields"))
            if not new["metadata"]["managedFields"]:
                del new["metadata"]["managedFields"]
            return new

        for _ in range(MAX_RETRIES):
            try:
                return await self._update_from_cache(info, key, name, mutate, dry_run), False
            except errors.NotFound:
                if subresource:
                    raise
            created = fields.apply(None, config, manager, force=force, now=now_time())
            try:
                return await self.create(info, namespace, deep_copy(created), dry_run=dry_run), True
            except errors.AlreadyExists:
                continue  # created meanwhile: apply over it
        raise errors.conflict(info.resource, info.group, name, "too many concurrent updates; try again")

    @staticmethod
    def _track(kind: Kind, subresource: str | None, old: Obj, new: Obj, manager: str | None) -> Obj:
        """``new`` with ``manager``'s changes from ``old`` recorded, when the object is tracked.

        An object neither stored with ``managedFields`` nor sent with them stays untracked (upstream's
        skipnonapplied); that is decided here before anything is computed: the cluster's own pod and
        node writes are most of the traffic, and the field manager's own check cost ~40 us a write."""
        if manager is None or new is old:
            return new
        if not old["metadata"].get("managedFields") and not new["metadata"].get("managedFields"):
            return new
        return field_manager(kind, subresource).update(old, new, manager, now_time())

    async def _guaranteed_update(
        self,
        info: ResourceInfo,
        key: str,
        name: str,
        mutate: Mutation,
        *,
        precondition: str | None,
        dry_run: bool,
        current: Any,
        late_precondition: list[str | None] | None = None,
    ) -> Obj:
        cached = current is not None and self._cached(info, key) is current
        for _ in range(MAX_RETRIES):
            if current is None:
                cached = False
                try:
                    current = await self.backend.get(key)
                except StorageNotFound:
                    raise errors.not_found(info.resource, info.group, name) from None
            old = self._decoded(info, key, current) if cached else decode(current.value, current.mod_revision)
            if precondition is not None and precondition != str(current.mod_revision):
                if cached:  # the cache may lag: only storage can say the precondition fails
                    current = None
                    continue
                raise errors.conflict(info.resource, info.group, name, errors.MODIFIED)
            if late_precondition is not None:
                late_precondition[0] = None
            new = mutate(old)
            if late_precondition is not None and late_precondition[0] is not None:
                if cached:
                    current = None
                    continue
                raise errors.conflict(info.resource, info.group, name, errors.MODIFIED)
            if new == old:
                if cached:  # a no-op on a possibly stale copy proves nothing: look at storage
                    current = None
                    continue
                return old  # nothing changed: no write, no new resourceVersion
            if dry_run:
                return new
            try:
                if should_delete_now(new):
                    await self.backend.delete(key, expected_revision=current.mod_revision)
                    return new
                kv = await self._write(info, key, new, current.mod_revision)
            except StorageConflict:
                if precondition is not None:
                    raise errors.conflict(info.resource, info.group, name, errors.MODIFIED) from None
                current = None
                continue
            except StorageNotFound:
                raise errors.not_found(info.resource, info.group, name) from None
            return with_revision(new, kv.mod_revision)
        raise errors.conflict(info.resource, info.group, name, "too many concurrent updates; try again")

    async def bind(self, namespace: str, name: str, node: str, *, dry_run: bool = False) -> Obj:
        """``pods/binding``: set ``spec.nodeName`` once (the scheduler's write), bypassing update rules."""
        info = r.PODS
        key = info.key(namespace, name)

        def mutate(old: Obj) -> Obj:
            return bound_to_node(old, name, node)

        return await self._update_from_cache(info, key, name, mutate, dry_run)

    async def _update_from_cache(
        self,
        info: ResourceInfo,
        key: str,
        name: str,
        mutate: Mutation,
        dry_run: bool,
        *,
        late_precondition: list[str | None] | None = None,
    ) -> Obj:
        """A read-modify-write with no precondition of its own, starting from the watch cache."""
        return await self._guaranteed_update(
            info,
            key,
            name,
            mutate,
            precondition=None,
            dry_run=dry_run,
            current=None if dry_run else self._cached(info, key),
            late_precondition=late_precondition,
        )

    # -- delete ----------------------------------------------------------------------------------

    async def delete(
        self, info: ResourceInfo, namespace: str | None, name: str, options: DeleteOptions
    ) -> tuple[Obj, int]:
        """DELETE: the response body and HTTP code. See ``deletion`` for what happens."""
        check_deletable(info, name)
        kind = self.catalog.kind(info)
        strategy = kind.strategy
        key = info.key(namespace, name)
        cached = None if options.dry_run else self._cached(info, key)
        for _ in range(MAX_RETRIES):
            from_cache = cached is not None
            if cached is not None:  # first from the watch cache: a stale version fails the write
                current, cached = cached, None
                obj = self._decoded(info, key, current)
                try:
                    plan = plan_deletion(strategy, obj, options)
                except errors.Conflict:
                    continue  # a precondition may fail only on the stale copy: ask storage
                if plan.action == "unchanged":
                    continue  # nothing to write proves nothing on a possibly stale copy: ask storage
            else:
                try:
                    current = await self.backend.get(key)
                except StorageNotFound:
                    raise errors.not_found(info.resource, info.group, name) from None
                obj = decode(current.value, current.mod_revision)
                plan = plan_deletion(strategy, obj, options)
            if options.dry_run:
                return (self._deleted_body(strategy, obj) if plan.action == "delete" else plan.obj), 200
            try:
                if plan.action == "delete" or (plan.action == "mark" and should_delete_now(plan.obj)):
                    deleted = await self.backend.delete(key, expected_revision=current.mod_revision)
                    gone = deep_copy(plan.obj) if from_cache else plan.obj  # the cache's own is read-only
                    return self._deleted_body(strategy, with_revision(gone, deleted.revision)), 200
                if plan.action == "mark":
                    kv = await self._write(info, key, plan.obj, current.mod_revision)
                    with_revision(plan.obj, kv.mod_revision)
            except StorageConflict:
                continue
            except StorageNotFound:
                raise errors.not_found(info.resource, info.group, name) from None
            if info is r.NAMESPACES:
                self.on_namespace_terminating(name)
            return plan.obj, 200
        raise errors.conflict(info.resource, info.group, name, "too many concurrent updates; try again")

    @staticmethod
    def _deleted_body(strategy: Strategy, obj: Obj) -> Obj:
        if strategy.return_deleted_object:
            return obj
        info = strategy.info
        return status_success(info.group, info.resource, obj["metadata"]["name"], obj["metadata"].get("uid"))

    async def _write(self, info: ResourceInfo, key: str, obj: Obj, expected_revision: int | None) -> KeyValue:
        """Create (``expected_revision`` None) or update ``key`` with ``obj``, which the watch cache may
        then keep as its own copy (``WatchCache.expect_write``): callers return it and change it no more."""
        value = encode_for_storage(obj)
        cache = self.caches.get(info.cache_name)
        if cache is not None:
            cache.expect_write(key, value, obj)
        try:
            if expected_revision is None:
                return await self.backend.create(key, value)
            return await self.backend.update(key, value, expected_revision=expected_revision)
        except BaseException:
            if cache is not None:
                cache.forget_write(key, value)
            raise

    def _cached(self, info: ResourceInfo, key: str) -> KeyValue | None:
        """The watch cache's version of ``key``, to start a read-modify-write from without reading
        storage (as kube-apiserver does); a stale one fails the write's precondition, and the write
        is retried from storage."""
        cache = self.caches.get(info.cache_name)
        return cache.stored(key) if cache is not None else None

    def _decoded(self, info: ResourceInfo, key: str, current: KeyValue) -> Obj:
        """``current`` as an object: the watch cache's own (read-only!) when it holds that version,
        which saves decoding it again; ``mutate`` functions copy what they change."""
        obj = self.caches[info.cache_name].get(key)
        if obj is not None and obj.get("metadata", {}).get("resourceVersion") == str(current.mod_revision):
            return obj
        return decode(current.value, current.mod_revision)
