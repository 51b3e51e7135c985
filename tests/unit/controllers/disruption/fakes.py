"""In-memory stand-ins for the disruption controller's I/O: the scale subresource and discovery
(upstream's tests use client-go's fake scale and discovery clients), the status writes, the events."""

from __future__ import annotations

from everynode.core import errors
from everynode.core.types import Obj
from everynode.informers.store import Store


class FakeScaleApi:
    """Discovery documents by (group, version) and Scales by (resource, namespace, name); a missing one
    is a 404. ``failure`` (if set) is raised by every call; ``calls`` records them."""

    def __init__(self) -> None:
        self.discovery: dict[tuple[str, str], Obj] = {}
        self.scales: dict[tuple[str, str, str], Obj] = {}
        self.failure: errors.ApiError | None = None
        self.calls: list[tuple[str, ...]] = []

    def serve(self, group: str, version: str, *resources: Obj) -> None:
        self.discovery[(group, version)] = {
            "groupVersion": f"{group}/{version}",
            "resources": list(resources),
        }

    def put_scale(self, resource: str, namespace: str, name: str, uid: str, replicas: int) -> None:
        self.scales[(resource, namespace, name)] = {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": name, "namespace": namespace, "uid": uid},
            "spec": {"replicas": replicas},
        }

    async def resources(self, group: str, version: str) -> Obj:
        self.calls.append(("discovery", group, version))
        if self.failure is not None:
            raise self.failure
        found = self.discovery.get((group, version))
        if found is None:
            raise errors.NotFound(f"the server could not find the requested resource ({group}/{version})")
        return found

    async def scale(self, group: str, version: str, resource: str, namespace: str, name: str) -> Obj:
        self.calls.append(("scale", group, version, resource, namespace, name))
        if self.failure is not None:
            raise self.failure
        found = self.scales.get((resource, namespace, name))
        if found is None:
            raise errors.NotFound(f'{resource}.{group} "{name}" not found')
        return found


def custom_resources(plural: str, kind: str, *, scale: bool = True) -> list[Obj]:
    """A custom resource's discovery entries, with a ``/scale`` of kind Scale when ``scale``."""
    entries: list[Obj] = [{"name": plural, "kind": kind, "namespaced": True}]
    if scale:
        entries.append({"name": f"{plural}/scale", "group": "autoscaling", "version": "v1", "kind": "Scale"})
    return entries


class FakeBudgetApi:
    """Status writes land in the budgets' store, as the informer would bring them back."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.writes: list[Obj] = []
        self.failure: errors.ApiError | None = None

    async def update_status(self, obj: Obj) -> Obj:
        if self.failure is not None:
            raise self.failure
        self.writes.append(obj)
        self.store.upsert(obj)
        return obj


class FakeEvents:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, str, str]] = []

    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        self.emitted.append((event_type, reason, message))

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self.emitted]
