"""Max-in-flight limits, as kube-apiserver's ``--max-requests-inflight`` and
``--max-mutating-requests-inflight``: beyond them a request gets 429 with ``Retry-After``, so an
overloaded server sheds load instead of queueing without bound. A request beyond the limit first
waits in a bounded queue (as many as the limit, for up to 5 s), as API Priority and Fairness queues
requests, so a burst costs latency rather than errors. Watches are long-running and do not count.

Node heartbeats (writes to Leases in ``kube-node-lease``) have seats of their own, as many as
the mutating limit, as API Priority and Fairness gives nodes their ``node-high`` level: a burst of
pod writes can then never starve heartbeats into nodes being declared unreachable, which would
add node and taint writes to the very overload that caused it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from aiohttp import web

from everynode.apiserver.request.http import ApiRequest, Handler, Middleware, error_response
from everynode.core import errors

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


NODE_LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


QUEUE_WAIT = 5.0  # seconds a request may wait for a seat before it is refused


class SeatPool:
    """``limit`` requests at once; up to as many more wait for a seat, first come first served, for at
    most ``QUEUE_WAIT`` seconds (API Priority and Fairness queues rather than refusing at once);
    beyond that, or with the queue full, the request is refused. ``limit`` 0: no limit."""

    def __init__(self, limit: int, max_wait: float = QUEUE_WAIT) -> None:
        self.limit = limit
        self.max_wait = max_wait
        self.in_use = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> bool:
        if self.limit <= 0 or (self.in_use < self.limit and not self._waiting):
            self.in_use += 1
            return True
        if len(self._waiting) >= self.limit:
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            async with asyncio.timeout(self.max_wait):
                await turn  # ``release`` handed its seat over: ``in_use`` already counts this request
        except TimeoutError:
            self._abandon(turn)
            return False
        except BaseException:
            self._abandon(turn)
            raise
        return True

    def _abandon(self, turn: asyncio.Future[None]) -> None:
        if turn.done() and not turn.cancelled():
            self.release()  # the seat arrived just as the wait ended: pass it on
        else:
            turn.cancel()
            with contextlib.suppress(ValueError):
                self._waiting.remove(turn)

    def release(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the seat goes straight to the next in line
                return
        self.in_use -= 1


def inflight_limit(max_readonly: int, max_mutating: int) -> Middleware:
    node_high = max_mutating
    pools = {
        "readonly": SeatPool(max_readonly),
        "mutating": SeatPool(max_mutating),
        "node-high": SeatPool(node_high),
    }

    @web.middleware
    async def limit(request: ApiRequest, handler: Handler) -> web.StreamResponse:
        if request.query.get("watch", "").lower() in ("true", "1"):
            return await handler(request)
        kind = "mutating" if request.method in MUTATING else "readonly"
        if kind == "mutating" and request.path.startswith(NODE_LEASES):
            kind = "node-high"
        pool = pools[kind]
        if not await pool.acquire():
            response = error_response(
                errors.TooManyRequests(
                    "Too many requests, please try again later.",
                    details={
                        "causes": [{"reason": "ServerTimeout", "message": "max in-flight requests reached"}],
                        "retryAfterSeconds": 1,
                    },
                )
            )
            response.headers["Retry-After"] = "1"
            return response
        try:
            return await handler(request)
        finally:
            pool.release()

    return limit
