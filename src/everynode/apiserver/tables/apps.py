"""DaemonSet, StatefulSet and ControllerRevision tables (``kubectl get ds`` / ``sts`` /
``controllerrevisions``)."""

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
    container_cells,
    format_labels,
    integer,
    items,
    mapping,
    metadata,
    name_of,
    text,
    wide,
)
from everynode.apiserver.tables.timefmt import since
from everynode.core.labelselector import format_label_selector


def daemonset_cells(ds: Mapping[str, Any], now: datetime) -> Cells:
    status = mapping(ds.get("status"))
    spec = mapping(ds.get("spec"))
    pod_spec = mapping(mapping(spec.get("template")).get("spec"))
    names, images = container_cells(pod_spec.get("containers"))
    selector = spec.get("selector")
    return [
        name_of(ds),
        integer(status.get("desiredNumberScheduled")),
        integer(status.get("currentNumberScheduled")),
        integer(status.get("numberReady")),
        integer(status.get("updatedNumberScheduled")),
        integer(status.get("numberAvailable")),
        format_labels(pod_spec.get("nodeSelector")),
        since(metadata(ds).get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(selector if isinstance(selector, Mapping) else None),
    ]


DAEMONSETS = Printer(
    (
        NAME,
        Column("Desired", "integer", "Number of nodes that should run the daemon pod."),
        Column("Current", "integer", "Number of nodes running at least one daemon pod that should."),
        Column("Ready", "integer", "Number of nodes whose daemon pod is ready."),
        Column("Up-to-date", "integer", "Number of nodes running the current pod template."),
        Column("Available", "integer", "Number of nodes whose daemon pod has been available long enough."),
        Column("Node Selector", description="Labels a node must carry for the daemon pod to run there."),
        AGE,
        wide("Containers", "Names of the containers in the pod template."),
        wide("Images", "Images of the containers in the pod template."),
        wide("Selector", "Label query over the pods the DaemonSet owns."),
    ),
    daemonset_cells,
)


def statefulset_cells(sts: Mapping[str, Any], now: datetime) -> Cells:
    spec = mapping(sts.get("spec"))
    pod_spec = mapping(mapping(spec.get("template")).get("spec"))
    names, images = container_cells(pod_spec.get("containers"))
    ready = integer(mapping(sts.get("status")).get("readyReplicas"))
    return [
        name_of(sts),
        f"{ready}/{integer(spec.get('replicas'))}",
        since(metadata(sts).get("creationTimestamp"), now),
        names,
        images,
    ]


STATEFULSETS = Printer(
    (
        NAME,
        Column("Ready", description="Ready pods out of the desired replicas."),
        AGE,
        wide("Containers", "Names of the containers in the pod template."),
        wide("Images", "Images of the containers in the pod template."),
    ),
    statefulset_cells,
)


def controller_name(obj: Mapping[str, Any]) -> str:
    """``kind.group/name`` of the controlling owner (``daemonset.apps/agent``; core kinds: ``pod/x``)."""
    for ref in items(metadata(obj).get("ownerReferences")):
        if ref.get("controller") is not True:
            continue
        api_version, kind = text(ref.get("apiVersion")), text(ref.get("kind"))
        group = api_version.split("/", 1)[0] if "/" in api_version else ""
        group_kind = f"{kind}.{group}" if group else kind
        name = text(ref.get("name"))
        return f"{group_kind.lower()}/{name}" if group_kind else name
    return NONE


def controllerrevision_cells(cr: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(cr),
        controller_name(cr),
        integer(cr.get("revision")),
        since(metadata(cr).get("creationTimestamp"), now),
    ]


CONTROLLER_REVISIONS = Printer(
    (
        NAME,
        Column("Controller", description="The object that controls this revision."),
        # Upstream declares this column "string" although the cell is an integer; kept for fidelity.
        Column("Revision", description="Revision number of the state this object holds."),
        AGE,
    ),
    controllerrevision_cells,
)


def scale_cells(scale: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(scale),
        integer(mapping(scale.get("spec")).get("replicas")),
        integer(mapping(scale.get("status")).get("replicas")),
        since(metadata(scale).get("creationTimestamp"), now),
    ]


# An autoscaling/v1 Scale (``kubectl get deploy/NAME --subresource=scale``), as upstream's printScale.
SCALES = Printer(
    (
        NAME,
        Column("Desired", "integer", "The number of replicas asked for."),
        Column("Available", "integer", "The number of replicas there are."),
        AGE,
    ),
    scale_cells,
)
