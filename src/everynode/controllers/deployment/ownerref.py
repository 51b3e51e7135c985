"""The Deployment as the controller of its ReplicaSets (what it writes when it creates or adopts one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.controllers.deployment.caches import KIND
from everynode.core.ownerrefs import new_controller_ref
from everynode.core.types import Obj


def controller_ref(deployment: Mapping[str, Any]) -> Obj:
    """``metav1.NewControllerRef``: the Deployment as its ReplicaSets' controlling owner (foreground
    deletion of the Deployment waits for them)."""
    return new_controller_ref(deployment, api_version="apps/v1", kind=KIND)
