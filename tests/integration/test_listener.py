"""The API server's listener: every waiting connection is accepted at once, on uvloop as on asyncio."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
import uvloop

from everynode.apiserver.edge.listener import Listener


class Echo(asyncio.Protocol):
    made: list[Echo] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        Echo.made.append(self)

    def data_received(self, data: bytes) -> None:
        self.transport.write(data.upper())  # type: ignore[attr-defined]


def on_uvloop(test: Callable[[], Awaitable[None]]) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(test())


async def until(condition: Callable[[], bool], *, turns: int = 1000) -> int:
    """Loop iterations until ``condition`` holds (fails after ``turns``)."""
    for turn in range(turns):
        if condition():
            return turn
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


def test_one_wakeup_accepts_every_waiting_connection() -> None:
    async def scenario() -> None:
        Echo.made = []
        listener = Listener(Echo, "127.0.0.1", 0)
        clients = []
        try:
            # Blocking connects: the kernel completes each handshake and queues the connection,
            # so all fifty wait to be accepted before the loop looks at the listening socket once.
            for _ in range(50):
                client = socket.create_connection(("127.0.0.1", listener.port))
                client.sendall(b"ping")
                clients.append(client)
            turns = await until(lambda: len(Echo.made) == 50)
            # uvloop's own server accepts about one per turn; here they all arrive together.
            assert turns < 10
            for client in clients:
                client.settimeout(5)
                assert client.recv(4) == b"PING"
        finally:
            for client in clients:
                client.close()
            for echo in Echo.made:
                echo.transport.close()
            listener.close()

    on_uvloop(scenario)


async def test_the_listener_works_on_the_standard_event_loop_too() -> None:
    Echo.made = []
    listener = Listener(Echo, "127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"hello")
        assert await asyncio.wait_for(reader.readexactly(5), 5) == b"HELLO"
        writer.close()
    finally:
        listener.close()


def test_every_address_of_a_name_listens_on_one_port() -> None:
    async def scenario() -> None:
        listener = Listener(Echo, "localhost", 0)
        try:
            ports = {sock.getsockname()[1] for sock in listener.sockets}
            assert ports == {listener.port}
            families = {sock.family for sock in listener.sockets}
            assert socket.AF_INET in families
        finally:
            listener.close()

    on_uvloop(scenario)


def test_a_closed_listener_refuses_connections() -> None:
    async def scenario() -> None:
        listener = Listener(Echo, "127.0.0.1", 0)
        port = listener.port
        listener.close()
        assert all(sock.fileno() == -1 for sock in listener.sockets)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

    on_uvloop(scenario)


def test_a_taken_port_is_an_error() -> None:
    async def scenario() -> None:
        first = Listener(Echo, "127.0.0.1", 0)
        try:
            with pytest.raises(OSError, match="in use"):
                Listener(Echo, "127.0.0.1", first.port)
        finally:
            first.close()

    on_uvloop(scenario)
