"""Defaults of the configuration kinds a bundle brings: Secrets (``stringData`` merged into
``data``, as upstream's conversion does), RBAC bindings, PriorityClasses, StorageClasses and
CSIDrivers (upstream's ``SetDefaults_*`` for each)."""

from __future__ import annotations

import base64

from everynode.apiserver.defaults.podspec import objects, set_if_absent
from everynode.core.types import Obj

RBAC_GROUP = "rbac.authorization.k8s.io"


def secret_defaults(secret: Obj) -> None:
    """Type ``Opaque``; ``stringData`` is written into ``data`` (base64) and never stored."""
    set_if_absent(secret, "type", "Opaque", zero_counts=True)
    plain = secret.pop("stringData", None)
    if isinstance(plain, dict) and plain:
        data = secret.get("data")
        if data is None:
            data = secret["data"] = {}
        if isinstance(data, dict):
            for key, value in plain.items():
                if isinstance(value, str):
                    data[key] = base64.b64encode(value.encode()).decode()


def binding_defaults(binding: Obj) -> None:
    """``roleRef.apiGroup`` and the User/Group subjects' ``apiGroup`` default to RBAC's group (a
    ServiceAccount subject's stays empty, and so absent)."""
    role_ref = binding.get("roleRef")
    if isinstance(role_ref, dict):
        set_if_absent(role_ref, "apiGroup", RBAC_GROUP, zero_counts=True)
    for subject in objects(binding, "subjects"):
        if subject.get("apiGroup") in (None, "") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = RBAC_GROUP


def priority_class_defaults(priority_class: Obj) -> None:
    set_if_absent(priority_class, "preemptionPolicy", "PreemptLowerPriority", zero_counts=True)


def storage_class_defaults(storage_class: Obj) -> None:
    set_if_absent(storage_class, "reclaimPolicy", "Delete", zero_counts=True)
    set_if_absent(storage_class, "volumeBindingMode", "Immediate", zero_counts=True)


def csi_driver_defaults(driver: Obj) -> None:
    spec = driver.get("spec")
    if not isinstance(spec, dict):
        return
    set_if_absent(spec, "attachRequired", True)
    set_if_absent(spec, "podInfoOnMount", False)
    set_if_absent(spec, "storageCapacity", False)
    set_if_absent(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType", zero_counts=True)
    set_if_absent(spec, "requiresRepublish", False)
    set_if_absent(spec, "seLinuxMount", False)
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]
