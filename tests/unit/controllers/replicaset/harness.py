"""A ReplicaSet controller on hand-filled caches and a recording fake API (upstream's unit harness:
``newReplicaSet``, ``newPod``, ``newPodList``, the fake pod control and ``validateSyncReplicaSet``).

As upstream's ``FakePodControl``, the fake API records what the controller asks for and, by default,
changes nothing in the caches: a created pod is not in the pod cache until a test puts it there.
``mirror=True`` makes creates and deletes land in the cache (and be observed by the expectations, as
the informer would) for tests that follow several syncs.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from everynode.controllers.replicaset.caches import Caches
from everynode.controllers.replicaset.controller import ReplicaSetController
from everynode.controllers.replicaset.manage import BURST_REPLICAS
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.ownerrefs import controller_of
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.runtime.expectations import UIDTrackingExpectations
from everynode.runtime.result import Result
from tests import builders

NAMESPACE = "default"
TEMPLATE_LABELS = {"name": "foo", "type": "production"}  # upstream newReplicaSet's template labels
START = 1_700_000_000.0  # wall time of the fake clock: late 2023
_uids = itertools.count(1)


def uid() -> str:
    return f"uid-{next(_uids):06d}"


def new_replicaset(
    replicas: int,
    selector: dict[str, str],
    *,
    name: str = "foobar",
    owner_uid: str | None = "123",
    template_labels: dict[str, str] | None = None,
    generation: int | None = None,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """Upstream ``newReplicaSet``: ``foobar`` in ``default``, controlled by an owner of uid ``123``
    (give ``owner_uid=None`` for a ReplicaSet of its own), template labels name=foo,type=production."""
    owners = None
    if owner_uid is not None:
        owners = [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "dep",
                "uid": owner_uid,
                "controller": True,
            }
        ]
    return builders.replicaset(
        name,
        namespace=NAMESPACE,
        uid=uid(),
        resource_version="18",
        replicas=replicas,
        match_labels=selector,
        pod_labels=TEMPLATE_LABELS if template_labels is None else template_labels,
        containers=[builders.container("foo", image="foo/bar", imagePullPolicy="IfNotPresent")],
        pod_spec={"restartPolicy": "Always", "dnsPolicy": "Default", "nodeSelector": {"baz": "blah"}},
        owners=owners,
        generation=generation,
        status={"replicas": 0} if status is None else status,
        **spec,
    )


def ref_to(rs: Obj, *, controller: bool = True) -> Obj:
    meta = rs["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
    }


def new_pod(
    name: str,
    rs: Obj,
    phase: str,
    *,
    ready_since: float | None = None,
    owned: bool = True,
    labels: dict[str, str] | None = None,
    node: str | None = None,
    created: float | None = None,
    resource_version: str = "1",
) -> Obj:
    """Upstream ``newPod``: labelled with the ReplicaSet's selector; Running pods are Ready (since
    ``ready_since``, or with no transition time); ``owned`` gives it the ReplicaSet as controller."""
    conditions = None
    if phase == "Running":
        ready = builders.condition("Ready", True)
        if ready_since is not None:
            ready["lastTransitionTime"] = format_time(ready_since)
        conditions = [ready]
    return builders.pod(
        name,
        namespace=rs["metadata"]["namespace"],
        uid=uid(),
        resource_version=resource_version,
        labels=dict(rs["spec"]["selector"]["matchLabels"] if labels is None else labels),
        owners=[ref_to(rs)] if owned else None,
        phase=phase,
        conditions=conditions,
        node=node,
        created=None if created is None else format_time(created),
    )


@dataclass
class FakeEvents:
    recorded: list[tuple[str, str, str]] = field(default_factory=list)

    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        self.recorded.append((event_type, reason, message))

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self.recorded]


class FakeApi:
    """Upstream's FakePodControl (``CreateLimit``, ``Err``, recorded creates, deletes and patches)
    plus a fake ReplicaSet client (GET and status PUT, with injectable failures)."""

    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.created: list[Obj] = []
        self.deleted: list[str] = []
        self.patched: list[tuple[str, Obj]] = []
        self.status_updates: list[Obj] = []
        self.gets = 0
        self.create_calls = 0
        self.create_limit = 0  # 0: no limit
        self.error: errors.ApiError | None = None  # every pod create, delete and patch fails with it
        self.status_errors: list[errors.ApiError] = []
        self.get_answer: Obj | None = None  # what a GET of the ReplicaSet returns (default: the cache)
        self.get_error: errors.ApiError | None = None

    async def get_replicaset(self, namespace: str, name: str) -> Obj:
        self.gets += 1
        if self.get_error is not None:
            raise self.get_error
        if self.get_answer is not None:
            return copy.deepcopy(self.get_answer)
        found = self.h.caches.replicasets.get(f"{namespace}/{name}")
        if found is None:
            raise errors.not_found("replicasets", "apps", name)
        return copy.deepcopy(found)

    async def update_replicaset_status(self, rs: Obj) -> Obj:
        self.status_updates.append(copy.deepcopy(rs))
        if self.status_errors:
            raise self.status_errors.pop(0)
        if self.h.mirror:
            stored = copy.deepcopy(rs)
            stored["metadata"]["resourceVersion"] = str(
                int(stored["metadata"].get("resourceVersion") or 0) + 1
            )
            self.h.caches.replicasets.upsert(stored)
        return rs

    async def create_pod(self, namespace: str, pod: Obj) -> Obj:
        self.create_calls += 1
        if self.create_limit and self.create_calls > self.create_limit:
            raise errors.Forbidden(f"not creating pod, limit {self.create_limit} already reached")
        self.created.append(copy.deepcopy(pod))
        if self.error is not None:
            raise self.error
        made = copy.deepcopy(pod)
        made["metadata"]["name"] = f"{pod['metadata']['generateName']}{len(self.created):05d}"
        made["metadata"]["namespace"] = namespace
        made["metadata"]["uid"] = uid()
        made["metadata"]["resourceVersion"] = "1"
        made["metadata"]["creationTimestamp"] = format_time(self.h.clock.wall())
        if self.h.mirror:
            self.h.caches.pods.upsert(made)
            self.h.controller.handlers.on_pod_add(made)
        return made

    async def delete_pod(self, namespace: str, name: str) -> None:
        self.deleted.append(name)
        if self.error is not None:
            raise self.error
        if self.h.mirror:
            pod = self.h.caches.pods.get(f"{namespace}/{name}")
            if pod is None:
                raise errors.not_found("pods", "", name)
            self.h.caches.pods.remove(pod)
            self.h.controller.handlers.on_pod_delete(pod)

    async def patch_pod(self, namespace: str, name: str, patch: Obj) -> Obj:
        self.patched.append((name, copy.deepcopy(patch)))
        if self.error is not None:
            raise self.error
        pod = copy.deepcopy(self.h.caches.pods.get(f"{namespace}/{name}") or {"metadata": {"name": name}})
        refs = [ref for ref in pod["metadata"].get("ownerReferences") or () if not ref.get("controller")]
        for ref in patch["metadata"]["ownerReferences"]:
            if ref.get("$patch") != "delete":
                refs.append(ref)
        pod["metadata"]["ownerReferences"] = refs
        if self.h.mirror:
            self.h.caches.pods.upsert(pod)
        return pod


class Harness:
    def __init__(self, *, burst: int = BURST_REPLICAS, mirror: bool = False) -> None:
        self.clock = FakeClock(START)
        self.caches = Caches()
        self.mirror = mirror
        self.api = FakeApi(self)
        self.events = FakeEvents()
        self.controller = ReplicaSetController(
            self.api, self.events, self.caches, clock=self.clock, burst_replicas=burst
        )

    @property
    def expectations(self) -> UIDTrackingExpectations:
        return self.controller.expectations

    def add(self, *objects: Obj) -> None:
        for obj in objects:
            store = self.caches.replicasets if obj["kind"] == "ReplicaSet" else self.caches.pods
            store.upsert(obj)

    def add_pods(
        self, rs: Obj, count: int, phase: str, *, labels: dict[str, str] | None = None, prefix: str = "pod"
    ) -> list[Obj]:
        """Upstream ``newPodList`` with a store: ``count`` pods controlled by ``rs``, cached."""
        pods = [new_pod(f"{prefix}{i}", rs, phase, labels=labels) for i in range(count)]
        self.add(*pods)
        return pods

    def replicaset(self, rs: Obj) -> Obj:
        found = self.caches.replicasets.get(key_of(rs))
        assert found is not None
        return found

    def owned_pods(self, rs: Obj) -> list[Obj]:
        return [
            pod
            for pod in self.caches.pods.objects()
            if (controller_of(pod) or {}).get("uid") == rs["metadata"]["uid"]
        ]

    def clear(self) -> None:
        """Upstream ``fakePodControl.Clear()``."""
        self.api.created.clear()
        self.api.deleted.clear()
        self.api.patched.clear()
        self.api.create_calls = 0
        self.events.recorded.clear()

    async def sync(self, rs: Obj) -> Result:
        return await self.controller.reconcile(key_of(rs))

    async def expect_sync(self, rs: Obj, creates: int, deletes: int, patches: int = 0) -> Result:
        """One sync, then upstream's ``validateSyncReplicaSet`` (counts are cleared first)."""
        self.clear()
        result = await self.sync(rs)
        assert (len(self.api.created), len(self.api.deleted), len(self.api.patched)) == (
            creates,
            deletes,
            patches,
        ), f"(creates, deletes, patches); result: {result}"
        return result


def key_of(obj: Obj) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
