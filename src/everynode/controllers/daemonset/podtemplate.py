"""The pods a DaemonSet creates (upstream-daemonset.md §3).

Every daemon pod is the DaemonSet's template plus: ``generateName: <ds>-``, the labels
``controller-revision-hash`` and ``pod-template-generation``, the daemon tolerations, one controller
ownerReference, and a required node affinity that pins it to its node by ``metadata.name`` (the
scheduler then binds it there). Only the hash, the generation and the node differ between pods.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from everynode.controllers.daemonset.placement import daemon_tolerations
from everynode.core import wellknown
from everynode.core.names import name_is_dns_subdomain
from everynode.core.nodeaffinity import pin_to_node
from everynode.core.ownerrefs import new_controller_ref
from everynode.core.types import Obj


def template_generation(ds: Mapping[str, Any]) -> str | None:
    """The DaemonSet's template generation annotation, when it is an integer."""
    value = ds.get("metadata", {}).get("annotations", {}).get(wellknown.ANNOTATION_DS_TEMPLATE_GENERATION)
    if value is None:
        return None
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return None


def controller_ref(ds: Mapping[str, Any]) -> Obj:
    """The DaemonSet as the controller of its pods and ControllerRevisions."""
    return new_controller_ref(ds, api_version="apps/v1", kind="DaemonSet")


def pod_template(ds: Mapping[str, Any], revision_hash: str) -> Obj:
    """The template every new pod of this sync starts from (tolerations and labels added)."""
    template: Obj = copy.deepcopy(ds.get("spec", {}).get("template", {}))
    meta = template.setdefault("metadata", {})
    meta.pop("creationTimestamp", None)
    labels = dict(meta.get("labels") or {})
    generation = template_generation(ds)
    if generation is not None:
        labels[wellknown.LABEL_POD_TEMPLATE_GENERATION] = generation
    if revision_hash:
        labels[wellknown.LABEL_CONTROLLER_REVISION_HASH] = revision_hash
    meta["labels"] = labels
    spec = template.setdefault("spec", {})
    spec["tolerations"] = daemon_tolerations(spec)
    return template


def pod_for_node(template: Mapping[str, Any], ds: Mapping[str, Any], node_name: str) -> Obj:
    """A pod to POST for ``node_name``; ``template`` comes from ``pod_template`` and is not changed."""
    ds_meta = ds["metadata"]
    template_meta = template.get("metadata", {})
    prefix = f"{ds_meta['name']}-"
    meta: Obj = {
        key: value
        for key, value in template_meta.items()
        if key not in ("name", "generateName", "namespace", "ownerReferences", "uid", "resourceVersion")
    }
    meta["generateName"] = ds_meta["name"] if name_is_dns_subdomain(prefix, True) else prefix
    meta["namespace"] = ds_meta.get("namespace", "")
    meta["labels"] = dict(template_meta.get("labels") or {})
    meta["ownerReferences"] = [controller_ref(ds)]
    spec = dict(template.get("spec", {}))
    spec["affinity"] = pin_to_node(spec.get("affinity"), node_name)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
