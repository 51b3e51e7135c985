"""Fuzzing: no input crashes the server, every error is a Status, nothing half-written is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everynode.testing.apiserver import ApiServerProcess

PATHS = [
    "/api/v1/namespaces",
    "/api/v1/namespaces/default",
    "/api/v1/namespaces/default/status",
    "/api/v1/nodes",
    "/api/v1/nodes/n1",
    "/api/v1/nodes/n1/status",
    "/api/v1/namespaces/default/pods",
    "/api/v1/namespaces/default/pods/p1",
    "/api/v1/namespaces/default/pods/p1/status",
    "/api/v1/namespaces/default/pods/p1/binding",
    "/api/v1/namespaces/default/pods/p1/eviction",
    "/api/v1/namespaces/default/events",
    "/apis/apps/v1/namespaces/default/daemonsets",
    "/apis/apps/v1/namespaces/default/daemonsets/d1",
    "/apis/apps/v1/namespaces/default/daemonsets/d1/status",
    "/apis/apps/v1/namespaces/default/controllerrevisions",
    "/apis/coordination.k8s.io/v1/namespaces/default/leases/l1",
    "/apis/apps/v1/namespaces/nope/daemonsets",
    "/apis/apps/v2/daemonsets",
    "/api/v1/widgets",
    "/apis/apps/v1/namespaces/default/daemonsets/d1/scale",
]
CONTENT_TYPES = [
    "application/json",
    "application/yaml",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
    "text/html",
    "",
]
QUERIES = [
    "",
    "?dryRun=All",
    "?fieldValidation=Strict",
    "?labelSelector=a%20in%20(",
    "?fieldSelector=x",
    "?resourceVersion=abc",
    "?limit=-1",
    "?watch=true&timeoutSeconds=1",
    "?propagationPolicy=Sometimes",
    "?continue=garbage",
    "?gracePeriodSeconds=x",
]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
names = st.sampled_from(["p1", "d1", "n1", "l1", "default", "Bad_Name", "", "x" * 300])
metadata = st.fixed_dictionaries(
    {"name": names},
    optional={
        "labels": json_values,
        "namespace": names,
        "finalizers": json_values,
        "resourceVersion": json_values,
    },
)
k8s_like = st.fixed_dictionaries(
    # now and then metadata of the wrong type: Go's decoder refuses it, and so must the server
    {"metadata": st.one_of(metadata, metadata, metadata, json_values)},
    optional={
        "apiVersion": st.sampled_from(["v1", "apps/v1", "coordination.k8s.io/v1", "bogus/v9"]),
        "kind": st.sampled_from(
            ["Pod", "DaemonSet", "Node", "Namespace", "Lease", "Event", "Binding", "Eviction"]
        ),
        "spec": json_values,
        "status": json_values,
        "target": st.fixed_dictionaries({"name": names}),
    },
)
json_patch_ops = st.lists(
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
            "path": st.sampled_from(
                ["/metadata/labels/a", "/spec", "/spec/containers/0/image", "/metadata", "", "/x/y"]
            ),
        },
        optional={"value": json_values, "from": st.sampled_from(["/metadata/labels", "/spec", "/nope"])},
    ),
    max_size=4,
).map(lambda ops: json.dumps(ops).encode())
# Mostly well-formed requests, so that the server gets past parsing into defaulting, validation,
# patching and storage; sometimes anything at all.
requests = st.one_of(
    st.tuples(
        st.sampled_from(["POST", "PUT"]),
        st.just("application/json"),
        k8s_like.map(lambda d: json.dumps(d).encode()),
    ),
    st.tuples(
        st.just("PATCH"),
        st.sampled_from(["application/merge-patch+json", "application/strategic-merge-patch+json"]),
        k8s_like.map(lambda d: json.dumps(d).encode()),
    ),
    st.tuples(st.just("PATCH"), st.just("application/json-patch+json"), json_patch_ops),
    st.tuples(
        st.just("DELETE"),
        st.just("application/json"),
        st.fixed_dictionaries(
            {},
            optional={
                "gracePeriodSeconds": json_values,
                "propagationPolicy": json_values,
                "preconditions": json_values,
            },
        ).map(lambda d: json.dumps(d).encode()),
    ),
    st.tuples(
        st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
        st.sampled_from(CONTENT_TYPES),
        st.deferred(lambda: bodies),
    ),
)
bodies = st.one_of(
    k8s_like.map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=64),
    st.just(b"{"),
    st.just(b"x" * (3 * 1024 * 1024 + 10)),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests, path=st.sampled_from(PATHS), query=st.sampled_from(QUERIES))
def test_no_input_crashes_the_server_or_escapes_as_non_status(
    apiserver: ApiServerProcess, request: tuple[str, str, bytes], path: str, query: str
) -> None:
    method, content_type, body = request
    http = _pool()
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.request(
        method,
        apiserver.url + path + query,
        body=None if method == "GET" else body,
        headers=headers,
        retries=False,
        timeout=30,
    )
    assert response.status != 500, response.data[:500]
    if response.status >= 400:
        status = json.loads(response.data)
        assert status["kind"] == "Status"
        assert status["code"] == response.status
        assert status["message"]


def test_after_fuzzing_the_server_is_healthy_and_every_stored_object_is_whole(
    apiserver: ApiServerProcess,
) -> None:
    test_no_input_crashes_the_server_or_escapes_as_non_status(apiserver)  # type: ignore[call-arg]
    http = _pool()
    assert http.request("GET", apiserver.url + "/readyz").status == 200
    for path in [
        "/api/v1/namespaces",
        "/api/v1/nodes",
        "/api/v1/pods",
        "/api/v1/events",
        "/apis/apps/v1/daemonsets",
        "/apis/coordination.k8s.io/v1/leases",
    ]:
        listed = json.loads(http.request("GET", apiserver.url + path).data)
        for item in listed["items"]:
            meta: dict[str, Any] = item["metadata"]
            assert all(meta.get(f) for f in ("name", "uid", "creationTimestamp", "resourceVersion")), meta


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    """The fuzz runs against SQLite only: what it checks is the server's input handling."""
    with ApiServerProcess(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/state.db") as server:
        yield server


_POOL: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    global _POOL  # noqa: PLW0603 - one connection pool for all examples
    if _POOL is None:
        _POOL = urllib3.PoolManager()
    return _POOL
