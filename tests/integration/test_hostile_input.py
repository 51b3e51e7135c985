"""Hostile input against a live API server: it answers every request with a Status in time, its memory
stays bounded, and everything it stored still reads back, round-trips and validates.

Each family of attack is a hypothesis strategy: bodies that are bombs, deep, huge, not UTF-8 or
not what they claim to be (JSON, YAML, protobuf); DaemonSets, Pods and Nodes with the wrong type at
any one of their fields; bad names and selectors; every patch type with invalid documents; and bad
query parameters on every verb. Any 5xx fails (but upstream's 504 "Too large resource version" for
a read at a revision the server has not reached), as does any answer slower than ``SLOW`` seconds.
The module's last test checks the server's peak memory and every stored object, and prints the
tally (requests, answers by status code, the slowest, the peak memory) on one line.
"""

from __future__ import annotations

import collections
import copy
import json
import os
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import urllib3
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everynode.spawn.apiserver import ApiServerProcess

SLOW = 5.0  # seconds: no answer may take longer
PEAK_MEMORY_LIMIT = 512 * 1024 * 1024  # bytes of resident memory the server may reach at its peak
GROWTH_LIMIT = 384 * 1024 * 1024  # ... and above what it held before the attacks
EXAMPLES = int(os.environ.get("EVERYNODE_FUZZ_EXAMPLES", "1200"))  # per family: about a minute in all
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

DS_PATH = "/apis/apps/v1/namespaces/default/daemonsets"
POD_PATH = "/api/v1/namespaces/default/pods"
NODE_PATH = "/api/v1/nodes"

DAEMONSET: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "d1", "labels": {"app": "x"}, "annotations": {"note": "y"}},
    "spec": {
        "selector": {
            "matchLabels": {"app": "x"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}],
        },
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        "minReadySeconds": 3,
        "revisionHistoryLimit": 5,
        "template": {
            "metadata": {"labels": {"app": "x", "tier": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "registry.example/agent:1",
                        "ports": [{"containerPort": 80, "protocol": "TCP", "hostPort": 80}],
                        "env": [
                            {"name": "A", "value": "b"},
                            {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                        ],
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m"}},
                        "volumeMounts": [{"name": "v", "mountPath": "/x", "readOnly": True}],
                        "livenessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 3},
                        "securityContext": {"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}},
                        "args": ["--flag"],
                    }
                ],
                "volumes": [
                    {"name": "v", "hostPath": {"path": "/x", "type": "Directory"}},
                    {"name": "w", "configMap": {"name": "cm", "items": [{"key": "a", "path": "b"}]}},
                ],
                "tolerations": [
                    {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}
                ],
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                            ]
                        }
                    }
                },
                "hostNetwork": True,
                "dnsPolicy": "ClusterFirstWithHostNet",
                "priorityClassName": "system-node-critical",
                "serviceAccountName": "agent",
                "terminationGracePeriodSeconds": 30,
            },
        },
    },
}
POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p1", "labels": {"app": "x"}, "finalizers": ["example.com/keep"]},
    "spec": copy.deepcopy(DAEMONSET["spec"]["template"]["spec"]) | {"nodeName": "n1"},
}
NODE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "n1", "labels": {"zone": "a"}},
    "spec": {"taints": [{"key": "k", "effect": "NoSchedule", "value": "v"}], "podCIDR": "10.0.0.0/24"},
    "status": {
        "capacity": {"cpu": "4", "pods": "110"},
        "allocatable": {"cpu": "4", "pods": "110"},
        "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-01T00:00:00Z"}],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
    },
}
KINDS = {"DaemonSet": (DS_PATH, DAEMONSET), "Pod": (POD_PATH, POD), "Node": (NODE_PATH, NODE)}
LISTED = [
    "/api/v1/namespaces",
    NODE_PATH,
    "/api/v1/pods",
    "/api/v1/events",
    "/apis/apps/v1/daemonsets",
    "/apis/apps/v1/controllerrevisions",
    "/apis/coordination.k8s.io/v1/leases",
]


