"""Which controller a pod's controller reference stands for, and its scale, from the informer caches
(upstream's ``pkg/controller/disruption/disruption.go``: ``finders``, ``getPodDeployment``,
``getPodReplicaSet``, ``getPodStatefulSet``, ``verifyGroupKind``). Pure: the caches are read through
``Lookup`` callables (``namespace/name`` → object, or None).

The finders are tried in upstream's order, the first to answer wins:

1. a ReplicaSet (group ``apps`` or ``extensions``) whose own controller is a Deployment found in the
   cache: the **Deployment** is the controller, its ``spec.replicas`` the scale;
2. a ReplicaSet without a Deployment controller: the ReplicaSet and its ``spec.replicas``;
3. a StatefulSet (group ``apps``): the StatefulSet and its ``spec.replicas``.

Each object found must carry the uid the reference names, else it is not the one referred to (a
namesake made after the original was deleted). A ReplicaSet whose controller is a Deployment (of any
group) that the cache does not hold is neither 1 nor 2: upstream leaves it to the scale subresource
(``scalefinder``). ReplicationControllers (upstream's first finder) are not served here, so a pod that
names one is left to the scale subresource too, which cannot map the kind.

Invariant: the uid in a ``Found`` is the controller's, so the pods of two ReplicaSets of one Deployment
(mid-rollout) count the Deployment's replicas once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from everynode.core.types import Obj

Lookup = Callable[[str], Obj | None]
WORKLOAD_GROUPS = ("apps", "extensions")  # where upstream looks for ReplicaSets and Deployments


@dataclass(frozen=True, slots=True)
class Found:
    """A controller and its scale (upstream's ``controllerAndScale``)."""

    uid: str
    replicas: int


@dataclass(frozen=True, slots=True)
class Failed:
    """A finder could not answer: the message becomes the budget's ``SyncFailed`` condition message.
    ``transient``: an API error that may not happen again (the sync is retried with backoff)."""

    message: str
    transient: bool = False


Finding = Found | Failed | None  # None: no finder knows this controller


class FinderError(Exception):
    """A finder's failure (upstream: a finder returning an error)."""


@dataclass(frozen=True, slots=True)
class Caches:
    replicasets: Lookup
    deployments: Lookup
    statefulsets: Lookup


def group_version(api_version: str) -> tuple[str, str]:
    """``schema.ParseGroupVersion``: ``apps/v1`` → (apps, v1), ``v1`` → ("", v1), ``/v1`` → ("", v1);
    more than one slash is a FinderError."""
    if api_version.count("/") > 1:
        raise FinderError(f"unexpected GroupVersion string: {api_version}")
    group, _, version = api_version.rpartition("/")
    return group, version


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``metav1.GetControllerOf``: the first ownerReference with ``controller: true``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return ref
    return None


def _is(ref: Mapping[str, Any], kind: str, groups: tuple[str, ...]) -> bool:
    """``verifyGroupKind``: the reference's kind is ``kind`` and its group one of ``groups``."""
    group, _ = group_version(str(ref.get("apiVersion", "")))
    return ref.get("kind") == kind and group in groups


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def _replicas(obj: Mapping[str, Any]) -> int:
    """``*spec.replicas`` (the API server defaults it to 1)."""
    value = (obj.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _cached(lookup: Lookup, namespace: str, ref: Mapping[str, Any]) -> Obj | None:
    """The cached object the reference names, if it is the one (same uid)."""
    found = lookup(f"{namespace}/{ref.get('name', '')}")
    return found if found is not None and _uid(found) == str(ref.get("uid", "")) else None


def deployment_of(ref: Mapping[str, Any], namespace: str, caches: Caches) -> Found | None:
    """``getPodDeployment``: the Deployment controlling the ReplicaSet ``ref`` names."""
    if not _is(ref, "ReplicaSet", WORKLOAD_GROUPS):
        return None
    rs = _cached(caches.replicasets, namespace, ref)
    owner = controller_of(rs) if rs is not None else None
    if owner is None or not _is(owner, "Deployment", WORKLOAD_GROUPS):
        return None
    deployment = _cached(caches.deployments, namespace, owner)
    return Found(_uid(deployment), _replicas(deployment)) if deployment is not None else None


def replicaset_of(ref: Mapping[str, Any], namespace: str, caches: Caches) -> Found | None:
    """``getPodReplicaSet``: the ReplicaSet ``ref`` names, when no Deployment controls it."""
    if not _is(ref, "ReplicaSet", WORKLOAD_GROUPS):
        return None
    rs = _cached(caches.replicasets, namespace, ref)
    if rs is None:
        return None
    owner = controller_of(rs)
    if owner is not None and owner.get("kind") == "Deployment":  # upstream checks the kind alone
        return None
    return Found(_uid(rs), _replicas(rs))


def statefulset_of(ref: Mapping[str, Any], namespace: str, caches: Caches) -> Found | None:
    """``getPodStatefulSet``: the StatefulSet ``ref`` names."""
    if not _is(ref, "StatefulSet", ("apps",)):
        return None
    sts = _cached(caches.statefulsets, namespace, ref)
    return Found(_uid(sts), _replicas(sts)) if sts is not None else None


FINDERS = (deployment_of, replicaset_of, statefulset_of)


def find_cached(ref: Mapping[str, Any], namespace: str, caches: Caches) -> Found | None:
    """The first cache finder's answer for a pod's controller reference (FinderError: a malformed
    ``apiVersion``)."""
    for finder in FINDERS:
        found = finder(ref, namespace, caches)
        if found is not None:
            return found
    return None
