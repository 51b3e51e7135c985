"""Who may reach the API server while it has neither TLS nor authentication: this machine only.

Two rules, both decided before any request is read:

- **It listens on loopback addresses only.** ``check_bind`` refuses any other address (``0.0.0.0``,
  ``::``, a LAN address, a name that resolves to one), because without TLS and authentication
  anyone who can reach the port could delete nodes, read everything and mark any pod Ready.
- **It answers only to loopback names.** A web page the user opens can make the browser send
  requests to ``127.0.0.1:6443`` under a name of the attacker's own that resolves there (DNS
  rebinding); the browser then sends that name in ``Host``. ``host_guard`` refuses (403) a ``Host``
  that is not ``localhost`` (or a ``*.localhost`` name, which browsers resolve to loopback
  themselves), a loopback IP address, or the name the server was bound with. Requests without a
  ``Host`` (HTTP/1.0 tools) are served: a browser always sends one.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from everynode.apiserver.request.http import ApiRequest, Handler
from everynode.core import errors

_CACHE_SIZE = 256  # Host values remembered (a client sends the same one on every request)


def check_bind(host: str) -> None:
    """``ValueError`` unless every address ``host`` names is a loopback address."""
    try:
        infos = socket.getaddrinfo(host or None, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ValueError(f'cannot listen on "{host}": {exc.strerror}') from None
    outside = sorted({str(info[4][0]) for info in infos if not _is_loopback_ip(str(info[4][0]))})
    if outside:
        resolved = "" if outside == [host] else f" ({', '.join(outside)})"
        raise ValueError(
            f'refusing to listen on "{host or "*"}"{resolved}: the API server serves plain '
            "HTTP with no authentication, so it listens only on loopback addresses (127.0.0.1, ::1, "
            "localhost); TLS and authentication, which network clients need, are not available yet"
        )


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without port, brackets or a trailing dot, in lower case."""
    host = header.strip().lower()
    if host.startswith("["):  # [::1]:6443
        host = host[1 : host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:  # name:port or IPv4:port; more colons: a bare IPv6 address
        host = host.partition(":")[0]
    return host.rstrip(".")


def is_loopback_host(header: str) -> bool:
    """Whether a ``Host`` header names this machine: ``localhost``, ``*.localhost``, a loopback IP."""
    host = host_name(header)
    return host == "localhost" or host.endswith(".localhost") or _is_loopback_ip(host)


def _is_loopback_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(text.partition("%")[0]).is_loopback
    except ValueError:
        return False


def host_guard(bind: str) -> Callable[[ApiRequest, Handler], Awaitable[web.StreamResponse]]:
    """The middleware that refuses requests whose ``Host`` is not a name of this machine."""
    bound = host_name(bind)
    verdicts: dict[str, bool] = {}

    @web.middleware
    async def guard(request: ApiRequest, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host")
        if host:
            verdict = verdicts.get(host)
            if verdict is None:
                verdict = is_loopback_host(host) or host_name(host) == bound
                if len(verdicts) < _CACHE_SIZE:
                    verdicts[host] = verdict
            if not verdict:
                raise errors.Forbidden(
                    f'the Host header "{host[:100]}" is not a name of this server: it answers only to '
                    "localhost and loopback addresses (this refuses web pages that reach it through a "
                    "name of their own)"
                )
        return await handler(request)

    return guard
