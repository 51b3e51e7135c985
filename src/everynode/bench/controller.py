"""`everynode bench controller`: the DaemonSet controller's own CPU cost, with no API server.

The controller runs on hand-filled caches and the in-memory API (writes land in the caches at once),
so what is timed is the sync alone: claiming, placement, the manage and rolling-update decisions, the
status, the template copies of created pods. Phases:

* ``converge``: a DaemonSet appears over N empty nodes; syncs until every node has its pod (250
  creates per sync at most, as upstream).
* ``steady``: N nodes each with its Ready, current pod; a full sync that has nothing to do.
* ``rollout``: the image changes (maxUnavailable 10 %); syncs until every pod is new. Between syncs
  the new pods are marked Ready, untimed (that is the kubelet's work).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from everynode.bench.memoryapi import MemoryDaemonSetApi
from everynode.controllers.daemonset.caches import Caches
from everynode.controllers.daemonset.controller import DaemonSetController
from everynode.core import wellknown
from everynode.core.clock import FakeClock
from everynode.core.timestamps import format_time
from everynode.core.types import Obj


@dataclass(frozen=True, slots=True)
class ControllerBenchOptions:
    nodes: int = 5000
    steady_syncs: int = 5


class _NoEvents:
    def __init__(self) -> None:
        self.count = 0

    def emit(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        self.count += 1


def _node(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "uid": f"node-{name}", "labels": {wellknown.LABEL_HOSTNAME: name}},
        "spec": {},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def _daemonset() -> Obj:
    labels = {"app": "fluentd"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "fluentd",
            "namespace": wellknown.KUBE_SYSTEM,
            "uid": "ds-fluentd",
            "generation": 1,
            "resourceVersion": "1",
            "annotations": {wellknown.ANNOTATION_DS_TEMPLATE_GENERATION: "1"},
        },
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0},
            },
            "revisionHistoryLimit": 10,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "fluentd",
                            "image": "fluentd:v1",
                            "resources": {"limits": {"memory": "200Mi"}},
                        }
                    ],
                    "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
        "status": {},
    }


class _Bench:
    def __init__(self, nodes: int) -> None:
        self.clock = FakeClock(1_700_000_000.0)
        self.caches = Caches()
        self.api = MemoryDaemonSetApi(self.caches, self.clock)
        self.events = _NoEvents()
        self.controller = DaemonSetController(self.api, self.events, self.caches, clock=self.clock)
        self.api.expectations = self.controller.expectations
        for i in range(nodes):
            self.caches.nodes.upsert(_node(f"node-{i:05d}"))
        self.key = "kube-system/fluentd"

    async def sync(self) -> float:
        """One sync; its CPU seconds."""
        started = time.process_time()
        result = await self.controller.reconcile(self.key)
        if result.error is not None:
            raise result.error
        return time.process_time() - started

    def mark_ready(self) -> None:
        since = format_time(self.clock.wall() - 60)
        for pod in self.caches.pods.objects():
            if pod.get("status", {}).get("conditions"):
                continue
            ready = {
                **pod,
                "status": {
                    "phase": "Running",
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": since}],
                },
            }
            self.caches.pods.upsert(ready)

    def pods_with_image(self, image: str) -> int:
        return sum(1 for pod in self.caches.pods.objects() if pod["spec"]["containers"][0]["image"] == image)

    def change_image(self, image: str) -> None:
        ds = self.caches.daemonsets.get(self.key)
        assert ds is not None
        template = {**ds["spec"]["template"], "spec": {**ds["spec"]["template"]["spec"]}}
        template["spec"]["containers"] = [{**template["spec"]["containers"][0], "image": image}]
        generation = ds["metadata"]["generation"] + 1
        meta = {
            **ds["metadata"],
            "generation": generation,
            "annotations": {wellknown.ANNOTATION_DS_TEMPLATE_GENERATION: str(generation)},
        }
        self.caches.daemonsets.upsert({**ds, "metadata": meta, "spec": {**ds["spec"], "template": template}})


def _phase(cpu: list[float], nodes: int) -> dict[str, float]:
    total = sum(cpu)
    return {
        "syncs": len(cpu),
        "cpu_seconds": round(total, 4),
        "cpu_ms_per_sync_median": round(statistics.median(cpu) * 1000, 3) if cpu else 0.0,
        "cpu_ms_per_sync_max": round(max(cpu, default=0.0) * 1000, 3),
        "cpu_us_per_node_per_sync": round(statistics.median(cpu) / nodes * 1e6, 2) if cpu else 0.0,
        "cpu_us_per_node_total": round(total / nodes * 1e6, 2),
    }


async def run_controller_bench(options: ControllerBenchOptions) -> dict[str, Any]:
    bench = _Bench(options.nodes)
    bench.caches.daemonsets.upsert(_daemonset())
    n = options.nodes

    converge: list[float] = []
    while len(bench.caches.pods) < n and len(converge) < n:
        converge.append(await bench.sync())
    bench.mark_ready()
    converge.append(await bench.sync())  # the status catches up

    steady = [await bench.sync() for _ in range(options.steady_syncs)]

    bench.change_image("fluentd:v2")
    rollout: list[float] = []
    while bench.pods_with_image("fluentd:v2") < n or len(bench.caches.pods) != n:
        rollout.append(await bench.sync())
        bench.mark_ready()
        if len(rollout) > 10 * n:
            raise RuntimeError("the rollout did not finish")
    rollout.append(await bench.sync())

    status = bench.caches.daemonsets.get(bench.key)
    assert status is not None
    return {
        "bench": "controller",
        "nodes": n,
        "phases": {
            "converge": _phase(converge, n),
            "steady": _phase(steady, n),
            "rollout": _phase(rollout, n),
        },
        "pods_created": len(bench.api.created),
        "pods_deleted": len(bench.api.deleted),
        "status_writes": len(bench.api.status_updates),
        "final_status": {k: v for k, v in status.get("status", {}).items() if isinstance(v, int)},
    }
