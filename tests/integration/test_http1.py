"""The lean HTTP/1.1 pool against a scripted server on a loopback port: keep-alive, limits, bodies
(sized and chunked), and what a closed, broken or silent connection does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from everynode.client.http1 import Http1Pool
from tests.integration.support import eventually

Reply = Callable[[bytes], Awaitable[bytes | None]]  # request head → raw response (None: hang up)


class ScriptedServer:
    """Answers each request on a connection with ``reply(head)``; counts connections and requests."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = await reader.readexactly(content_length(head))
                self.requests.append(head + body)
                response = await self.reply(head + body)
                if response is None:
                    break
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def ok(body: bytes, *extra: str) -> bytes:
    headers = "".join(f"{line}\r\n" for line in extra)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{headers}\r\n".encode() + body


@contextlib.asynccontextmanager
async def serving(reply: Reply, *, limit: int = 8) -> AsyncIterator[tuple[ScriptedServer, Http1Pool]]:
    server = ScriptedServer(reply)
    port = await server.start()
    pool = Http1Pool("127.0.0.1", port, limit=limit, headers={"User-Agent": "test"})
    try:
        yield server, pool
    finally:
        await pool.close()
        await server.stop()


async def echo(request: bytes) -> bytes:
    return ok(request.split(b" ")[1])


async def test_sequential_requests_share_one_connection_and_carry_headers_and_body() -> None:
    async with serving(echo) as (server, pool):
        for path in ("/a", "/b?x=1", "/c"):
            response = await pool.request("PATCH", path, body=b'{"k":1}', headers={"Content-Type": "x/y"})
            assert (response.status, response.body) == (200, path.encode())
        assert (pool.opened, server.connections) == (1, 1)
        first = server.requests[0]
        assert first.startswith(b"PATCH /a HTTP/1.1\r\n")
        assert b"Host: 127.0.0.1:" in first
        assert b"User-Agent: test\r\n" in first
        assert b"Content-Type: x/y\r\n" in first
        assert first.endswith(b'Content-Length: 7\r\n\r\n{"k":1}')
        get = await pool.request("GET", "/d")
        assert get.status == 200
        assert b"Content-Length" not in server.requests[-1]


async def test_concurrent_requests_open_at_most_the_limit() -> None:
    release = asyncio.Event()

    async def slow(request: bytes) -> bytes:
        await release.wait()
        return ok(b"done")

    async with serving(slow, limit=2) as (server, pool):
        calls = [asyncio.create_task(pool.request("GET", f"/{i}")) for i in range(5)]
        await eventually(lambda: len(server.requests) >= 2, within=10, what="both connections busy")
        assert pool.opened == 2
        release.set()
        responses = await asyncio.wait_for(asyncio.gather(*calls), 10)
        assert [r.body for r in responses] == [b"done"] * 5
        assert (pool.opened, server.connections) == (2, 2)


async def test_chunked_bodies_and_headers_in_lower_case() -> None:
    async def chunked(request: bytes) -> bytes:
        return (
            b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )

    async with serving(chunked) as (_, pool):
        response = await pool.request("GET", "/")
        assert (response.status, response.body) == (429, b"hello world")
        assert response.headers["retry-after"] == "3"
        again = await pool.request("GET", "/")
        assert again.body == b"hello world"
        assert pool.opened == 1


async def test_connection_close_is_honoured() -> None:
    async def closing(request: bytes) -> bytes:
        return ok(b"bye", "Connection: close")

    async with serving(closing) as (server, pool):
        for _ in range(3):
            assert (await pool.request("GET", "/")).body == b"bye"
        assert (pool.opened, server.connections) == (3, 3)


async def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async with serving(echo) as (server, pool):
        assert (await pool.request("GET", "/one")).body == b"/one"
        server.writers[0].close()  # the server's keep-alive timeout, say
        idle = pool._idle[0]
        await eventually(lambda: idle.closed, within=10, what="the client to see the close")
        assert (await pool.request("GET", "/two")).body == b"/two"
        assert pool.opened == 2


async def test_a_connection_lost_mid_request_raises_and_is_dropped() -> None:
    async def hang_up(request: bytes) -> bytes | None:
        return None if b"/drop" in request else ok(b"fine")

    async with serving(hang_up) as (_, pool):
        with pytest.raises(ConnectionError):
            await pool.request("GET", "/drop")
        assert not pool._idle
        assert (await pool.request("GET", "/next")).body == b"fine"


async def test_a_silent_server_times_out_and_the_connection_is_not_reused() -> None:
    answered = asyncio.Event()

    async def silent_once(request: bytes) -> bytes:
        if b"/silent" in request:
            await answered.wait()  # never set: the client gives up first
        return ok(b"late" if b"/silent" in request else b"prompt")

    async with serving(silent_once) as (_, pool):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await pool.request("GET", "/silent")
        assert not pool._idle
        assert (await pool.request("GET", "/next")).body == b"prompt"
        assert pool.opened == 2


async def test_a_refused_connection_is_an_os_error() -> None:
    server = ScriptedServer(echo)
    port = await server.start()
    await server.stop()
    pool = Http1Pool("127.0.0.1", port, limit=1, headers={})
    with pytest.raises(ConnectionRefusedError):
        await pool.request("GET", "/")
    await pool.close()


def test_under_uvloop_as_the_processes_run_it() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def exchange() -> list[bytes]:
        async with serving(echo) as (_, pool):
            return [(await pool.request("GET", f"/{i}")).body for i in range(3)]

    assert uvloop.run(exchange()) == [b"/0", b"/1", b"/2"]


async def test_an_ipv6_server_is_named_in_brackets() -> None:
    requests: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(ok(b"v6"))
        await writer.drain()
        writer.close()

    try:
        server = await asyncio.start_server(serve, "::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = int(server.sockets[0].getsockname()[1])
    pool = Http1Pool("::1", port, limit=1, headers={})
    try:
        assert (await pool.request("GET", "/")).body == b"v6"
        assert f"Host: [::1]:{port}\r\n".encode() in requests[0]
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()
