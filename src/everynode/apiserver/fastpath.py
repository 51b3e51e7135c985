"""The lean HTTP/1.1 path: the API server's connections (accepted by ``listener``) start here, and
every plain request (its whole Content-Length body, or none, arrived with its head) is parsed with
``httptools`` and answered by the same handlers and middlewares as through aiohttp, without aiohttp's request
machinery. Everything else — watches, bodies still arriving or in ``Transfer-Encoding``, ``Expect``,
upgrades, ``HEAD``, HTTP/1.0, oversized or malformed requests — hands the connection over to
aiohttp, from that request on, for the rest of its life.

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
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import parse_qsl, unquote

import httptools
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from everynode.apiserver.http import INTERNAL_ERROR_MESSAGE, MAX_BODY_BYTES, Handler, error_response
from everynode.apiserver.listener import Listener
from everynode.core import errors

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024  # beyond this without the end of the headers: aiohttp refuses it
KEEPALIVE_TIMEOUT = 75.0  # seconds an idle connection stays open (aiohttp's default)
METHODS = frozenset({b"GET", b"POST", b"PUT", b"PATCH", b"DELETE"})
_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}

AiohttpFactory = Callable[[], asyncio.Protocol]


class _Body:
    """The request body, already read whole: what ``http.read_body`` iterates."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def iter_any(self) -> Any:  # an async generator of one chunk
        if self.data:
            yield self.data


class LeanRequest:
    """One parsed request, with what ``http.ApiRequest`` promises the handlers."""

    __slots__ = ("_path", "_query", "_raw_query", "app", "content", "headers", "method", "path_qs")

    def __init__(
        self, method: str, target: str, headers: CIMultiDictProxy[str], body: bytes, app: Mapping[Any, Any]
    ) -> None:
        self.method = method
        self.path_qs = target
        self.headers = headers
        self.content = _Body(body)
        self.app = app
        raw_path, _, self._raw_query = target.partition("?")
        self._path = unquote(raw_path) if "%" in raw_path else raw_path
        self._query: MultiDictProxy[str] | None = None

    @property
    def path(self) -> str:
        return self._path

    @property
    def query(self) -> MultiDictProxy[str]:
        if self._query is None:
            pairs = parse_qsl(self._raw_query, keep_blank_values=True) if self._raw_query else []
            self._query = MultiDictProxy(MultiDict(pairs))
        return self._query

    @property
    def host(self) -> str:
        return self.headers.get("Host", "")

    @property
    def content_length(self) -> int | None:
        return len(self.content.data) if "Content-Length" in self.headers else None

    @property
    def can_read_body(self) -> bool:
        return bool(self.content.data)


class _Head:
    """``httptools`` callbacks for one request's head (fed the head alone)."""

    __slots__ = ("done", "headers", "keep_alive", "parser", "url")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.done = False
        self.keep_alive = False
        self.parser: httptools.HttpRequestParser | None = None

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.done = True
        if self.parser is not None:  # only here: once the message is complete, llhttp forgets
            self.keep_alive = self.parser.should_keep_alive()


class _Request:
    """A request head that qualified for the lean path, waiting for its body."""

    __slots__ = ("body_size", "head_size", "headers", "keep_alive", "method", "target")

    def __init__(
        self,
        method: str,
        target: str,
        headers: CIMultiDictProxy[str],
        sizes: tuple[int, int],  # of the head, of the body
        keep_alive: bool,
    ) -> None:
        self.method = method
        self.target = target
        self.headers = headers
        self.head_size, self.body_size = sizes
        self.keep_alive = keep_alive


def _qualify(head: bytes) -> _Request | None:
    """The request if the lean path serves it; ``None`` hands it (and its connection) to aiohttp."""
    parsed = _Head()
    parser = parsed.parser = httptools.HttpRequestParser(parsed)
    try:
        parser.feed_data(head)
    except httptools.HttpParserError:
        return None  # aiohttp answers it with its 400
    finally:
        parsed.parser = None  # no reference cycle left for the collector
    if not parsed.done or parser.get_http_version() != "1.1":
        return None
    method = parser.get_method()
    if method not in METHODS:
        return None
    target = parsed.url.decode("latin-1")
    if not target.startswith("/") or _is_watch(target):
        return None
    headers = CIMultiDict(parsed.headers)
    if "Transfer-Encoding" in headers or "Expect" in headers or "Upgrade" in headers:
        return None
    length_values = headers.getall("Content-Length", [])
    if len(length_values) > 1 or (
        length_values and not (length_values[0].isascii() and length_values[0].isdigit())
    ):
        return None
    body_size = int(length_values[0]) if length_values else 0
    if body_size > MAX_BODY_BYTES:
        return None  # aiohttp's 413, as before
    sizes = (len(head), body_size)
    return _Request(method.decode(), target, CIMultiDictProxy(headers), sizes, parsed.keep_alive)


