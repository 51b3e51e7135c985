"""A lean HTTP/1.1 client for the API's request/response calls: keep-alive connections to one server,
one request at a time on each, responses parsed by ``httptools`` (the parser uvloop's authors keep).

Why not aiohttp's client, which everynode still uses for watches: measured on this machine class
against our API server, one Lease PATCH cost the calling process ~340 µs of CPU through aiohttp
(~350 µs through ``RestClient``) and ~135 µs through this pool. A node agent renewing 5,000 Leases
every 10 s makes 500 such calls a second, and every simulated pod costs a few more; the difference
was a tenth of a core in the agent alone. What aiohttp does beyond this (cookies, redirects,
proxies, TLS, compression, multipart) the API client never needs.

A connection taken from the pool is one the server has not closed; a response with
``Connection: close``, an error or a caller cancelled mid-request (a timeout included) closes its
connection instead of returning it. Requests are not sent again on failure: the caller gets
``ConnectionError`` (an ``OSError``) and decides, as with any lost request.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import httptools


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes


class _Connection(asyncio.Protocol):
    """One TCP connection; ``send`` writes a whole request and resolves with its parsed response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = True
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Response] | None = None
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    # -- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"malformed HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionResetError("the server closed the connection") if exc is None else exc)

    # -- httptools callbacks ---------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.keep_alive = self._parser.should_keep_alive()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(self._parser.get_status_code(), self._headers, b"".join(self._body)))

    # -- use -------------------------------------------------------------------------------------

    def send(self, request: bytes) -> asyncio.Future[Response]:
        assert self.transport is not None
        assert self._waiter is None
        self._headers, self._body = {}, []
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


class Http1Pool:
    """At most ``limit`` connections to ``host:port``; idle ones are reused, most recent first."""

    def __init__(self, host: str, port: int, *, limit: int, headers: Mapping[str, str]) -> None:
        if limit < 1:
            raise ValueError("a connection pool needs at least one connection")
        self.host, self.port = host, port
        self._slots = asyncio.Semaphore(limit)
        self._idle: deque[_Connection] = deque()
        authority = f"[{host}]" if ":" in host else host  # an IPv6 address goes in brackets
        fixed = {"Host": f"{authority}:{port}", **headers}
        self._fixed_headers = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self.opened = 0  # connections made, for tests and diagnostics

    async def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send ``method target`` (target: path and query, already encoded) and read the response.
        Callers bound the time with ``asyncio.timeout``: a cancelled request closes its connection."""
        head = [f"{method} {target} HTTP/1.1\r\n", self._fixed_headers]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body or b'')}\r\n")
        head.append("\r\n")
        request = "".join(head).encode("latin-1") + (body or b"")
        async with self._slots:
            connection = await self._connection()
            try:
                response = await connection.send(request)
            except BaseException:
                connection.close()  # a half-read response cannot be told from the next one
                raise
            if connection.keep_alive and not connection.closed:
                self._idle.append(connection)
            else:
                connection.close()
            return response

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(_Connection, self.host, self.port)
        self.opened += 1
        return connection

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
        await asyncio.sleep(0)  # let the transports finish closing
