"""Which pods a ReplicaSet deletes first when it has too many (upstream ``getPodsToDelete`` in
``replica_set.go`` and ``ActivePodsWithRanks`` in ``pkg/controller/controller_utils.go``).

Pods are ordered by the first rule that tells them apart; the first in the order go first:

1. not assigned to a node before assigned;
2. phase ``Pending`` before ``Unknown`` before ``Running`` (any other phase counts as ``Pending``);
3. not Ready before Ready;
4. lower ``controller.kubernetes.io/pod-deletion-cost`` before higher (absent or invalid: 0);
5. higher rank before lower — the rank is how many active related pods share the pod's node;
6. both Ready: Ready for less time before Ready for longer (a Ready condition without a time first);
7. more container restarts (the most of any one container) before fewer;
8. created later before created earlier (no creation time first).

Times in 6 and 8 are compared on a logarithmic scale of their age (upstream's LogarithmicScaleDown,
on by default): ages whose base-2 logarithms (in nanoseconds) have the same integer part tie, and the
tie goes to the smaller uid — a pseudo-random pick among pods of about the same age.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from everynode.core.pods import is_deleting, is_ready, is_terminal, ready_condition
from everynode.core.timestamps import parse_time
from everynode.core.types import Obj
from everynode.core.wellknown import ANNOTATION_POD_DELETION_COST as POD_DELETION_COST

_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_INT32 = (-(2**31), 2**31 - 1)


def is_active(pod: Mapping[str, Any]) -> bool:
    """Upstream ``IsPodActive``: not Succeeded or Failed, and not being deleted."""
    return not is_terminal(pod) and not is_deleting(pod)


def filter_active(pods: Iterable[Obj]) -> list[Obj]:
    """Upstream ``FilterActivePods``."""
    return [pod for pod in pods if is_active(pod)]


def deletion_cost(pod: Mapping[str, Any]) -> int:
    """The pod's deletion cost annotation as an int32; 0 when absent or not a canonical integer
    (no sign but ``-``, no leading zeros), as upstream's ``GetDeletionCostFromPodAnnotations``."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(POD_DELETION_COST)
    if not isinstance(value, str) or not value:
        return 0
    first = value[0]
    if not (first == "-" or value == "0" or "1" <= first <= "9"):
        return 0
    digits = value[1:] if first == "-" else value
    if not digits or not digits.isascii() or not digits.isdigit():
        return 0
    number = int(value)
    return number if _INT32[0] <= number <= _INT32[1] else 0


def max_container_restarts(pod: Mapping[str, Any]) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    return max((int(status.get("restartCount") or 0) for status in statuses), default=0)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the order reads of one pod, computed once per sort."""

    pod: Obj
    node: str
    phase: int
    ready: bool
    cost: int
    rank: int
    ready_since: float | None  # None: not Ready, or Go's zero time
    restarts: int
    created: float | None
    uid: str


def _facts(pod: Obj, rank: int) -> _Facts:
    meta = pod.get("metadata") or {}
    ready = is_ready(pod)
    since = parse_time((ready_condition(pod) or {}).get("lastTransitionTime")) if ready else None
    return _Facts(
        pod=pod,
        node=str((pod.get("spec") or {}).get("nodeName") or ""),
        phase=_PHASE_ORDINAL.get(str((pod.get("status") or {}).get("phase") or ""), 0),
        ready=ready,
        cost=deletion_cost(pod),
        rank=rank,
        ready_since=since,
        restarts=max_container_restarts(pod),
        created=parse_time(meta.get("creationTimestamp")),
        uid=str(meta.get("uid") or ""),
    )


def _log_age(moment: float, now: float) -> int:
    """The integer part of log2 of ``now - moment`` in nanoseconds; -1 when not positive."""
    nanoseconds = int((now - moment) * 1e9)
    return int(math.log2(nanoseconds)) if nanoseconds > 0 else -1


def _newer_first(a: float | None, b: float | None, a_uid: str, b_uid: str, now: float | None) -> int:
    """Rules 6 and 8 for two different times: a zero time first, then the more recent (by log scale
    when ``now`` is known, ties broken by uid)."""
    if a is None or b is None or now is None:
        if a is None or b is None:
            return -1 if a is None else 1
        return -1 if a > b else 1
    difference = _log_age(a, now) - _log_age(b, now)
    if difference == 0:
        return -1 if a_uid < b_uid else (1 if b_uid < a_uid else 0)
    return -1 if difference < 0 else 1


def compare(a: _Facts, b: _Facts, now: float | None) -> int:
    """Negative when ``a`` should be deleted before ``b`` (upstream ``ActivePodsWithRanks.Less``)."""
    if a.node != b.node and (not a.node or not b.node):
        return -1 if not a.node else 1
    if a.phase != b.phase:
        return -1 if a.phase < b.phase else 1
    if a.ready != b.ready:
        return -1 if not a.ready else 1
    if a.cost != b.cost:
        return -1 if a.cost < b.cost else 1
    if a.rank != b.rank:
        return -1 if a.rank > b.rank else 1
    if a.ready and b.ready and a.ready_since != b.ready_since:
        return _newer_first(a.ready_since, b.ready_since, a.uid, b.uid, now)
    if a.restarts != b.restarts:
        return -1 if a.restarts > b.restarts else 1
    if a.created != b.created:
        return _newer_first(a.created, b.created, a.uid, b.uid, now)
    return 0


def rank_by_colocation(pods: Sequence[Obj], related: Iterable[Obj]) -> list[int]:
    """Upstream ``getPodsRankedByRelatedPodsOnSameNode``: each pod's rank is the number of active
    related pods on its node (unassigned pods share the node named "")."""
    on_node: dict[str, int] = {}
    for pod in related:
        if is_active(pod):
            node = str((pod.get("spec") or {}).get("nodeName") or "")
            on_node[node] = on_node.get(node, 0) + 1
    return [on_node.get(str((pod.get("spec") or {}).get("nodeName") or ""), 0) for pod in pods]


def sort_for_deletion(pods: Sequence[Obj], ranks: Sequence[int], now: float | None) -> list[Obj]:
    """``pods`` in deletion order (see the module docstring); ``now`` None compares times directly."""
    facts = [_facts(pod, rank) for pod, rank in zip(pods, ranks, strict=True)]

    def order(a: _Facts, b: _Facts) -> int:
        return compare(a, b, now)

    ordered = sorted(facts, key=functools.cmp_to_key(order))
    return [fact.pod for fact in ordered]


def pods_to_delete(pods: Sequence[Obj], related: Iterable[Obj], count: int, now: float) -> list[Obj]:
    """Upstream ``getPodsToDelete``: the first ``count`` of ``pods`` in deletion order, ranked by the
    ``related`` pods on their nodes (no sort when all of them go)."""
    if count >= len(pods):
        return list(pods)
    return sort_for_deletion(pods, rank_by_colocation(pods, related), now)[:count]
