"""What a reconcile asks of its queue, returned rather than raised (controller-runtime's
``reconcile.Result`` with its error folded in).

- ``DONE``: the key is reconciled; its failures are forgotten by the rate limiter.
- ``requeue_after(s)``: reconciled for now, and due again in ``s`` seconds (a minReadySeconds
  window, a backoff that ends, a simulated stage that falls due); failures are forgotten.
- ``failed(error)``: the reconcile could not finish; the key is retried with the rate limiter's
  per-key exponential backoff. ``routine`` marks an expected race (an object that changed under
  the reconcile), logged at INFO instead of WARNING.

A failure may also ask to come back after a delay (``Result.sooner``): both hold, as upstream's
controllers both return an error and enqueue a DaemonSet for later in one sync. A reconcile that
*raises* has a bug: the worker loop logs the traceback and retries it like a failure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Hashable
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)


@dataclass(frozen=True, slots=True)
class Result:
    after: float | None = None
    error: Exception | None = None
    routine: bool = False

    def sooner(self, seconds: float | None) -> Result:
        """This result, due again in at most ``seconds`` (None: no change)."""
        after = earliest(self.after, seconds)
        return self if after == self.after else replace(self, after=after)

    def failing(self, error: Exception | None) -> Result:
        """This result, failed with ``error`` if it had not failed already (the first cause wins)."""
        if error is None or self.error is not None:
            return self
        return replace(self, error=error)


DONE = Result()


def requeue_after(seconds: float) -> Result:
    return Result(after=max(0.0, seconds))


def failed(error: Exception, *, cause: Exception | None = None, routine: bool = False) -> Result:
    """A failure; ``cause`` becomes ``error.__cause__``, as ``raise error from cause`` would make it
    (callers tell what went wrong by it, as Go's ``errors.Is``)."""
    if cause is not None:
        error.__cause__ = cause
    return Result(error=error, routine=routine)


def earliest(first: float | None, second: float | None) -> float | None:
    """The sooner of two delays, either of which may be absent."""
    if first is None or second is None:
        return second if first is None else first
    return min(first, second)


class Reconciler(Protocol[K_contra]):
    """Brings one key's objects to their desired state, from the caches, and says what next."""

    def __call__(self, key: K_contra, /) -> Awaitable[Result]: ...
