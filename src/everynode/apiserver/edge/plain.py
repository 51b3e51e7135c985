"""The lean HTTP/1.1 path for plain requests: the API server's connections (accepted by ``listener``)
start here, and every plain request (its whole Content-Length body, or none, arrived with its head) is
parsed with ``httptools`` and answered by the same handlers and middlewares as through aiohttp,
without aiohttp's request machinery. Everything else — watches, bodies still arriving or in
``Transfer-Encoding``, ``Expect``, upgrades, ``HEAD``, HTTP/1.0, oversized or malformed requests —
hands the connection over to aiohttp, from that request on, for the rest of its life.

Why: measured on this machine class, aiohttp costs ~135-140 µs of server CPU for a bare request
and an ``httptools`` protocol ~25 µs; at 5,000 nodes the API server answers ~1,300 requests a second
while converging, with its one event loop saturated, so the difference is ~14 % of a core.

A connection serves its requests one after another, in order (pipelined requests wait in the
buffer). A client that goes away mid-request does not cancel the handler (as aiohttp does not): the
write completes in storage and its answer is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, cast

from aiohttp import web

from everynode.apiserver.edge.listener import Listener
from everynode.apiserver.edge.plain_request import MAX_HEAD_BYTES, LeanHead, LeanRequest, Malformed, qualify
from everynode.apiserver.options import ConnectionLimits
from everynode.apiserver.request.http import INTERNAL_ERROR_MESSAGE, MAX_BODY_BYTES, Handler, error_response
from everynode.core import errors

log = logging.getLogger(__name__)

_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}

AiohttpFactory = Callable[[], asyncio.Protocol]


class _Clock:
    """The ``Date`` header, formatted once a second."""

    def __init__(self) -> None:
        self._second = 0
        self._value = b""

    def date(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


_CLOCK = _Clock()


def encode_response(response: web.StreamResponse, keep_alive: bool) -> bytes:
    """Status line, headers and body of a handler's response, as aiohttp would send them."""
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes | bytearray | None):
        raise TypeError(f"the lean path cannot send {type(response).__name__} with a streamed body")
    body = bytes(response.body or b"")
    status = response.status
    lines = [b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b"Unknown"))]
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "connection", "transfer-encoding"):
            lines.append(f"{name}: {value}".encode("latin-1"))
    lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Date: " + _CLOCK.date())
    if not keep_alive:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class LeanProtocol(asyncio.Protocol):
    """One accepted connection.

    Deadlines (``ConnectionLimits``), each a point the connection must have reached by then or be
    closed: a request's whole head within ``header_timeout`` of its first byte (of the connection's
    start, for the first request), however slowly it trickles in; a new request within
    ``idle_timeout`` of the last answer; and an answer taken by the client within
    ``request_timeout`` (a client that stops reading would otherwise hold its response's memory).
    While a handler runs there is no deadline. One timer per connection, re-armed lazily.
    """

    def __init__(
        self,
        handler: Handler,
        app: Mapping[Any, Any],
        aiohttp_factory: AiohttpFactory,
        connections: set[LeanProtocol],
        limits: ConnectionLimits,
    ) -> None:
        self.handler = handler
        self.limits = limits
        self.app = app
        self.aiohttp_factory = aiohttp_factory
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.busy = False  # a request is being answered
        self.writable = asyncio.Event()
        self.writable.set()
        self.reading = True
        self.deadline = math.inf  # monotonic time by which the head must be whole, or the next one start
        self._timer: asyncio.TimerHandle | None = None
        self._answering: asyncio.Task[None] | None = None  # held: the loop keeps tasks only weakly

    # -- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it
        self.connections.add(self)
        self._expect(self.limits.header_timeout)

    def data_received(self, data: bytes) -> None:
        if not self.buffer and not self.busy:  # the first byte of a request: its head is now due
            self._expect(self.limits.header_timeout)
        self.buffer += data
        if not self.busy:
            self._next()
        elif len(self.buffer) > 2 * MAX_BODY_BYTES and self.reading and self.transport is not None:
            self.transport.pause_reading()  # pipelined requests piling up: wait for the current one
            self.reading = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.writable.set()
        if self._timer is not None:
            self._timer.cancel()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    # -- requests --------------------------------------------------------------------------------

    def _next(self) -> None:
        """Start on the request at the front of the buffer, if its head (and body) have arrived."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or end + 4 > MAX_HEAD_BYTES:
            if len(self.buffer) > MAX_HEAD_BYTES:
                self._refuse(
                    errors.RequestHeaderFieldsTooLarge(f"the request head exceeds {MAX_HEAD_BYTES} bytes")
                )
            return
        try:
            request = qualify(bytes(self.buffer[: end + 4]))
        except Malformed as malformed:
            self._refuse(errors.BadRequest(malformed.message))
            return
        total = 0 if request is None else request.head_size + request.body_size
        if request is None or len(self.buffer) < total:
            # A body still arriving is read by aiohttp as it streams: the request takes its
            # in-flight seat at once, as upstream's does, and a slow upload holds it (for at most
            # the request timeout: ``http.read_body``).
            self._hand_over()
            return
        body = bytes(self.buffer[request.head_size : total])
        del self.buffer[:total]
        self.busy = True
        self.deadline = math.inf
        self._answering = asyncio.get_running_loop().create_task(self._answer(request, body))

    async def _answer(self, head: LeanHead, body: bytes) -> None:
        request = LeanRequest(head.method, head.target, head.headers, body, self.app)
        keep_alive = head.keep_alive
        try:
            response = await self.handler(request)
            data = encode_response(response, keep_alive)
        except Exception:
            log.exception("internal error serving %s %s", head.method, head.target)
            keep_alive = False
            error = errors.InternalError(INTERNAL_ERROR_MESSAGE)
            data = encode_response(error_response(error), keep_alive)
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        if not keep_alive:
            transport.close()
            return
        if not self.writable.is_set():
            try:
                async with asyncio.timeout(self.limits.request_timeout):
                    await self.writable.wait()
            except TimeoutError:
                transport.abort()  # the client stopped reading: drop what it did not take
                return
        self.busy = False
        if not self.reading:
            self.reading = True
            transport.resume_reading()
        if self.buffer:
            self._expect(self.limits.header_timeout)
            self._next()
        else:
            self._expect(self.limits.idle_timeout)

    def _refuse(self, error: errors.ApiError) -> None:
        """Answer what cannot be read as a request with ``error``, and close the connection."""
        transport = self.transport
        assert transport is not None
        self.buffer.clear()
        transport.write(encode_response(error_response(error), keep_alive=False))
        transport.close()

    def _hand_over(self) -> None:
        """aiohttp serves this connection from here on, starting with the bytes not yet answered."""
        transport = self.transport
        assert transport is not None
        self.connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
        self.transport = None
        protocol = self.aiohttp_factory()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if not self.reading:
            transport.resume_reading()
        pending, self.buffer = bytes(self.buffer), bytearray()
        protocol.data_received(pending)

    # -- deadlines -------------------------------------------------------------------------------

    def _expect(self, seconds: float) -> None:
        """The next request (or the rest of its head) is due within ``seconds``."""
        self.deadline = time.monotonic() + seconds
        if self._timer is None or self._timer.when() > asyncio.get_running_loop().time() + seconds:
            self._arm(seconds)  # a later timer is re-armed when it fires; an earlier one is kept

    def _arm(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._check)

    def _check(self) -> None:
        self._timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        now = time.monotonic()
        if now >= self.deadline:
            transport.close()  # as Go's server does: no answer to a request that never arrived
            return
        self._arm(self.deadline - now if self.deadline < math.inf else self.limits.idle_timeout)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def start_server(
    handler: Handler,
    app: Mapping[Any, Any],
    aiohttp_factory: AiohttpFactory,
    host: str,
    port: int,
    *,
    limits: ConnectionLimits,
) -> tuple[Listener, set[LeanProtocol]]:
    """Listen on ``host:port``; the set holds the connections the lean path still serves."""
    connections: set[LeanProtocol] = set()
    listener = Listener(
        lambda: LeanProtocol(handler, app, aiohttp_factory, connections, limits),
        host,
        port,
        max_connections=limits.max_connections,
    )
    return listener, connections


async def stop_server(listener: Listener, connections: set[LeanProtocol]) -> None:
    listener.close()
    for connection in list(connections):
        connection.close()
    await asyncio.sleep(0)  # let the transports finish closing
