"""The API server's listening sockets, accepting every waiting connection each time the loop looks.

Why not ``loop.create_server``: measured on this machine class, uvloop's server accepts about one
connection per event-loop iteration when the loop is busy. 300 clients connecting at once to a loop
whose iterations take 10 ms were accepted over 3.1 s by uvloop's server, over 0.04 s by this one.
At 5,000 nodes the node agent opens ~320 connections in its first seconds while the API server's
iterations take ~10 ms: the kernel completed each handshake at once (the client's ``connect``
returned), but the requests waited 1 to 3.8 s in sockets nobody had accepted yet. Here a reader on each
listening socket accepts until the kernel has none left, and hands each connection to the loop
(``connect_accepted_socket``), whose transports are then uvloop's own.

The backlog is the kernel's maximum (it caps the value at ``net.core.somaxconn``), as Go's listeners
ask for it, kube-apiserver's among them; asyncio's default of 100 overflowed under the same burst,
and every dropped handshake cost its request the client's 1 s SYN retransmission.

At most ``max_connections`` connections are open at once (0: the open-file limit less
``FD_RESERVE``): beyond that the listener stops accepting, and the next clients wait in the
kernel's backlog until connections close, so that open connections can never use up the file
descriptors the server needs for its storage. Slow and idle connections are closed by their
deadlines (``edge.plain``), which is what frees the places.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import socket
from collections.abc import Callable
from typing import cast

log = logging.getLogger(__name__)

BACKLOG = 4096
RETRY_AFTER_ERROR = 0.1  # seconds to stop accepting after an error such as EMFILE (no busy loop)
RETRY_WHEN_FULL = 0.1  # seconds between looks for a free place when at the connection limit
FD_RESERVE = 256  # file descriptors kept for everything but connections (storage, logs, etcd)
_TRANSIENT = (errno.ECONNABORTED, errno.EPROTO)  # EINTR arrives as InterruptedError, handled above


class Listener:
    """Listening on ``host:port`` (every address the name has; port 0: one free port for all)."""

    def __init__(
        self,
        protocol_factory: Callable[[], asyncio.Protocol],
        host: str,
        port: int,
        *,
        max_connections: int = 0,
    ) -> None:
        self._factory = protocol_factory
        self._loop = asyncio.get_running_loop()
        self._handovers: set[asyncio.Task[object]] = set()
        self.max_connections = max_connections or default_max_connections()
        self._open: set[asyncio.BaseTransport] = set()  # closed ones are swept when they add up
        self._sweep_at = 1024
        self.sockets = _bind(host, port)
        self.port: int = self.sockets[0].getsockname()[1]
        for sock in self.sockets:
            self._loop.add_reader(sock.fileno(), self._accept_all, sock)

    def _sweep(self) -> None:
        self._open = {transport for transport in self._open if not transport.is_closing()}
        self._sweep_at = max(1024, 2 * len(self._open))

    def _accept_all(self, listening: socket.socket) -> None:
        while True:
            if len(self._open) + len(self._handovers) >= self.max_connections:
                self._sweep()
                if len(self._open) + len(self._handovers) >= self.max_connections:
                    log.warning(
                        "apiserver: %d connections open, the limit; new ones wait until some close",
                        self.max_connections,
                    )
                    self._pause(listening, RETRY_WHEN_FULL)
                    return
            try:
                conn, _ = listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _TRANSIENT:
                    continue
                log.warning("apiserver: accepting a connection failed: %s; pausing accepts briefly", exc)
                self._pause(listening, RETRY_AFTER_ERROR)
                return
            self._hand_over(conn)

    def _pause(self, listening: socket.socket, seconds: float) -> None:
        self._loop.remove_reader(listening.fileno())
        self._loop.call_later(seconds, self._resume, listening)

    def _resume(self, listening: socket.socket) -> None:
        if listening.fileno() >= 0:
            self._loop.add_reader(listening.fileno(), self._accept_all, listening)

    def _hand_over(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = self._loop.create_task(self._loop.connect_accepted_socket(self._factory, sock=conn))
        self._handovers.add(task)
        task.add_done_callback(self._handed_over)

    def _handed_over(self, task: asyncio.Task[object]) -> None:
        self._handovers.discard(task)
        if task.cancelled():
            return
        if task.exception() is not None:
            log.warning("apiserver: could not serve an accepted connection: %s", task.exception())
            return
        transport, _ = cast(tuple[asyncio.BaseTransport, asyncio.BaseProtocol], task.result())
        self._open.add(transport)
        if len(self._open) >= self._sweep_at:
            self._sweep()

    def close(self) -> None:
        """Stop accepting (connections already accepted are the caller's to close)."""
        for sock in self.sockets:
            if sock.fileno() >= 0:
                self._loop.remove_reader(sock.fileno())
                sock.close()
        for task in self._handovers:
            task.cancel()


def default_max_connections() -> int:
    """The open-file limit (raised to its hard limit, as Go's runtime does) less ``FD_RESERVE``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(64, soft - FD_RESERVE)


def _bind(host: str, port: int) -> list[socket.socket]:
    """A non-blocking listening socket per address of ``host``, all on one port."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            bound = address
            if sockets[0] is not sock:  # port 0: the others take the port the first one got
                bound = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(bound)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets
