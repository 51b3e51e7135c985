"""Per-resource rules of the registry, as upstream's ``rest.Strategy`` implementations state them:
what a create resets, what an update may change, when ``generation`` moves, and how deletes go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from everynode.apiserver.registry.objects import deep_copy
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

ObjectHook = Callable[[Obj], None]
UpdateHook = Callable[[Obj, Obj], None]


@dataclass(frozen=True, slots=True)
class Strategy:
    """A kind's registry rules: the generic ones as flags, its own as hooks (``registry.hooks``)."""

    info: ResourceInfo
    allow_create_on_update: bool = False
    tracks_generation: bool = False  # metadata.generation starts at 1 and moves on spec changes
    default_propagation: str = "Background"
    return_deleted_object: bool = False  # DELETE answers with the object rather than a Status
    on_create: ObjectHook | None = None  # the kind's initial state (a new pod is Pending, …)
    on_update: UpdateHook | None = None  # what else an update of the main resource moves
    # a finalizer a DELETE adds, holding the object until the server has cleaned up after it (a
    # CustomResourceDefinition's, while its custom resources are deleted)
    deletion_finalizer: str | None = None

    def prepare_for_create(self, obj: Obj) -> None:
        if self.tracks_generation:
            obj["metadata"]["generation"] = 1
        if self.on_create is not None:
            self.on_create(obj)

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        """The main resource: status comes from the old object; generation follows spec changes."""
        if self.info.has_status and "status" in old:
            new["status"] = deep_copy(old["status"])
        elif self.info.has_status:
            new.pop("status", None)
        if self.tracks_generation:
            generation = int(old["metadata"].get("generation", 1))
            if new.get("spec") != old.get("spec"):
                generation += 1
            new["metadata"]["generation"] = generation
        if self.on_update is not None:
            self.on_update(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj) -> Obj:
        """``/status``: everything but the status comes from the old object.

        A shallow copy (metadata copied one level, which the registry then writes to): nothing
        downstream changes the rest in place, and ``old`` may be the watch cache's own object."""
        merged = {**old, "metadata": dict(old.get("metadata") or {})}
        if "status" in new:
            merged["status"] = new["status"]
        else:
            merged.pop("status", None)
        return merged


def pod_grace_period(pod: Obj, requested: int | None) -> int:
    """Upstream's pod deletion grace: requested, else the pod's own, forced to 0 when unbound or done."""
    spec, status = pod.get("spec", {}), pod.get("status", {})
    grace = requested if requested is not None else spec.get("terminationGracePeriodSeconds", 30)
    if grace is None:
        grace = 30
    if not spec.get("nodeName") or status.get("phase") in ("Failed", "Succeeded"):
        return 0
    return 1 if grace < 0 else int(grace)
