"""Defaults of Deployments and ReplicaSets: upstream's apps/v1 ``SetDefaults_Deployment`` and
``SetDefaults_ReplicaSet``, with their templates'."""

from __future__ import annotations

from everynode.apiserver.defaults.podspec import child_obj, pod_template_defaults, set_if_absent
from everynode.core.types import Obj


def deployment_defaults(deployment: Obj) -> None:
    """One replica, a RollingUpdate of 25% unavailable and 25% surge, ten revisions kept, ten
    minutes to make progress; a Recreate strategy gets no ``rollingUpdate``."""
    spec = deployment.get("spec")
    if not isinstance(spec, dict):
        return
    set_if_absent(spec, "replicas", 1)
    strategy = child_obj(spec, "strategy")
    if strategy is not None:
        set_if_absent(strategy, "type", "RollingUpdate", zero_counts=True)
        if strategy["type"] == "RollingUpdate":
            rolling = child_obj(strategy, "rollingUpdate")
            if rolling is not None:
                set_if_absent(rolling, "maxUnavailable", "25%")
                set_if_absent(rolling, "maxSurge", "25%")
    set_if_absent(spec, "revisionHistoryLimit", 10)
    set_if_absent(spec, "progressDeadlineSeconds", 600)
    template = child_obj(spec, "template")
    if template is not None:
        pod_template_defaults(template)


def replicaset_defaults(replicaset: Obj) -> None:
    spec = replicaset.get("spec")
    if not isinstance(spec, dict):
        return
    set_if_absent(spec, "replicas", 1)
    template = child_obj(spec, "template")
    if template is not None:
        pod_template_defaults(template)