def _is_watch(target: str) -> bool:
    _, _, query = target.partition("?")
    if "watch" not in query.lower():
        return False
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "watch":  # the first one counts; true unless "0" or "false" (request_options.flag)
            return value != "0" and value.lower() != "false"
    return False


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
    """One accepted connection."""

    def __init__(
        self,
        handler: Handler,
        app: Mapping[Any, Any],
        aiohttp_factory: AiohttpFactory,
        connections: set[LeanProtocol],
        keepalive_timeout: float = KEEPALIVE_TIMEOUT,
    ) -> None:
        self.handler = handler
        self.keepalive_timeout = keepalive_timeout
        self.app = app
        self.aiohttp_factory = aiohttp_factory
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.busy = False  # a request is being answered
        self.writable = asyncio.Event()
        self.writable.set()
        self.reading = True
        self.last_active = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._answering: asyncio.Task[None] | None = None  # held: the loop keeps tasks only weakly

    # -- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it
        self.connections.add(self)
        self.last_active = time.monotonic()
        self._idle_timer = asyncio.get_running_loop().call_later(self.keepalive_timeout, self._check_idle)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.last_active = time.monotonic()
        if not self.busy:
            self._next()
        elif len(self.buffer) > 2 * MAX_BODY_BYTES and self.reading and self.transport is not None:
            self.transport.pause_reading()  # pipelined requests piling up: wait for the current one
            self.reading = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.writable.set()
        if self._idle_timer is not None:
            self._idle_timer.cancel()

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
        if end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                self._hand_over()
            return
        request = _qualify(bytes(self.buffer[: end + 4]))
        total = 0 if request is None else request.head_size + request.body_size
        if request is None or len(self.buffer) < total:
            # A body still arriving is read by aiohttp as it streams: the request takes its
            # in-flight seat at once, as upstream's does, and a slow upload holds it.
            self._hand_over()
            return
        body = bytes(self.buffer[request.head_size : total])
        del self.buffer[:total]
        self.busy = True
        self._answering = asyncio.get_running_loop().create_task(self._answer(request, body))

    async def _answer(self, head: _Request, body: bytes) -> None:
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
        self.last_active = time.monotonic()
        if not self.writable.is_set():
            await self.writable.wait()
        self.busy = False
        if not self.reading:
            self.reading = True
            transport.resume_reading()
        if self.buffer:
            self._next()

    def _hand_over(self) -> None:
        """aiohttp serves this connection from here on, starting with the bytes not yet answered."""
        transport = self.transport
        assert transport is not None
        self.connections.discard(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self.transport = None
        protocol = self.aiohttp_factory()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if not self.reading:
            transport.resume_reading()
        pending, self.buffer = bytes(self.buffer), bytearray()
        protocol.data_received(pending)

    def _check_idle(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        idle, limit = time.monotonic() - self.last_active, self.keepalive_timeout
        if not self.busy and idle >= limit:
            transport.close()
            return
        delay = limit - idle if idle < limit else limit
        self._idle_timer = asyncio.get_running_loop().call_later(delay, self._check_idle)

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
    keepalive_timeout: float = KEEPALIVE_TIMEOUT,
) -> tuple[Listener, set[LeanProtocol]]:
    """Listen on ``host:port``; the set holds the connections the lean path still serves."""
    connections: set[LeanProtocol] = set()
    listener = Listener(
        lambda: LeanProtocol(handler, app, aiohttp_factory, connections, keepalive_timeout), host, port
    )
    return listener, connections


async def stop_server(listener: Listener, connections: set[LeanProtocol]) -> None:
    listener.close()
    for connection in list(connections):
        connection.close()
    await asyncio.sleep(0)  # let the transports finish closing
