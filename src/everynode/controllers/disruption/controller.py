"""The disruption controller's I/O shell: read a budget and its namespace's pods from the caches,
ask ``budget.decide``, write the status when it changed, record the events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from everynode.controllers.disruption.budget import decide
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
        statefulsets: Store,
        clock: Clock,
    ) -> None:
        self.api, self.events, self.clock = api, events, clock
        self.budgets, self.pods, self.statefulsets = budgets, pods, statefulsets

    def scale(self, namespace: str) -> Any:
        """The scale of a controller a pod in ``namespace`` names: a StatefulSet's replicas."""

        def of(ref: Mapping[str, Any]) -> int | None:
            if ref.get("kind") != "StatefulSet" or not str(ref.get("apiVersion", "")).startswith("apps/"):
                return None
            sts = self.statefulsets.get(f"{namespace}/{ref.get('name', '')}")
            if sts is None or (sts.get("metadata") or {}).get("uid") != ref.get("uid"):
                return None
            return int((sts.get("spec") or {}).get("replicas", 1) or 0)

        return of

    async def reconcile(self, key: str) -> Result:
        pdb = self.budgets.get(key)
        if pdb is None:
            return DONE
        namespace = str(pdb["metadata"].get("namespace", ""))
        decision = decide(
            pdb, self.pods.by_index("namespace", namespace), self.scale(namespace), self.clock.wall()
        )
        for event_type, reason, message in decision.events:
            self.events.emit(pdb, event_type, reason, message)
        if decision.status != (pdb.get("status") or {}):
            try:
                await self.api.update_status({**pdb, "status": decision.status})
            except errors.NotFound:
                return DONE
            except errors.ApiError as exc:
                return failed(exc, routine=isinstance(exc, errors.Conflict))
        return DONE if decision.recheck_after is None else requeue_after(decision.recheck_after)
