"""Recording core/v1 Events about objects, as controllers do (``SuccessfulCreate`` on a DaemonSet…).

Repeats are aggregated as upstream's event correlator does in its simplest form: the same
(object, type, reason, message) within the cache's memory increments ``count`` and moves
``lastTimestamp`` on the existing Event instead of creating another one. Recording never raises:
an event that cannot be written is logged and dropped, because events must not break a controller.

``emit`` is what controllers call: it returns at once, and one background task writes the events in
order. Like upstream's spam filter, each object may emit a burst of 25 events and then one every five
minutes; the rest are dropped (a DaemonSet creating 5,000 pods must not write 5,000 events).

Events are written on a budget of their own, ``EVENT_QPS`` a second with bursts of ``EVENT_BURST``
(upstream's kubelet ``--event-qps``/``--event-burst`` defaults; the scheduler writes its events
through a client of its own with the same 50/100). Events are best-effort telemetry, and without a
budget a scheduler placing 250 pods a second made a seventh of the API server's writes
``Scheduled`` events while the pods waited. At most ``MAX_QUEUED_EVENTS`` wait for the budget (upstream's
``maxQueuedEvents``); beyond that new events are dropped and counted, so a long burst costs neither
unbounded memory nor a backlog that lasts for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.clock import Clock, RealClock
from everynode.core.timestamps import now_time
from everynode.core.tokenbucket import TokenBucket
from everynode.core.types import Obj

log = logging.getLogger(__name__)
NORMAL, WARNING = "Normal", "Warning"
SPAM_BURST = 25
SPAM_QPS = 1 / 300
EVENT_QPS = 50.0
EVENT_BURST = 100
MAX_QUEUED_EVENTS = 1000
WRITERS = 16  # events written at once; one object's events always go through the same writer, in order


class EventRecorder:
    def __init__(
        self,
        client: RestClient,
        component: str,
        *,
        cache_size: int = 4096,
        clock: Clock | None = None,
        qps: float = EVENT_QPS,
        burst: int = EVENT_BURST,
        max_queued: int = MAX_QUEUED_EVENTS,
    ) -> None:
        self.events = client.resource(r.EVENTS)
        self.component = component
        self.cache_size = cache_size
        self.clock = clock or RealClock()
        self._seen: OrderedDict[tuple[str, ...], tuple[str, str, int]] = OrderedDict()
        self._spam: OrderedDict[str, TokenBucket] = OrderedDict()
        self._budget = TokenBucket(self.clock, qps, burst)
        self.max_queued = max_queued
        self.queued = 0
        self._pending = [asyncio.Queue[tuple[Obj, str, str, str]]() for _ in range(WRITERS)]
        self._writers: list[asyncio.Task[None] | None] = [None] * WRITERS
        self.dropped = 0  # spam: over one object's allowance
        self.overflowed = 0  # over the queue's length while the budget held writes back

    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        """Record without waiting: queued for the background writer, or dropped as spam or overflow."""
        if not self._allowed(obj):
            self.dropped += 1
            return
        if self.queued >= self.max_queued:
            if self.overflowed % 1000 == 0:
                log.warning("%s: %d events queued, dropping new ones", self.component, self.queued)
            self.overflowed += 1
            return
        self.queued += 1
        meta = obj.get("metadata", {})
        lane = hash(meta.get("uid") or meta.get("name", "")) % WRITERS
        self._pending[lane].put_nowait((obj, event_type, reason, message))
        writer = self._writers[lane]
        if writer is None or writer.done():
            self._writers[lane] = asyncio.get_running_loop().create_task(
                self._write(self._pending[lane]), name=f"event-recorder-{lane}"
            )

    async def flush(self) -> None:
        """Wait until every emitted event has been written (or given up on)."""
        for pending in self._pending:
            await pending.join()

    async def close(self) -> None:
        for writer in self._writers:
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer

    async def _write(self, pending: asyncio.Queue[tuple[Obj, str, str, str]]) -> None:
        while True:
            obj, event_type, reason, message = await pending.get()
            try:
                await self._budget.acquire()
                await self.event(obj, event_type, reason, message)
            finally:
                self.queued -= 1
                pending.task_done()

    def _allowed(self, obj: Obj) -> bool:
        meta = obj.get("metadata", {})
        key = meta.get("uid") or f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}"
        bucket = self._spam.get(key)
        if bucket is None:
            bucket = self._spam[key] = TokenBucket(self.clock, SPAM_QPS, SPAM_BURST)
            while len(self._spam) > self.cache_size:
                self._spam.popitem(last=False)
        self._spam.move_to_end(key)
        return bucket.try_acquire()

    async def event(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") or "default"
        key = (meta.get("uid", ""), event_type, reason, message)
        now = now_time()
        try:
            seen = self._seen.get(key)
            if seen is not None:
                name, event_namespace, count = seen
                try:
                    await self.events.patch(name, {"count": count + 1, "lastTimestamp": now}, event_namespace)
                    self._remember(key, (name, event_namespace, count + 1))
                    return
                except errors.NotFound:
                    self._seen.pop(key, None)
            name = f"{meta.get('name', 'object')}.{time.time_ns():x}"
            await self.events.create(
                {
                    "metadata": {"name": name, "namespace": namespace},
                    "involvedObject": {
                        "kind": obj.get("kind", ""),
                        "apiVersion": obj.get("apiVersion", ""),
                        "name": meta.get("name", ""),
                        "namespace": meta.get("namespace", ""),
                        "uid": meta.get("uid", ""),
                        "resourceVersion": meta.get("resourceVersion", ""),
                    },
                    "reason": reason,
                    "message": message,
                    "type": event_type,
                    "source": {"component": self.component},
                    "reportingComponent": self.component,
                    "firstTimestamp": now,
                    "lastTimestamp": now,
                    "count": 1,
                },
                namespace,
            )
            self._remember(key, (name, namespace, 1))
        except errors.ApiError as exc:
            log.warning("could not record event %s/%s on %s: %s", event_type, reason, meta.get("name"), exc)

    def _remember(self, key: tuple[str, ...], value: tuple[str, str, int]) -> None:
        self._seen[key] = value
        self._seen.move_to_end(key)
        while len(self._seen) > self.cache_size:
            self._seen.popitem(last=False)