class Tally:
    """Every answer the server gave, and the slowest."""

    def __init__(self) -> None:
        self.codes: collections.Counter[int] = collections.Counter()
        self.slowest = (0.0, "")

    def add(self, status: int, seconds: float, what: str) -> None:
        self.codes[status] += 1
        if seconds > self.slowest[0]:
            self.slowest = (seconds, what)


TALLY = Tally()
BASELINE: dict[str, int] = {}
_POOL = urllib3.PoolManager(maxsize=4)


def send(
    server: ApiServerProcess,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, bytes]:
    """One request; fails on a 5xx, a non-Status error, or an answer slower than ``SLOW``."""
    what = f"{method} {path[:120]} ({content_type}, {len(body or b'')} bytes)"
    headers = {"Content-Type": content_type} if content_type else {}
    watching = "watch=" in path  # a watch streams: its connection is its own, closed after the head
    pool = urllib3.PoolManager(maxsize=1) if watching else _POOL
    started = time.monotonic()
    response = pool.request(
        method,
        server.url + path,
        body=body,
        headers=headers,
        retries=False,
        timeout=urllib3.Timeout(connect=5, read=SLOW * 3),
        preload_content=not watching,
    )
    data = b"" if watching else response.data
    elapsed = time.monotonic() - started
    if watching:
        pool.clear()
    TALLY.add(response.status, elapsed, what)
    if response.status == 504 and "resourceVersion=" in path and not watching:
        # Upstream's answer to a read at a revision the server has not reached, after waiting 3 s
        # for it: a Timeout whose cause client-go's reflectors look for. The one 5xx allowed.
        causes = orjson.loads(data).get("details", {}).get("causes", [])
        assert [cause["reason"] for cause in causes] == ["ResourceVersionTooLarge"], data[:300]
    else:
        assert response.status < 500, f"{what}: {response.status} {data[:500]!r}"
    assert elapsed < SLOW, f"{what}: answered in {elapsed:.1f} s"
    if response.status >= 400 and not watching:
        status = orjson.loads(data)
        assert (status["kind"], status["code"]) == ("Status", response.status), data[:300]
        assert status["message"]
    return response.status, data


def memory(server: ApiServerProcess) -> dict[str, int]:
    """The server's resident memory now and at its peak, in bytes (Linux /proc)."""
    assert server.process is not None
    fields = {}
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    """A server holding one valid object of each fuzzed kind, for updates and patches to aim at."""
    with ApiServerProcess(f"sqlite:///{tmp_path_factory.mktemp('hostile')}/state.db") as process:
        account = orjson.dumps({"metadata": {"name": "agent"}})  # the pod's, which admission requires
        assert send(process, "POST", "/api/v1/namespaces/default/serviceaccounts", account)[0] == 201
        for path, obj in KINDS.values():
            status, data = send(process, "POST", path, orjson.dumps(obj))
            assert status == 201, data
        BASELINE.update(memory(process))
        yield process


# -- strategies ----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        ["", "-1", "1Gi", "NaN", "\u0000", "💥", "x" * 300, "100%", "true", "1e999999999", "1E2147483647"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position in ``value``: dict keys and list indexes, the root excluded."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


FIELD_PATHS = {kind: list(paths(obj)) for kind, (_, obj) in KINDS.items()}


def replaced(obj: dict[str, Any], at: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(obj)
    target = copied
    for key in at[:-1]:
        target = target[key]
    target[at[-1]] = value
    return copied


@st.composite
def wrong_typed(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], tuple[Any, ...], Any]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    at = draw(st.sampled_from(FIELD_PATHS[kind]))
    value = draw(json_values)
    path, obj = KINDS[kind]
    return kind, path, replaced(obj, at, value), at, value


def alias_bomb(levels: int, fan_out: int) -> bytes:
    lines = [f"a0: &a0 [{','.join(['lol'] * fan_out)}]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{','.join([f'*a{level - 1}'] * fan_out)}]")
    return ("\n".join(lines) + "\n").encode()


def protobuf_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def protobuf_envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = protobuf_field(1, api_version.encode()) + protobuf_field(2, kind.encode())
    return b"k8s\x00" + protobuf_field(1, type_meta) + protobuf_field(2, raw)


