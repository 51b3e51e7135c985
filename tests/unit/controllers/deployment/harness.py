"""A Deployment controller on hand-filled caches, a recording fake API and a fake clock (upstream's unit
harness: ``fake.Clientset`` actions, ``record.FakeRecorder``, ``newDeployment``/``rs`` helpers).

``FakeApi`` records every write as an ``Action`` (verb, resource, object) the way upstream's tests read
``fake.Actions()``; by default it does not touch the caches (upstream's fake clientset does not feed
the listers either). ``Harness.sync`` runs one ``reconcile``; ``Harness.settle`` mirrors the writes into
the caches and runs again, to follow a rollout over several syncs.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.caches import Caches
from everynode.controllers.deployment.controller import DeploymentController
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.runtime.result import Result
from tests import builders

NAMESPACE = "default"
START = 1_500_000_000.0  # 2017-07-14T02:40:00Z
_uids = itertools.count(1)


def uid() -> str:
    return f"uid-{next(_uids)}"


def at(seconds: float) -> str:
    return format_time(START + seconds)


def intstr(value: int | str | None) -> int | str:
    return 0 if value is None else value


def new_deployment(
    name: str = "foo",
    replicas: int = 1,
    *,
    revision_history_limit: int | None = None,
    max_surge: int | str | None = None,
    max_unavailable: int | str | None = None,
    selector: dict[str, str] | None = None,
    strategy: Obj | None = None,
    generation: int = 1,
    **spec: Any,
) -> Obj:
    """Upstream's ``newDeployment``: RollingUpdate with maxSurge/maxUnavailable 0 unless given (so
    unavailability resolves to 1), a ``foo/bar`` container, a 600 s deadline."""
    rolling = {"maxSurge": intstr(max_surge), "maxUnavailable": intstr(max_unavailable)}
    labels = selector or {"foo": "bar"}
    extra = {} if revision_history_limit is None else {"revisionHistoryLimit": revision_history_limit}
    return builders.deployment(
        name,
        namespace=NAMESPACE,
        uid=uid(),
        resource_version="1",
        generation=generation,
        replicas=replicas,
        match_labels=labels,
        containers=[builders.container("foo", image="foo/bar")],
        strategy=strategy or {"type": "RollingUpdate", "rollingUpdate": rolling},
        annotations={},
        status={},
        **{"progressDeadlineSeconds": 600, **extra, **spec},
    )


def rs(
    name: str,
    replicas: int,
    selector: dict[str, str] | None = None,
    created: str | None = None,
    *,
    owner: Obj | None = None,
    template_of: Obj | None = None,
    status: Obj | None = None,
    annotations: dict[str, str] | None = None,
    generation: int | None = None,
) -> Obj:
    """Upstream's ``rs``: a ReplicaSet of ``replicas`` (its template ``template_of``'s, else its own),
    created at ``created``, controlled by ``owner`` when given."""
    labels = selector or {"foo": "bar"}
    made = builders.replicaset(
        name,
        namespace=NAMESPACE,
        uid=uid(),
        resource_version="1",
        generation=generation,
        replicas=replicas,
        match_labels=labels,
        labels=dict(labels),
        created=created,
        annotations=annotations,
        owners=[builders.owner_ref(owner)] if owner is not None else None,
        status=status if status is not None else {},
    )
    if template_of is not None:
        template = copy.deepcopy(template_of["spec"]["template"])
        template["metadata"]["labels"] = {**template["metadata"]["labels"], **labels}
        made["spec"]["template"] = template
    return made


def rs_with_status(
    name: str, spec_replicas: int, status_replicas: int, selector: dict[str, str] | None = None
) -> Obj:
    """Upstream's ``newRSWithStatus``."""
    return rs(name, spec_replicas, selector, status={"replicas": status_replicas})


def rs_with_available(name: str, spec_replicas: int, status_replicas: int, available: int) -> Obj:
    """Upstream's ``newRSWithAvailable``."""
    return rs(name, spec_replicas, status={"replicas": status_replicas, "availableReplicas": available})


@dataclass
class Action:
    verb: str  # create, update, update-status, patch, delete, get, set-annotations
    resource: str  # deployments, replicasets
    obj: Obj
    name: str = ""


@dataclass
class FakeEvents:
    recorded: list[tuple[str, str, str]] = field(default_factory=list)

    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        self.recorded.append((event_type, reason, message))


