"""``manage``: how many pods a ReplicaSet creates, or which pods it deletes, in one sync (the decision
half of upstream ``manageReplicas``).

Too few active pods: create the difference, at most ``burst`` (upstream's BurstReplicas, 500) per
sync. Too many: delete the difference, at most ``burst``, choosing pods in ``ranking``'s order. Pods
the ReplicaSet asked for but has not yet seen are covered by expectations, which keep ``manage``
from running at all until they arrive; so a sync never acts twice on the same shortfall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from everynode.controllers.replicaset.ranking import pods_to_delete
from everynode.controllers.replicaset.status import desired_replicas
from everynode.core.types import Obj

BURST_REPLICAS = 500  # upstream's BurstReplicas


@dataclass(frozen=True)
class Decision:
    create: int = 0
    delete: list[Obj] = field(default_factory=list)


def manage(
    rs: Mapping[str, Any],
    active_pods: Sequence[Obj],
    related_pods: Callable[[], Iterable[Obj]],
    *,
    now: float,
    burst: int = BURST_REPLICAS,
) -> Decision:
    """What the sync should do for ``rs`` whose claimed active pods are ``active_pods``.
    ``related_pods`` (called only to scale down) gives the pods of every ReplicaSet sharing this one's
    controller, whose count per node ranks the candidates."""
    diff = len(active_pods) - desired_replicas(rs)
    if diff < 0:
        return Decision(create=min(-diff, burst))
    if diff > 0:
        return Decision(delete=pods_to_delete(active_pods, related_pods(), min(diff, burst), now))
    return Decision()