hostile_bodies = st.one_of(
    st.builds(alias_bomb, st.integers(3, 12), st.integers(2, 12)).map(lambda b: (b, "application/yaml")),
    st.integers(100, 5000).map(lambda d: (b"[" * d + b"]" * d, "application/yaml")),
    st.integers(100, 5000).map(lambda d: (b'{"a":' * d + b"1" + b"}" * d, "application/json")),
    st.integers(100, 3000).map(lambda d: (b"- " * d + b"x\n", "application/yaml")),
    st.integers(20, 10_000).map(lambda n: (b"metadata:\n  name: " + b"9" * n + b"\n", "application/yaml")),
    st.integers(20, 10_000).map(
        lambda n: (b'{"metadata":{"name":"n"},"spec":' + b"9" * n + b"}", "application/json")
    ),
    st.sampled_from(
        [".inf", "-.inf", ".nan", "1.0e+999", "0x" + "f" * 40, "1:" * 500 + "1", "0b" + "1" * 70]
    ).map(lambda v: (f"metadata:\n  name: x\nspec: {v}\n".encode(), "application/yaml")),
    st.integers(1, 1_000_000).map(
        lambda n: (
            orjson.dumps({"metadata": {"name": "s", "annotations": {"a": "x" * n}}}),
            "application/json",
        )
    ),
    st.binary(max_size=200).map(lambda b: (b'{"metadata":{"name":"' + b + b'"}}', "application/json")),
    st.binary(max_size=200).map(lambda b: (b"metadata:\n  name: " + b + b"\n", "application/yaml")),
    st.binary(max_size=300).map(lambda b: (b, "application/yaml")),
    st.binary(max_size=300).map(lambda b: (b, "application/json")),
    st.binary(max_size=300).map(lambda b: (b"k8s\x00" + b, "application/vnd.kubernetes.protobuf")),
    st.tuples(
        st.sampled_from(["v1", "apps/v1", "", "policy/v1"]),
        st.sampled_from(["Namespace", "Pod", "DeleteOptions", "Binding", "Eviction", "", "DaemonSet"]),
        st.binary(max_size=200),
    ).map(lambda t: (protobuf_envelope(*t), "application/vnd.kubernetes.protobuf")),
    st.sampled_from(
        [
            b'{"metadata":{"name":"dup","name":"dup2"},"metadata":{"name":"dup3"}}',
            b"metadata:\n  name: a\n  name: b\n",
            b"null",
            b"[]",
            b'"text"',
            b"",
            b"a: b\n---\nc: d\n",
            b"? [a, b]\n: c\n",
            b"a: !!python/object/apply:os.system ['true']\n",
            b"a: !!binary aGVsbG8=\n",
            b'{"metadata":{"name":"\\ud800"}}',
            b'metadata: {name: "\\ud800"}\n',
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{\x00}\x00",
        ]
    ).map(
        lambda b: (b, "application/json" if b.startswith((b"{", b"[", b'"', b"n")) else "application/yaml")
    ),
)
BODY_TARGETS = [
    ("POST", DS_PATH),
    ("PUT", DS_PATH + "/d1"),
    ("POST", POD_PATH),
    ("POST", NODE_PATH),
    ("PUT", NODE_PATH + "/n1/status"),
    ("POST", "/api/v1/namespaces"),
    ("POST", POD_PATH + "/p1/binding"),
    ("POST", POD_PATH + "/p1/eviction"),
    ("DELETE", POD_PATH + "/nope"),
    ("DELETE", "/apis/apps/v1/namespaces/default/controllerrevisions"),
    ("PUT", "/api/v1/namespaces/default/status"),
    ("POST", "/api/v1/namespaces/default/events"),
    ("PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/l1"),
    ("PATCH", DS_PATH + "/d1/scale"),
    ("POST", "/apis/apps/v2/daemonsets"),
    ("PUT", "/api/v1/widgets/w"),
    ("POST", "/apis/apps/v1/namespaces/nope/daemonsets"),
]

