"""An in-memory API server for the garbage collector's unit tests.

It keeps objects by (resource, namespace, name), enforces what the collector relies on — uid and
resourceVersion preconditions on DELETE, resourceVersion in a merge patch, the propagation policy's
finalizer holding an object with a deletionTimestamp until its finalizers are gone — and, when
``informers`` is on, feeds every change to the collector's graph at once, as informers would.
Every call is recorded; ``fail`` makes the next calls of a verb raise an error.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from everynode.controllers.garbagecollector.collector import GarbageCollector
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.clock import FakeClock
from everynode.core.patch.merge import apply_merge_patch
from everynode.core.patch.strategic import StaticSchema, apply_strategic_merge_patch
from everynode.core.types import Obj
from tests import builders

POLICY_FINALIZER = {"Orphan": "orphan", "Foreground": "foregroundDeletion", "Background": None}
_SCHEMA = StaticSchema(
    fields={
        "metadata": StaticSchema(
            fields={"ownerReferences": StaticSchema(patch_strategy="merge", merge_key="uid")}
        )
    }
)
_uids = itertools.count(1)


def new_uid() -> str:
    return f"uid-{next(_uids)}"


@dataclass
class Call:
    verb: str
    resource: str
    name: str
    details: dict[str, Any] = field(default_factory=dict)


class FakeCluster:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.calls: list[Call] = []
        self.failures: dict[str, list[errors.ApiError]] = {}
        self._versions = itertools.count(1)
        self.collector: GarbageCollector | None = None
        self.informers = True
        self.before_delete: Callable[[Call], None] | None = None

    # -- plumbing --------------------------------------------------------------------------------

    def attach(self, collector: GarbageCollector) -> None:
        self.collector = collector

    def _notify(self, kind: str, info: r.ResourceInfo, obj: Obj, old: Obj | None = None) -> None:
        if self.collector is None or not self.informers:
            return
        graph = self.collector.graph
        if kind == "add":
            graph.observe(info, copy.deepcopy(obj))
        elif kind == "update":
            graph.observe(info, copy.deepcopy(obj), old)
        else:
            graph.observe_delete(info, copy.deepcopy(obj))

    def fail(self, verb: str, error: errors.ApiError, times: int = 1) -> None:
        self.failures.setdefault(verb, []).extend([error] * times)

    def _maybe_fail(self, verb: str) -> None:
        pending = self.failures.get(verb)
        if pending:
            raise pending.pop(0)

    @staticmethod
    def _key(info: r.ResourceInfo, namespace: str | None, name: str) -> tuple[str, str, str]:
        return (info.resource, (namespace or "") if info.namespaced else "", name)

    def _stamp(self, obj: Obj) -> None:
        obj["metadata"]["resourceVersion"] = str(next(self._versions))

    # -- what tests call directly --------------------------------------------------------------------

    def create(self, info: r.ResourceInfo, obj: Obj) -> Obj:
        obj = copy.deepcopy(obj)
        obj["apiVersion"], obj["kind"] = info.api_version, info.kind
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", new_uid())
        if not info.namespaced:
            meta.pop("namespace", None)
        self._stamp(obj)
        self.objects[self._key(info, meta.get("namespace"), meta["name"])] = obj
        self._notify("add", info, obj)
        return copy.deepcopy(obj)

    def find(self, info: r.ResourceInfo, namespace: str | None, name: str) -> Obj | None:
        found = self.objects.get(self._key(info, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def remove(self, info: r.ResourceInfo, namespace: str | None, name: str) -> None:
        """Delete behind the collector's back, as another client would (Background, no finalizers)."""
        obj = self.objects.pop(self._key(info, namespace, name))
        self._notify("delete", info, obj)

    def update(self, info: r.ResourceInfo, obj: Obj) -> Obj:
        meta = obj["metadata"]
        key = self._key(info, meta.get("namespace"), meta["name"])
        old = self.objects[key]
        obj = copy.deepcopy(obj)
        self._stamp(obj)
        self.objects[key] = obj
        self._notify("update", info, obj, old)
        return copy.deepcopy(obj)

    def verbs(self, verb: str) -> list[Call]:
        return [call for call in self.calls if call.verb == verb]

    # -- the collector's API -------------------------------------------------------------------------

    async def get(self, info: r.ResourceInfo, namespace: str | None, name: str) -> Obj:
        self.calls.append(Call("get", info.resource, name))
        self._maybe_fail("get")
        found = self.find(info, namespace, name)
        if found is None:
            raise errors.not_found(info.resource, info.group, name)
        return found

    async def delete(
        self,
        info: r.ResourceInfo,
        namespace: str | None,
        name: str,
        *,
        uid: str,
        resource_version: str | None,
        propagation_policy: str,
    ) -> None:
        call = Call(
            "delete", info.resource, name, {"uid": uid, "rv": resource_version, "policy": propagation_policy}
        )
        self.calls.append(call)
        if self.before_delete is not None:
            self.before_delete(call)
        self._maybe_fail("delete")
        key = self._key(info, namespace, name)
        obj = self.objects.get(key)
        if obj is None:
            raise errors.not_found(info.resource, info.group, name)
        meta = obj["metadata"]
        if uid != meta["uid"] or (resource_version and resource_version != meta["resourceVersion"]):
            raise errors.conflict(info.resource, info.group, name, "Precondition failed")
        finalizers = list(meta.get("finalizers") or [])
        wanted = POLICY_FINALIZER[propagation_policy]
        if wanted and wanted not in finalizers:
            finalizers.append(wanted)
        if not finalizers:
            del self.objects[key]
            self._notify("delete", info, obj)
            return
        marked = copy.deepcopy(obj)
        marked["metadata"]["finalizers"] = finalizers
        marked["metadata"].setdefault("deletionTimestamp", "2024-01-01T00:00:00Z")
        if marked != obj:
            self.update(info, marked)

    async def patch(
        self, info: r.ResourceInfo, namespace: str | None, name: str, patch: Obj, *, patch_type: str
    ) -> Obj:
        self.calls.append(
            Call("patch", info.resource, name, {"patch": copy.deepcopy(patch), "type": patch_type})
        )
        self._maybe_fail("patch")
        key = self._key(info, namespace, name)
        obj = self.objects.get(key)
        if obj is None:
            raise errors.not_found(info.resource, info.group, name)
        if patch_type == "strategic":
            new = apply_strategic_merge_patch(copy.deepcopy(obj), patch, _SCHEMA)
        else:
            new = apply_merge_patch(copy.deepcopy(obj), patch)
        wanted = new["metadata"].get("resourceVersion")
        if wanted and wanted != obj["metadata"]["resourceVersion"]:
            raise errors.conflict(info.resource, info.group, name, errors.MODIFIED)
        new["metadata"]["uid"] = obj["metadata"]["uid"]
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            del self.objects[key]
            self._notify("delete", info, new)
            return new
        return self.update(info, new)


