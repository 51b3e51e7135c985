"""The statuses a stage can write, as a kubelet would report them. Pure: an object and a time in,
a status out.

A stage's ``next.status`` names one of ``RENDERERS``; its ``next.with`` passes the renderer's
parameters (checked when the stage file is loaded). Each renderer returns the *whole* value of every
status field it sets (lists included), built from what the object already holds, so the agent can send
it as a JSON merge patch: conditions keep their ``lastTransitionTime`` unless their status changes, a
pod keeps its ``startTime`` and ``podIP``, a node keeps the addresses, capacity and nodeInfo it has.

Pod renderers: ``running`` (containers started, not Ready), ``ready`` (Running and Ready), ``failed``
(phase Failed, containers exited 1), ``stopped`` (what a graceful delete leaves: phase Succeeded,
containers exited 0), ``restart`` (every container exits 1 and starts again, restartCount + 1, not
Ready), ``image-pull-error`` (Pending, containers waiting ``ErrImagePull`` or ``ImagePullBackOff``).
Node renderers (in ``node_status``): ``node-ready`` (full status and missing well-known labels),
``node-heartbeat`` (kubelet conditions re-stamped).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.agents.node_status import render_node_heartbeat, render_node_ready
from everynode.agents.status_parts import (
    Context,
    Output,
    Params,
    meta_of,
    node_ip,
    set_conditions,
    short_hash,
    status_of,
)
from everynode.core import quantity
from everynode.core.timestamps import format_time
from everynode.core.types import Obj

__all__ = ["NODE", "POD", "RENDERERS", "Context", "Output", "Renderer", "node_ip", "pod_ip", "set_conditions"]

POD, NODE = "Pod", "Node"

UNPULLABLE_IMAGES = r"(^|[/:@])non-?existent([:@]|$)"  # foo:non-existent, registry/non-existent:1
_PULL_MESSAGES = {
    "ErrImagePull": 'failed to pull and unpack image "{image}": not found (simulated)',
    "ImagePullBackOff": 'Back-off pulling image "{image}"',
}


RenderFunc = Callable[[Mapping[str, Any], Context, Params], Output]
ParamCheck = Callable[[Any], str | None]  # a problem with the value, or None


@dataclass(frozen=True, slots=True)
class Renderer:
    name: str
    kind: str
    render: RenderFunc
    params: Mapping[str, ParamCheck] = field(default_factory=dict)

    def check(self, params: Mapping[str, Any]) -> list[str]:
        """Problems with ``params`` (unknown names, bad values), each naming the parameter."""
        problems = []
        for key, value in params.items():
            checker = self.params.get(key)
            if checker is None:
                known = ", ".join(sorted(self.params)) or "none"
                problems.append(f"{key}: unknown parameter of {self.name} (known: {known})")
                continue
            problem = checker(value)
            if problem:
                problems.append(f"{key}: {problem}")
        return problems


# -- parameter checks -------------------------------------------------------------------------------


def _string_map(value: Any) -> str | None:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return 'must be a mapping of strings to strings (quote numbers: "110")'
    return None


def _quantities(value: Any) -> str | None:
    problem = _string_map(value)
    if problem:
        return problem
    for name, raw in value.items():
        try:
            quantity.parse(raw)
        except ValueError:
            return f"{name}: {raw!r} is not a quantity (e.g. 32, 500m, 256Gi)"
    return None


def _regex(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a regular expression (a string)"
    try:
        re.compile(value)
    except re.error as exc:
        return f"{value!r} is not a regular expression: {exc}"
    return None


def _pull_reason(value: Any) -> str | None:
    return (
        None
        if isinstance(value, str) and value in _PULL_MESSAGES
        else f"must be one of {', '.join(_PULL_MESSAGES)}"
    )


# -- shared pieces ----------------------------------------------------------------------------------


def _hex(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=32).hexdigest()


def _containers(pod: Mapping[str, Any], key: str = "containers") -> list[Mapping[str, Any]]:
    return [c for c in (pod.get("spec") or {}).get(key) or () if isinstance(c, Mapping)]


def _previous(pod: Mapping[str, Any], key: str = "containerStatuses") -> dict[str, Mapping[str, Any]]:
    return {
        s["name"]: s
        for s in status_of(pod).get(key) or ()
        if isinstance(s, Mapping) and isinstance(s.get("name"), str)
    }


def pod_ip(pod: Mapping[str, Any], node: Mapping[str, Any] | None, host_ip: str) -> str:
    """The pod's own IP: the one it has; the host's with hostNetwork; else one derived from its uid,
    inside the node's ``spec.podCIDR`` when it has one, or in 10.0.0.0/8."""
    current = status_of(pod).get("podIP")
    if isinstance(current, str) and current:
        return current
    spec = pod.get("spec") or {}
    if spec.get("hostNetwork"):
        return host_ip
    meta = meta_of(pod)
    h = short_hash(str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}"))
    cidr = ((node or {}).get("spec") or {}).get("podCIDR")
    if isinstance(cidr, str):
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            network = None
        if network is not None and network.num_addresses > 4:
            return str(network.network_address + 2 + h % (network.num_addresses - 3))
    return f"10.{(h >> 16) % 256}.{(h >> 8) % 256}.{1 + h % 254}"


