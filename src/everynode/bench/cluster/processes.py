"""The cluster's processes (API server, controller-manager, node agent) and the bench's own client."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from everynode.bench.probe import Call, classify
from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core.types import Obj
from everynode.spawn.apiserver import ApiServerProcess
from everynode.spawn.stop import stop_process

# -- the processes ---------------------------------------------------------------------------------


class ClusterProcesses:
    """The API server, controller-manager and node agent, started with the arguments `up` uses."""

    def __init__(self, storage: str, log_dir: Path, *, probe: bool, lease_interval: float) -> None:
        self.storage = storage
        self.log_dir = log_dir
        self.probe = probe
        self.lease_interval = lease_interval
        self.apiserver: ApiServerProcess | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    @property
    def url(self) -> str:
        assert self.apiserver is not None
        return self.apiserver.url

    def probe_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.calls"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.apiserver = ApiServerProcess(self.storage).start(timeout=60)
        kubeconfig = str(self.apiserver.write_kubeconfig(self.log_dir / "kubeconfig"))
        commands = {
            "controller-manager": [
                "controller-manager",
                "--kubeconfig",
                kubeconfig,
                "--node-grace-period",
                "40",
                "--pod-gc-quarantine",
                "40",
                "--pod-gc-interval",
                "20",
            ],
            "node-agent": [
                "node-agent",
                "--kubeconfig",
                kubeconfig,
                "--lease-interval",
                str(self.lease_interval),
            ],
        }
        for name, args in commands.items():
            prefix = (
                ["-m", "everynode.bench.probe", str(self.probe_file(name))]
                if self.probe
                else ["-m", "everynode"]
            )
            log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (open while the child runs)
            self._logs.append(log)
            self.children[name] = subprocess.Popen(
                [sys.executable, *prefix, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def pids(self) -> dict[str, int]:
        found = {name: child.pid for name, child in self.children.items()}
        if self.apiserver is not None and self.apiserver.process is not None:
            found = {"apiserver": self.apiserver.process.pid, **found}
        return found

    def check(self) -> None:
        """``RuntimeError`` (with the end of its log) if a process has exited."""
        if self.apiserver is not None and self.apiserver.process is not None:
            code = self.apiserver.process.poll()
            if code is not None:
                raise RuntimeError(f"the API server exited with {code}:\n{self.apiserver.logs()[-2000:]}")
        for name, child in self.children.items():
            code = child.poll()
            if code is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the {name} exited with {code}:\n{tail}")

    def stop(self) -> None:
        """Components first, the API server last; its log is kept beside theirs."""
        for child in reversed(list(self.children.values())):
            stop_process(child, grace=10)
        for log in self._logs:
            log.close()
        self._logs.clear()
        if self.apiserver is not None:
            self.apiserver.stop()
            with contextlib.suppress(OSError):
                shutil.copyfile(self.apiserver.log_path, self.log_dir / "apiserver.log")
                self.apiserver.log_path.unlink()


# -- the bench's own client ------------------------------------------------------------------------


class TimedClient(RestClient):
    """The bench's client: no throttling, every call recorded as a ``Call`` of component "bench"."""

    def __init__(self, server: str) -> None:
        super().__init__(ClientConfig(server=server, qps=1e9, burst=10**9, user_agent="everynode-bench"))
        self.calls: list[Call] = []

    async def request(self, method: str, path: str, **kwargs: Any) -> Obj:
        started = time.monotonic()
        outcome = "ok"
        try:
            return await super().request(method, path, **kwargs)
        except errors.ApiError as exc:
            outcome = str(exc.code)
            raise
        finally:
            ended = time.monotonic()
            verb, resource = classify(method, path)
            self.calls.append(Call(ended, ended - started, 0.0, verb, resource, outcome, "bench"))
