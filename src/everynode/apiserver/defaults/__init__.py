"""Defaulting of the objects the API server serves, as upstream's ``SetDefaults_*`` functions (and,
for pods, the admission plugins every pod passes) fill them in.

One defaulter per kind (``apiserver.kinds`` declares which); each runs on every create and update
body, before validation, and changes the object in place. Each is idempotent: defaulting a stored
object changes nothing.
"""

from __future__ import annotations

from everynode.apiserver.defaults.pod import pod_defaults, qos_class
from everynode.apiserver.defaults.podspec import (
    child_obj,
    image_pull_policy,
    pod_template_defaults,
    resource_list,
    set_if_absent,
)
from everynode.core import wellknown
from everynode.core.types import Obj

__all__ = [
    "daemonset_defaults",
    "image_pull_policy",
    "namespace_defaults",
    "node_defaults",
    "pod_defaults",
    "qos_class",
]


def daemonset_defaults(ds: Obj) -> None:
    """``SetDefaults_DaemonSet``: RollingUpdate with maxUnavailable 1 and maxSurge 0, ten revisions
    kept, and the pod-template defaults. An OnDelete strategy's ``rollingUpdate`` is left alone."""
    spec = child_obj(ds, "spec")
    if spec is None:
        return
    strategy = child_obj(spec, "updateStrategy")
    if strategy is not None:
        set_if_absent(strategy, "type", "RollingUpdate", zero_counts=True)
        if strategy["type"] == "RollingUpdate":
            rolling = child_obj(strategy, "rollingUpdate")
            if rolling is not None:
                set_if_absent(rolling, "maxUnavailable", 1)
                set_if_absent(rolling, "maxSurge", 0)
    set_if_absent(spec, "revisionHistoryLimit", 10)
    template = child_obj(spec, "template")
    if template is not None:
        pod_template_defaults(template)


def namespace_defaults(ns: Obj) -> None:
    """The ``kubernetes.io/metadata.name`` label, the ``kubernetes`` finalizer on a new namespace and
    phase ``Active``."""
    metadata = child_obj(ns, "metadata")
    name = metadata.get("name") if metadata is not None else None
    if metadata is not None and isinstance(name, str) and name:
        labels = child_obj(metadata, "labels")
        if labels is not None:
            labels[wellknown.LABEL_METADATA_NAME] = name
    spec = child_obj(ns, "spec")
    if spec is not None and spec.get("finalizers") is None:
        spec["finalizers"] = ["kubernetes"]
    status = child_obj(ns, "status")
    if status is not None:
        set_if_absent(status, "phase", "Active", zero_counts=True)


def node_defaults(node: Obj) -> None:
    """``allocatable`` defaults to ``capacity``; quantities are written canonically."""
    status = node.get("status")
    if not isinstance(status, dict):
        return
    capacity = status.get("capacity")
    if status.get("allocatable") is None and isinstance(capacity, dict):
        status["allocatable"] = dict(capacity)
    for section in ("capacity", "allocatable"):
        resource_list(status, section)
