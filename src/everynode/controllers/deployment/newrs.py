"""The ReplicaSet a Deployment creates for a new template (upstream ``getNewReplicaSet``'s creation half).

Named ``<deployment>-<pod-template-hash>`` (deterministic, so a retried create finds its own earlier
attempt), owned by the Deployment as controller, with the hash added to the template's labels, the
selector's ``matchLabels`` and its own labels (so ReplicaSets of different templates never select each
other's pods), the Deployment's ``minReadySeconds``, the size ``NewRSNewReplicas`` allows and the
annotations of ``annotations.set_new_replica_set_annotations``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.annotations import set_new_replica_set_annotations
from everynode.controllers.deployment.fenceposts import new_rs_new_replicas
from everynode.controllers.deployment.hashing import compute_hash
from everynode.controllers.deployment.ownerref import controller_ref
from everynode.controllers.deployment.replicasets import RS, name
from everynode.core.types import Obj


def new_replica_set(deployment: RS, old: Sequence[RS], new_revision: str) -> Obj:
    """The ReplicaSet to create for ``deployment``'s current template, ``old`` being its old ones."""
    spec = deployment.get("spec") or {}
    template = copy.deepcopy(dict(spec.get("template") or {}))
    collisions = (deployment.get("status") or {}).get("collisionCount")
    pod_hash = compute_hash(template, collisions)
    labels = {**((template.get("metadata") or {}).get("labels") or {}), keys.POD_TEMPLATE_HASH: pod_hash}
    template.setdefault("metadata", {})["labels"] = labels
    selector = copy.deepcopy(dict(spec.get("selector") or {}))
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), keys.POD_TEMPLATE_HASH: pod_hash}
    rs: Obj = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{name(deployment)}-{pod_hash}",
            "namespace": (deployment.get("metadata") or {}).get("namespace", ""),
            "ownerReferences": [controller_ref(deployment)],
            "labels": dict(labels),
        },
        "spec": {"replicas": 0, "selector": selector, "template": template},
    }
    if spec.get("minReadySeconds"):
        rs["spec"]["minReadySeconds"] = spec["minReadySeconds"]
    rs["spec"]["replicas"] = new_rs_new_replicas(deployment, [*old, rs], rs)
    set_new_replica_set_annotations(deployment, rs, new_revision, exists=False)
    return rs
