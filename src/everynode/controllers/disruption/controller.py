"""The disruption controller's I/O shell: read a budget and its namespace's pods from the caches, find
the scale of the selected pods' controllers (the cache finders of ``finders``, then the scale
subresource through ``scalefinder``), ask ``budget.decide``, write the status when it changed, record
the events (upstream's ``sync`` / ``trySync``).

A sync that fails safe is done, as upstream's is, once its status is written — except when a finder
met an API error, which may pass: then the key is retried with backoff. A Conflict on the status write
is a routine retry (the eviction handler changed the budget meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from everynode.controllers.disruption.budget import RefKey, controllers_to_find, decide, ref_key
from everynode.controllers.disruption.finders import Caches, Failed, FinderError, Finding, find_cached
from everynode.controllers.disruption.scalefinder import ScaleFinder, TransientFinderError
from everynode.core import errors
from everynode.core.clock import Clock
from everynode.core.types import Obj
from everynode.runtime.result import DONE, Result, failed, requeue_after


class Store(Protocol):
    def get(self, key: str) -> Obj | None: ...

    def by_index(self, index: str, value: str) -> list[Obj]: ...


class BudgetApi(Protocol):
    async def update_status(self, obj: Obj) -> Obj: ...


class EventSink(Protocol):
    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None: ...


class DisruptionController:
    def __init__(
        self,
        api: BudgetApi,
        events: EventSink,
        *,
        budgets: Store,
        pods: Store,
        caches: Caches,
        scales: ScaleFinder,
        clock: Clock,
    ) -> None:
        self.api, self.events, self.clock = api, events, clock
        self.budgets, self.pods, self.caches, self.scales = budgets, pods, caches, scales

    async def find(self, ref: Mapping[str, Any], namespace: str) -> Finding:
        """The controller ``ref`` names and its scale: the caches first, then the scale subresource."""
        try:
            return find_cached(ref, namespace, self.caches) or await self.scales.find(ref, namespace)
        except FinderError as exc:
            return Failed(str(exc), transient=isinstance(exc, TransientFinderError))

    async def reconcile(self, key: str) -> Result:
        pdb = self.budgets.get(key)
        if pdb is None:
            return DONE
        namespace = str(pdb["metadata"].get("namespace", ""))
        pods = self.pods.by_index("namespace", namespace)
        findings: dict[RefKey, Finding] = {}
        for ref in controllers_to_find(pdb, pods):
            finding = findings[ref_key(ref)] = await self.find(ref, namespace)
            if isinstance(finding, Failed) or finding is None:
                break  # the sync fails at this pod: later controllers need not be looked up
        decision = decide(pdb, pods, findings, self.clock.wall())
        for event_type, reason, message in decision.events:
            self.events.emit(pdb, event_type, reason, message)
        if decision.status != (pdb.get("status") or {}):
            try:
                await self.api.update_status({**pdb, "status": decision.status})
            except errors.NotFound:
                return DONE
            except errors.ApiError as exc:
                return failed(exc, routine=isinstance(exc, errors.Conflict))
        if decision.failure is not None and decision.failure.transient:
            return failed(decision.failure)
        return DONE if decision.recheck_after is None else requeue_after(decision.recheck_after)
