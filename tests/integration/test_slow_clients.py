"""Slow and idle clients are closed by their deadlines, and everyone else is served throughout.

The server runs with short timeouts (a head within 1 s, a body and a response within 2 s, a
keep-alive connection idle at most 2 s) so that the attacks of a slow-loris client play out in
seconds: heads trickled a byte at a time, bodies trickled after a whole head, connections that send
nothing, a client that stops reading a large response, and more connections than the server allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator

import orjson
import pytest
import urllib3

from everynode.spawn.apiserver import ApiServerProcess
from tests.integration.support import eventually

LIMITS = ("--request-header-timeout", "1", "--request-timeout", "2", "--idle-timeout", "2")
CLOSED_WITHIN = 8.0  # seconds: the longest deadline plus generous scheduling slack


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    dsn = f"sqlite:///{tmp_path_factory.mktemp('slow') / 'state.db'}"
    with ApiServerProcess(dsn, extra_args=(*LIMITS, "--max-connections", "100")) as process:
        yield process


class Client(asyncio.Protocol):
    """A raw connection, for writing requests byte by byte.

    It keeps every byte the server sent even when a later write of its own fails: a server that
    answers and closes while this client is still trickling makes the next write fail with a
    reset, and ``asyncio.StreamReader`` would then raise instead of returning what it had read.
    Every client is closed when the test ends (``OPEN``).
    """

    def __init__(self) -> None:
        self.received = bytearray()
        self.closed = asyncio.Event()
        self.arrived = asyncio.Event()
        self.transport: asyncio.Transport | None = None

    @classmethod
    async def connect(cls, port: int, *, receive_buffer: int | None = None) -> Client:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        try:
            await loop.sock_connect(sock, ("127.0.0.1", port))
            _, client = await loop.create_connection(cls, sock=sock)
        except BaseException:
            sock.close()
            raise
        OPEN.append(client)
        return client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += data
        self.arrived.set()

    def eof_received(self) -> bool:
        self.closed.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        self.arrived.set()

    async def send(self, data: bytes) -> bool:
        """False once the server has closed the connection."""
        if self.closed.is_set() or self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(data)
        await asyncio.sleep(0)
        return not self.closed.is_set()

    async def trickle(self, data: bytes, every: float) -> None:
        for index in range(len(data)):
            if not await self.send(data[index : index + 1]):
                return
            await asyncio.sleep(every)

    def stop_reading(self) -> None:
        """Leave what the server sends in the kernel's buffers (until ``closed_by_server``)."""
        assert self.transport is not None
        self.transport.pause_reading()

    async def closed_by_server(self, within: float) -> bytes:
        """Everything the server sent before closing; fails if it has not closed within ``within``."""
        if self.transport is not None and not self.transport.is_reading():
            self.transport.resume_reading()
        async with asyncio.timeout(within):
            await self.closed.wait()
        return bytes(self.received)

    async def status_line(self, within: float = 5.0) -> bytes:
        """The first line of the server's answer."""
        async with asyncio.timeout(within):
            while b"\r\n" not in self.received:
                if self.closed.is_set():
                    raise ConnectionError(f"closed before a status line: {bytes(self.received)!r}")
                self.arrived.clear()
                await self.arrived.wait()
        return bytes(self.received.partition(b"\r\n")[0]) + b"\r\n"

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


OPEN: list[Client] = []


@pytest.fixture(autouse=True)
async def close_clients() -> AsyncIterator[None]:
    """Whatever a test asserts, the connections it opened are closed when it ends."""
    yield
    while OPEN:
        OPEN.pop().close()
    await asyncio.sleep(0)  # the transports close on the loop's next turn


def head(method: str, path: str, extra: str = "") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode()


@contextlib.asynccontextmanager
async def served_throughout(port: int) -> AsyncIterator[list[float]]:
    """A well-behaved client asking all along; yields its response times (each must be short)."""
    latencies: list[float] = []
    stop = asyncio.Event()

    async def ask() -> None:
        while not stop.is_set():
            client = await Client.connect(port)
            started = time.monotonic()
            await client.send(head("GET", "/api/v1/namespaces/default"))
            status = await client.status_line()
            assert status.startswith(b"HTTP/1.1 200"), status
            latencies.append(time.monotonic() - started)
            client.close()
            await asyncio.sleep(0.05)

    task = asyncio.create_task(ask())
    try:
        yield latencies
    finally:
        stop.set()
        await task


