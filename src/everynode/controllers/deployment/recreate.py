"""Recreate decisions (upstream ``recreate.go``): every old pod goes before any new pod comes.

Old ReplicaSets are scaled to 0; while any old ReplicaSet still reports pods, or any pod of an old
ReplicaSet is not yet terminal (Failed/Succeeded; Unknown counts as running), nothing else happens;
then the new ReplicaSet is created (if it does not exist) and given every replica.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from everynode.controllers.deployment.replicasets import RS, actual_count, replicas, uid
from everynode.controllers.deployment.scaling import Scale


def scale_down_old_for_recreate(active_old: Sequence[RS]) -> list[Scale]:
    """``scaleDownOldReplicaSetsForRecreate``: every old ReplicaSet still asking for pods, to 0."""
    return [Scale(rs, 0) for rs in active_old if replicas(rs) != 0]


def old_pods_running(
    new_rs: RS | None, old_rss: Sequence[RS], pod_map: Mapping[str, Sequence[Mapping[str, Any]]]
) -> bool:
    """``oldPodsRunning``: an old ReplicaSet reports pods, or a pod of a ReplicaSet other than the new one
    (``pod_map``: pods by the uid of the ReplicaSet that controls them) is not terminal."""
    if actual_count(old_rss) > 0:
        return True
    new_uid = uid(new_rs) if new_rs is not None else None
    for rs_uid, pods in pod_map.items():
        if rs_uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
    return False
