"""SIGTERM ends the API server promptly even while watches are open (they are ended, not awaited)."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

from everynode.spawn.apiserver import ApiServerProcess


def open_watch(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    return sock


def test_sigterm_with_open_watches_exits_cleanly_and_soon(tmp_path: Path) -> None:
    server = ApiServerProcess(f"sqlite:///{tmp_path / 'state.db'}").start()
    watches = [
        open_watch(server.port, "/api/v1/pods?watch=1"),
        open_watch(server.port, "/api/v1/nodes?watch=1"),
    ]
    process = server.process
    assert process is not None
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(30)
    elapsed = time.monotonic() - started
    for sock in watches:
        sock.close()
    server.stop()
    assert code == 0
    assert elapsed < 8, f"took {elapsed:.1f} s (aiohttp waits up to 60 s for handlers still running)"
