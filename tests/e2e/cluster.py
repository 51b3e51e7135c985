"""A whole `everynode up` cluster for end-to-end tests, driven only through its CLI and the real kubectl.

Nothing here imports everynode beyond ``everynode.testing``: the cluster is a child process, and every
read and write goes through ``kubectl`` (or ``everynode nodes create``), as a user's would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TypeVar

from everynode.core.types import Obj
from everynode.testing.kubectl import kubectl_path
from tests.polling import poll_until

EVERYNODE = [sys.executable, "-m", "everynode"]
KUBECTL = kubectl_path()
DEADLINE = 45.0  # seconds, for anything awaited
POLL = 0.2  # seconds between two looks
LOGS = ("apiserver.log", "controller-manager.log", "node-agent.log")
T = TypeVar("T")


class Cluster:
    """One `everynode up` on ``data_dir`` and ``port``; start() and stop() may be called again."""

    def __init__(self, data_dir: Path, port: int, *, nodes: int = 3, up_args: Iterable[str] = ()) -> None:
        self.data_dir = data_dir
        self.port = port
        self.nodes = nodes
        self.up_args = tuple(up_args)
        self.kubeconfig = data_dir / "kubeconfig"
        self.cache_dir = data_dir.parent / f"{data_dir.name}-kubectl-cache"
        self.process: subprocess.Popen[bytes] | None = None
        self.output_path: Path | None = None
        self._output: IO[bytes] | None = None
        self.starts = 0

    # -- the `up` process ---------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> str:
        """Start `up` and wait for its ``export KUBECONFIG=`` line and Ready nodes; the output so far."""
        assert self.process is None, "already started"
        self.starts += 1
        self.output_path = self.data_dir.parent / f"{self.data_dir.name}-up-{self.starts}.out"
        self._output = open(self.output_path, "wb")  # noqa: SIM115 (kept open while `up` runs)
        self.process = subprocess.Popen(
            [
                *EVERYNODE,
                "up",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
                "--nodes",
                str(self.nodes),
                *self.up_args,
            ],
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + timeout
        while "export KUBECONFIG=" not in self.output():
            code = self.process.poll()
            if code is not None:
                raise AssertionError(f"`everynode up` exited with {code}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"`everynode up` printed no KUBECONFIG line in {timeout} s:\n{self.output()}"
                )
            time.sleep(0.1)
        return self.output()

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM `up`, wait up to ``grace`` seconds, then SIGKILL; its exit status (None: not running)."""
        process, self.process = self.process, None
        code: int | None = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
                code = None
        if self._output is not None:
            self._output.close()
            self._output = None
        return code

    def output(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path else ""

    def diagnostics(self, lines: int = 25) -> str:
        """The last lines of `up`'s output and of each component's log, for failure messages."""
        parts = [f"--- everynode up output ---\n{self.output()[-2000:]}"]
        for name in LOGS:
            path = self.data_dir / name
            text = path.read_text(errors="replace") if path.exists() else "(missing)"
            parts.append(f"--- {path} ---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)

    # -- commands -----------------------------------------------------------------------------------

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        result = subprocess.run(
            [KUBECTL, "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache_dir), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited with {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def out(self, *args: str, stdin: str | None = None) -> str:
        """kubectl's stdout (it must succeed)."""
        return self.kubectl(*args, stdin=stdin).stdout

    def json(self, *args: str) -> Obj:
        result: Obj = json.loads(self.out(*args, "-o", "json"))
        return result

    def apply(self, *objects: Obj) -> str:
        return self.out(
            "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
        )

    def everynode(self, *args: str) -> str:
        result = subprocess.run([*EVERYNODE, *args], capture_output=True, text=True, timeout=90, check=False)
        assert result.returncode == 0, (
            f"everynode {' '.join(args)} exited with {result.returncode}:\n{result}"
        )
        return result.stdout

    def create_nodes(self, count: int = 1, *extra: str) -> list[str]:
        """`everynode nodes create`: the new nodes' names, once each is Ready."""
        printed = self.everynode(
            "nodes", "create", "--kubeconfig", str(self.kubeconfig), "--count", str(count), *extra
        )
        names = re.findall(r"^node/(node-[a-z0-9]{5}) created$", printed, re.MULTILINE)
        assert len(names) == count, printed
        self.eventually(lambda: self.nodes_ready(names), f"the new nodes {names} Ready")
        return names

    # -- reads --------------------------------------------------------------------------------------

    def node_names(self) -> list[str]:
        return sorted(node["metadata"]["name"] for node in self.json("get", "nodes")["items"])

    def nodes_ready(self, names: Iterable[str]) -> bool:
        rows = {row["NAME"]: row for row in table(self.out("get", "nodes"))}
        missing = [name for name in names if not rows.get(name, {}).get("STATUS", "").startswith("Ready")]
        assert not missing, f"not Ready: {missing}\n{rows}"
        return True

    def pods(self, namespace: str, selector: str) -> list[Obj]:
        items: list[Obj] = self.json("get", "pods", "-n", namespace, "-l", selector)["items"]
        return items

    def daemonset(self, namespace: str, name: str) -> Obj:
        return self.json("get", "ds", name, "-n", namespace)

    # -- waiting ------------------------------------------------------------------------------------

    def eventually(self, check: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
        """``check()``'s first truthy result (``tests.polling.poll_until``); at the deadline, fail with
        the last reason and the tails of the cluster's logs."""
        return poll_until(
            check, what=what, within=timeout, every=POLL, diagnostics=lambda: "\n" + self.diagnostics()
        )

    def consistently(self, check: Callable[[], object], what: str, duration: float = 2.0) -> None:
        """``check()`` holds (does not raise) on every look for ``duration`` seconds: for what must
        *not* happen, checked only after an awaited sign that the cluster has reacted."""
        deadline = time.monotonic() + duration
        while True:
            try:
                check()
            except AssertionError as exc:
                raise AssertionError(f"{what} stopped holding: {exc}\n{self.diagnostics()}") from None
            if time.monotonic() > deadline:
                return
            time.sleep(POLL)


# -- pods -------------------------------------------------------------------------------------------


def is_ready(pod: Obj) -> bool:
    """Running, Ready and not being deleted."""
    if pod["metadata"].get("deletionTimestamp") or pod.get("status", {}).get("phase") != "Running":
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in pod["status"].get("conditions") or ()
    )


def by_node(pods: Iterable[Obj]) -> dict[str, list[Obj]]:
    found: dict[str, list[Obj]] = {}
    for pod in pods:
        found.setdefault(pod["spec"].get("nodeName") or "", []).append(pod)
    return found


def summary(pods: Iterable[Obj]) -> str:
    return "\n".join(
        f"  {p['metadata']['name']} node={p['spec'].get('nodeName')} "
        f"phase={p.get('status', {}).get('phase')} ready={is_ready(p)} "
        f"deleting={bool(p['metadata'].get('deletionTimestamp'))} labels={p['metadata'].get('labels')}"
        for p in pods
    )


def one_ready_pod_per_node(pods: list[Obj], nodes: Iterable[str]) -> dict[str, Obj]:
    """Exactly one pod on each of ``nodes``, Ready, and no pod elsewhere: the pods by node."""
    nodes = set(nodes)
    grouped = by_node(pods)
    problems = [
        f"{node}: {len(grouped.get(node, []))} pods"
        for node in sorted(nodes)
        if len(grouped.get(node, [])) != 1
    ]
    problems += [f"{node or '<unbound>'}: unexpected pods" for node in grouped if node not in nodes]
    problems += [
        f"{node}: not Ready"
        for node, found in grouped.items()
        if node in nodes and not all(map(is_ready, found))
    ]
    assert not problems, f"{problems}\n{summary(pods)}"
    return {node: grouped[node][0] for node in nodes}


def table(text: str) -> list[dict[str, str]]:
    """A kubectl table as rows of column → cell (columns are separated by 2+ spaces)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = re.split(r"\s{2,}", lines[0].strip())
    return [dict(zip(header, re.split(r"\s{2,}", line.strip()), strict=False)) for line in lines[1:]]


# -- a watch through kubectl ------------------------------------------------------------------------


class PodWatch:
    """`kubectl get pods -w -o json --output-watch-events` in the background: every event, in order,
    and the pods as they stand after each. ``on_event`` (if set) sees the pods after every event."""

    def __init__(self, cluster: Cluster, namespace: str, selector: str) -> None:
        assert KUBECTL is not None
        self.lock = threading.Lock()
        self.pods: dict[str, Obj] = {}  # uid -> pod
        self.events: list[tuple[str, Obj]] = []
        self.errors: list[str] = []
        self.on_event: Callable[[dict[str, Obj]], None] | None = None
        self.process = subprocess.Popen(
            [
                KUBECTL,
                "--kubeconfig",
                str(cluster.kubeconfig),
                "--cache-dir",
                str(cluster.cache_dir),
                "get",
                "pods",
                "-n",
                namespace,
                "-l",
                selector,
                "-w",
                "-o",
                "json",
                "--output-watch-events",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        buffer: list[str] = []
        try:
            for line in self.process.stdout:
                buffer.append(line)
                try:  # an event is one line of JSON (or several, were it indented)
                    event = json.loads("".join(buffer))
                except json.JSONDecodeError:
                    continue
                buffer.clear()
                kind, pod = event["type"], event["object"]
                with self.lock:
                    self.events.append((kind, pod))
                    if kind == "DELETED":
                        self.pods.pop(pod["metadata"]["uid"], None)
                    elif kind in ("ADDED", "MODIFIED"):
                        self.pods[pod["metadata"]["uid"]] = pod
                    if self.on_event is not None:
                        self.on_event(dict(self.pods))
        except Exception as exc:  # reported by the test through self.errors
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def current(self) -> list[Obj]:
        with self.lock:
            return list(self.pods.values())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)
        self.thread.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
