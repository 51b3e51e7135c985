"""The pods a ReplicaSet creates (upstream ``GetPodFromTemplate`` in ``controller_utils.go``).

A new pod carries, of the template's metadata, only its labels, annotations and finalizers; its
``generateName`` is ``<replicaset>-`` (the bare name when the dash would make it invalid); its one
ownerReference names the ReplicaSet as controller, blocking the owner's foreground deletion; its
spec is the template's spec, unchanged. The controller itself adds no finalizer.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from everynode.core.names import name_is_dns_subdomain
from everynode.core.ownerrefs import new_controller_ref
from everynode.core.types import Obj


def controller_ref(rs: Mapping[str, Any]) -> Obj:
    """``metav1.NewControllerRef`` for an apps/v1 ReplicaSet."""
    return new_controller_ref(rs, api_version="apps/v1", kind="ReplicaSet")


def generate_name(name: str) -> str:
    """Upstream ``getPodsPrefix``: ``<name>-`` unless that is not a valid pod name prefix."""
    prefix = f"{name}-"
    return name if name_is_dns_subdomain(prefix, True) else prefix


def pod_from_template(rs: Mapping[str, Any]) -> Obj:
    """A pod to POST into the ReplicaSet's namespace; the ReplicaSet is not changed."""
    template: Mapping[str, Any] = (rs.get("spec") or {}).get("template") or {}
    template_meta: Mapping[str, Any] = template.get("metadata") or {}
    meta: Obj = {"generateName": generate_name(rs["metadata"]["name"])}
    for field in ("labels", "annotations"):
        if template_meta.get(field):
            meta[field] = dict(template_meta[field])
    if template_meta.get("finalizers"):
        meta["finalizers"] = list(template_meta["finalizers"])
    meta["ownerReferences"] = [controller_ref(rs)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": copy.deepcopy(dict(template.get("spec") or {})),
    }
