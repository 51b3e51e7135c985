"""Pod state questions the controllers ask: terminal, deleting, ready, available, and which pod is
"first" on a node.

They read a pod as stored (a JSON dict with camelCase keys) and never fail on a missing field; the
DaemonSet controller uses them for status counts, duplicate removal and surge; timestamps are read
with ``core.timestamps``, as every layer reads and writes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from everynode.core.timestamps import parse_time


def _spec(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return pod.get("spec") or {}


def _status(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return pod.get("status") or {}


def _metadata(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return pod.get("metadata") or {}


def is_terminal(pod: Mapping[str, Any]) -> bool:
    """Phase ``Failed`` or ``Succeeded``: its containers will not run again."""
    return _status(pod).get("phase") in ("Failed", "Succeeded")


def is_deleting(pod: Mapping[str, Any]) -> bool:
    """``metadata.deletionTimestamp`` is set: graceful deletion has started."""
    return bool(_metadata(pod).get("deletionTimestamp"))


def ready_condition(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first ``Ready`` entry of ``status.conditions``, if any."""
    for condition in _status(pod).get("conditions") or ():
        # ``type(...) is dict`` first: decoded JSON is made of dicts, and an ABC check is slow
        if (type(condition) is dict or isinstance(condition, Mapping)) and condition.get("type") == "Ready":
            return condition
    return None


def is_ready(pod: Mapping[str, Any]) -> bool:
    """The ``Ready`` condition has status ``"True"``."""
    condition = ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def is_available(pod: Mapping[str, Any], min_ready_seconds: int, now: float) -> bool:
    """Ready, and (with ``min_ready_seconds`` > 0) Ready since strictly more than that before ``now``.

    A Ready condition without a readable ``lastTransitionTime`` never becomes available then.
    """
    if not is_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    condition = ready_condition(pod) or {}
    since = parse_time(condition.get("lastTransitionTime"))
    return since is not None and since + min_ready_seconds < now


def creation_phase_sort_key(pod: Mapping[str, Any]) -> tuple[int, float, str]:
    """``sorted`` key for upstream's ``podByCreationTimestampAndPhase``.

    Pods bound to a node (``spec.nodeName``) come first, then the older ``creationTimestamp``, then
    the name, ascending. A missing or unreadable timestamp counts as the oldest possible time (Go's
    zero time sorts first).
    """
    created = parse_time(_metadata(pod).get("creationTimestamp"))
    name = _metadata(pod).get("name")
    return (
        0 if _spec(pod).get("nodeName") else 1,
        -math.inf if created is None else created,
        name if isinstance(name, str) else "",
    )