def _addressing(pod: Mapping[str, Any], ctx: Context) -> Obj:
    node_name = str((pod.get("spec") or {}).get("nodeName") or "")
    host = node_ip(ctx.node, node_name)
    ip = pod_ip(pod, ctx.node, host)
    return {"hostIP": host, "hostIPs": [{"ip": host}], "podIP": ip, "podIPs": [{"ip": ip}]}


def _container_base(pod: Mapping[str, Any], container: Mapping[str, Any], restarts: int) -> Obj:
    name, image = str(container.get("name", "")), str(container.get("image", ""))
    uid = meta_of(pod).get("uid") or meta_of(pod).get("name")
    return {
        "name": name,
        "image": image,
        "imageID": f"sha256:{_hex(image)}",
        "containerID": f"containerd://{_hex(f'{uid}/{name}/{restarts}')}",
        "restartCount": restarts,
    }


def _started_at(previous: Mapping[str, Any] | None, fallback: str) -> str:
    running = ((previous or {}).get("state") or {}).get("running") or {}
    started = running.get("startedAt")
    return started if isinstance(started, str) and started else fallback


def _unready(names: list[str]) -> str:
    return f"containers with unready status: [{' '.join(names)}]"


def _pod_conditions(pod: Mapping[str, Any], now: str, *, ready: bool, reason: str, names: list[str]) -> Obj:
    status, why = ("True", None) if ready else ("False", reason)
    message = None if ready or reason == "PodCompleted" else _unready(names)
    return {
        "conditions": set_conditions(
            status_of(pod).get("conditions") or (),
            (
                ("PodScheduled", "True", None, None),
                ("Initialized", "True", None, None),
                ("ContainersReady", status, why, message),
                ("Ready", status, why, message),
            ),
            now,
        )
    }


def _init_statuses(pod: Mapping[str, Any], now: str) -> Obj:
    """Init containers as run to completion (sidecars — restartPolicy Always — still running)."""
    previous = _previous(pod, "initContainerStatuses")
    statuses = []
    for container in _containers(pod, "initContainers"):
        old = previous.get(str(container.get("name", "")))
        entry = _container_base(pod, container, int((old or {}).get("restartCount") or 0))
        if container.get("restartPolicy") == "Always":
            entry |= {"ready": True, "started": True, "state": {"running": {"startedAt": now}}}
        else:
            finished = {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}
            entry |= {"ready": True, "started": False, "state": {"terminated": finished}}
        statuses.append(entry)
    return {"initContainerStatuses": statuses} if statuses else {}


def _start_time(pod: Mapping[str, Any], now: str) -> str:
    current = status_of(pod).get("startTime")
    return current if isinstance(current, str) and current else now


# -- pod renderers ----------------------------------------------------------------------------------


def _run(pod: Mapping[str, Any], ctx: Context, *, ready: bool) -> Output:
    now = format_time(ctx.now)
    previous = _previous(pod)
    statuses = []
    for container in _containers(pod):
        old = previous.get(str(container.get("name", "")))
        entry = _container_base(pod, container, int((old or {}).get("restartCount") or 0))
        if old and old.get("lastState"):
            entry["lastState"] = old["lastState"]
        entry |= {"ready": ready, "started": True, "state": {"running": {"startedAt": _started_at(old, now)}}}
        statuses.append(entry)
    status = _live_status(pod, ctx, now, "Running", statuses, ready=ready)
    status |= _init_statuses(pod, now)
    return Output(status)


