"""Deployment and ReplicaSet tables (``kubectl get deploy`` / ``rs``), as upstream prints them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.tables.columns import (
    AGE,
    NAME,
    Cells,
    Column,
    Printer,
    container_cells,
    integer,
    mapping,
    metadata,
    name_of,
    wide,
)
from everynode.apiserver.tables.timefmt import since
from everynode.core.labelselector import format_label_selector


def _template_cells(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    spec = mapping(obj.get("spec"))
    names, images = container_cells(mapping(mapping(spec.get("template")).get("spec")).get("containers"))
    selector = spec.get("selector")
    return names, images, format_label_selector(selector if isinstance(selector, Mapping) else None)


def deployment_cells(deployment: Mapping[str, Any], now: datetime) -> Cells:
    spec, status = mapping(deployment.get("spec")), mapping(deployment.get("status"))
    names, images, selector = _template_cells(deployment)
    return [
        name_of(deployment),
        f"{integer(status.get('readyReplicas'))}/{integer(spec.get('replicas'))}",
        integer(status.get("updatedReplicas")),
        integer(status.get("availableReplicas")),
        since(metadata(deployment).get("creationTimestamp"), now),
        names,
        images,
        selector,
    ]


DEPLOYMENTS = Printer(
    (
        NAME,
        Column("Ready", description="Ready pods out of the desired replicas."),
        Column("Up-to-date", "integer", "Pods running the current template."),
        Column("Available", "integer", "Pods available to users (ready for at least minReadySeconds)."),
        AGE,
        wide("Containers", "Names of the containers in the pod template."),
        wide("Images", "Images of the containers in the pod template."),
        wide("Selector", "Label query over the pods the Deployment manages."),
    ),
    deployment_cells,
)


def replicaset_cells(replicaset: Mapping[str, Any], now: datetime) -> Cells:
    spec, status = mapping(replicaset.get("spec")), mapping(replicaset.get("status"))
    names, images, selector = _template_cells(replicaset)
    return [
        name_of(replicaset),
        integer(spec.get("replicas")),
        integer(status.get("replicas")),
        integer(status.get("readyReplicas")),
        since(metadata(replicaset).get("creationTimestamp"), now),
        names,
        images,
        selector,
    ]


REPLICASETS = Printer(
    (
        NAME,
        Column("Desired", "integer", "Pods the ReplicaSet should run."),
        Column("Current", "integer", "Pods the ReplicaSet runs."),
        Column("Ready", "integer", "Pods of the ReplicaSet that are ready."),
        AGE,
        wide("Containers", "Names of the containers in the pod template."),
        wide("Images", "Images of the containers in the pod template."),
        wide("Selector", "Label query over the pods the ReplicaSet owns."),
    ),
    replicaset_cells,
)