BAD_NAMES = [
    "",
    "A",
    "a" * 254,
    "-a",
    "a_b",
    "a/b",
    "..",
    ".",
    "a b",
    "é",
    "a\x00b",
    "🙂",
    "%2F",
    "a" * 5000,
]
BAD_SELECTORS = [
    "a in (",
    "!",
    "a=b,",
    "a==b=c",
    "a notin ()",
    "x" * 5000,
    "metadata.name=",
    "spec.nodeName!=a,b",
    "a=\x00",
    "=",
    ",,,",
    "a in (b,c",
    "a,b in (c)",
    "status.phase=Running,spec.nodeName=x,metadata.namespace==y",
    "!!a",
    "a!=",
    "🙂=🙂",
]
PARAMETERS = [
    "limit",
    "timeoutSeconds",
    "resourceVersion",
    "resourceVersionMatch",
    "continue",
    "labelSelector",
    "fieldSelector",
    "watch",
    "allowWatchBookmarks",
    "sendInitialEvents",
    "gracePeriodSeconds",
    "propagationPolicy",
    "orphanDependents",
    "dryRun",
    "fieldValidation",
    "fieldManager",
    "pretty",
    "includeObject",
]
PARAMETER_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "1",
            "abc",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            "9" * 5000,
            "1e3",
            " 1",
            "+1",
            "\u0661",
            "1_000",
            "0x10",
            "true",
            "false",
            "Exact",
            "NotOlderThan",
            "All",
            "Strict",
            "Orphan",
            "Foreground",
            "Object",
            "x" * 5000,
        ]
    ),
    st.text(max_size=30),
)
VERB_TARGETS = [
    ("GET", "/api/v1/pods"),
    ("GET", POD_PATH),
    ("GET", NODE_PATH + "/n1"),
    ("GET", DS_PATH + "/d1"),
    ("POST", "/api/v1/namespaces"),
    ("PUT", NODE_PATH + "/n1"),
    ("PATCH", NODE_PATH + "/n1"),
    ("DELETE", POD_PATH + "/p1"),  # bound: a graceful deletion (dry run)
    ("DELETE", "/apis/coordination.k8s.io/v1/namespaces/default/leases"),
]


# -- the attacks ---------------------------------------------------------------------------------


# Half of the writes are real: what the server accepts is stored, and checked at the end.
dry_runs = st.sampled_from(["?dryRun=All", "?"])


@FUZZ
@given(body=hostile_bodies, target=st.sampled_from(BODY_TARGETS), dry=dry_runs)
def test_hostile_bodies_get_a_status(
    server: ApiServerProcess, body: tuple[bytes, str], target: tuple[str, str], dry: str
) -> None:
    method, path = target
    send(server, method, path + dry, body[0], body[1])


@FUZZ
@given(
    case=wrong_typed(),
    mode=st.sampled_from(["&fieldValidation=Warn", "&fieldValidation=Strict", "&fieldValidation=Ignore"]),
    dry=dry_runs,
)
def test_a_wrong_type_at_any_field_gets_a_status(
    server: ApiServerProcess, case: tuple[str, str, dict[str, Any], tuple[Any, ...], Any], mode: str, dry: str
) -> None:
    kind, path, obj, at, value = case
    name = KINDS[kind][1]["metadata"]["name"]  # the stored object's, whatever the body now says
    created = copy.deepcopy(obj)  # a new object each time (what is accepted is stored and checked)
    if isinstance(created.get("metadata"), dict) and at[:2] != ("metadata", "name"):
        created["metadata"].pop("name", None)
        created["metadata"]["generateName"] = "fuzz-"
    send(server, "POST", path + dry + mode, orjson.dumps(created))
    send(server, "PUT", f"{path}/{name}{dry}{mode}", orjson.dumps(obj))
    send(server, "POST", path + dry + mode, yaml.safe_dump(obj).encode(), "application/yaml")
    if all(isinstance(key, str) for key in at):
        merge: Any = value
        for key in reversed(at):
            merge = {key: merge}
        for patch_type in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            send(server, "PATCH", f"{path}/{name}{dry}{mode}", orjson.dumps(merge), patch_type)
    pointer = "/" + "/".join(str(key).replace("~", "~0").replace("/", "~1") for key in at)
    operation = [{"op": "replace", "path": pointer, "value": value}]
    send(
        server,
        "PATCH",
        f"{path}/{name}{dry}{mode}",
        orjson.dumps(operation),
        "application/json-patch+json",
    )


