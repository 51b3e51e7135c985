"""What a kind's registry does beyond the generic rules (upstream's per-kind ``PrepareForCreate`` and
``PrepareForUpdate``), named by kind and declared on its ``Strategy`` in ``apiserver.kinds``."""

from __future__ import annotations

from everynode.core import wellknown
from everynode.core.types import Obj


def daemonset_created(ds: Obj) -> None:
    """A new DaemonSet's status counters start at zero and its template generation at 1."""
    ds["status"] = {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    }
    annotations = ds["metadata"].setdefault("annotations", {})
    annotations[wellknown.ANNOTATION_DS_TEMPLATE_GENERATION] = "1"


def daemonset_updated(new: Obj, old: Obj) -> None:
    """The template generation annotation moves when the template changes (kept when it does not)."""
    old_generation = int(
        old["metadata"].get("annotations", {}).get(wellknown.ANNOTATION_DS_TEMPLATE_GENERATION, "1")
    )
    changed = new.get("spec", {}).get("template") != old.get("spec", {}).get("template")
    annotations = new["metadata"].setdefault("annotations", {})
    annotations[wellknown.ANNOTATION_DS_TEMPLATE_GENERATION] = str(old_generation + int(changed))


def pod_created(pod: Obj) -> None:
    """A new pod is Pending, whatever status it was sent with."""
    pod["status"] = {"phase": "Pending"}


def namespace_created(namespace: Obj) -> None:
    """A new namespace is Active, with the ``kubernetes`` finalizer unless it names its own."""
    namespace["status"] = {"phase": "Active"}
    namespace.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
