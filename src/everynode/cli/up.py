"""`everynode up`: the embedded cluster on one machine.

Starts the API server as a child process on SQLite under ``--data-dir``, writes
``<data-dir>/kubeconfig``, prints how to use it, and stops everything on Ctrl-C or SIGTERM. A
second ``up`` on the same data directory resumes the same cluster. The controller-manager and the
simulated nodes join this command when they exist (the cluster issue); until then it says so.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from everynode.client.config import kubeconfig_document

READY_TIMEOUT = 30.0


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("up", help="start the embedded cluster")
    parser.add_argument("--data-dir", default="./.everynode", help="where the cluster keeps its state")
    parser.add_argument("--storage", default=None, help="storage DSN (default: SQLite in --data-dir)")
    parser.add_argument("--bind", default="127.0.0.1", help="address the API server listens on")
    parser.add_argument("--port", type=int, default=6443, help="port the API server listens on")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    storage = args.storage or f"sqlite:///{data_dir / 'state.db'}"
    host = "127.0.0.1" if args.bind in ("0.0.0.0", "::") else args.bind
    server = f"http://{host}:{args.port}"
    log_path = data_dir / "apiserver.log"
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "everynode",
                "apiserver",
                "--storage",
                storage,
                "--bind",
                args.bind,
                "--port",
                str(args.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        if not _wait_ready(server, child):
            child.kill()
            tail = log_path.read_text(errors="replace")[-2000:]
            print(f"everynode up: the API server did not start (see {log_path}):\n{tail}", file=sys.stderr)
            return 1
        config_path = data_dir / "kubeconfig"
        config_path.write_text(yaml.safe_dump(kubeconfig_document(server), sort_keys=False))
        os.chmod(config_path, 0o600)
        print(f"everynode is up: API server {server}, storage {storage}")
        print(f"  export KUBECONFIG={config_path}")
        print("  kubectl get namespaces")
        print("The controller-manager and simulated nodes are not part of everynode yet; Ctrl-C stops.")
        sys.stdout.flush()
        code = child.wait()
        return 0 if stopping else code


def _wait_ready(server: str, child: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(server + "/readyz", timeout=1) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return False
