"""Defaults of a StatefulSet: upstream's apps/v1 ``SetDefaults_StatefulSet`` and its template's."""

from __future__ import annotations

from everynode.apiserver.defaults.podspec import child_obj, objects, pod_template_defaults, set_if_absent
from everynode.core.types import Obj


def statefulset_defaults(sts: Obj) -> None:
    """OrderedReady pods, a RollingUpdate from partition 0, PVCs retained, one replica, ten
    revisions kept, and the pod-template defaults. ``type: RollingUpdate`` given without
    ``rollingUpdate`` stays without it, as upstream leaves it."""
    spec = sts.get("spec")
    if not isinstance(spec, dict):
        return
    set_if_absent(spec, "podManagementPolicy", "OrderedReady", zero_counts=True)
    strategy = child_obj(spec, "updateStrategy")
    if strategy is not None:
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
            strategy.setdefault("rollingUpdate", {})
        rolling = strategy.get("rollingUpdate")
        if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
            set_if_absent(rolling, "partition", 0)
    retention = child_obj(spec, "persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        set_if_absent(retention, "whenDeleted", "Retain", zero_counts=True)
        set_if_absent(retention, "whenScaled", "Retain", zero_counts=True)
    set_if_absent(spec, "replicas", 1)
    set_if_absent(spec, "revisionHistoryLimit", 10)
    template = child_obj(spec, "template")
    if template is not None:
        pod_template_defaults(template)
    for claim in objects(spec, "volumeClaimTemplates"):
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        claim_spec = child_obj(claim, "spec")
        if claim_spec is not None:
            set_if_absent(claim_spec, "volumeMode", "Filesystem", zero_counts=True)
        status = child_obj(claim, "status")
        if status is not None:
            set_if_absent(status, "phase", "Pending", zero_counts=True)
