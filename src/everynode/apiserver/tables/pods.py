"""The Pod table: READY, the STATUS reason and RESTARTS computed as upstream's pod printer does.

STATUS is a single word distilled from the phase, init container progress, container states and
deletion (``Running``, ``ContainerCreating``, ``Init:0/2``, ``CrashLoopBackOff``, ``Completed``,
``Terminating``…). RESTARTS adds ``(5m ago)`` after the count when a container's last termination time is
known (kubectl 1.27+ expect the string form).
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
    wide,
)
from everynode.apiserver.tables.timefmt import human_duration, parse_time, since
from everynode.core.types import Obj

_NODE_LOST = "NodeLost"  # the reason the node lifecycle controller gives pods on unreachable nodes
_TERMINAL_PHASES = ("Succeeded", "Failed")


def _is_sidecar(container: Mapping[str, Any] | None) -> bool:
    """A restartable init container (``restartPolicy: Always``), counted with the regular containers."""
    return container is not None and container.get("restartPolicy") == "Always"


def _has_condition(status: Mapping[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in items(status.get("conditions")))


def _terminated_reason(terminated: Mapping[str, Any], prefix: str) -> str:
    reason = text(terminated.get("reason"))
    if reason:
        return prefix + reason
    signal = integer(terminated.get("signal"))
    if signal:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{integer(terminated.get('exitCode'))}"


class _Restarts:
    """A restart count and the latest ``lastState.terminated.finishedAt`` seen with it."""

    def __init__(self) -> None:
        self.count = 0
        self.last: datetime | None = None

    def add(self, status: Mapping[str, Any]) -> None:
        self.count += integer(status.get("restartCount"))
        last_state = mapping(status.get("lastState"))
        if "terminated" in last_state and isinstance(last_state["terminated"], Mapping):
            finished = parse_time(last_state["terminated"].get("finishedAt"))
            if finished is not None and (self.last is None or self.last < finished):
                self.last = finished


def _init_progress(
    spec: Mapping[str, Any], status: Mapping[str, Any], restarts: _Restarts, sidecar_restarts: _Restarts
) -> tuple[str | None, int]:
    """Walk the init container statuses in order: the reason of the first one still blocking the pod
    (``Init:1/2``, ``Init:CrashLoopBackOff``, ``Init:Error``…) or ``None`` when none blocks, and the
    number of started sidecars that are ready. Adds every restart seen on the way."""
    init_specs = items(spec.get("initContainers"))
    by_name = {text(c.get("name")): c for c in init_specs}
    ready = 0
    for index, container in enumerate(items(status.get("initContainerStatuses"))):
        restarts.add(container)
        sidecar = _is_sidecar(by_name.get(text(container.get("name"))))
        if sidecar:
            sidecar_restarts.add(container)
        state = mapping(container.get("state"))
        terminated = state.get("terminated")
        waiting_reason = text(mapping(state.get("waiting")).get("reason"))
        if isinstance(terminated, Mapping) and integer(terminated.get("exitCode")) == 0:
            continue
        if sidecar and container.get("started") is True:
            ready += container.get("ready") is True
            continue
        if isinstance(terminated, Mapping):
            return _terminated_reason(terminated, "Init:"), ready
        if waiting_reason not in ("", "PodInitializing"):
            return "Init:" + waiting_reason, ready
        return f"Init:{index}/{len(init_specs)}", ready
    return None, ready


def pod_summary(pod: Mapping[str, Any], now: datetime) -> tuple[str, str, str]:
    """The READY, STATUS and RESTARTS cells."""
    spec, status = mapping(pod.get("spec")), mapping(pod.get("status"))
    phase = text(status.get("phase"))
    reason = text(status.get("reason")) or phase
    for condition in items(status.get("conditions")):
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = items(spec.get("initContainers"))
    total = len(items(spec.get("containers"))) + sum(1 for c in init_specs if _is_sidecar(c))
    restarts, sidecar_restarts = _Restarts(), _Restarts()
    init_reason, ready = _init_progress(spec, status, restarts, sidecar_restarts)
    if init_reason is not None:
        reason = init_reason

    if init_reason is None or _has_condition(status, "Initialized"):
        restarts = sidecar_restarts
        has_running = False
        for container in reversed(items(status.get("containerStatuses"))):
            restarts.add(container)
            state = mapping(container.get("state"))
            waiting, terminated = mapping(state.get("waiting")), state.get("terminated")
            if text(waiting.get("reason")):
                reason = text(waiting.get("reason"))
            elif isinstance(terminated, Mapping):
                reason = _terminated_reason(terminated, "")
            elif container.get("ready") is True and isinstance(state.get("running"), Mapping):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_condition(status, "Ready") else "NotReady"

    deleting = metadata(pod).get("deletionTimestamp") is not None
    if deleting and status.get("reason") == _NODE_LOST:
        reason = "Unknown"
    elif deleting and phase not in _TERMINAL_PHASES:
        reason = "Terminating"

    restart_cell = str(restarts.count)
    if restarts.count != 0 and restarts.last is not None:
        restart_cell = f"{restarts.count} ({human_duration(now - restarts.last)} ago)"
    return f"{ready}/{total}", reason, restart_cell


def _readiness_gates(spec: Mapping[str, Any], status: Mapping[str, Any]) -> str:
    gates = items(spec.get("readinessGates"))
    if not gates:
        return NONE
    conditions = items(status.get("conditions"))
    met = 0
    for gate in gates:
        for condition in conditions:
            if condition.get("type") == gate.get("conditionType"):
                met += condition.get("status") == "True"
                break
    return f"{met}/{len(gates)}"


def pod_cells(pod: Mapping[str, Any], now: datetime) -> Cells:
    spec, status = mapping(pod.get("spec")), mapping(pod.get("status"))
    ready, reason, restarts = pod_summary(pod, now)
    ips = items(status.get("podIPs"))
    # A v1 pod may carry only podIP; upstream's conversion fills podIPs[0] from it.
    ip = text(ips[0].get("ip")) if ips else text(status.get("podIP"))
    return [
        name_of(pod),
        ready,
        reason,
        restarts,
        since(metadata(pod).get("creationTimestamp"), now),
        ip or NONE,
        text(spec.get("nodeName")) or NONE,
        text(status.get("nominatedNodeName")) or NONE,
        _readiness_gates(spec, status),
    ]


def pod_conditions(pod: Mapping[str, Any]) -> list[Obj]:
    """Row conditions: finished pods are marked ``Completed`` (clients may grey them out)."""
    phase = mapping(pod.get("status")).get("phase")
    if phase == "Succeeded":
        message = "The pod has completed successfully."
    elif phase == "Failed":
        message = "The pod failed."
    else:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


PODS = Printer(
    (
        NAME,
        Column("Ready", description="Ready containers out of all containers (sidecars included)."),
        Column("Status", description="The pod's state summarised in one word."),
        Column("Restarts", description="Container restarts, and how long ago the last one ended."),
        AGE,
        wide("IP", "The pod's first IP address."),
        wide("Node", "The node the pod is bound to."),
        wide("Nominated Node", "The node the scheduler nominated after preempting other pods."),
        wide("Readiness Gates", "Readiness gates whose condition is True, out of all readiness gates."),
    ),
    pod_cells,
    pod_conditions,
)
