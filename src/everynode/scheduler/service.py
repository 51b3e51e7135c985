"""The scheduler wired to a live API server: two informers, the cache, the queue, the workers.

- The pod informer (all namespaces) feeds the cache with bound pods and queues every pod this
  scheduler is responsible for: no ``spec.nodeName``, not being deleted, not finished, and
  ``spec.schedulerName`` equal to ours (empty counts as ``default-scheduler``).
- A worker takes a pod key, decides (``decide``), assumes the pod on the chosen node in the cache,
  then writes ``pods/<name>/binding``. A Conflict or NotFound answer means someone else bound or
  deleted the pod first: the assumption is dropped and nothing is retried. Other failures drop the
  assumption and retry the pod with a per-pod backoff.
- A pod that fits nowhere gets a ``FailedScheduling`` event and ``PodScheduled=False`` (reason
  ``Unschedulable``) and is parked. It goes back to the queue when something that could make it fit
  happens: a node it may use is added, or changes labels, taints, cordon or allocatable; a pod on such
  a node goes away or finishes; an assumed pod is forgotten; the pod itself changes. Pods pinned to
  nodes by name are woken only by events on those nodes. After each failed attempt a pod waits
  1 s, 2 s, 4 s … (at most 10 s) before it is tried again, and every parked pod is retried anyway
  once it has waited ``retry_unschedulable_after`` seconds (upstream waits five minutes).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.pods import is_deleting, is_terminal
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.informers.store import object_key
from everynode.runtime.events import NORMAL, WARNING, EventRecorder
from everynode.runtime.manager import Every, Manager, Workers
from everynode.runtime.result import DONE, Result, failed
from everynode.scheduler.cache import SchedulerCache
from everynode.scheduler.decide import Unschedulable, decide
from everynode.scheduler.filters import candidate_nodes
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import ItemExponentialFailureRateLimiter

log = logging.getLogger(__name__)
DEFAULT_SCHEDULER = "default-scheduler"
INITIAL_BACKOFF = 1.0  # upstream's podInitialBackoffSeconds
MAX_BACKOFF = 10.0  # podMaxBackoffSeconds
FLUSH_INTERVAL = 15.0  # how often parked pods are checked for having waited long enough
MAX_EVENT_MESSAGE = 1024  # upstream truncates event messages to this many characters


@dataclass(slots=True)
class _Parked:
    since: float
    candidates: frozenset[str] | None  # the only nodes that could take it; None: any node


def truncate(message: str, limit: int = MAX_EVENT_MESSAGE) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def backoff(attempts: int) -> float:
    """How long a pod waits after its ``attempts``-th failed attempt: 1 s doubling, at most 10 s."""
    if attempts <= 0:
        return 0.0
    return min(MAX_BACKOFF, INITIAL_BACKOFF * float(2 ** min(attempts - 1, 16)))


def scheduling_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Did a node change in a way that can make a pod fit (labels, taints, cordon, allocatable)?"""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    return (
        ((old.get("metadata") or {}).get("labels") or {}) != ((new.get("metadata") or {}).get("labels") or {})
        or (old_spec.get("taints") or []) != (new_spec.get("taints") or [])
        or bool(old_spec.get("unschedulable")) != bool(new_spec.get("unschedulable"))
        or ((old.get("status") or {}).get("allocatable") or {})
        != ((new.get("status") or {}).get("allocatable") or {})
    )


def _without_status(pod: Mapping[str, Any]) -> Obj:
    meta = {
        k: v
        for k, v in (pod.get("metadata") or {}).items()
        if k not in ("resourceVersion", "managedFields", "generation")
    }
    return {"metadata": meta, "spec": pod.get("spec")}


def _reference(pod: Mapping[str, Any]) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod.get("metadata") or {}}


