"""Expectations, as upstream controllers keep them (``pkg/controller/controller_utils.go``).

Before a controller creates or deletes N pods for a key, it records that it expects to observe N
adds or deletes; each one seen through the informer lowers the count. Until the counts reach zero
(or the record is older than ``timeout`` — a watch event may never come), the controller must not
act on that key again, or it would act twice on a state its own writes have not reached yet.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

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
