"""Max-in-flight limits, as kube-apiserver's ``--max-requests-inflight`` and
``--max-mutating-requests-inflight``: beyond them a request gets 429 with ``Retry-After``, so an
overloaded server sheds load instead of queueing without bound. Watches are long-running and do
not count.

Node heartbeats (writes to Leases in ``kube-node-lease``) have seats of their own, half as many as
the mutating limit, as API Priority and Fairness gives nodes their ``node-high`` level: a burst of
pod writes can then never starve heartbeats into nodes being declared unreachable, which would
add node and taint writes to the very overload that caused it.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from everynode.apiserver.http import Handler, error_response
from everynode.core import errors

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


NODE_LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


def inflight_limit(max_readonly: int, max_mutating: int) -> Middleware:
    counts = {"readonly": 0, "mutating": 0, "node-high": 0}
    node_high = max(1, max_mutating // 2) if max_mutating > 0 else 0
    limits = {"readonly": max_readonly, "mutating": max_mutating, "node-high": node_high}

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.query.get("watch", "").lower() in ("true", "1"):
            return await handler(request)
        kind = "mutating" if request.method in MUTATING else "readonly"
        if kind == "mutating" and request.path.startswith(NODE_LEASES):
            kind = "node-high"
        if limits[kind] > 0 and counts[kind] >= limits[kind]:
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
        counts[kind] += 1
        try:
            return await handler(request)
        finally:
            counts[kind] -= 1

    return limit
