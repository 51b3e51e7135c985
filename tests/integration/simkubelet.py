"""Just enough of a kubelet for controller tests: bind, start, become Ready, finish graceful deletes.

Test scaffolding (the real node agent comes with the cluster issue): one watch over all pods; a pod
pinned to a node by the DaemonSet's affinity is bound there, then marked Running and Ready; a bound
pod with a deletionTimestamp is deleted with grace 0, as a kubelet does once containers stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.nodeaffinity import pinned_node_name
from everynode.core.pods import is_ready
from everynode.core.timestamps import format_time
from everynode.core.types import Obj

log = logging.getLogger(__name__)


class SimKubelet:
    def __init__(self, client: RestClient, *, concurrency: int = 32) -> None:
        self.client = client
        self.pods = client.resource(r.PODS)
        self.limit = asyncio.Semaphore(concurrency)
        self.inflight: set[str] = set()
        self.latest: dict[str, Obj] = {}  # newest version seen of every pod a step is working on
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        version = ""
        while True:
            try:
                if not version:
                    listed = await self.pods.list()
                    version = listed["metadata"]["resourceVersion"]
                    for pod in listed["items"]:
                        self._handle(pod)
                async for event in self.pods.watch(resource_version=version, allow_bookmarks=True):
                    obj = event.get("object") or {}
                    version = obj.get("metadata", {}).get("resourceVersion", version)
                    if event.get("type") in ("ADDED", "MODIFIED"):
                        self._handle(obj)
                    elif event.get("type") == "DELETED":
                        meta = obj.get("metadata", {})
                        self.latest.pop(f"{meta.get('namespace')}/{meta.get('name')}", None)
            except errors.Gone:
                version = ""
            except errors.ApiError as exc:
                log.warning("sim kubelet watch: %s", exc)
                await asyncio.sleep(0.1)

    def _handle(self, pod: Obj) -> None:
        meta = pod["metadata"]
        key = f"{meta['namespace']}/{meta['name']}"
        if key in self.inflight:
            self.latest[key] = pod  # looked at again when the current step is over
            return
        if meta.get("deletionTimestamp"):
            step = self._finish_delete
        elif not pod["spec"].get("nodeName"):
            step = self._bind
        elif not is_ready(pod):
            step = self._start
        else:
            return
        self.inflight.add(key)
        task = asyncio.get_running_loop().create_task(self._guarded(key, step, pod))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _guarded(self, key: str, step: Any, pod: Obj) -> None:
        try:
            async with self.limit:
                await step(pod)
        except (errors.NotFound, errors.Conflict):
            pass
        except errors.ApiError as exc:
            log.warning("sim kubelet %s: %s", key, exc)
        finally:
            self.inflight.discard(key)
            newer = self.latest.pop(key, None)
            if newer is not None:
                self._handle(newer)

    async def _bind(self, pod: Obj) -> None:
        node = pinned_node_name(pod)
        if not node:
            return
        meta = pod["metadata"]
        await self.client.request(
            "POST",
            f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding",
            body={
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": meta["name"]},
                "target": {"kind": "Node", "name": node},
            },
        )

    async def _start(self, pod: Obj) -> None:
        now = format_time(time.time())
        meta = pod["metadata"]
        status = {
            "phase": "Running",
            "startTime": now,
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                {"type": "Ready", "status": "True", "lastTransitionTime": now},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
            ],
        }
        await self.pods.patch(meta["name"], {"status": status}, meta["namespace"], subresource="status")

    async def _finish_delete(self, pod: Obj) -> None:
        meta = pod["metadata"]
        await self.pods.delete(meta["name"], meta["namespace"], grace_period_seconds=0)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
