"""Until TLS and authentication exist, the server is this machine's alone: it answers only to
loopback names (no DNS rebinding from a web page), takes only the body types upstream takes (no
``text/plain`` form posts), and keeps its state file private."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from everynode.spawn.apiserver import ApiServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    with ApiServerProcess(f"sqlite:///{tmp_path_factory.mktemp('exposure')}/state.db") as process:
        yield process


def exchange(server: ApiServerProcess, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request over a raw socket (so that the Host header is exactly what the test says)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            head.encode() + (f"Content-Length: {len(body)}\r\n" if body else "").encode() + b"\r\n" + body
        )
        data = b""
        while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:6443", "127.0.0.1:1234", "[::1]:6443", "kube.localhost"]
)
def test_loopback_names_are_answered(server: ApiServerProcess, host: str) -> None:
    status, _ = exchange(
        server, f"GET /api/v1/namespaces/default HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    )
    assert status == 200


@pytest.mark.parametrize(
    "host", ["evil.example.com", "evil.example.com:6443", "10.1.2.3", "localhost.evil.example"]
)
def test_other_names_are_refused_with_a_status(server: ApiServerProcess, host: str) -> None:
    for method, path, body in [
        ("GET", "/api/v1/namespaces/default", b""),
        ("POST", "/api/v1/namespaces", b'{"metadata":{"name":"rebound"}}'),
        ("GET", "/api/v1/namespaces?watch=1", b""),  # a watch, served by aiohttp
    ]:
        status, answer = exchange(
            server,
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n",
            body,
        )
        refusal = orjson.loads(answer)
        assert (status, refusal["reason"]) == (403, "Forbidden"), answer
        assert "not a name of this server" in refusal["message"]
    assert (
        exchange(
            server, "GET /api/v1/namespaces/rebound HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        )[0]
        == 404
    )


def test_a_request_without_a_host_is_answered(server: ApiServerProcess) -> None:
    assert exchange(server, "GET /api/v1/namespaces/default HTTP/1.0\r\n")[0] == 200


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain", b'{"metadata":{"name":"form-post"}}', 415),
        ("application/x-www-form-urlencoded", b'{"metadata":{"name":"form-post"}}', 415),
        ("*/*", b'{"metadata":{"name":"form-post"}}', 415),
        ("text/yaml", b"metadata: {name: form-post}", 415),
        ("application/x-yaml", b"metadata: {name: form-post}", 415),
        (None, b'{"metadata":{"name":"no-type"}}', 201),
        ("application/json; charset=utf-8", b'{"metadata":{"name":"json-charset"}}', 201),
        ("application/yaml", b"metadata: {name: yaml-body}", 201),
    ],
)
def test_only_upstreams_body_types_are_read(
    server: ApiServerProcess, content_type: str | None, body: bytes, expected: int
) -> None:
    header = f"Content-Type: {content_type}\r\n" if content_type else ""
    status, answer = exchange(
        server, f"POST /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\n{header}Connection: close\r\n", body
    )
    assert status == expected, answer
    if expected == 415:
        assert orjson.loads(answer)["reason"] == "UnsupportedMediaType"
        lookup = "GET /api/v1/namespaces/form-post HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        assert exchange(server, lookup)[0] == 404


def test_the_state_file_is_its_owners_alone(server: ApiServerProcess) -> None:
    path = Path(server.storage.removeprefix("sqlite://"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_older_state_file_readable_by_others_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    with ApiServerProcess(f"sqlite:///{path}") as process:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "narrowing it to 0600" in process.logs()
