"""Expectations, as upstream controllers keep them (``pkg/controller/controller_utils.go``).

Before a controller creates or deletes N pods for a key, it records that it expects to observe N
adds or deletes; each one seen through the informer lowers the count. Until the counts reach zero
(or the record is older than ``timeout`` — a watch event may never come), the controller must not
act on that key again, or it would act twice on a state its own writes have not reached yet.

``Expectations`` counts (upstream ``ControllerExpectations``). ``UIDTrackingExpectations`` also
remembers *which* pods it waits to see deleted (upstream ``UIDTrackingControllerExpectations``): a
graceful deletion is seen twice — as the update that sets ``deletionTimestamp``, then as the delete
itself — and only the first sighting of an awaited pod may lower the count, or the owner would act
again before its other deletions were observed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from everynode.core.clock import Clock

EXPECTATIONS_TIMEOUT = 300.0  # upstream's ExpectationsTimeout: 5 minutes


@dataclass(slots=True)
class _Record:
    adds: int
    deletes: int
    since: float


class Expectations:
    def __init__(self, clock: Clock, *, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.clock = clock
        self.timeout = timeout
        self._records: dict[Hashable, _Record] = {}

    def expect(self, key: Hashable, *, adds: int = 0, deletes: int = 0) -> None:
        """Replace the key's expectations (set them before the writes are sent)."""
        self._records[key] = _Record(adds, deletes, self.clock.now())

    def raise_expectations(self, key: Hashable, *, adds: int = 0, deletes: int = 0) -> None:
        record = self._records.get(key)
        if record is None:
            self.expect(key, adds=adds, deletes=deletes)
        else:
            record.adds += adds
            record.deletes += deletes

    def creation_observed(self, key: Hashable) -> None:
        self._lower(key, adds=1)

    def deletion_observed(self, key: Hashable) -> None:
        self._lower(key, deletes=1)

    def _lower(self, key: Hashable, *, adds: int = 0, deletes: int = 0) -> None:
        record = self._records.get(key)
        if record is not None:
            record.adds -= adds
            record.deletes -= deletes

    def satisfied(self, key: Hashable) -> bool:
        """Whether the controller may sync ``key``: nothing outstanding, nothing recorded, or expired."""
        record = self._records.get(key)
        if record is None:
            return True
        if record.adds <= 0 and record.deletes <= 0:
            return True
        return self.clock.now() - record.since > self.timeout

    def pending(self, key: Hashable) -> tuple[int, int]:
        record = self._records.get(key)
        return (max(record.adds, 0), max(record.deletes, 0)) if record else (0, 0)

    def forget(self, key: Hashable) -> None:
        """The object is gone: drop its expectations."""
        self._records.pop(key, None)

    def __contains__(self, key: object) -> bool:
        """Whether anything is recorded for ``key`` (until it is forgotten)."""
        return key in self._records


def pod_key(pod: Mapping[str, Any]) -> str:
    """Upstream ``PodKey``: ``namespace/name``, how ``UIDTrackingExpectations`` names a pod."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


class UIDTrackingExpectations(Expectations):
    """Counts, plus the keys of the pods whose deletion each owner awaits (upstream
    ``UIDTrackingControllerExpectations``). Each ``expect_*`` replaces what was recorded for the key.

    Invariant: a key's deletions awaited are its tracked pods not yet observed — unless a caller that
    cannot name the pod (the bench's in-memory API) reports a keyless ``deletion_observed``, which
    lowers the count only, as ``Expectations`` does."""

    def __init__(self, clock: Clock, *, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        super().__init__(clock, timeout=timeout)
        self._deleting: dict[Hashable, set[str]] = {}

    def expect_pods(self, key: Hashable, *, adds: int = 0, deleting: Iterable[str] = ()) -> None:
        """Await ``adds`` creations and the deletion of exactly the pods keyed ``deleting``
        (upstream ``SetExpectations`` with the deleted keys, as ``ExpectDeletions`` records them)."""
        keys = set(deleting)
        self._deleting[key] = keys
        super().expect(key, adds=adds, deletes=len(keys))

    def expect_creations(self, key: Hashable, adds: int) -> None:
        """Upstream ``ExpectCreations``."""
        self.expect_pods(key, adds=adds)

    def expect_deletions(self, key: Hashable, pod_keys: Iterable[str]) -> None:
        """Upstream ``ExpectDeletions``."""
        self.expect_pods(key, deleting=pod_keys)

    def expect(self, key: Hashable, *, adds: int = 0, deletes: int = 0) -> None:
        """Counts only: no pod is tracked for ``key`` until the next ``expect_pods``."""
        self._deleting.pop(key, None)
        super().expect(key, adds=adds, deletes=deletes)

    def deletion_observed(self, key: Hashable, pod_key: str | None = None) -> None:
        """The deletion of pod ``pod_key`` was seen: the count drops only if ``key`` awaits that pod,
        and only the first time (upstream ``DeletionObserved``)."""
        if pod_key is None:
            self._lower(key, deletes=1)
            return
        waiting = self._deleting.get(key)
        if waiting and pod_key in waiting:
            waiting.discard(pod_key)
            record = self._records.get(key)  # _lower, inlined: this runs for every observed deletion
            if record is not None:
                record.deletes -= 1

    def awaited_deletions(self, key: Hashable) -> frozenset[str]:
        """The keys of the pods whose deletion ``key`` still awaits (upstream ``GetUIDs``)."""
        return frozenset(self._deleting.get(key, ()))

    def forget(self, key: Hashable) -> None:
        """Upstream ``DeleteExpectations``: the owner is gone."""
        self._deleting.pop(key, None)
        super().forget(key)
