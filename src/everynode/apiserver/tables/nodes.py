"""The Node table: STATUS from the Ready condition (plus ``SchedulingDisabled``), ROLES from labels."""

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
    items,
    mapping,
    metadata,
    name_of,
    text,
    wide,
)
from everynode.apiserver.tables.timefmt import UNKNOWN, since

ROLE_PREFIX = "node-role.kubernetes.io/"
ROLE_LABEL = "kubernetes.io/role"


def node_status(node: Mapping[str, Any]) -> str:
    """``Ready`` / ``NotReady`` (False or Unknown) / ``Unknown`` (no Ready condition), then
    ``,SchedulingDisabled`` when cordoned. Only the Ready condition counts; the last one listed wins."""
    ready: Mapping[str, Any] | None = None
    for condition in items(mapping(node.get("status")).get("conditions")):
        if condition.get("type") == "Ready":
            ready = condition
    words = ["Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"]
    if mapping(node.get("spec")).get("unschedulable") is True:
        words.append("SchedulingDisabled")
    return ",".join(words)


def node_roles(node: Mapping[str, Any]) -> str:
    """Sorted, de-duplicated roles from ``node-role.kubernetes.io/<role>`` keys (any value) and the value
    of ``kubernetes.io/role``; ``<none>`` when there are none."""
    roles: set[str] = set()
    for key, value in mapping(metadata(node).get("labels")).items():
        if key.startswith(ROLE_PREFIX):
            if role := key[len(ROLE_PREFIX) :]:
                roles.add(role)
        elif key == ROLE_LABEL and isinstance(value, str) and value:
            roles.add(value)
    return ",".join(sorted(roles)) or NONE


def _address(status: Mapping[str, Any], kind: str) -> str:
    for address in items(status.get("addresses")):
        if address.get("type") == kind:
            return text(address.get("address"))
    return NONE


def node_cells(node: Mapping[str, Any], now: datetime) -> Cells:
    status = mapping(node.get("status"))
    info = mapping(status.get("nodeInfo"))
    return [
        name_of(node),
        node_status(node),
        node_roles(node),
        since(metadata(node).get("creationTimestamp"), now),
        text(info.get("kubeletVersion")),
        _address(status, "InternalIP"),
        _address(status, "ExternalIP"),
        text(info.get("osImage")) or UNKNOWN,
        text(info.get("kernelVersion")) or UNKNOWN,
        text(info.get("containerRuntimeVersion")) or UNKNOWN,
    ]


NODES = Printer(
    (
        NAME,
        Column("Status", description="Whether the node is ready, and whether it accepts new pods."),
        Column("Roles", description="The node's roles, from its node-role labels."),
        AGE,
        Column("Version", description="The kubelet version the node reports."),
        wide("Internal-IP", "The node's first InternalIP address."),
        wide("External-IP", "The node's first ExternalIP address."),
        wide("OS-Image", "The operating system image the node reports."),
        wide("Kernel-Version", "The kernel version the node reports."),
        wide("Container-Runtime", "The container runtime and version the node reports."),
    ),
    node_cells,
)
