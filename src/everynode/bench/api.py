"""`everynode bench api`: throughput and latency of a running API server, per verb.

Phases in a fresh namespace: pod creates (with a watcher counting the ADDED events and timing each
from its create request to its arrival), gets, a full list, merge patches, and deletes. Mutating
verbs' p99 is what upstream's SLO bounds (≤ 1 s).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from everynode.bench.stats import PhaseResult, percentile, timed_concurrently


@dataclass(frozen=True, slots=True)
class ApiBenchOptions:
    server: str
    ops: int = 2000
    concurrency: int = 32


def pod_body(name: str) -> bytes:
    return orjson.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "bench", "bench.everynode.io/run": "1"}},
            "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9"}]},
        }
    )


class _Client:
    def __init__(self, session: aiohttp.ClientSession, server: str) -> None:
        self.session = session
        self.server = server.rstrip("/")

    async def call(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> Any:
        headers = {"Content-Type": content_type} if body is not None else {}
        async with self.session.request(method, self.server + path, data=body, headers=headers) as response:
            data = await response.read()
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:300]!r}")
            return orjson.loads(data)


async def run_api_bench(options: ApiBenchOptions) -> dict[str, Any]:
    n, conc = options.ops, options.concurrency
    connector = aiohttp.TCPConnector(limit=conc + 4)
    async with aiohttp.ClientSession(connector=connector) as session:
        api = _Client(session, options.server)
        namespace = f"bench-{uuid.uuid4().hex[:6]}"
        await api.call("POST", "/api/v1/namespaces", orjson.dumps({"metadata": {"name": namespace}}))
        base = f"/api/v1/namespaces/{namespace}/pods"
        names = [f"pod-{i:06d}" for i in range(n)]
        started: dict[str, float] = {}
        delivered: list[float] = []
        listed = await api.call("GET", base)
        watching = asyncio.create_task(
            _watch(
                session,
                options.server,
                base=base,
                listed=listed,
                expected=n,
                started=started,
                delivered=delivered,
            )
        )

        async def create(i: int) -> None:
            started[names[i]] = time.perf_counter()
            await api.call("POST", base, pod_body(names[i]))

        phases = [await timed_concurrently("create", n, conc, create)]
        await asyncio.wait_for(watching, timeout=120)
        phases.append(
            await timed_concurrently("get", n, conc, lambda i: api.call("GET", f"{base}/{names[i]}"))
        )
        list_started = time.perf_counter()
        rounds = 10
        list_latencies = []
        for _ in range(rounds):
            t = time.perf_counter()
            await api.call("GET", base)
            list_latencies.append(time.perf_counter() - t)
        phases.append(
            PhaseResult("list (all pods)", rounds, time.perf_counter() - list_started, list_latencies)
        )

        async def patch(i: int) -> None:
            body = orjson.dumps({"metadata": {"labels": {"patched": str(i)}}})
            await api.call("PATCH", f"{base}/{names[i]}", body, "application/merge-patch+json")

        phases.append(await timed_concurrently("patch", n, conc, patch))
        phases.append(
            await timed_concurrently("delete", n, conc, lambda i: api.call("DELETE", f"{base}/{names[i]}"))
        )
        await api.call("DELETE", f"/api/v1/namespaces/{namespace}")

    by_name = {p.name: p for p in phases}
    mutating = by_name["create"].latencies + by_name["patch"].latencies + by_name["delete"].latencies
    return {
        "server": options.server,
        "ops": n,
        "concurrency": conc,
        "creates_per_s": round(by_name["create"].rate, 1),
        "gets_per_s": round(by_name["get"].rate, 1),
        "patches_per_s": round(by_name["patch"].rate, 1),
        "deletes_per_s": round(by_name["delete"].rate, 1),
        "list_pods_p50_ms": by_name["list (all pods)"].figures()["p50_ms"],
        "watch_delivery_p50_ms": round(percentile(delivered, 50) * 1000, 3),
        "watch_delivery_p99_ms": round(percentile(delivered, 99) * 1000, 3),
        "mutating_p50_ms": round(percentile(mutating, 50) * 1000, 3),
        "mutating_p99_ms": round(percentile(mutating, 99) * 1000, 3),
        "phases": {p.name: p.figures() for p in phases},
    }


async def _watch(
    session: aiohttp.ClientSession,
    server: str,
    *,
    base: str,
    listed: Any,
    expected: int,
    started: dict[str, float],
    delivered: list[float],
) -> None:
    """Count ADDED events until every pod arrived; record create-request → event latencies."""
    rv = listed["metadata"]["resourceVersion"]
    url = f"{server.rstrip('/')}{base}?watch=true&resourceVersion={rv}&timeoutSeconds=300"
    async with session.get(url) as response:
        async for line in response.content:
            event = orjson.loads(line)
            if event["type"] != "ADDED":
                continue
            arrived = time.perf_counter()
            name = event["object"]["metadata"]["name"]
            if name in started:
                delivered.append(arrived - started[name])
            if len(delivered) >= expected:
                return
