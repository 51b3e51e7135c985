"""Per-key exponential backoff on an injected clock, like client-go's ``flowcontrol.Backoff``.

The DaemonSet controller uses it for failed daemon pods: on each node a failed pod is deleted (and
so replaced) at most once per delay, the delay doubling from ``initial`` up to ``maximum`` while pods
keep failing. The key (upstream: ``<ds uid>/<observedGeneration>/<node>``) decides what shares a
delay. An entry left alone for more than twice ``maximum`` is forgotten: the next failure starts
again from ``initial``, and ``gc`` drops such entries. There is no jitter.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from everynode.core.clock import Clock

DEFAULT_INITIAL = 1.0  # upstream's failed-pod backoff: 1 s ...
DEFAULT_MAXIMUM = 900.0  # ... doubling up to 15 min


@dataclass(slots=True)
class _Entry:
    delay: float
    last_update: float


class Backoff:
    def __init__(
        self, clock: Clock, initial: float = DEFAULT_INITIAL, maximum: float = DEFAULT_MAXIMUM
    ) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError(f"backoff needs 0 < initial <= maximum, got {initial} and {maximum}")
        self.clock = clock
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[Hashable, _Entry] = {}

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.last_update > 2 * self.maximum

    def next(self, key: Hashable) -> float:
        """Advance ``key``: start at ``initial`` (or restart, if expired), else double up to ``maximum``.

        Returns the new delay.
        """
        now = self.clock.now()
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, now):
            entry = self._entries[key] = _Entry(self.initial, now)
        else:
            entry.delay = min(2 * entry.delay, self.maximum)
            entry.last_update = now
        return entry.delay

    def get(self, key: Hashable) -> float:
        """The current delay for ``key`` (0 when it has none)."""
        entry = self._entries.get(key)
        return 0.0 if entry is None else entry.delay

    def is_in_backoff(self, key: Hashable) -> bool:
        """Whether less than the current delay has passed since ``key`` was last advanced."""
        entry = self._entries.get(key)
        return entry is not None and self.clock.now() - entry.last_update < entry.delay

    def reset(self, key: Hashable) -> None:
        """Forget ``key``: its next failure starts again from ``initial``."""
        self._entries.pop(key, None)

    def gc(self) -> None:
        """Drop entries not advanced for more than twice ``maximum``."""
        now = self.clock.now()
        for key in [k for k, e in self._entries.items() if self._expired(e, now)]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
