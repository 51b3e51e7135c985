"""Selectors, paging, list + watch + resume, bookmarks and 410, through the official Python client."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import urllib3
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.spawn.apiserver import ApiServerProcess
from tests.builders import node, pod
from tests.integration.conftest import Clients, make_clients


def names(items: list) -> list[str]:
    return sorted(item.metadata.name for item in items)


def test_label_selectors_equality_and_set_based(k8s: Clients, namespace: str) -> None:
    for name, labels in [("a", {"app": "web", "tier": "1"}), ("b", {"app": "web"}), ("c", {"app": "db"})]:
        k8s.core.create_namespaced_pod(namespace, pod(name, labels=labels))
    select = lambda s: names(k8s.core.list_namespaced_pod(namespace, label_selector=s).items)  # noqa: E731
    assert select("app=web") == ["a", "b"]
    assert select("app!=web") == ["c"]
    assert select("app in (web,db),tier") == ["a"]
    assert select("!tier") == ["b", "c"]
    assert select("app notin (web)") == ["c"]
    with pytest.raises(ApiException) as caught:
        k8s.core.list_namespaced_pod(namespace, label_selector="app in (")
    assert caught.value.status == 400


def test_field_selectors(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("on-n1", node="n1"))
    k8s.core.create_namespaced_pod(namespace, pod("on-n2", node="n2"))
    k8s.core.create_namespaced_pod(namespace, pod("nowhere"))
    select = lambda s: names(k8s.core.list_namespaced_pod(namespace, field_selector=s).items)  # noqa: E731
    assert select("spec.nodeName=n1") == ["on-n1"]
    assert select("spec.nodeName=") == ["nowhere"]
    assert select("metadata.name=on-n2") == ["on-n2"]
    assert select("status.phase=Pending,spec.nodeName!=n1") == ["nowhere", "on-n2"]
    assert names(
        k8s.core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace={namespace}").items
    ) == ["nowhere", "on-n1", "on-n2"]
    with pytest.raises(ApiException) as caught:
        k8s.core.list_namespaced_pod(namespace, field_selector="spec.image=x")
    assert caught.value.status == 400
    assert "field label not supported" in caught.value.body


def test_limit_and_continue_page_through_a_consistent_list(k8s: Clients, namespace: str) -> None:
    for i in range(7):
        k8s.core.create_namespaced_pod(namespace, pod(f"p{i}"))
    first = k8s.core.list_namespaced_pod(namespace, limit=3)
    assert len(first.items) == 3
    assert first.metadata._continue
    k8s.core.create_namespaced_pod(namespace, pod("late"))
    seen = names(first.items)
    token = first.metadata._continue
    while token:
        page = k8s.core.list_namespaced_pod(namespace, limit=3, _continue=token)
        assert page.metadata.resource_version == first.metadata.resource_version
        seen += names(page.items)
        token = page.metadata._continue
    assert sorted(seen) == [f"p{i}" for i in range(7)]


def test_list_then_watch_then_resume(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("before"))
    listed = k8s.core.list_namespaced_pod(namespace)
    k8s.core.create_namespaced_pod(namespace, pod("after"))
    k8s.core.patch_namespaced_pod("after", namespace, {"metadata": {"labels": {"x": "1"}}})
    k8s.core.delete_namespaced_pod("after", namespace)
    events = []
    for event in watch.Watch().stream(
        k8s.core.list_namespaced_pod,
        namespace,
        resource_version=listed.metadata.resource_version,
        timeout_seconds=10,
    ):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 3:
            break
    assert events == [("ADDED", "after"), ("MODIFIED", "after"), ("DELETED", "after")]
    # Resume from the middle: only what came later.
    middle = k8s.core.list_namespaced_pod(namespace).metadata.resource_version
    k8s.core.create_namespaced_pod(namespace, pod("latest"))
    resumed = []
    for event in watch.Watch().stream(
        k8s.core.list_namespaced_pod, namespace, resource_version=middle, timeout_seconds=10
    ):
        resumed.append((event["type"], event["object"].metadata.name))
        break
    assert resumed == [("ADDED", "latest")]


def test_a_watch_without_resource_version_starts_with_synthetic_added(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("one"))
    k8s.core.create_namespaced_pod(namespace, pod("two"))
    seen = []
    for event in watch.Watch().stream(k8s.core.list_namespaced_pod, namespace, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            break
    assert seen == [("ADDED", "one"), ("ADDED", "two")]


def test_watch_applies_selectors_and_turns_transitions_into_added_and_deleted(
    k8s: Clients, namespace: str
) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("p", labels={"app": "web"}))
    start = k8s.core.list_namespaced_pod(namespace).metadata.resource_version
    k8s.core.create_namespaced_pod(namespace, pod("other", labels={"app": "db"}))
    k8s.core.patch_namespaced_pod("p", namespace, {"metadata": {"labels": {"app": "db"}}})
    k8s.core.patch_namespaced_pod("p", namespace, {"metadata": {"labels": {"app": "web"}}})
    seen = []
    for event in watch.Watch().stream(
        k8s.core.list_namespaced_pod,
        namespace,
        label_selector="app=web",
        resource_version=start,
        timeout_seconds=10,
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            break
    assert seen == [("DELETED", "p"), ("ADDED", "p")]


def test_watch_ends_at_timeout_seconds(k8s: Clients, namespace: str) -> None:
    started = time.monotonic()
    assert list(watch.Watch().stream(k8s.core.list_namespaced_pod, namespace, timeout_seconds=1)) == []
    assert time.monotonic() - started < 10


def test_bookmarks_are_sent_when_allowed(k8s: Clients, namespace: str) -> None:
    current = k8s.core.list_namespaced_pod(namespace).metadata.resource_version
    response = k8s.core.list_namespaced_pod(
        namespace,
        watch=True,
        allow_watch_bookmarks=True,
        resource_version=current,
        timeout_seconds=3,
        _preload_content=False,
    )
    lines = [line for line in response.read().decode().splitlines() if line]
    assert lines, "no bookmark arrived"
    assert all('"type":"BOOKMARK"' in line for line in lines)


def test_lists_and_watches_from_a_revision_too_old_get_410(tmp_path: Path) -> None:
    args = ("--compaction-interval", "0.2", "--watch-cache-history", "20")
    with ApiServerProcess(f"sqlite:///{tmp_path}/state.db", extra_args=args) as server:
        k8s = make_clients(server.url)
        k8s.core.create_node(node("n0"))
        old = k8s.core.list_node().metadata.resource_version
        deadline = time.monotonic() + 30
        while True:  # write until the compactor has removed the revision we hold
            k8s.core.patch_node("n0", {"metadata": {"labels": {"tick": uuid.uuid4().hex[:8]}}})
            try:
                k8s.core.list_node(resource_version=old, resource_version_match="Exact")
            except ApiException as exc:
                gone = exc.status
                break
            assert time.monotonic() < deadline, "storage was never compacted"
            time.sleep(0.05)
        assert gone == 410
        for i in range(25):  # and past the watch cache's window of 20 events
            k8s.core.patch_node("n0", {"metadata": {"labels": {"tick": str(i)}}})
        with pytest.raises(ApiException) as caught:
            list(watch.Watch().stream(k8s.core.list_node, resource_version=old, timeout_seconds=5))
        assert caught.value.status == 410
        k8s.api.close()


def test_restart_on_the_same_sqlite_file_keeps_everything(tmp_path: Path) -> None:
    dsn = f"sqlite:///{tmp_path}/state.db"
    with ApiServerProcess(dsn) as server:
        k8s = make_clients(server.url)
        k8s.core.create_node(node("keep-me", labels={"a": "b"}))
        before = k8s.core.read_node("keep-me").metadata
        k8s.api.close()
    with ApiServerProcess(dsn) as server:
        k8s = make_clients(server.url)
        after = k8s.core.read_node("keep-me").metadata
        assert (after.uid, after.resource_version, after.labels) == (
            before.uid,
            before.resource_version,
            {"a": "b"},
        )
        k8s.core.patch_node("keep-me", {"metadata": {"labels": {"a": "c"}}})
        assert int(k8s.core.read_node("keep-me").metadata.resource_version) > int(before.resource_version)
        k8s.api.close()


def test_many_watchers_one_slow_reader_does_not_stall_writes(k8s: Clients, namespace: str) -> None:
    # A watcher that never reads: the server must keep serving writes and other watchers.
    stalled = k8s.core.list_namespaced_pod(namespace, watch=True, _preload_content=False, timeout_seconds=30)
    done = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        for event in watch.Watch().stream(k8s.core.list_namespaced_pod, namespace, timeout_seconds=20):
            seen.append(event["object"].metadata.name)
            if len(seen) == 50:
                done.set()
                return

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(50):
        k8s.core.create_namespaced_pod(namespace, pod(f"w{i:02d}"))
    assert done.wait(20)
    thread.join(5)
    stalled.release_conn()


def test_requests_beyond_the_in_flight_limit_get_429(tmp_path: Path) -> None:
    args = ("--max-mutating-requests-inflight", "1")
    with ApiServerProcess(f"sqlite:///{tmp_path}/state.db", extra_args=args) as server:
        held, rest = _hold_the_only_mutating_seat(server)
        http = urllib3.PoolManager()
        refused = http.request(
            "POST",
            server.url + "/api/v1/namespaces",
            body=b'{"metadata": {"generateName": "fast-"}}',
            headers={"Content-Type": "application/json"},
        )
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "1"
        assert json.loads(refused.data)["reason"] == "TooManyRequests"
        assert http.request("GET", server.url + "/api/v1/namespaces").status == 200  # reads still flow
        held.sendall(rest)
        try:
            assert b"201 Created" in held.recv(4096)
        finally:
            held.close()


def _half_sent_post(server: ApiServerProcess, body: bytes, *, sent: int) -> socket.socket:
    """A namespace POST whose headers and first ``sent`` body bytes are sent: it holds its seat (or
    its place in the queue) until the caller sends the rest.

    The connection first answers a GET, so the server has accepted it before the POST is sent: a
    request sent next on a new connection then reaches the seats after this one (connections that
    arrive together are served in no particular order)."""
    connection = socket.create_connection(("127.0.0.1", server.port))
    connection.sendall(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.endswith(b"ok"):
        chunk = connection.recv(4096)
        assert chunk, "the server closed the connection"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    connection.sendall(
        b"POST /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body[:sent]
    )
    return connection


def _hold_the_only_mutating_seat(server: ApiServerProcess) -> tuple[socket.socket, bytes]:
    """Send a POST's headers and part of its body, then wait until another write is refused."""
    body = b'{"metadata": {"name": "slow"}}'
    held = _half_sent_post(server, body, sent=10)
    http = urllib3.PoolManager()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = http.request(
            "POST",
            server.url + "/api/v1/namespaces",
            body=b'{"metadata": {"generateName": "probe-"}}',
            headers={"Content-Type": "application/json"},
        )
        if probe.status == 429:
            return held, body[10:]
        time.sleep(0.05)
    raise AssertionError("the held request never took the mutating seat")


