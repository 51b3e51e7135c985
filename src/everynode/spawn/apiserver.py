"""Run a real API server as a child process on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO, Self

import yaml

from everynode.client.config import kubeconfig_document
from everynode.spawn.etcd import free_port
from everynode.spawn.stop import stop_process


class ApiServerProcess:
    def __init__(self, storage: str, *, port: int | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.storage = storage
        self.port = port or free_port()
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="everynode-apiserver-", suffix=".log")[1])
        self._log: BinaryIO | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Self:
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "everynode",
                "apiserver",
                "--storage",
                self.storage,
                "--port",
                str(self.port),
                *self.extra_args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.stop()
                raise RuntimeError(f"the API server exited with {code}:\n{self.logs()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"the API server was not ready within {timeout} s:\n{self.logs()}")

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig for this server at ``path`` (for kubectl and clients in tests)."""
        path.write_text(yaml.safe_dump(kubeconfig_document(self.url), sort_keys=False))
        return path

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, grace=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)
