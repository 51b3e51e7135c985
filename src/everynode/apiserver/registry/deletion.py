"""What a DELETE does to an object: a pure decision, made before any write.

Upstream's rules, in order: the propagation policy's finalizer (``orphan`` for Orphan,
``foregroundDeletion`` for Foreground) joins the object's finalizers — an explicit policy replaces
the other one, and without one a finalizer already on the object decides; a namespace is held by its
``spec.finalizers`` until its content is gone; a pod bound to a node gets a grace period. An object
neither held nor graceful goes at once; otherwise it is marked (``deletionTimestamp``,
``deletionGracePeriodSeconds``) and left to its node, the garbage collector or the namespace
finalizer. A later, shorter grace period (the kubelet's ``0``) moves the deadline forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from everynode.apiserver.registry.objects import deep_copy
from everynode.apiserver.registry.strategy import Strategy, pod_grace_period
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.timestamps import now_time
from everynode.core.types import Obj

IMMORTAL_NAMESPACES = frozenset({"default", wellknown.KUBE_SYSTEM, wellknown.KUBE_PUBLIC})
ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
POLICIES = {"Orphan": ORPHAN, "Background": None, "Foreground": FOREGROUND}


@dataclass(frozen=True, slots=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_resource_version: str | None = None
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class DeletionPlan:
    action: Literal["delete", "mark", "unchanged"]
    obj: Obj  # for "mark", the marked object to store


def check_deletable(info: r.ResourceInfo, name: str) -> None:
    """403 for the namespaces a cluster cannot do without (upstream's NamespaceLifecycle admission
    refuses them before the object is even read; ``kube-node-lease`` may go, and comes back), and
    for the system PriorityClasses (upstream's PriorityClass storage refuses them)."""
    if info is r.NAMESPACES and name in IMMORTAL_NAMESPACES:
        raise errors.Forbidden(
            f'namespaces "{name}" is forbidden: this namespace may not be deleted',
            details={"name": name, "kind": "namespaces"},
        )
    if info is r.PRIORITY_CLASSES and name in wellknown.SYSTEM_PRIORITY_CLASSES:
        raise errors.Forbidden(
            f'priorityclasses.scheduling.k8s.io "{name}" is forbidden: '
            "this is a system priority class and cannot be deleted",
            details={"name": name, "group": "scheduling.k8s.io", "kind": "priorityclasses"},
        )


def plan_deletion(strategy: Strategy, obj: Obj, options: DeleteOptions) -> DeletionPlan:
    info = strategy.info
    metadata = obj["metadata"]
    check_preconditions(info, metadata, options)
    policy = options.propagation_policy or strategy.default_propagation
    if policy not in POLICIES:
        raise errors.BadRequest(
            f'invalid propagationPolicy "{policy}": must be Orphan, Background or Foreground'
        )
    finalizers = list(metadata.get("finalizers") or [])
    if options.propagation_policy is not None:
        # an explicit policy replaces the one an earlier DELETE (or the object's author) recorded
        finalizers = [f for f in finalizers if f not in (ORPHAN, FOREGROUND)]
    elif ORPHAN in finalizers or FOREGROUND in finalizers:
        policy = "Orphan" if ORPHAN in finalizers else "Foreground"  # the recorded one stands
    wanted = POLICIES[policy]
    if wanted and wanted not in finalizers:
        finalizers.append(wanted)
    own = strategy.deletion_finalizer
    if own and own not in finalizers and not metadata.get("deletionTimestamp"):
        finalizers.insert(0, own)
    grace = pod_grace_period(obj, options.grace_period_seconds) if info is r.PODS else 0
    held = bool(finalizers) or (info is r.NAMESPACES and bool(obj.get("spec", {}).get("finalizers")))
    if not held and grace == 0:
        return DeletionPlan("delete", obj)
    marked = deep_copy(obj)
    mark = marked["metadata"]
    previous_grace = mark.get("deletionGracePeriodSeconds")
    if not mark.get("deletionTimestamp") or (previous_grace is not None and grace < previous_grace):
        mark["deletionTimestamp"] = now_time(grace)
        mark["deletionGracePeriodSeconds"] = grace
    if finalizers:
        mark["finalizers"] = finalizers
    else:
        mark.pop("finalizers", None)
    if info is r.NAMESPACES:
        marked.setdefault("status", {})["phase"] = "Terminating"
    return DeletionPlan("unchanged" if marked == obj else "mark", marked)


def should_delete_now(obj: Obj) -> bool:
    """Marked for deletion, with nothing left to wait for (no finalizers, no grace period)."""
    metadata = obj["metadata"]
    return (
        bool(metadata.get("deletionTimestamp"))
        and not metadata.get("finalizers")
        and not metadata.get("deletionGracePeriodSeconds")
        and not (obj.get("kind") == "Namespace" and obj.get("spec", {}).get("finalizers"))
    )


def check_preconditions(info: r.ResourceInfo, metadata: Obj, options: DeleteOptions) -> None:
    name = metadata.get("name", "")
    if options.precondition_uid and options.precondition_uid != metadata.get("uid"):
        raise errors.conflict(
            info.resource,
            info.group,
            name,
            f"Precondition failed: UID in precondition: {options.precondition_uid}, "
            f"UID in object meta: {metadata.get('uid')}",
        )
    wanted = options.precondition_resource_version
    if wanted and wanted != metadata.get("resourceVersion"):
        raise errors.conflict(
            info.resource,
            info.group,
            name,
            f"Precondition failed: ResourceVersion in precondition: {wanted}, "
            f"ResourceVersion in object meta: {metadata.get('resourceVersion')}",
        )