async def test_slow_heads_slow_bodies_and_idle_connections_are_closed_while_others_are_served(
    server: ApiServerProcess,
) -> None:
    async with served_throughout(server.port) as latencies:
        trickling_heads = [await Client.connect(server.port) for _ in range(20)]
        trickling_bodies = [await Client.connect(server.port) for _ in range(20)]
        idle = [await Client.connect(server.port) for _ in range(20)]
        started = time.monotonic()
        body_head = head(
            "POST", "/api/v1/namespaces", "Content-Type: application/json\r\nContent-Length: 1000\r\n"
        )
        tricklers = [
            asyncio.create_task(client.trickle(head("GET", "/api/v1/namespaces"), every=0.2))
            for client in trickling_heads
        ]
        for client in trickling_bodies:
            await client.send(body_head + b"{")
        tricklers += [
            asyncio.create_task(client.trickle(b" " * 999, every=0.2)) for client in trickling_bodies
        ]

        for client in trickling_heads + idle:
            assert await client.closed_by_server(CLOSED_WITHIN) == b""  # closed without an answer
        for client in trickling_bodies:
            answer = await client.closed_by_server(CLOSED_WITHIN)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
            status = orjson.loads(answer.partition(b"\r\n\r\n")[2])
            assert (status["kind"], status["code"], status["reason"]) == ("Status", 408, "Timeout")
        elapsed = time.monotonic() - started
        for task in tricklers:
            task.cancel()
        for client in trickling_heads + trickling_bodies + idle:
            client.close()
    assert elapsed < CLOSED_WITHIN
    assert latencies, "the well-behaved client was never answered"
    assert max(latencies) < 1.0, latencies


async def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(
    server: ApiServerProcess,
) -> None:
    client = await Client.connect(server.port)
    await client.send(head("GET", "/api/v1/namespaces/default"))
    assert (await client.status_line()).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    await client.closed_by_server(CLOSED_WITHIN)
    assert time.monotonic() - started > 1.5  # the idle timeout (2 s), not the head's (1 s)
    client.close()


async def test_a_slow_head_on_a_connection_aiohttp_serves_is_closed_too(server: ApiServerProcess) -> None:
    client = await Client.connect(server.port)
    body = b'{"metadata":{"name":"handed-over"}}'
    await client.send(
        head("POST", "/api/v1/namespaces", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    assert (await client.status_line()).startswith(b"HTTP/1.1 201")
    trickler = asyncio.create_task(client.trickle(head("GET", "/api/v1/namespaces"), every=0.3))
    await client.closed_by_server(CLOSED_WITHIN)
    trickler.cancel()
    client.close()


async def test_a_client_that_stops_reading_its_response_is_disconnected(server: ApiServerProcess) -> None:
    for index in range(30):  # a node list of ~7 MB: more than the kernel buffers between the two hold
        node = {"metadata": {"name": f"big-{index}", "annotations": {"filler": "x" * 240_000}}}
        response = await asyncio.to_thread(
            urllib3.request, "POST", server.url + "/api/v1/nodes", body=orjson.dumps(node)
        )
        assert response.status == 201, response.data[:200]
    client = await Client.connect(server.port, receive_buffer=4096)
    await client.send(head("GET", "/api/v1/nodes"))
    await client.status_line()
    client.stop_reading()
    await asyncio.sleep(3)  # not reading: the response fills the buffers; the server gives up after 2 s
    received = await client.closed_by_server(CLOSED_WITHIN)
    length = int(received.partition(b"Content-Length: ")[2].partition(b"\r\n")[0])
    assert length > 7_000_000
    assert len(received.partition(b"\r\n\r\n")[2]) < length / 2
    client.close()


async def test_beyond_the_connection_limit_new_clients_wait_until_places_free_up(
    server: ApiServerProcess,
) -> None:
    held = [await Client.connect(server.port) for _ in range(100)]  # the limit; they send nothing
    started = time.monotonic()
    late = await Client.connect(server.port)  # the kernel completes it; the server has not taken it
    await late.send(head("GET", "/api/v1/namespaces/default"))
    status = await late.status_line(CLOSED_WITHIN)
    assert status.startswith(b"HTTP/1.1 200")
    assert time.monotonic() - started > 0.5  # it waited for the idle ones to be closed (after 1 s)

    async def all_closed() -> bool:
        return all(client.closed.is_set() for client in held)

    await eventually(all_closed, within=CLOSED_WITHIN, what="the held connections to be closed")
