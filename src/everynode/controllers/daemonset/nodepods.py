"""A DaemonSet's pods, grouped by the node they are for, and which of them run the current template."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from everynode.core import wellknown
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.pods import is_deleting, is_terminal
from everynode.core.types import Obj

NodePods = dict[str, list[Obj]]


def group_by_node(pods: Iterable[Obj], *, include_deleted_terminal: bool = False) -> NodePods:
    """Pods by target node: ``spec.nodeName``, else the node their required affinity pins them to.

    Terminal pods that are being deleted are left out unless ``include_deleted_terminal`` (history
    cleanup wants them: their revision is still in use). Pods with no target node, or an affinity
    naming more than one node, are skipped.
    """
    grouped: NodePods = {}
    for pod in pods:
        if not include_deleted_terminal and is_terminal(pod) and is_deleting(pod):
            continue
        try:
            node = pinned_node_name(pod)
        except ValueError:
            continue
        if node:
            grouped.setdefault(node, []).append(pod)
    return grouped


def is_pod_updated(pod: Mapping[str, Any], revision_hash: str, generation: str | None) -> bool:
    """Runs the current template: its hash label is the current hash, or its template generation is.

    The generation half matters when a revision is replaced by an equivalent one with another name
    (deduplication, a hand-made revision, a collision rename): the pods keep running untouched.
    """
    labels = pod.get("metadata", {}).get("labels") or {}
    if revision_hash and labels.get(wellknown.LABEL_CONTROLLER_REVISION_HASH) == revision_hash:
        return True
    return generation is not None and labels.get(wellknown.LABEL_POD_TEMPLATE_GENERATION) == generation


def updated_and_old(
    pods: Iterable[Obj], revision_hash: str, generation: str | None
) -> tuple[Obj | None, Obj | None, bool]:
    """(new pod, old pod, ok) among the node's live pods; not ok when there are two of either kind."""
    new: Obj | None = None
    old: Obj | None = None
    for pod in pods:
        if is_deleting(pod):
            continue
        if is_pod_updated(pod, revision_hash, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True
