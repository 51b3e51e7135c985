"""Recording core/v1 Events about objects, as controllers do (``SuccessfulCreate`` on a DaemonSet…).

Repeats are aggregated as upstream's event correlator does in its simplest form: the same
(object, type, reason, message) within the cache's memory increments ``count`` and moves
``lastTimestamp`` on the existing Event instead of creating another one. Recording never raises:
an event that cannot be written is logged and dropped, because events must not break a controller.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r

log = logging.getLogger(__name__)
Obj = dict[str, Any]
NORMAL, WARNING = "Normal", "Warning"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class EventRecorder:
    def __init__(self, client: RestClient, component: str, *, cache_size: int = 4096) -> None:
        self.events = client.resource(r.EVENTS)
        self.component = component
        self.cache_size = cache_size
        self._seen: OrderedDict[tuple[str, ...], tuple[str, str, int]] = OrderedDict()

    async def event(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") or "default"
        key = (meta.get("uid", ""), event_type, reason, message)
        now = _now()
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
