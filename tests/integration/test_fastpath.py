"""The API server's lean HTTP/1.1 path over raw sockets: keep-alive, pipelining, bodies arriving in
pieces, and the hand-over to aiohttp of watches, chunked bodies, HTTP/1.0, oversized and malformed
requests — on the same connection as lean requests before them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from everynode.apiserver.app import build_app, serving
from everynode.apiserver.edge import plain as fastpath
from everynode.apiserver.options import ApiServerOptions, ConnectionLimits
from everynode.apiserver.request.handlers import ResourceHandlers
from tests import builders
from tests.integration.support import eventually

NAMESPACES = "/api/v1/namespaces"


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = build_app(ApiServerOptions(storage="memory://"))
    async with serving(app, "127.0.0.1", 0, limits=ConnectionLimits(idle_timeout=0.5)) as bound:
        yield bound


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response_head(self) -> tuple[int, dict[str, str]]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
        return int(lines[0].split()[1]), headers

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        """One whole response (sized or chunked)."""
        status, headers = await self.response_head()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    return status, headers, body
                body += chunk[:-2]
        return status, headers, await self.reader.readexactly(int(headers.get("content-length", "0")))

    async def chunk_line(self) -> bytes:
        """The next chunk of a chunked response (a watch event)."""
        size = int((await asyncio.wait_for(self.reader.readuntil(b"\r\n"), 10)).strip(), 16)
        return (await self.reader.readexactly(size + 2))[:-2]

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(1), 10) == b""

    def close(self) -> None:
        self.writer.close()


async def connect(port: int) -> Conn:
    return Conn(*await asyncio.open_connection("127.0.0.1", port))


def request(method: str, path: str, body: bytes = b"", headers: str = "", version: str = "1.1") -> bytes:
    head = f"{method} {path} HTTP/{version}\r\nHost: 127.0.0.1\r\n{headers}"
    if body or method in ("POST", "PUT", "PATCH"):
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def namespace(name: str) -> bytes:
    return orjson.dumps(builders.namespace(name))


async def test_keep_alive_requests_are_answered_by_the_lean_path(port: int) -> None:
    conn = await connect(port)
    await conn.send(request("POST", NAMESPACES, namespace("lean-a")))
    status, headers, body = await conn.response()
    assert status == 201
    assert orjson.loads(body)["metadata"]["name"] == "lean-a"
    assert "server" not in headers  # aiohttp names itself; the lean path does not
    assert headers["content-type"] == "application/json"
    assert "date" in headers
    await conn.send(request("GET", f"{NAMESPACES}/lean-a"))
    status, headers, body = await conn.response()
    assert (status, orjson.loads(body)["metadata"]["name"]) == (200, "lean-a")
    assert "server" not in headers
    conn.close()


async def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    conn = await connect(port)
    await conn.send(
        request("POST", NAMESPACES, namespace("pipe-a"))
        + request("GET", f"{NAMESPACES}/pipe-a")
        + request("GET", f"{NAMESPACES}/missing")
    )
    first, second, third = [await conn.response() for _ in range(3)]
    assert first[0] == 201
    assert second[0] == 200
    assert orjson.loads(second[2])["metadata"]["name"] == "pipe-a"
    assert third[0] == 404
    assert orjson.loads(third[2])["kind"] == "Status"
    conn.close()


async def test_a_head_arriving_in_pieces_is_answered_once_whole(port: int) -> None:
    conn = await connect(port)
    data = request("POST", NAMESPACES, namespace("pieces"))
    end = data.index(b"\r\n\r\n") + 4
    await conn.send(data[:7])
    await asyncio.sleep(0.05)  # the server sees each piece on its own
    await conn.send(data[7 : end - 3])
    await asyncio.sleep(0.05)
    await conn.send(data[end - 3 :])
    status, headers, body = await conn.response()
    assert (status, orjson.loads(body)["metadata"]["name"]) == (201, "pieces")
    assert "server" not in headers
    conn.close()


async def test_a_body_arriving_after_its_head_is_streamed_by_aiohttp(port: int) -> None:
    conn = await connect(port)
    data = request("POST", NAMESPACES, namespace("slow-body"))
    end = data.index(b"\r\n\r\n") + 4
    await conn.send(data[: end + 5])
    await asyncio.sleep(0.05)
    await conn.send(data[end + 5 :])
    status, headers, body = await conn.response()
    assert (status, orjson.loads(body)["metadata"]["name"]) == (201, "slow-body")
    assert "aiohttp" in headers["server"]
    conn.close()


async def test_a_watch_hands_the_connection_to_aiohttp_after_lean_requests(port: int) -> None:
    conn = await connect(port)
    await conn.send(request("POST", NAMESPACES, namespace("before-watch")))
    status, headers, _ = await conn.response()
    assert status == 201
    assert "server" not in headers
    await conn.send(request("GET", f"{NAMESPACES}?watch=true&fieldSelector=metadata.name%3Dbefore-watch"))
    status, headers = await conn.response_head()
    assert status == 200
    assert "aiohttp" in headers["server"]
    event = orjson.loads(await conn.chunk_line())
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "before-watch")
    conn.close()


async def test_a_chunked_body_is_served_by_aiohttp(port: int) -> None:
    conn = await connect(port)
    body = namespace("chunked")
    await conn.send(
        f"POST {NAMESPACES} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Transfer-Encoding: chunked\r\n\r\n{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    status, headers, answer = await conn.response()
    assert (status, orjson.loads(answer)["metadata"]["name"]) == (201, "chunked")
    assert "aiohttp" in headers["server"]
    conn.close()


async def test_http_1_0_is_served_by_aiohttp(port: int) -> None:
    conn = await connect(port)
    await conn.send(request("GET", f"{NAMESPACES}/default", version="1.0"))
    status, headers, body = await conn.response()
    assert (status, orjson.loads(body)["metadata"]["name"]) == (200, "default")
    assert "aiohttp" in headers["server"]
    conn.close()


async def test_connection_close_is_honoured(port: int) -> None:
    conn = await connect(port)
    await conn.send(request("GET", f"{NAMESPACES}/default", headers="Connection: close\r\n"))
    status, headers, _ = await conn.response()
    assert status == 200
    assert headers["connection"] == "close"
    assert await conn.closed()
    conn.close()


async def test_an_oversized_body_gets_413_as_a_status(port: int) -> None:
    conn = await connect(port)
    size = fastpath.MAX_BODY_BYTES + 1
    await conn.send(
        f"POST {NAMESPACES} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\n\r\n".encode()
    )
    status, _, body = await conn.response()
    assert status == 413
    assert orjson.loads(body)["reason"] == "RequestEntityTooLarge"
    conn.close()


async def test_a_malformed_request_gets_400_and_the_server_keeps_serving(port: int) -> None:
    conn = await connect(port)
    await conn.send(b"GET /api/v1/namespaces HTTP/1.1\r\nBad Header\r\n\r\n")
    status, headers, body = await conn.response()
    assert (status, orjson.loads(body)["kind"], headers["connection"]) == (400, "Status", "close")
    assert await conn.closed()
    conn.close()
    other = await connect(port)
    await other.send(request("GET", f"{NAMESPACES}/default"))
    assert (await other.response())[0] == 200
    other.close()


async def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(port: int) -> None:
    conn = await connect(port)
    await conn.send(request("GET", f"{NAMESPACES}/default"))
    assert (await conn.response())[0] == 200
    assert await conn.closed()  # the fixture's timeout is 0.5 s
    conn.close()


async def test_a_client_leaving_mid_request_does_not_stop_the_server(port: int) -> None:
    conn = await connect(port)
    await conn.send(request("POST", NAMESPACES, namespace("left")))
    conn.close()
    other = await connect(port)

    async def created() -> bool:
        await other.send(request("GET", f"{NAMESPACES}/left"))
        return (await other.response())[0] == 200

    await eventually(created, what="the abandoned create to be stored")
    other.close()


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"GET /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (
            b"POST /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
            + b"9" * 5000
            + b"\r\n\r\n",
            400,
        ),
        (b"POST /api/v1/namespaces HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"GET /api/v1/namespaces HTTP/1.0\r\nBad Header\r\n\r\n", 400),  # answered by aiohttp
        (b"GET /api/v1/namespaces HTTP/1.0\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    ],
)
async def test_what_is_not_a_request_gets_a_status_and_the_connection_is_closed(
    port: int, head: bytes, code: int
) -> None:
    conn = await connect(port)
    await conn.send(head)
    status, _, body = await conn.response()
    assert (status, orjson.loads(body)["code"]) == (code, code)
    assert await conn.closed()
    conn.close()


async def test_an_upgrade_request_is_answered_not_dropped(port: int) -> None:
    conn = await connect(port)
    await conn.send(
        b"POST /api/v1/namespaces/default/pods/p/exec?command=ls HTTP/1.1\r\nHost: localhost\r\n"
        b"Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n"
    )
    status, _, body = await conn.response()
    assert (status, orjson.loads(body)["kind"]) == (404, "Status")
    conn.close()


async def test_a_head_aiohttp_serves_may_be_as_long_as_a_lean_one(port: int) -> None:
    conn = await connect(port)
    await conn.send(
        request("GET", f"{NAMESPACES}/default", version="1.0", headers="X: " + "a" * 30_000 + "\r\n")
    )
    assert (await conn.response())[0] == 200
    conn.close()


@pytest.mark.parametrize("version", ["1.1", "1.0"])  # the lean path, and aiohttp
async def test_an_unexpected_exception_is_a_500_status_and_a_logged_traceback(
    port: int, version: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(ResourceHandlers, "get", broken)
    conn = await connect(port)
    await conn.send(request("GET", f"{NAMESPACES}/default", version=version))
    status, _, body = await conn.response()
    answer = orjson.loads(body)
    assert (status, answer["kind"], answer["reason"]) == (500, "Status", "InternalError")
    assert "a bug in a handler" not in answer["message"]  # nothing of the server's insides leaks
    logged = [record for record in caplog.records if record.exc_info]
    assert logged
    assert "a bug in a handler" in str(logged[-1].exc_info[1])
    conn.close()


async def test_a_body_cut_short_by_the_client_is_not_an_internal_error(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    conn = await connect(port)
    head = request("POST", NAMESPACES, b"x" * 100).split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    await conn.send(head + b'{"metadata"')
    conn.writer.write_eof()
    await conn.closed()
    conn.close()
    other = await connect(port)
    await other.send(request("GET", f"{NAMESPACES}/default"))
    assert (await other.response())[0] == 200
    other.close()
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