@FUZZ
@given(
    name=st.sampled_from(BAD_NAMES) | st.text(max_size=80),
    selector=st.sampled_from(BAD_SELECTORS) | st.text(max_size=40),
    where=st.sampled_from(
        ["metadata.name", "url", "labelSelector", "fieldSelector", "spec.selector", "label"]
    ),
)
def test_bad_names_and_selectors_get_a_status(
    server: ApiServerProcess, name: str, selector: str, where: str
) -> None:
    quoted = urllib.parse.quote(name, safe="")
    query = urllib.parse.quote(selector, safe="")
    obj = copy.deepcopy(DAEMONSET)
    if where == "metadata.name":
        obj["metadata"]["name"] = name
        send(server, "POST", DS_PATH + "?dryRun=All", orjson.dumps(obj))
    elif where == "url":
        send(server, "GET", f"{DS_PATH}/{quoted}")
        send(server, "PUT", f"{DS_PATH}/{quoted}?dryRun=All", orjson.dumps(obj))
        send(server, "DELETE", f"{POD_PATH}/{quoted}?dryRun=All")
        send(server, "GET", f"/api/v1/namespaces/{quoted}/pods")
    elif where in ("labelSelector", "fieldSelector"):
        send(server, "GET", f"/api/v1/pods?{where}={query}")
        send(server, "GET", f"{NODE_PATH}?{where}={query}&limit=1")
        send(server, "DELETE", f"/api/v1/namespaces/default/events?{where}={query}&dryRun=All")
    elif where == "spec.selector":
        obj["spec"]["selector"] = {
            "matchExpressions": [{"key": name, "operator": selector, "values": [name]}]
        }
        send(server, "POST", DS_PATH + "?dryRun=All", orjson.dumps(obj))
    else:
        obj["metadata"]["labels"] = {name: selector}
        obj["spec"]["template"]["metadata"]["labels"] |= {name: selector}
        send(server, "POST", DS_PATH + "?dryRun=All", orjson.dumps(obj))


strategic_directives = st.fixed_dictionaries(
    {},
    optional={
        "$patch": st.sampled_from(["replace", "delete", "merge", "bogus", 5]) | json_values,
        "$retainKeys": json_values,
        "$setElementOrder/containers": json_values,
        "$deleteFromPrimitiveList/args": json_values,
        "containers": st.lists(
            st.fixed_dictionaries(
                {"name": json_values}, optional={"$patch": json_values, "image": json_values}
            ),
            max_size=3,
        ),
    },
)
json_patch_ops = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]) | json_values},
        optional={
            "path": st.sampled_from(
                [
                    "/metadata/labels/a",
                    "/spec",
                    "/spec/template/spec/containers/0/image",
                    "",
                    "/x/y",
                    "/spec/template/spec/containers/-",
                    "/metadata/labels/a~2b",
                    "/a/0/b",
                    "//",
                ]
            )
            | json_values,
            "value": json_values,
            "from": st.sampled_from(["/metadata/labels", "/spec", "/nope", "/metadata"]) | json_values,
        },
    ),
    max_size=4,
)