class SchedulerService:
    def __init__(
        self,
        client: RestClient,
        manager: Manager,
        *,
        workers: int = 64,
        scheduler_name: str = DEFAULT_SCHEDULER,
        retry_unschedulable_after: float = 60.0,
    ) -> None:
        self.client = client
        self.clock = manager.clock
        self.scheduler_name = scheduler_name
        self.retry_unschedulable_after = retry_unschedulable_after
        self.informers = {
            "pods": manager.informers.informer(r.PODS),
            "nodes": manager.informers.informer(r.NODES),
        }
        self.cache = SchedulerCache()
        self.queue: RateLimitingQueue[str] = RateLimitingQueue(
            self.clock, ItemExponentialFailureRateLimiter(0.05, MAX_BACKOFF)
        )
        self.recorder = EventRecorder(client, DEFAULT_SCHEDULER, clock=self.clock)
        self._parked: dict[str, _Parked] = {}
        self._parked_on: dict[str, set[str]] = {}  # node → parked pods that can only use named nodes
        self._parked_anywhere: set[str] = set()
        self._attempts: dict[str, int] = {}
        self._last_attempt: dict[str, float] = {}
        self._next_start = 0
        self.bound = 0  # bindings written (for logs and tests)
        self.informers["pods"].add_handlers(self.on_pod_add, self.on_pod_update, self.on_pod_delete)
        self.informers["nodes"].add_handlers(self.on_node_add, self.on_node_update, self.on_node_delete)
        needs = self.informers.values()
        manager.add(Workers("scheduler", self.queue, self.schedule, workers), needs=needs)
        flush_every = min(FLUSH_INTERVAL, retry_unschedulable_after)
        manager.add(Every("scheduler-flush", flush_every, self.flush_parked, self.clock), needs=needs)
        manager.on_stop(self.recorder.close)

    # -- which pods are ours -----------------------------------------------------------------------

    def responsible_for(self, pod: Mapping[str, Any]) -> bool:
        spec = pod.get("spec") or {}
        return (
            not spec.get("nodeName")
            and not is_deleting(pod)
            and not is_terminal(pod)
            and (spec.get("schedulerName") or DEFAULT_SCHEDULER) == self.scheduler_name
        )

    @property
    def parked(self) -> frozenset[str]:
        """Keys of the pods waiting for the cluster to change."""
        return frozenset(self._parked)

    # -- informer handlers -------------------------------------------------------------------------

    def on_pod_add(self, pod: Obj) -> None:
        self.cache.upsert_pod(pod)
        if self.responsible_for(pod):
            self.queue.add(object_key(pod))

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        was_on = self.cache.placed_on(object_key(new))
        self.cache.upsert_pod(new)
        key = object_key(new)
        if self.responsible_for(new):
            # A status change (our own PodScheduled=False, say) changes no answer; the pod is already
            # queued, waiting out its backoff, or parked. A change to the pod itself is worth a try.
            if _without_status(old) != _without_status(new):
                if key in self._parked:
                    self._requeue(key)
                else:
                    self.queue.add(key)
            return
        self._drop(key)
        if was_on is not None and self.cache.placed_on(key) is None:
            self._wake(was_on)  # it finished: its node has room again

    def on_pod_delete(self, pod: Obj) -> None:
        key = object_key(pod)
        node = self.cache.remove_pod(pod)
        self._drop(key)
        if node is not None:
            self._wake(node)

    def on_node_add(self, node: Obj) -> None:
        self.cache.set_node(node)
        self._wake(str(node["metadata"]["name"]))

    def on_node_update(self, old: Obj, new: Obj) -> None:
        self.cache.set_node(new)
        if scheduling_changed(old, new):
            self._wake(str(new["metadata"]["name"]))

    def on_node_delete(self, node: Obj) -> None:
        self.cache.remove_node(str(node["metadata"]["name"]))

    # -- parking and waking ------------------------------------------------------------------------

    def _park(self, key: str, candidates: frozenset[str] | None) -> None:
        self._unpark(key)
        self._parked[key] = _Parked(self.clock.now(), candidates)
        if candidates is None:
            self._parked_anywhere.add(key)
        else:
            for name in candidates:
                self._parked_on.setdefault(name, set()).add(key)

    def _unpark(self, key: str) -> _Parked | None:
        parked = self._parked.pop(key, None)
        if parked is None:
            return None
        if parked.candidates is None:
            self._parked_anywhere.discard(key)
        else:
            for name in parked.candidates:
                keys = self._parked_on.get(name)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._parked_on[name]
        return parked

    def _drop(self, key: str) -> None:
        """The pod is no longer ours to schedule (bound, deleted, finished, or another scheduler's)."""
        self._unpark(key)
        self._attempts.pop(key, None)
        self._last_attempt.pop(key, None)

    def _requeue(self, key: str) -> None:
        """Back to the queue, once its backoff since the last attempt has passed."""
        self._unpark(key)
        last = self._last_attempt.get(key)
        delay = 0.0 if last is None else last + backoff(self._attempts.get(key, 0)) - self.clock.now()
        self.queue.add_after(key, delay)

    def _wake(self, node: str) -> None:
        """Something changed on ``node``: retry the parked pods that might now fit there."""
        if not self._parked:
            return
        for key in [*self._parked_anywhere, *self._parked_on.get(node, ())]:
            self._requeue(key)

    async def flush_parked(self) -> None:
        """Retry the pods parked for ``retry_unschedulable_after`` seconds or more."""
        due = self.clock.now() - self.retry_unschedulable_after
        for key in [k for k, parked in self._parked.items() if parked.since <= due]:
            self._requeue(key)

    # -- one attempt -------------------------------------------------------------------------------

    async def schedule(self, key: str) -> Result:
        """Decide and bind one pod (the worker's reconcile). A binding the server refused for a
        reason other than a lost race is retried with the pod's backoff."""
        pod = self.informers["pods"].store.get(key)
        if pod is None or not self.responsible_for(pod) or self.cache.is_assumed(key):
            return DONE
        snapshot = self.cache.snapshot()
        start = self._next_start
        decision = decide(pod, snapshot, start=start)
        self._last_attempt[key] = self.clock.now()
        if isinstance(decision, Unschedulable):
            await self._unschedulable(key, pod, decision.message)
            return DONE
        if len(snapshot):
            self._next_start = (start + decision.evaluated) % len(snapshot)
        node = decision.node
        self.cache.assume(pod, node)
        try:
            await self._bind(pod, node)
        except (errors.Conflict, errors.NotFound) as exc:
            log.info("scheduler: not binding %s to %s: %s", key, node, exc)
            self._forget(key)
            return DONE
        except errors.ApiError as exc:
            self._forget(key)
            return failed(exc)
        except BaseException:
            self._forget(key)
            raise
        self.bound += 1
        self._attempts.pop(key, None)
        meta = pod["metadata"]
        self.recorder.emit(
            _reference(pod),
            NORMAL,
            "Scheduled",
            f"Successfully assigned {meta.get('namespace', '')}/{meta.get('name', '')} to {node}",
        )
        return DONE

    async def _bind(self, pod: Mapping[str, Any], node: str) -> None:
        meta = pod["metadata"]
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace, "uid": meta.get("uid", "")},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        }
        await self.client.request("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/binding", body=binding)

    def _forget(self, key: str) -> None:
        node = self.cache.forget(key)
        if node is not None:
            self._wake(node)

    async def _unschedulable(self, key: str, pod: Obj, message: str) -> None:
        self._attempts[key] = self._attempts.get(key, 0) + 1
        self._park(key, candidate_nodes(pod))
        message = truncate(message)
        log.info("scheduler: %s is unschedulable: %s", key, message)
        self.recorder.emit(_reference(pod), WARNING, "FailedScheduling", message)
        await self._mark_unschedulable(pod, message)

    async def _mark_unschedulable(self, pod: Mapping[str, Any], message: str) -> None:
        """``PodScheduled=False``, reason ``Unschedulable``, unless the pod already says exactly that."""
        conditions = (pod.get("status") or {}).get("conditions") or []
        current = next((c for c in conditions if c.get("type") == "PodScheduled"), None) or {}
        if (current.get("status"), current.get("reason"), current.get("message")) == (
            "False",
            "Unschedulable",
            message,
        ):
            return
        transition = current.get("lastTransitionTime") if current.get("status") == "False" else None
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": transition or format_time(self.clock.wall()),
        }
        meta = pod["metadata"]
        try:
            await self.client.resource(r.PODS).patch(
                meta["name"],
                {"status": {"conditions": [condition]}},
                meta.get("namespace"),
                patch_type="strategic",
                subresource="status",
            )
        except (errors.Conflict, errors.NotFound):
            pass
        except errors.ApiError as exc:
            log.warning("scheduler: could not set PodScheduled=False on %s: %s", object_key(dict(pod)), exc)
