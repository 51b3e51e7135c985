"""An in-memory ``DaemonSetApi``: writes land straight in the controller's caches.

Like upstream's fake pod control, a create or delete is visible in the pod cache (and observed by
the expectations) as soon as the call returns, so a controller can be driven sync by sync with no API
server. The benchmark uses it to time the controller alone; unit tests extend it to inject errors.
"""

from __future__ import annotations

import copy
import itertools

from everynode.controllers.daemonset.caches import Caches
from everynode.core import errors
from everynode.core.clock import Clock
from everynode.core.patch.strategic import StaticSchema, apply_strategic_merge_patch
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.runtime.expectations import Expectations

# what a strategic merge must know for the patches the controller sends: owner references merge by uid
_SCHEMA = StaticSchema(
    fields={
        "metadata": StaticSchema(
            fields={"ownerReferences": StaticSchema(patch_strategy="merge", merge_key="uid")}
        )
    }
)


def strategic_merge(original: Obj, patch: Obj) -> Obj:
    return apply_strategic_merge_patch(original, patch, _SCHEMA)


class MemoryDaemonSetApi:
    def __init__(
        self, caches: Caches, clock: Clock, *, mirror_pods: bool = True, mirror_status: bool = True
    ) -> None:
        self.caches = caches
        self.clock = clock
        self.mirror_pods = mirror_pods
        self.mirror_status = mirror_status
        self.created: list[Obj] = []
        self.deleted: list[str] = []
        self.patched: list[tuple[str, Obj]] = []
        self.status_updates: list[Obj] = []
        self._names = itertools.count()
        self._uids = itertools.count()
        self.expectations: Expectations | None = None  # set to the controller's to observe at once

    # -- hooks a subclass may override ----------------------------------------------------------------

    def new_uid(self) -> str:
        """The uid of a created pod or revision."""
        return f"mem-{next(self._uids)}"

    def pod_created(self, pod: Obj) -> None:
        """Called once a created pod is in the pod cache: observed by the expectations, when set."""
        self._observe(pod, created=True)

    def pod_deleted(self, pod: Obj) -> None:
        """Called once a deleted pod has left the pod cache: observed by the expectations, when set."""
        self._observe(pod, created=False)

    def status_written(self, old: Obj | None, new: Obj) -> None:
        """Called once a status write is in the DaemonSet cache: ``new``, the API's own copy, replaced
        ``old``. Nothing by default."""

    def _observe(self, pod: Obj, *, created: bool) -> None:
        if self.expectations is None:
            return
        meta = pod["metadata"]
        for ref in meta.get("ownerReferences") or ():
            if ref.get("controller"):
                key = f"{meta.get('namespace', '')}/{ref['name']}"
                if created:
                    self.expectations.creation_observed(key)
                else:
                    self.expectations.deletion_observed(key)

    # -- the DaemonSetApi -----------------------------------------------------------------------------

    async def get_daemonset(self, namespace: str, name: str) -> Obj:
        found = self.caches.daemonsets.get(f"{namespace}/{name}")
        if found is None:
            raise errors.not_found("daemonsets", "apps", name)
        return copy.deepcopy(found)

    async def update_daemonset_status(self, ds: Obj) -> Obj:
        self.status_updates.append(ds)
        if self.mirror_status:
            stored = copy.deepcopy(ds)
            self.status_written(self.caches.daemonsets.upsert(stored), stored)
        return ds

    async def create_pod(self, namespace: str, pod: Obj) -> Obj:
        # the controller builds a fresh top level and metadata for every pod and never changes them
        pod = {**pod, "metadata": dict(pod["metadata"])}
        meta = pod["metadata"]
        meta["name"] = f"{meta.get('generateName', 'pod-')}{next(self._names):05d}"
        meta["namespace"] = namespace
        meta["uid"] = self.new_uid()
        meta["resourceVersion"] = "1"
        meta["creationTimestamp"] = format_time(self.clock.wall())
        pod.setdefault("status", {})["phase"] = "Pending"
        self.created.append(pod)
        if self.mirror_pods:
            self.caches.pods.upsert(pod)
            self.pod_created(pod)
        return pod

    async def delete_pod(self, namespace: str, name: str) -> None:
        self.deleted.append(name)
        existing = self.caches.pods.get(f"{namespace}/{name}")
        if existing is None:
            raise errors.not_found("pods", "", name)
        if self.mirror_pods:
            self.caches.pods.remove(existing)
            self.pod_deleted(existing)

    async def patch_pod(self, namespace: str, name: str, patch: Obj) -> Obj:
        self.patched.append((name, patch))
        existing = self.caches.pods.get(f"{namespace}/{name}")
        if existing is None:
            raise errors.not_found("pods", "", name)
        patched = strategic_merge(existing, patch)
        self.caches.pods.upsert(patched)
        return patched

    async def create_revision(self, namespace: str, revision: Obj) -> Obj:
        name = revision["metadata"]["name"]
        if self.caches.revisions.get(f"{namespace}/{name}") is not None:
            raise errors.already_exists("controllerrevisions", "apps", name)
        revision = copy.deepcopy(revision)
        revision["metadata"].update(uid=self.new_uid(), resourceVersion="1", namespace=namespace)
        self.caches.revisions.upsert(revision)
        return revision

    async def get_revision(self, namespace: str, name: str) -> Obj:
        found = self.caches.revisions.get(f"{namespace}/{name}")
        if found is None:
            raise errors.not_found("controllerrevisions", "apps", name)
        return copy.deepcopy(found)

    async def update_revision(self, revision: Obj) -> Obj:
        self.caches.revisions.upsert(copy.deepcopy(revision))
        return revision

    async def patch_revision(self, namespace: str, name: str, patch: Obj) -> Obj:
        patched = strategic_merge(await self.get_revision(namespace, name), patch)
        self.caches.revisions.upsert(patched)
        return patched

    async def delete_revision(self, namespace: str, name: str) -> None:
        existing = self.caches.revisions.get(f"{namespace}/{name}")
        if existing is None:
            raise errors.not_found("controllerrevisions", "apps", name)
        self.caches.revisions.remove(existing)
