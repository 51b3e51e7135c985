"""PodDisruptionBudget, PriorityClass, StorageClass and CSIDriver tables.

Optional settings print as the value upstream assumes when they are unset (``N/A`` for a budget
bound, ``Delete`` / ``Immediate`` for a storage class, ``true`` for ``attachRequired``…). The
PriorityClass table has the PREEMPTIONPOLICY column that Kubernetes 1.32 added.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.tables.columns import (
    AGE,
    NAME,
    NONE,
    Cells,
    Column,
    Printer,
    integer,
    items,
    mapping,
    metadata,
    name_of,
    text,
)
from everynode.apiserver.tables.timefmt import since

NOT_APPLICABLE = "N/A"
UNSET = "<unset>"
DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def flag(value: Any, unset: bool) -> bool:
    """An optional boolean field: its value, or ``unset`` when absent (or not a boolean)."""
    return value if isinstance(value, bool) else unset


def int_or_string(value: Any) -> str:
    """An ``IntOrString`` as text (``2``, ``50%``); ``N/A`` when unset."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else NOT_APPLICABLE


# --- PodDisruptionBudget ---


def pdb_cells(pdb: Mapping[str, Any], now: datetime) -> Cells:
    spec = mapping(pdb.get("spec"))
    return [
        name_of(pdb),
        int_or_string(spec.get("minAvailable")),
        int_or_string(spec.get("maxUnavailable")),
        integer(mapping(pdb.get("status")).get("disruptionsAllowed")),
        since(metadata(pdb).get("creationTimestamp"), now),
    ]


POD_DISRUPTION_BUDGETS = Printer(
    (
        NAME,
        Column("Min Available", description="Pods that must stay available after an eviction."),
        Column("Max Unavailable", description="Pods that may be unavailable after an eviction."),
        Column("Allowed Disruptions", "integer", "Pod evictions the budget allows right now."),
        AGE,
    ),
    pdb_cells,
)


# --- PriorityClass ---


def priorityclass_cells(pc: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(pc),
        integer(pc.get("value")),
        flag(pc.get("globalDefault"), False),
        since(metadata(pc).get("creationTimestamp"), now),
        text(pc.get("preemptionPolicy")),
    ]


PRIORITY_CLASSES = Printer(
    (
        NAME,
        Column("Value", "integer", "The priority pods of this class get; higher is more important."),
        Column("Global-Default", "boolean", "Whether pods without a priority class get this one."),
        AGE,
        # Priority 0 although upstream fills the cell only for wide output: the server always prints wide.
        Column("PreemptionPolicy", description="Whether pods of this class may preempt lower ones."),
    ),
    priorityclass_cells,
)


# --- StorageClass ---


def is_default_class(obj: Mapping[str, Any]) -> bool:
    annotations = mapping(metadata(obj).get("annotations"))
    return any(annotations.get(key) == "true" for key in DEFAULT_CLASS_ANNOTATIONS)


def storageclass_cells(sc: Mapping[str, Any], now: datetime) -> Cells:
    reclaim, binding = sc.get("reclaimPolicy"), sc.get("volumeBindingMode")
    return [
        name_of(sc) + (" (default)" if is_default_class(sc) else ""),
        text(sc.get("provisioner")),
        reclaim if isinstance(reclaim, str) else "Delete",
        binding if isinstance(binding, str) else "Immediate",
        flag(sc.get("allowVolumeExpansion"), False),
        since(metadata(sc).get("creationTimestamp"), now),
    ]


STORAGE_CLASSES = Printer(
    (
        NAME,
        Column("Provisioner", description="The volume plugin that provisions volumes of this class."),
        Column("ReclaimPolicy", description="What happens to a volume when its claim is released."),
        Column("VolumeBindingMode", description="When volumes are bound and provisioned for claims."),
        # Upstream declares this column "string" although the cell is a boolean; kept for fidelity.
        Column("AllowVolumeExpansion", description="Whether volumes of this class can be resized."),
        AGE,
    ),
    storageclass_cells,
)


# --- CSIDriver ---


def token_audiences(token_requests: Any) -> str:
    """Audiences of the service account tokens the driver asks for, comma-joined; ``<unset>`` if none.

    An empty list prints ``<unset>`` too: upstream stores objects as protobuf, which reads an empty list
    back as nil, so a stored driver never has ``tokenRequests: []``."""
    if not isinstance(token_requests, list) or not token_requests:
        return UNSET
    return ",".join(text(request.get("audience")) for request in items(token_requests))


def csidriver_cells(driver: Mapping[str, Any], now: datetime) -> Cells:
    spec = mapping(driver.get("spec"))
    modes = spec.get("volumeLifecycleModes")
    listed = [m for m in modes if isinstance(m, str)] if isinstance(modes, list) else []
    return [
        name_of(driver),
        flag(spec.get("attachRequired"), True),
        flag(spec.get("podInfoOnMount"), False),
        flag(spec.get("storageCapacity"), False),
        token_audiences(spec.get("tokenRequests")),
        flag(spec.get("requiresRepublish"), False),
        ",".join(listed) or NONE,
        since(metadata(driver).get("creationTimestamp"), now),
    ]


CSI_DRIVERS = Printer(
    (
        NAME,
        Column("AttachRequired", "boolean", "Whether volumes need an attach step before mounting."),
        Column("PodInfoOnMount", "boolean", "Whether the driver is told about the pod on mount."),
        Column("StorageCapacity", "boolean", "Whether the scheduler considers the driver's capacity."),
        Column("TokenRequests", description="Audiences of the service account tokens passed on mount."),
        Column("RequiresRepublish", "boolean", "Whether volumes are mounted again periodically."),
        Column("Modes", description="The volume lifecycle modes the driver supports."),
        AGE,
    ),
    csidriver_cells,
)
