"""Old ReplicaSets beyond ``revisionHistoryLimit`` (upstream ``cleanupDeployment``).

Of the old ReplicaSets not being deleted, the lowest revisions beyond the limit are candidates (oldest
creation first among equal or unreadable revisions); a candidate is deleted only when it asks for and
runs no pod and its controller has observed its latest spec. No limit (absent or MaxInt32) keeps all.
"""

from __future__ import annotations

from collections.abc import Sequence

from everynode.controllers.deployment.progress import revision_history_limit
from everynode.controllers.deployment.replicasets import RS, by_revision, replicas, status_count


def _deleting(rs: RS) -> bool:
    return bool((rs.get("metadata") or {}).get("deletionTimestamp"))


def to_delete(old_rss: Sequence[RS | None], deployment: RS) -> list[RS]:
    limit = revision_history_limit(deployment)
    if limit is None:
        return []
    alive = [rs for rs in old_rss if rs is not None and not _deleting(rs)]
    excess = len(alive) - limit
    if excess <= 0:
        return []
    chosen = []
    for rs in by_revision(alive)[:excess]:
        generation = int((rs.get("metadata") or {}).get("generation") or 0)
        if (
            status_count(rs, "replicas") != 0
            or replicas(rs) != 0
            or generation > status_count(rs, "observedGeneration")
        ):
            continue
        chosen.append(rs)
    return chosen
