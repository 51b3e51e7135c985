"""Expectations that remember *which* pods a ReplicaSet is waiting to see deleted (upstream's
``UIDTrackingControllerExpectations``, ``pkg/controller/controller_utils.go``).

Counts come from ``runtime.expectations.Expectations``. Deletions are tracked by pod key
(``namespace/name``): a pod's deletion is seen twice — once as the update that sets its
``deletionTimestamp``, once as the delete itself — and only the first sighting of a pod the
controller asked to delete lowers the count. Without the keys a graceful deletion would be counted
twice and the ReplicaSet would act again before its other deletions were observed.
"""

from __future__ import annotations

from collections.abc import Iterable

from everynode.core.clock import Clock
from everynode.runtime.expectations import EXPECTATIONS_TIMEOUT, Expectations


class PodExpectations:
    def __init__(self, clock: Clock, *, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.counts = Expectations(clock, timeout=timeout)
        self._deleting: dict[str, set[str]] = {}
        self._recorded: set[str] = set()

    def expect_creations(self, key: str, adds: int) -> None:
        """Replace the key's expectations with ``adds`` creations (upstream ``ExpectCreations``)."""
        self.counts.expect(key, adds=adds)
        self._recorded.add(key)

    def expect_deletions(self, key: str, pod_keys: Iterable[str]) -> None:
        """Replace the key's expectations with the deletion of exactly these pods."""
        keys = set(pod_keys)
        self._deleting[key] = keys
        self.counts.expect(key, deletes=len(keys))
        self._recorded.add(key)

    def creation_observed(self, key: str) -> None:
        self.counts.creation_observed(key)

    def deletion_observed(self, key: str, pod_key: str) -> None:
        """Lower the deletions only for a pod this key is waiting for, and only once per pod."""
        waiting = self._deleting.get(key)
        if waiting is not None and pod_key in waiting:
            waiting.discard(pod_key)
            self.counts.deletion_observed(key)

    def satisfied(self, key: str) -> bool:
        return self.counts.satisfied(key)

    def pending(self, key: str) -> tuple[int, int]:
        """(creations, deletions) still awaited."""
        return self.counts.pending(key)

    def awaited_deletions(self, key: str) -> frozenset[str]:
        """The keys of the pods whose deletion is still awaited (upstream ``GetUIDs``)."""
        return frozenset(self._deleting.get(key, ()))

    def __contains__(self, key: object) -> bool:
        return key in self._recorded

    def forget(self, key: str) -> None:
        """The ReplicaSet is gone: drop its expectations (upstream ``DeleteExpectations``)."""
        self.counts.forget(key)
        self._deleting.pop(key, None)
        self._recorded.discard(key)