@FUZZ
@given(
    patch=st.one_of(
        st.tuples(st.just("application/json-patch+json"), json_patch_ops.map(orjson.dumps)),
        st.tuples(st.just("application/json-patch+json"), json_values.map(orjson.dumps)),
        st.tuples(st.just("application/merge-patch+json"), json_values.map(orjson.dumps)),
        st.tuples(
            st.just("application/strategic-merge-patch+json"),
            strategic_directives.map(lambda d: orjson.dumps({"spec": {"template": {"spec": d}}})),
        ),
        st.tuples(st.just("application/strategic-merge-patch+json"), json_values.map(orjson.dumps)),
        st.tuples(
            st.sampled_from(["application/apply-patch+yaml", "application/json", "text/plain", ""]),
            st.binary(max_size=50),
        ),
        st.tuples(
            st.sampled_from(["application/merge-patch+json", "application/json-patch+json"]),
            hostile_bodies.map(lambda body: body[0]),
        ),
    ),
    target=st.sampled_from(
        [
            DS_PATH + "/d1",
            POD_PATH + "/p1",
            NODE_PATH + "/n1",
            NODE_PATH + "/n1/status",
            DS_PATH + "/d1/status",
            POD_PATH + "/p1/status",
        ]
    ),
    dry=dry_runs,
)
def test_every_patch_type_with_invalid_documents_gets_a_status(
    server: ApiServerProcess, patch: tuple[str, bytes], target: str, dry: str
) -> None:
    content_type, body = patch
    send(server, "PATCH", target + dry, body, content_type)


@FUZZ
@given(
    target=st.sampled_from(VERB_TARGETS),
    parameters=st.lists(st.tuples(st.sampled_from(PARAMETERS), PARAMETER_VALUES), min_size=1, max_size=3),
)
def test_bad_query_parameters_on_every_verb_get_a_status(
    server: ApiServerProcess, target: tuple[str, str], parameters: list[tuple[str, str]]
) -> None:
    method, path = target
    query = urllib.parse.urlencode([*parameters, ("dryRun", "All")] if method != "GET" else parameters)
    body: bytes | None = None
    content_type = "application/json"
    if method == "POST":
        body = b'{"metadata":{"generateName":"q-"}}'
    elif method == "PUT":
        body = orjson.dumps(NODE)
    elif method == "PATCH":
        body, content_type = b'{"metadata":{"labels":{"q":"1"}}}', "application/merge-patch+json"
    send(server, method, f"{path}?{query}", body, content_type)


@pytest.mark.parametrize("levels", [6, 8, 9])
def test_the_alias_bomb_of_the_report_is_refused_at_once(server: ApiServerProcess, levels: int) -> None:
    body = alias_bomb(levels, 9)
    status, data = send(server, "POST", DS_PATH, body, "application/yaml")
    assert status == 413, data
    assert TALLY.slowest[0] < SLOW


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[" * 2000 + b"]" * 2000, "application/yaml"),
        (b"a: " + b"1" * 4301, "application/yaml"),
        (b"x: [" + b"1," * 1_000_000 + b"1]", "application/yaml"),  # ~2 MB of flow YAML
        (b'{"items":[' + b'{"a":1},' * 300_000 + b"{}]}", "application/json"),  # ~2.4 MB, 300k objects
        (
            yaml.safe_dump({"items": [{"name": f"n{i}", "v": i} for i in range(60_000)]}).encode(),
            "application/yaml",
        ),
    ],
)
def test_the_largest_bodies_are_answered_in_time(
    server: ApiServerProcess, body: bytes, content_type: str
) -> None:
    status, _ = send(server, "POST", DS_PATH + "?dryRun=All", body, content_type)
    assert status in (400, 413, 422)


@pytest.mark.parametrize(
    ("grace", "how"),
    [
        (2**63 - 1, "query"),
        (2**63 - 1, "body"),
        (2**63 - 1, "eviction"),
        (2**63 - 1, "the pod's own"),
        (2**64 - 1, "body"),
        (-(2**63), "query"),
    ],
)
def test_the_largest_grace_periods_are_not_a_500(server: ApiServerProcess, grace: int, how: str) -> None:
    pod = copy.deepcopy(POD)
    pod["metadata"] = {"generateName": "grace-"}
    if how == "the pod's own":
        pod["spec"]["terminationGracePeriodSeconds"] = grace
    status, data = send(server, "POST", POD_PATH, orjson.dumps(pod))
    assert status == 201, data
    own = f"{POD_PATH}/{orjson.loads(data)['metadata']['name']}"
    if how == "query":
        status, data = send(server, "DELETE", f"{own}?gracePeriodSeconds={grace}")
    elif how == "eviction":
        eviction = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "deleteOptions": {"gracePeriodSeconds": grace},
        }
        status, data = send(server, "POST", own + "/eviction", orjson.dumps(eviction))
    else:
        body = orjson.dumps({"gracePeriodSeconds": grace}) if how == "body" else None
        status, data = send(server, "DELETE", own, body)
    assert status in (200, 201, 400), data


