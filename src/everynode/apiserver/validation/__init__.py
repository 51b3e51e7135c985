"""Validation of the objects the API server serves, as upstream Kubernetes validates them.

Three entry points, one per kind of write. Each returns ``FieldError``s with upstream's field paths
and wording; an empty list means the object may be stored. They run after defaulting and after the
server has filled in the metadata it owns (uid, resourceVersion, creationTimestamp, generation).
Repeated errors are reported once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from everynode.apiserver.validation._util import Errors, dedupe
from everynode.apiserver.validation.controllerrevision import (
    validate_controller_revision,
    validate_controller_revision_update,
)
from everynode.apiserver.validation.daemonset import (
    validate_daemonset,
    validate_daemonset_status_update,
    validate_daemonset_update,
)
from everynode.apiserver.validation.event import validate_event, validate_event_update
from everynode.apiserver.validation.lease import validate_lease, validate_lease_update
from everynode.apiserver.validation.namespace import (
    validate_namespace,
    validate_namespace_status_update,
    validate_namespace_update,
)
from everynode.apiserver.validation.node import validate_node, validate_node_update
from everynode.apiserver.validation.pod import (
    validate_pod_create,
    validate_pod_status_update,
    validate_pod_update,
)
from everynode.core.fielderrors import FieldError
from everynode.core.types import Obj

__all__ = ["validate_create", "validate_status_update", "validate_update"]

_CREATE: dict[str, Callable[[Obj], Errors]] = {
    "namespaces": validate_namespace,
    "nodes": validate_node,
    "pods": validate_pod_create,
    "events": validate_event,
    "daemonsets": validate_daemonset,
    "controllerrevisions": validate_controller_revision,
    "leases": validate_lease,
}
_UPDATE: dict[str, Callable[[Obj, Obj], Errors]] = {
    "namespaces": validate_namespace_update,
    "nodes": validate_node_update,
    "pods": validate_pod_update,
    "events": validate_event_update,
    "daemonsets": validate_daemonset_update,
    "controllerrevisions": validate_controller_revision_update,
    "leases": validate_lease_update,
}
# Kinds without a status subresource fall back to their update rules.
_STATUS_UPDATE: dict[str, Callable[[Obj, Obj], Errors]] = {
    "namespaces": validate_namespace_status_update,
    "nodes": validate_node_update,
    "pods": validate_pod_status_update,
    "daemonsets": validate_daemonset_status_update,
}


def validate_create(resource: str, obj: dict[str, Any]) -> list[FieldError]:
    """Errors in a new object of ``resource`` (e.g. ``"daemonsets"``)."""
    validator = _CREATE.get(resource)
    return dedupe(validator(obj)) if validator else []


def validate_update(resource: str, new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """Errors in ``new`` replacing ``old`` through the main resource."""
    validator = _UPDATE.get(resource)
    return dedupe(validator(new, old)) if validator else []


def validate_status_update(resource: str, new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """Errors in ``new`` replacing ``old`` through the ``status`` subresource."""
    validator = _STATUS_UPDATE.get(resource) or _UPDATE.get(resource)
    return dedupe(validator(new, old)) if validator else []