def render_running(pod: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    return _run(pod, ctx, ready=False)


def render_ready(pod: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    return _run(pod, ctx, ready=True)


def _terminate(pod: Mapping[str, Any], ctx: Context, *, phase: str, code: int, reason: str) -> Output:
    now = format_time(ctx.now)
    previous = _previous(pod)
    statuses = []
    for container in _containers(pod):
        old = previous.get(str(container.get("name", "")))
        entry = _container_base(pod, container, int((old or {}).get("restartCount") or 0))
        started = _started_at(old, _start_time(pod, now))
        finished = {"exitCode": code, "reason": reason, "startedAt": started, "finishedAt": now}
        entry |= {"ready": False, "started": False, "state": {"terminated": finished}}
        statuses.append(entry)
    names = [s["name"] for s in statuses]
    status: Obj = {"phase": phase}
    status |= _pod_conditions(pod, now, ready=False, reason="PodCompleted", names=names)
    status["containerStatuses"] = statuses
    return Output(status)


def render_failed(pod: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    return _terminate(pod, ctx, phase="Failed", code=1, reason="Error")


def render_stopped(pod: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    return _terminate(pod, ctx, phase="Succeeded", code=0, reason="Completed")


def render_restart(pod: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    now = format_time(ctx.now)
    previous = _previous(pod)
    statuses = []
    for container in _containers(pod):
        old = previous.get(str(container.get("name", ""))) or {}
        restarts = int(old.get("restartCount") or 0) + 1
        entry = _container_base(pod, container, restarts)
        ended = {"exitCode": 1, "reason": "Error", "startedAt": _started_at(old, now), "finishedAt": now}
        entry |= {
            "ready": False,
            "started": True,
            "lastState": {"terminated": ended},
            "state": {"running": {"startedAt": now}},
        }
        statuses.append(entry)
    return Output(_live_status(pod, ctx, now, "Running", statuses, ready=False))


def render_image_pull_error(pod: Mapping[str, Any], ctx: Context, params: Params) -> Output:
    now = format_time(ctx.now)
    reason = str(params.get("reason", "ErrImagePull"))
    unpullable = re.compile(str(params.get("images", UNPULLABLE_IMAGES)))
    previous = _previous(pod)
    statuses = []
    for container in _containers(pod):
        old = previous.get(str(container.get("name", "")))
        entry = _container_base(pod, container, int((old or {}).get("restartCount") or 0))
        entry.pop("imageID")
        entry.pop("containerID")
        image = entry["image"]
        if unpullable.search(image):
            waiting = {"reason": reason, "message": _PULL_MESSAGES[reason].format(image=image)}
        else:
            waiting = {"reason": "ContainerCreating"}
        entry |= {"ready": False, "started": False, "state": {"waiting": waiting}}
        statuses.append(entry)
    return Output(_live_status(pod, ctx, now, "Pending", statuses, ready=False))


def _live_status(
    pod: Mapping[str, Any], ctx: Context, now: str, phase: str, statuses: list[Obj], *, ready: bool
) -> Obj:
    """A started pod's status: its phase, start time, addresses, conditions and container statuses."""
    names = [s["name"] for s in statuses]
    status: Obj = {"phase": phase, "startTime": _start_time(pod, now)}
    status |= _addressing(pod, ctx)
    status |= _pod_conditions(pod, now, ready=ready, reason="ContainersNotReady", names=names)
    status["containerStatuses"] = statuses
    return status


RENDERERS: dict[str, Renderer] = {
    renderer.name: renderer
    for renderer in (
        Renderer("running", POD, render_running),
        Renderer("ready", POD, render_ready),
        Renderer("failed", POD, render_failed),
        Renderer("stopped", POD, render_stopped),
        Renderer("restart", POD, render_restart),
        Renderer(
            "image-pull-error", POD, render_image_pull_error, {"reason": _pull_reason, "images": _regex}
        ),
        Renderer(
            "node-ready",
            NODE,
            render_node_ready,
            {
                "capacity": _quantities,
                "allocatable": _quantities,
                "nodeInfo": _string_map,
                "labels": _string_map,
            },
        ),
        Renderer("node-heartbeat", NODE, render_node_heartbeat),
    )
}
