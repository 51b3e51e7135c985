"""A DaemonSet controller on hand-filled caches and a recording fake API (upstream's unit harness).

As upstream's fake pod control does, a create or delete made by the controller lands in the pod cache
at once and is observed by the expectations at once (``FakeApi`` is the package's ``MemoryDaemonSetApi``
with upstream's error injection added), so one ``sync`` sees the effects of its own
manage step in its rolling-update and status steps. Revisions and status writes are mirrored into
the caches the same way. Only the controller's own events (not the pod-control ones) are counted,
as in upstream's tests.

Two switches reproduce the rest of upstream's harness where a case needs it: ``delete_only_created``
(upstream's fake refuses to delete pods it did not create: the name is recorded, an error returned,
the pod stays) and ``watch`` (writes reach the controller through its event handlers, as with the
real informers of ``TestExpectationsOnRecreate``, instead of being observed directly).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from everynode.bench.memoryapi import MemoryDaemonSetApi
from everynode.controllers.daemonset.caches import Caches
from everynode.controllers.daemonset.controller import DaemonSetController
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from tests import builders

POD_CONTROL_REASONS = {"SuccessfulCreate", "SuccessfulDelete", "FailedCreate", "FailedDelete"}
SIMPLE_LABELS = {"name": "simple-daemon", "type": "production"}
SIMPLE_LABELS_2 = {"name": "simple-daemon", "type": "test"}  # upstream's simpleDaemonSetLabel2
SIMPLE_NODE_LABELS = {"color": "blue", "speed": "fast"}  # upstream's simpleNodeLabel
SIMPLE_NODE_LABELS_2 = {"color": "red", "speed": "fast"}  # upstream's simpleNodeLabel2
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
_uids = itertools.count(1)


def uid() -> str:
    return f"uid-{next(_uids)}"


def new_node(
    name: str,
    labels: dict[str, str] | None = None,
    *,
    taints: list[Obj] | None = None,
    conditions: list[Obj] | None = None,
    unschedulable: bool = False,
) -> Obj:
    return builders.node(
        name,
        uid=uid(),
        labels=dict(labels or {}),
        resource_version="1",
        taints=taints or None,
        unschedulable=unschedulable or None,
        conditions=conditions or [builders.condition("Ready")],
        status={"allocatable": {"pods": "100"}},
    )


def new_daemonset(
    name: str = "foo",
    *,
    namespace: str = "default",
    strategy: Obj | None = None,
    labels: dict[str, str] | None = None,
    generation: int = 1,
) -> Obj:
    """Upstream's ``newDaemonSet``: OnDelete, revisionHistoryLimit 2, one container ``foo/bar``."""
    return builders.daemonset(
        name,
        namespace=namespace,
        uid=uid(),
        generation=generation,
        resource_version="1",
        annotations={TEMPLATE_GENERATION: str(generation)},
        match_labels=labels or SIMPLE_LABELS,
        containers=[builders.container("foo", image="foo/bar", imagePullPolicy="IfNotPresent")],
        pod_spec={"restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
        strategy=strategy or {"type": "OnDelete"},
        revisionHistoryLimit=2,
        status={},
    )


ON_DELETE: Obj = {"type": "OnDelete"}


def rolling(max_unavailable: int | str = 1, max_surge: int | str = 0) -> Obj:
    return {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": max_unavailable, "maxSurge": max_surge},
    }


STRATEGIES = [ON_DELETE, rolling(1)]


def ready_condition(status: bool = True, since: float = 0.0) -> Obj:
    return builders.condition("Ready", status, lastTransitionTime=format_time(since))


@dataclass
class FakeEvents:
    recorded: list[tuple[str, str, str]] = field(default_factory=list)

    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        self.recorded.append((event_type, reason, message))

    def controller_events(self) -> list[tuple[str, str, str]]:
        return [event for event in self.recorded if event[1] not in POD_CONTROL_REASONS]


class FakeApi(MemoryDaemonSetApi):
    """The in-memory API (writes mirrored into the caches, like upstream's fake pod control), plus the
    errors, counters and switches upstream's unit tests use."""

    def __init__(self, harness: Harness) -> None:
        super().__init__(
            harness.caches,
            harness.clock,
            mirror_pods=harness.mirror_pods,
            mirror_status=harness.mirror_status,
        )
        self.h = harness
        self.create_limit: int | None = None
        self.create_calls = 0
        self.create_error: errors.ApiError | None = None
        self.status_errors: list[errors.ApiError] = []
        self.get_error: errors.ApiError | None = None  # every GET of a DaemonSet fails
        self.get_errors: list[errors.ApiError] = []  # the next GETs fail, one error each
        self.get_calls = 0
        self.delete_only_created = False
        self.api_daemonsets: dict[str, Obj] = {}  # what the API says, when it differs from the cache
        self._versions = itertools.count(2)
        self._created_names: set[str] = set()

    def new_uid(self) -> str:
        return uid()

    def pod_created(self, pod: Obj) -> None:
        if self.h.watch:
            self.h.controller.handlers.on_pod_add(pod)
        else:
            super().pod_created(pod)

    def pod_deleted(self, pod: Obj) -> None:
        if self.h.watch:
            self.h.controller.handlers.on_pod_delete(pod)
        else:
            super().pod_deleted(pod)

    def status_written(self, old: Obj | None, new: Obj) -> None:
        new["metadata"]["resourceVersion"] = str(next(self._versions))
        if self.h.watch and old is not None:
            self.h.controller.handlers.on_daemonset_update(old, new)

    async def get_daemonset(self, namespace: str, name: str) -> Obj:
        self.get_calls += 1
        if self.get_error is not None:
            raise self.get_error
        if self.get_errors:
            raise self.get_errors.pop(0)
        found = self.api_daemonsets.get(f"{namespace}/{name}")
        return copy.deepcopy(found) if found else await super().get_daemonset(namespace, name)

    async def update_daemonset_status(self, ds: Obj) -> Obj:
        if self.status_errors:
            self.status_updates.append(copy.deepcopy(ds))
            raise self.status_errors.pop(0)
        await super().update_daemonset_status(copy.deepcopy(ds))
        return ds

    async def create_pod(self, namespace: str, pod: Obj) -> Obj:
        self.create_calls += 1
        if self.create_error is not None:
            raise self.create_error
        if self.create_limit is not None and len(self.created) >= self.create_limit:
            raise errors.Forbidden("pod create limit reached")
        created = await super().create_pod(namespace, copy.deepcopy(pod))
        self._created_names.add(created["metadata"]["name"])
        return created

    async def delete_pod(self, namespace: str, name: str) -> None:
        if self.delete_only_created and name not in self._created_names:
            self.deleted.append(name)
            raise errors.InternalError(f'pod "{name}" was not created by the fake, so it is not deleted')
        await super().delete_pod(namespace, name)


class Harness:
    def __init__(
        self,
        *,
        start: float = 1_000_000.0,
        mirror_pods: bool = True,
        mirror_status: bool = True,
        watch: bool = False,
    ) -> None:
        self.clock = FakeClock(start)
        self.caches = Caches()
        self.mirror_pods = mirror_pods
        self.mirror_status = mirror_status
        self.watch = watch
        self.api = FakeApi(self)
        self.events = FakeEvents()
        self.controller = DaemonSetController(self.api, self.events, self.caches, clock=self.clock)
        self.api.expectations = self.controller.expectations

    # -- filling the caches ---------------------------------------------------------------------

    def add_nodes(
        self, count: int, prefix: str = "node-", labels: dict[str, str] | None = None, start: int = 0
    ) -> list[Obj]:
        nodes = [new_node(f"{prefix}{i}", labels) for i in range(start, start + count)]
        for node in nodes:
            self.caches.nodes.upsert(node)
        return nodes

    def add(self, *objects: Obj) -> None:
        for obj in objects:
            kind = obj.get("kind")
            store = {
                "Node": self.caches.nodes,
                "Pod": self.caches.pods,
                "DaemonSet": self.caches.daemonsets,
                "ControllerRevision": self.caches.revisions,
            }[kind]
            store.upsert(obj)

    def pod(
        self,
        node_name: str | None,
        ds: Obj | None = None,
        *,
        labels: dict[str, str] | None = None,
        name: str | None = None,
        created: float | None = None,
        phase: str = "Running",
        ready: bool = False,
        ready_since: float | None = None,
        revision_hash: str | None = None,
        add: bool = True,
    ) -> Obj:
        """A pod on ``node_name`` (upstream's ``newPod``), controlled by ``ds`` when given, carrying the
        DaemonSet's current hash unless another is given."""
        template = (ds or new_daemonset())["spec"]["template"]
        pod_labels = dict(labels if labels is not None else template["metadata"]["labels"])
        if ds is not None and revision_hash is None:
            revision_hash = self.current_hash(ds)
        if revision_hash:
            pod_labels["controller-revision-hash"] = revision_hash
        conditions = None
        if ready or ready_since is not None:
            conditions = [ready_condition(True, self.clock.wall() if ready_since is None else ready_since)]
        pod = builders.pod(
            name or f"pod-{next(_uids)}",
            namespace=(ds or {}).get("metadata", {}).get("namespace", "default"),
            uid=uid(),
            labels=pod_labels,
            resource_version="1",
            created=format_time(self.clock.wall() if created is None else created),
            owners=None if ds is None else [builders.owner_ref(ds)],
            node=node_name or None,
            phase=phase,
            conditions=conditions,
            **copy.deepcopy(template["spec"]),
        )
        if add:
            self.caches.pods.upsert(pod)
        return pod

    def current_hash(self, ds: Obj) -> str:
        from everynode.controllers.daemonset.history import compute_hash

        return compute_hash(ds["spec"]["template"], ds.get("status", {}).get("collisionCount"))

    def pods(self) -> list[Obj]:
        return self.caches.pods.objects()

    def mark_ready(self, pods: Iterable[Obj] | None = None, *, since: float | None = None) -> None:
        for original in list(pods if pods is not None else self.pods()):
            pod = copy.deepcopy(original)
            pod.setdefault("status", {})["conditions"] = [
                ready_condition(True, self.clock.wall() if since is None else since)
            ]
            pod["status"]["phase"] = "Running"
            self.caches.pods.upsert(pod)

    def set_ready(
        self, pod: Obj, ready: bool = True, *, since: float | None = None, stamped: bool = True
    ) -> Obj:
        """Give the cached ``pod`` one Ready condition, set since ``since`` (default: now); with
        ``stamped=False`` the condition has no ``lastTransitionTime`` (Go's zero time, as in upstream's
        tests that write bare conditions). Returns the stored pod."""
        meta = pod["metadata"]
        cached = self.caches.pods.get(f"{meta.get('namespace', '')}/{meta['name']}") or pod
        updated = copy.deepcopy(cached)
        condition = ready_condition(ready, self.clock.wall() if since is None else since)
        if not stamped:
            del condition["lastTransitionTime"]
        updated.setdefault("status", {})["conditions"] = [condition]
        self.caches.pods.upsert(updated)
        return updated

    def update_daemonset(self, ds: Obj, change: Callable[[Obj], None]) -> Obj:
        """Apply ``change`` to (a copy of) the cached DaemonSet and store it as the API server would: a
        changed template bumps ``generation`` and the template-generation annotation, any other spec
        change bumps ``generation`` only. Returns the stored DaemonSet."""
        before = self.daemonset(ds)
        after = copy.deepcopy(before)
        change(after)
        meta = after["metadata"]
        if after["spec"]["template"] != before["spec"]["template"]:
            meta["generation"] = int(meta.get("generation") or 0) + 1
            annotations = meta.setdefault("annotations", {})
            annotations[TEMPLATE_GENERATION] = str(int(annotations.get(TEMPLATE_GENERATION, "0")) + 1)
        elif after["spec"] != before["spec"]:
            meta["generation"] = int(meta.get("generation") or 0) + 1
        meta["resourceVersion"] = str(int(meta.get("resourceVersion") or 0) + 1)
        self.caches.daemonsets.upsert(after)
        return after

    def daemonset(self, ds: Obj) -> Obj:
        """The cached (status-mirrored) version of ``ds``."""
        found = self.caches.daemonsets.get(f"{ds['metadata']['namespace']}/{ds['metadata']['name']}")
        assert found is not None
        return found

    # -- running ----------------------------------------------------------------------------------

    async def sync(self, ds: Obj) -> Exception | None:
        """One sync of ``ds``; the error it failed with, if any (upstream's harness only logs it). A
        request to come back later is queued, as the worker loop would; a failure is not retried."""
        key = f"{ds['metadata']['namespace']}/{ds['metadata']['name']}"
        result = await self.controller.reconcile(key)
        if result.after is not None:
            self.controller.queue.add_after(key, result.after)
        return result.error

    def reset_counts(self) -> None:
        """Upstream's ``clearExpectations``: forget what was recorded and the expectations."""
        self.api.created.clear()
        self.api.deleted.clear()
        self.api.patched.clear()
        self.events.recorded.clear()
        for ds in self.caches.daemonsets.objects():
            self.controller.expectations.forget(f"{ds['metadata']['namespace']}/{ds['metadata']['name']}")

    async def expect_sync(self, ds: Obj, creates: int, deletes: int, events: int = 0) -> Exception | None:
        """Run one sync and check the counts (upstream's ``expectSyncDaemonSets``); counts are reset first."""
        self.reset_counts()
        error = await self.sync(ds)
        assert (len(self.api.created), len(self.api.deleted), len(self.events.controller_events())) == (
            creates,
            deletes,
            events,
        ), f"(creates, deletes, events); sync error: {error}; events: {self.events.recorded}"
        for pod in self.api.created:
            (ref,) = pod["metadata"]["ownerReferences"]
            assert ref["controller"] is True
            assert (ref["apiVersion"], ref["kind"]) == ("apps/v1", "DaemonSet")
        return error