@pytest.mark.parametrize(
    "amount", ["1e999999999", "1E2147483647", "-1e999999999", "1e2147483648", "1e-999999999", "9" * 400]
)
def test_the_most_extreme_quantities_are_not_a_500(server: ApiServerProcess, amount: str) -> None:
    resources = {"cpu": amount, "memory": amount}
    node = {
        "metadata": {"generateName": "huge-"},
        "status": {"capacity": resources, "allocatable": resources},
    }
    status, _ = send(server, "POST", NODE_PATH, orjson.dumps(node))
    assert status in (201, 422)
    pod = copy.deepcopy(POD)
    pod["metadata"] = {"generateName": "huge-"}
    pod["spec"]["containers"][0]["resources"] = {"requests": resources, "limits": resources}
    status, _ = send(server, "POST", POD_PATH, orjson.dumps(pod))
    assert status in (201, 422)


@pytest.mark.parametrize("limit", ["9223372036854775807", "9223372036854775808", "9" * 30])
def test_the_largest_limits_are_not_a_500(server: ApiServerProcess, limit: str) -> None:
    status, _ = send(server, "GET", f"/api/v1/pods?limit={limit}")
    assert status in (200, 400)


# -- afterwards: memory, and what is stored ----------------------------------------------------


def test_afterwards_memory_stayed_bounded_and_every_stored_object_round_trips(
    server: ApiServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    peak = memory(server)["VmHWM"]
    assert peak < PEAK_MEMORY_LIMIT, f"the server's resident memory peaked at {peak / 2**20:.0f} MiB"
    assert peak - BASELINE["VmRSS"] < GROWTH_LIMIT, f"{BASELINE['VmRSS'] / 2**20:.0f} MiB before the attacks"
    checked = 0
    for path in LISTED:
        status, data = send(server, "GET", path)
        assert status == 200
        for item in orjson.loads(data)["items"]:
            meta = item["metadata"]
            assert all(
                meta.get(field) for field in ("name", "uid", "creationTimestamp", "resourceVersion")
            ), meta
            own = _object_path(path, item)
            status, fetched = send(server, "GET", own)
            assert (status, orjson.loads(fetched)) == (200, item)
            for body, content_type in (
                (orjson.dumps(item), "application/json"),
                (yaml.safe_dump(item).encode(), "application/yaml"),
            ):
                status, answer = send(
                    server, "PUT", own + "?dryRun=All&fieldValidation=Strict", body, content_type
                )
                assert status == 200, (answer[:500].decode(errors="replace"), orjson.dumps(item).decode())
                assert _comparable(orjson.loads(answer)) == _comparable(item)
            checked += 1
    assert checked >= len(KINDS)
    total = sum(TALLY.codes.values())
    with capsys.disabled():
        print(
            f"\nhostile input: {total} requests, answers {dict(sorted(TALLY.codes.items()))}, slowest "
            f"{TALLY.slowest[0]:.2f} s ({TALLY.slowest[1]}), server peak RSS {peak / 2**20:.0f} MiB, "
            f"now {memory(server)['VmRSS'] / 2**20:.0f} MiB; {checked} stored objects round-trip"
        )


def _object_path(list_path: str, item: dict[str, Any]) -> str:
    namespace = item["metadata"].get("namespace")
    group, _, resource = list_path.rpartition("/")
    scoped = f"{group}/namespaces/{namespace}/{resource}" if namespace else list_path
    return f"{scoped}/{urllib.parse.quote(item['metadata']['name'], safe='')}"


def _comparable(obj: dict[str, Any]) -> str:
    """The object as stored, but for what an update may legitimately touch."""
    copied = json.loads(json.dumps(obj))
    copied["metadata"].pop("managedFields", None)
    return json.dumps(copied, sort_keys=True)