def make(cluster: FakeCluster | None = None) -> tuple[FakeCluster, GarbageCollector, FakeClock]:
    cluster = cluster or FakeCluster()
    clock = FakeClock()
    collector = GarbageCollector(cluster, clock=clock)
    cluster.attach(collector)
    return cluster, collector, clock


async def drain(collector: GarbageCollector, *, limit: int = 1000) -> list[tuple[str, str, Exception]]:
    """Work both queues until they are empty; the failures, as (queue, uid, error)."""
    failures: list[tuple[str, str, Exception]] = []
    for _ in range(limit):
        for name, queue, work in (
            ("delete", collector.delete_queue, collector.attempt_to_delete),
            ("orphan", collector.orphan_queue, collector.attempt_to_orphan),
        ):
            if len(queue):
                uid = await queue.get()
                try:
                    result = await work(uid)
                finally:
                    queue.done(uid)
                if result.error is not None:
                    failures.append((name, uid, result.error))
                break
        else:
            return failures
    raise AssertionError("the queues never emptied")


def daemonset(name: str, namespace: str = "default", **meta: Any) -> Obj:
    return builders.daemonset(name, namespace=namespace, metadata=meta)


def pod(name: str, owners: list[Obj], namespace: str = "default", **meta: Any) -> Obj:
    return builders.pod(name, namespace=namespace, owners=owners, metadata=meta)
