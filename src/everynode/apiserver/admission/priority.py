"""Upstream's Priority admission plugin (``plugin/pkg/admission/priority``): a pod's priority and
preemption policy come from its PriorityClass (or the global default class, or 0), never from the
pod; and at most one PriorityClass is the global default."""

from __future__ import annotations

from everynode.apiserver.admission import Lookup, forbidden
from everynode.core import resources as r
from everynode.core.types import Obj

PREEMPT_LOWER = "PreemptLowerPriority"


def _global_default(lookup: Lookup) -> Obj | None:
    """The global default class; of several (a race upstream allows), the lowest value."""
    defaults = [pc for pc in lookup.list(r.PRIORITY_CLASSES) if pc.get("globalDefault") is True]
    return min(defaults, key=lambda pc: int(pc.get("value") or 0), default=None)


def admit_pod(pod: Obj, old: Obj | None, lookup: Lookup) -> None:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    if old is not None:
        old_spec = old.get("spec") or {}
        for field in ("priority", "preemptionPolicy"):
            if spec.get(field) is None and old_spec.get(field) is not None:
                spec[field] = old_spec[field]
        return
    class_name = spec.get("priorityClassName")
    if class_name:
        found = lookup.get(r.PRIORITY_CLASSES, None, str(class_name))
        if found is None:
            raise forbidden(r.PODS, pod, f"no PriorityClass with name {class_name} was found")
    else:
        found = _global_default(lookup)
        if found is not None:
            spec["priorityClassName"] = found["metadata"]["name"]
    priority = int(found.get("value") or 0) if found is not None else 0
    policy = str(found.get("preemptionPolicy") or PREEMPT_LOWER) if found is not None else PREEMPT_LOWER
    given = spec.get("priority")
    if given is not None and given != priority:
        raise forbidden(
            r.PODS,
            pod,
            f"the integer value of priority ({given}) must not be provided in pod spec; priority "
            f"admission controller computed {priority} from the given PriorityClass name",
        )
    given_policy = spec.get("preemptionPolicy")
    if given_policy is not None and given_policy != policy:
        raise forbidden(
            r.PODS,
            pod,
            f"the string value of PreemptionPolicy ({given_policy}) must not be provided in pod spec; "
            f"priority admission controller computed {policy} from the given PriorityClass name",
        )
    spec["priority"], spec["preemptionPolicy"] = priority, policy


def admit_priority_class(priority_class: Obj, old: Obj | None, lookup: Lookup) -> None:
    """Only one default: a class may become the global default only while no other one is."""
    if priority_class.get("globalDefault") is not True:
        return
    name = (priority_class.get("metadata") or {}).get("name")
    for other in lookup.list(r.PRIORITY_CLASSES):
        if other.get("globalDefault") is True and other["metadata"].get("name") != name:
            raise forbidden(
                r.PRIORITY_CLASSES,
                priority_class,
                f"PriorityClass {other['metadata']['name']} is already marked as default. "
                "Only one default can exist",
            )
