"""``pods/<name>/log`` for simulated pods, and a clear refusal of ``exec``, ``attach`` and
``portforward``: the containers of a simulated pod run nowhere, so what a kubelet would read from
their output is told from the pod's lifecycle as its status records it — when each run started, on
which node, with which image, how it ended and whether a failure was injected.

Query parameters as upstream's ``PodLogOptions``: ``container``, ``previous``, ``timestamps``,
``tailLines``, ``sinceSeconds``, ``limitBytes``, ``follow`` (the stream then stays open, telling each
restart and exit as the pod's status shows them, until the pod is gone or the client leaves).
Refusals are upstream's 400s, word for word where upstream has one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from everynode.apiserver.request import options as request_options
from everynode.apiserver.request.http import ApiRequest
from everynode.apiserver.watch.cache import WatchCache
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.timestamps import parse_time
from everynode.core.types import Obj

FOLLOW_POLL = 1.0  # seconds between two looks at the pod while following
Line = tuple[str, str]  # (RFC 3339 timestamp, text)
CONNECT = {"exec": "execute commands in", "attach": "attach to", "portforward": "forward ports to"}


def _statuses(pod: Mapping[str, Any]) -> dict[str, Obj]:
    status = pod.get("status") or {}
    found: dict[str, Obj] = {}
    for field in ("initContainerStatuses", "containerStatuses"):
        for entry in status.get(field) or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                found[entry["name"]] = entry
    return found


def choose_container(pod: Mapping[str, Any], requested: str) -> str:
    """The container a log request is for (upstream's rules and 400s when it cannot tell)."""
    spec, name = pod.get("spec") or {}, (pod.get("metadata") or {}).get("name", "")
    containers = [c.get("name", "") for c in spec.get("containers") or [] if isinstance(c, dict)]
    inits = [c.get("name", "") for c in spec.get("initContainers") or [] if isinstance(c, dict)]
    if requested:
        if requested not in containers and requested not in inits:
            raise errors.BadRequest(f"container {requested} is not valid for pod {name}")
        return requested
    if len(containers) == 1:
        return str(containers[0])
    message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
    if inits:
        message += f" or one of the init containers: [{' '.join(inits)}]"
    raise errors.BadRequest(message)


def _run_lines(pod: Mapping[str, Any], container: str, entry: Obj, state: Obj, restart: int) -> list[Line]:
    """What one run of ``container`` (``state``: its running or terminated state) printed."""
    meta = pod.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    node = (pod.get("spec") or {}).get("nodeName", "")
    started = str(state.get("startedAt") or "")
    lines: list[Line] = [
        (
            started,
            f'everynode: container "{container}" started on node {node} (image {entry.get("image", "")})',
        ),
        (
            started,
            "everynode: a simulated container: no process runs; this log is told from the pod's status",
        ),
    ]
    if restart:
        lines.append((started, f"everynode: restart {restart}"))
    if annotations.get(wellknown.SIM_READY) == "never":
        lines.append((started, f"everynode: readiness never succeeds ({wellknown.SIM_READY}: never)"))
    if "finishedAt" in state or "exitCode" in state:
        finished = str(state.get("finishedAt") or started)
        reason, code = state.get("reason", ""), state.get("exitCode", 0)
        injected = annotations.get(wellknown.SIM_FAIL_AFTER)
        if injected and code:
            lines.append((finished, f"everynode: failure injected ({wellknown.SIM_FAIL_AFTER}: {injected})"))
        lines.append((finished, f"everynode: container exited: {reason or 'Completed'} (exit code {code})"))
    return lines


def log_lines(pod: Mapping[str, Any], container: str, *, previous: bool) -> list[Line]:
    """The lines of ``container``'s current run (or, ``previous``, of the run before it)."""
    name = (pod.get("metadata") or {}).get("name", "")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.BadRequest(f"pod {name} does not have a host assigned")
    entry = _statuses(pod).get(container)
    if entry is None:
        raise errors.BadRequest(
            f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'
        )
    restarts = int(entry.get("restartCount") or 0)
    if previous:
        last = (entry.get("lastState") or {}).get("terminated")
        if not isinstance(last, dict):
            raise errors.BadRequest(f'previous terminated container "{container}" in pod "{name}" not found')
        return _run_lines(pod, container, entry, last, max(restarts - 1, 0))
    state = entry.get("state") or {}
    current = state.get("running") or state.get("terminated")
    if not isinstance(current, dict):
        waiting = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise errors.BadRequest(f'container "{container}" in pod "{name}" is waiting to start: {waiting}')
    return _run_lines(pod, container, entry, current, restarts)


def _number(request: ApiRequest, name: str) -> int | None:
    text = request.query.get(name)
    return None if text is None else request_options.integer(text, name)


def _text(lines: list[Line], stamped: bool) -> bytes:
    return "".join(f"{at} {text}\n" if stamped else f"{text}\n" for at, text in lines).encode()


def render(lines: list[Line], request: ApiRequest, now: float) -> bytes:
    """``lines`` as the client asked: since, tail, timestamps, byte limit."""
    since = _number(request, "sinceSeconds")
    if since is not None:
        lines = [(at, text) for at, text in lines if (parse_time(at) or now) >= now - since]
    tail = _number(request, "tailLines")
    if tail is not None:
        lines = lines[-tail:] if tail else []
    data = _text(lines, request_options.flag(request, "timestamps"))
    limit = _number(request, "limitBytes")
    return data if limit is None else data[:limit]


async def serve_log(request: ApiRequest, namespace: str, name: str, cache: WatchCache) -> web.StreamResponse:
    pod = cache.get(r.PODS.key(namespace, name))
    if pod is None:
        raise errors.not_found("pods", "", name)
    container = choose_container(pod, request.query.get("container", ""))
    previous = request_options.flag(request, "previous")
    lines = log_lines(pod, container, previous=previous)
    now = time.time()
    if not request_options.flag(request, "follow") or previous or not isinstance(request, web.BaseRequest):
        return web.Response(body=render(lines, request, now), content_type="text/plain")
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    await response.write(render(lines, request, now))
    seen = set(lines)
    while True:
        await asyncio.sleep(FOLLOW_POLL)
        pod = cache.get(r.PODS.key(namespace, name))
        if pod is None:
            break
        try:
            fresh = log_lines(pod, container, previous=False)
        except errors.BadRequest:
            continue  # restarting: waiting again
        new = [line for line in fresh if line not in seen]
        seen.update(new)
        if new:
            await response.write(_text(new, request_options.flag(request, "timestamps")))
    await response.write_eof()
    return response


def refuse_connect(namespace: str, name: str, subresource: str, cache: WatchCache) -> errors.ApiError:
    """``exec``, ``attach`` and ``portforward`` on a simulated pod: a Status, not a dropped connection
    (404 for a pod that does not exist, as upstream answers)."""
    if cache.get(r.PODS.key(namespace, name)) is None:
        return errors.not_found("pods", "", name)
    return errors.BadRequest(
        f"pod {namespace}/{name} is simulated by everynode: its containers run nowhere, "
        f"so there is nothing to {CONNECT[subresource]}"
    )
