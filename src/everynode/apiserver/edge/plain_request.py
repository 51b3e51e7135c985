"""A request the lean path (``edge.plain``) serves: its head parsed with ``httptools`` and qualified (or
left to aiohttp), its body whole, and what ``http.ApiRequest`` promises the handlers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

import httptools
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from everynode.apiserver.request.http import MAX_BODY_BYTES

METHODS = frozenset({b"GET", b"POST", b"PUT", b"PATCH", b"DELETE"})
MAX_HEAD_BYTES = 64 * 1024  # a request head (request line and headers) may be this long, on both paths


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


class LeanHead:
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


class Malformed(Exception):
    """A request head no server could serve: answered with this Status, then the connection closed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def qualify(head: bytes) -> LeanHead | None:
    """The request if the lean path serves it; ``None`` hands it (and its connection) to aiohttp;
    ``Malformed`` when it is not a request at all."""
    parsed = _Head()
    parser = parsed.parser = httptools.HttpRequestParser(parsed)
    try:
        parser.feed_data(head)
    except httptools.HttpParserUpgrade:
        return None  # Connection: Upgrade (exec, port-forward): aiohttp's to answer
    except httptools.HttpParserError as exc:
        raise Malformed(f"the request is not valid HTTP/1.1: {exc}") from None
    finally:
        parsed.parser = None  # no reference cycle left for the collector
    if not parsed.done or parser.get_http_version() != "1.1":
        return None
    method = parser.get_method()
    if method not in METHODS:
        return None
    target = parsed.url.decode("latin-1")
    if not target.startswith("/") or _is_stream(target):
        return None
    headers = CIMultiDict(parsed.headers)
    if "Transfer-Encoding" in headers or "Expect" in headers or "Upgrade" in headers:
        return None
    length_values = headers.getall("Content-Length", [])
    if len(length_values) > 1 or (
        length_values
        and not (length_values[0].isascii() and length_values[0].isdigit() and len(length_values[0]) < 16)
    ):
        raise Malformed(f"the request has an invalid Content-Length: {', '.join(length_values)[:40]}")
    body_size = int(length_values[0]) if length_values else 0
    if body_size > MAX_BODY_BYTES:
        return None  # aiohttp's 413, as before
    sizes = (len(head), body_size)
    return LeanHead(method.decode(), target, CIMultiDictProxy(headers), sizes, parsed.keep_alive)


def _is_stream(target: str) -> bool:
    """Watches, and pod logs (which may follow), are streams: aiohttp serves them."""
    return target.partition("?")[0].endswith("/log") or _is_watch(target)


def _is_watch(target: str) -> bool:
    _, _, query = target.partition("?")
    if "watch" not in query.lower():
        return False
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "watch":  # the first one counts; true unless "0" or "false" (request_options.flag)
            return value != "0" and value.lower() != "false"
    return False