def test_node_heartbeats_have_seats_of_their_own(tmp_path: Path) -> None:
    args = ("--max-mutating-requests-inflight", "1")
    with ApiServerProcess(f"sqlite:///{tmp_path}/state.db", extra_args=args) as server:
        held, rest = _hold_the_only_mutating_seat(server)
        try:
            lease = {"metadata": {"name": "node-1"}, "spec": {"holderIdentity": "node-1"}}
            answer = urllib3.PoolManager().request(
                "POST",
                server.url + "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                body=json.dumps(lease).encode(),
                headers={"Content-Type": "application/json"},
            )
            assert answer.status == 201  # while every other write is refused
        finally:
            held.sendall(rest)
            held.close()


def test_the_rest_client_sends_a_refused_request_again_after_retry_after(tmp_path: Path) -> None:
    args = ("--max-mutating-requests-inflight", "1")
    with ApiServerProcess(f"sqlite:///{tmp_path}/state.db", extra_args=args) as server:
        held, rest = _hold_the_only_mutating_seat(server)
        # a second slow request fills the queue (of one) behind the seat: the next is refused at once
        body = b'{"metadata": {"name": "queued"}}'
        queued = _half_sent_post(server, body, sent=0)
        http = urllib3.PoolManager()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            started = time.monotonic()
            probe = http.request(
                "POST",
                server.url + "/api/v1/namespaces",
                body=b"{}",
                headers={"Content-Type": "application/json"},
            )
            if probe.status == 429 and time.monotonic() - started < 1:
                break
        else:
            raise AssertionError("the queue never filled")

        def release() -> None:
            held.sendall(rest)
            queued.sendall(body)

        releaser = threading.Timer(0.3, release)

        async def create() -> tuple[dict, int]:
            async with RestClient(ClientConfig(server=server.url)) as client:
                releaser.start()
                created = await client.request(
                    "POST", "/api/v1/namespaces", body={"metadata": {"name": "patient"}}
                )
                return created, client.throttled_retries

        try:
            created, retries = asyncio.run(create())
        finally:
            releaser.join()
            held.close()
            queued.close()
        assert created["metadata"]["name"] == "patient"
        assert retries >= 1
