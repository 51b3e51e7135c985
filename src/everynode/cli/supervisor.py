"""Child processes of `everynode up`: started, watched, restarted when they die, stopped in order.

A child that exits on its own is reported on stderr and restarted; one that keeps dying (more than
``max_restarts`` within ``window`` seconds) is given up on, and ``up`` stops. Stopping sends SIGTERM
to every child (last started first), waits ``grace`` seconds, then SIGKILLs what is left.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from everynode.spawn.stop import stop_process


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)
    _log: IO[bytes] | None = None

    def start(self) -> None:
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (kept open while the child runs)
        self.process = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, grace: float) -> None:
        stop_process(self.process, grace)
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class GaveUp(RuntimeError):
    pass


class Supervisor:
    def __init__(self, *, max_restarts: int = 5, window: float = 60.0, grace: float = 10.0) -> None:
        self.children: list[Child] = []
        self.max_restarts = max_restarts
        self.window = window
        self.grace = grace

    def start(self, child: Child) -> Child:
        child.start()
        self.children.append(child)
        return child

    def check(self) -> None:
        """Restart every child that has exited; ``GaveUp`` when one keeps dying."""
        now = time.monotonic()
        for child in self.children:
            code = child.exited()
            if code is None:
                continue
            while child.restarts and now - child.restarts[0] > self.window:
                child.restarts.popleft()
            if len(child.restarts) >= self.max_restarts:
                raise GaveUp(
                    f"{child.name} exited {len(child.restarts) + 1} times within {self.window:.0f} s; "
                    f"last output:\n{child.tail()}"
                )
            child.restarts.append(now)
            print(
                f"everynode up: {child.name} exited with code {code}; restarting it (log: {child.log_path})",
                file=sys.stderr,
                flush=True,
            )
            child.start()

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop(self.grace)
