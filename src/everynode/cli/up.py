"""`everynode up`: the whole cluster on one machine, as child processes.

Starts the API server (SQLite under ``--data-dir`` unless ``--storage`` says otherwise), writes
``<data-dir>/kubeconfig``, starts the controller-manager (every controller and the scheduler) and the
node agent, creates ``--nodes`` simulated nodes (``node-1`` …; existing ones are kept), and prints the
``export KUBECONFIG=…`` line. A child that dies is reported and restarted. Ctrl-C or SIGTERM stops
everything; a second ``up`` on the same data directory resumes the same cluster.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from everynode.apiserver.edge.exposure import check_bind
from everynode.cli import eventloop
from everynode.cli.nodes import create_nodes, simulated_node
from everynode.cli.supervisor import Child, GaveUp, Supervisor
from everynode.client.config import ClientConfig, kubeconfig_document
from everynode.client.rest import RestClient
from everynode.controllers.nodelifecycle.controller import GRACE_PERIOD
from everynode.controllers.podgc.controller import QUARANTINE
from everynode.core import errors

READY_TIMEOUT = 30.0
CHECK_INTERVAL = 0.5


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("up", help="start the embedded cluster")
    parser.add_argument("--data-dir", default="./.everynode", help="where the cluster keeps its state")
    parser.add_argument("--storage", default=None, help="storage DSN (default: SQLite in --data-dir)")
    parser.add_argument("--bind", default="127.0.0.1", help="loopback address the API server listens on")
    parser.add_argument("--port", type=int, default=6443, help="port the API server listens on")
    parser.add_argument("--nodes", type=int, default=3, help="simulated nodes to have (node-1 …)")
    parser.add_argument(
        "--node-grace-period",
        type=float,
        default=GRACE_PERIOD,
        help="seconds without a heartbeat before a node is Unknown and tainted unreachable",
    )
    parser.add_argument(
        "--pod-gc-quarantine",
        type=float,
        default=QUARANTINE,
        help="seconds a deleted node's pods are kept before pod GC removes them",
    )
    parser.set_defaults(run=run)


def _everynode(*args: str) -> list[str]:
    return [sys.executable, "-m", "everynode", *args]


def run(args: argparse.Namespace) -> int:
    if args.nodes < 0:
        raise ValueError("--nodes must be 0 or more")
    if args.node_grace_period <= 0 or args.pod_gc_quarantine < 0:
        raise ValueError("--node-grace-period must be positive and --pod-gc-quarantine not negative")
    check_bind(args.bind)
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    storage = args.storage or f"sqlite:///{data_dir / 'state.db'}"
    host = f"[{args.bind}]" if ":" in args.bind else args.bind
    server = f"http://{host}:{args.port}"
    config_path = data_dir / "kubeconfig"
    supervisor = Supervisor()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        apiserver = supervisor.start(
            Child(
                "apiserver",
                _everynode("apiserver", "--storage", storage, "--bind", args.bind, "--port", str(args.port)),
                data_dir / "apiserver.log",
            )
        )
        if not _wait_ready(server, apiserver, lambda: stopping):
            if stopping:
                return 0
            print(
                f"everynode up: the API server did not start (see {apiserver.log_path}):\n{apiserver.tail()}",
                file=sys.stderr,
            )
            return 1
        config_path.write_text(yaml.safe_dump(kubeconfig_document(server), sort_keys=False))
        os.chmod(config_path, 0o600)
        kubeconfig = str(config_path)
        supervisor.start(
            Child(
                "controller-manager",
                _everynode(
                    "controller-manager",
                    "--kubeconfig",
                    kubeconfig,
                    "--node-grace-period",
                    str(args.node_grace_period),
                    "--pod-gc-quarantine",
                    str(args.pod_gc_quarantine),
                    "--pod-gc-interval",
                    str(min(20.0, max(0.5, args.pod_gc_quarantine / 2))),
                ),
                data_dir / "controller-manager.log",
            )
        )
        supervisor.start(
            Child(
                "node-agent",
                _everynode(
                    "node-agent",
                    "--kubeconfig",
                    kubeconfig,
                    # heartbeats well inside the grace period, or healthy nodes would look lost
                    "--lease-interval",
                    str(min(10.0, args.node_grace_period / 4)),
                ),
                data_dir / "node-agent.log",
            )
        )
        created = _ensure_nodes(server, args.nodes)
        print(f"everynode is up: API server {server}, storage {storage}")
        if created:
            print(f"  created nodes: {', '.join(created)}")
        print(f"  export KUBECONFIG={config_path}")
        print("  kubectl get nodes")
        print(f"Logs are in {data_dir}; Ctrl-C stops everything.")
        sys.stdout.flush()
        while not stopping:
            time.sleep(CHECK_INTERVAL)
            if not stopping:
                supervisor.check()
        return 0
    except GaveUp as exc:
        print(f"everynode up: giving up: {exc}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all()


def _ensure_nodes(server: str, count: int) -> list[str]:
    """Create the simulated nodes ``node-1`` … ``node-<count>`` that do not exist yet."""
    nodes = [simulated_node(name=f"node-{i}", labels={}, taints=[]) for i in range(1, count + 1)]

    async def create() -> list[str]:
        async with RestClient(ClientConfig(server=server)) as client:
            return await create_nodes(client, nodes, exist_ok=True)

    try:
        return eventloop.run(create())
    except errors.ApiError as exc:
        raise RuntimeError(f"creating the nodes failed: {exc}") from None


def _wait_ready(server: str, child: Child, stopping: Any) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and not stopping():
        if child.exited() is not None:
            return False
        try:
            with urllib.request.urlopen(server + "/readyz", timeout=1) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return False