class FakeApi:
    """Records writes; answers them as a server would (new resourceVersion, uid and creation time on
    create). ``errors`` maps a verb/resource (``"update/replicasets"``) to errors raised, one per call."""

    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.actions: list[Action] = []
        self.errors: dict[str, list[errors.ApiError]] = {}
        self.deployments: dict[str, Obj] = {}  # what an uncached GET answers (default: the cache's)
        self._versions = itertools.count(100)

    def _fail(self, verb: str, resource: str) -> None:
        pending = self.errors.get(f"{verb}/{resource}")
        if pending:
            raise pending.pop(0)

    def _answer(self, obj: Obj) -> Obj:
        answer = copy.deepcopy(obj)
        answer.setdefault("metadata", {})["resourceVersion"] = str(next(self._versions))
        return answer

    def of(self, verb: str, resource: str = "replicasets") -> list[Action]:
        return [a for a in self.actions if a.verb == verb and a.resource == resource]

    async def get_deployment(self, namespace: str, name: str) -> Obj:
        self.actions.append(Action("get", "deployments", {}, name))
        self._fail("get", "deployments")
        found = self.deployments.get(f"{namespace}/{name}") or self.h.caches.deployments.get(
            f"{namespace}/{name}"
        )
        if found is None:
            raise errors.not_found("deployments", "apps", name)
        return copy.deepcopy(found)

    async def update_deployment(self, deployment: Obj) -> Obj:
        self.actions.append(Action("update", "deployments", copy.deepcopy(deployment)))
        self._fail("update", "deployments")
        return self.h.written(self._answer(deployment))

    async def update_deployment_status(self, deployment: Obj) -> Obj:
        self.actions.append(Action("update-status", "deployments", copy.deepcopy(deployment)))
        self._fail("update-status", "deployments")
        return self.h.written(self._answer(deployment))

    async def set_deployment_annotations(self, namespace: str, name: str, annotations: dict[str, str]) -> Obj:
        self.actions.append(
            Action("set-annotations", "deployments", {"annotations": dict(annotations)}, name)
        )
        self._fail("set-annotations", "deployments")
        current = copy.deepcopy(
            self.h.caches.deployments.get(f"{namespace}/{name}") or {"metadata": {"name": name}}
        )
        current["metadata"].setdefault("annotations", {}).update(annotations)
        return self.h.written(self._answer(current))

    async def create_replicaset(self, namespace: str, rs: Obj) -> Obj:
        self.actions.append(Action("create", "replicasets", copy.deepcopy(rs)))
        self._fail("create", "replicasets")
        created = self._answer(rs)
        created["metadata"].setdefault("uid", uid())
        created["metadata"].setdefault("creationTimestamp", format_time(self.h.clock.wall()))
        created["metadata"]["generation"] = 1
        created.setdefault("status", {"replicas": 0})
        return self.h.written(created)

    async def update_replicaset(self, rs: Obj) -> Obj:
        self.actions.append(Action("update", "replicasets", copy.deepcopy(rs)))
        self._fail("update", "replicasets")
        return self.h.written(self._answer(rs))

    async def patch_replicaset(self, namespace: str, name: str, patch: Obj) -> Obj:
        self.actions.append(Action("patch", "replicasets", copy.deepcopy(patch), name))
        self._fail("patch", "replicasets")
        current = copy.deepcopy(
            self.h.caches.replicasets.get(f"{namespace}/{name}") or {"metadata": {"name": name}}
        )
        refs = [r for r in current["metadata"].get("ownerReferences") or [] if isinstance(r, dict)]
        for ref in patch["metadata"]["ownerReferences"]:
            if ref.get("$patch") == "delete":
                refs = [r for r in refs if r.get("uid") != ref["uid"]]
            else:
                refs = [r for r in refs if r.get("uid") != ref["uid"]] + [ref]
        current["metadata"]["ownerReferences"] = refs
        return self.h.written(self._answer(current))

    async def delete_replicaset(self, namespace: str, name: str) -> None:
        self.actions.append(Action("delete", "replicasets", {}, name))
        self._fail("delete", "replicasets")
        if self.h.mirror:
            found = self.h.caches.replicasets.get(f"{namespace}/{name}")
            if found is not None:
                self.h.caches.replicasets.remove(found)


class Harness:
    """The controller with a fake clock at ``START``; ``mirror``: writes land in the caches at once."""

    def __init__(self, *, mirror: bool = False) -> None:
        self.clock = FakeClock(0.0, wall_offset=START)
        self.caches = Caches()
        self.events = FakeEvents()
        self.mirror = mirror
        self.api = FakeApi(self)
        self.controller = DeploymentController(self.api, self.events, self.caches, clock=self.clock)

    def written(self, obj: Obj) -> Obj:
        if self.mirror:
            store = self.caches.deployments if obj.get("kind") == "Deployment" else self.caches.replicasets
            if obj.get("kind") in ("Deployment", "ReplicaSet"):
                store.upsert(copy.deepcopy(obj))
        return obj

    def add(self, *objects: Obj) -> None:
        for obj in objects:
            kind = obj.get("kind")
            store = {"Deployment": self.caches.deployments, "ReplicaSet": self.caches.replicasets}.get(
                str(kind), self.caches.pods
            )
            store.upsert(copy.deepcopy(obj))

    def deployment(self, name: str = "foo") -> Obj:
        found = self.caches.deployments.get(f"{NAMESPACE}/{name}")
        assert found is not None
        return found

    def replicasets(self) -> list[Obj]:
        return sorted(
            self.caches.replicasets.objects(), key=lambda o: o["metadata"].get("creationTimestamp", "")
        )

    async def sync(self, name: str = "foo") -> Result:
        return await self.controller.reconcile(f"{NAMESPACE}/{name}")

    def mark_available(self, *, lag: bool = False) -> None:
        """Play the ReplicaSet controller: every ReplicaSet has the pods it asks for, available at once,
        or (``lag``) only those that already existed the previous time (a pod takes a round to start)."""
        for found in self.caches.replicasets.objects():
            updated = copy.deepcopy(found)
            size = updated["spec"].get("replicas", 1)
            existed = int((found.get("status") or {}).get("replicas") or 0)
            available = min(size, existed) if lag else size
            counts = {"replicas": size, "readyReplicas": available, "availableReplicas": available}
            updated["status"] = {**counts, "observedGeneration": updated["metadata"].get("generation", 1)}
            self.caches.replicasets.upsert(updated)


def revision_of(obj: Obj) -> str | None:
    return (obj["metadata"].get("annotations") or {}).get(keys.REVISION)
