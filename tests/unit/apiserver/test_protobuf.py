"""Kubernetes protobuf request bodies decode to the dicts the JSON API would carry.

Bodies are built field by field with the tiny encoder of ``protobuf_encoding``; real bodies are captured
from kubectl 1.33 talking to a throw-away listener in this process, and compared with what the same
command prints with ``--dry-run=client -o json`` (the JSON the server would otherwise have received).
Each kind's own fields are tested in ``test_protobuf_kinds``; the tables against upstream's OpenAPI
definitions in ``test_protobuf_tables``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from everynode.apiserver.request.protobuf import (
    ProtobufError,
    UnsupportedProtobuf,
    decode_kubernetes_protobuf,
    supported_kinds,
)
from everynode.core.resources import RESOURCES as SERVED
from tests.unit.apiserver.protobuf_encoding import T_2024, body, entry, ld, msg, num, running_pod, varint

# --- kinds and fields ------------------------------------------------------------------------------------


def test_namespace_with_full_object_meta() -> None:
    meta = msg(
        1,
        ld(1, "demo"),
        ld(2, "demo-"),
        ld(3, "ns"),
        ld(5, "uid-1"),
        ld(6, "42"),
        num(7, 3),
        msg(8, num(1, T_2024), num(2, 999)),
        msg(9, num(1, T_2024 + 61)),
        num(10, 30),
        entry(11, "app", "web"),
        entry(11, "tier", "front"),
        entry(12, "note", "a b"),
        msg(13, ld(5, "apps/v1"), ld(1, "DaemonSet"), ld(3, "ds"), ld(4, "ds-uid"), num(6, 1), num(7, 0)),
        msg(13, ld(5, "v1"), ld(1, "Node"), ld(3, "n1"), ld(4, "n-uid")),
        ld(14, "kubernetes"),
        ld(14, "example.com/x"),
    )
    spec = msg(2, ld(1, "kubernetes"))
    condition = msg(2, ld(1, "NamespaceDeletionDiscoveryFailure"), ld(2, "False"), msg(4, num(1, T_2024)))
    status = msg(3, ld(1, "Terminating"), condition)

    assert decode_kubernetes_protobuf(body("v1", "Namespace", meta, spec, status)) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "demo",
            "generateName": "demo-",
            "namespace": "ns",
            "uid": "uid-1",
            "resourceVersion": "42",
            "generation": 3,
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "deletionTimestamp": "2024-01-01T00:01:01Z",
            "deletionGracePeriodSeconds": 30,
            "labels": {"app": "web", "tier": "front"},
            "annotations": {"note": "a b"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": "ds",
                    "uid": "ds-uid",
                    "controller": True,
                    "blockOwnerDeletion": False,
                },
                {"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "n-uid"},
            ],
            "finalizers": ["kubernetes", "example.com/x"],
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {
            "phase": "Terminating",
            "conditions": [
                {
                    "type": "NamespaceDeletionDiscoveryFailure",
                    "status": "False",
                    "lastTransitionTime": "2024-01-01T00:00:00Z",
                }
            ],
        },
    }


def test_empty_fields_written_by_go_are_left_out_like_json_omitempty() -> None:
    # Go's encoder writes every non-pointer field; JSON would omit the empty ones.
    meta = msg(1, ld(1, "x"), ld(2, ""), ld(3, ""), ld(4, ""), ld(5, ""), num(7, 0), msg(8, num(1, 0)))
    decoded = decode_kubernetes_protobuf(body("v1", "Namespace", meta, msg(2), msg(3, ld(1, ""))))
    assert decoded == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "x"},
        "spec": {},
        "status": {},
    }


def test_managed_fields_carry_fields_v1_as_json() -> None:
    managed = msg(
        17,
        ld(1, "kubectl"),
        ld(2, "Update"),
        ld(3, "v1"),
        msg(4, num(1, T_2024)),
        ld(6, "FieldsV1"),
        msg(7, ld(1, b'{"f:metadata":{"f:labels":{}}}')),
    )
    decoded = decode_kubernetes_protobuf(body("v1", "Namespace", msg(1, ld(1, "x"), managed)))
    assert decoded["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2024-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {}}},
        }
    ]


def test_delete_options_keep_meaningful_zero_values() -> None:
    raw = [
        num(1, 0),
        msg(2, ld(1, "pod-uid"), ld(2, "17")),
        num(3, 0),
        ld(4, "Foreground"),
        ld(5, "All"),
    ]
    assert decode_kubernetes_protobuf(body("v1", "DeleteOptions", *raw)) == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "pod-uid", "resourceVersion": "17"},
        "orphanDependents": False,
        "propagationPolicy": "Foreground",
        "dryRun": ["All"],
    }


@pytest.mark.parametrize("api_version", ["v1", "apps/v1", "meta.k8s.io/v1"])
def test_delete_options_in_any_group_version(api_version: str) -> None:
    decoded = decode_kubernetes_protobuf(body(api_version, "DeleteOptions", num(1, -1)))
    assert decoded == {"apiVersion": api_version, "kind": "DeleteOptions", "gracePeriodSeconds": -1}


def test_binding_target() -> None:
    target = msg(2, ld(1, "Node"), ld(3, "node-a"), ld(5, "v1"), ld(2, ""))
    raw = body("v1", "Binding", msg(1, ld(1, "web-1"), ld(3, "default")), target)
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "web-1", "namespace": "default"},
        "target": {"kind": "Node", "name": "node-a", "apiVersion": "v1"},
    }


def test_eviction_with_delete_options() -> None:
    raw = body("policy/v1", "Eviction", msg(1, ld(1, "web-1"), ld(3, "default")), msg(2, num(1, 10)))
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "web-1", "namespace": "default"},
        "deleteOptions": {"gracePeriodSeconds": 10},
    }


def test_unknown_fields_of_every_wire_type_are_skipped() -> None:
    fixed64 = varint(99 << 3 | 1) + b"\x01" * 8
    fixed32 = varint(98 << 3 | 5) + b"\x02" * 4
    meta = msg(1, ld(1, "x"), num(97, 5), fixed64, fixed32, ld(96, "ignored"))
    decoded = decode_kubernetes_protobuf(body("v1", "Namespace", meta, num(50, 1)))
    assert decoded == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}


def test_repeated_occurrences_follow_protobuf_rules() -> None:
    # a later scalar wins; two occurrences of a singular message merge
    raw = body("v1", "Namespace", msg(1, ld(1, "old")), msg(1, ld(1, "new"), entry(11, "a", "1")))
    assert decode_kubernetes_protobuf(raw)["metadata"] == {"name": "new", "labels": {"a": "1"}}


def test_supported_kinds_are_every_served_built_in_kind() -> None:
    kinds = supported_kinds()
    # CustomResourceDefinitions (apiextensions.k8s.io) are left to JSON: their schemas' JSON forms
    # (JSONSchemaPropsOrArray, -OrBool, -OrStringArray) are not in the table language yet.
    served = {
        info.kind: info.api_version
        for info in SERVED
        if not info.custom and info.kind != "CustomResourceDefinition"
    }
    for kind, api_version in served.items():
        versions = kinds.get(kind, frozenset())
        assert versions is not None, kind
        assert api_version in versions, kind
    extras = {"Binding", "Eviction", "Scale", "TokenRequest", "DeleteOptions"}
    assert set(kinds) == set(served) | extras
    assert kinds["DeleteOptions"] is None  # any group version
    assert kinds["Eviction"] == frozenset({"policy/v1", "policy/v1beta1"})


def test_secret_as_helm_stores_a_release() -> None:
    # client-go's typed clients (Helm's release storage, kubectl 1.33 create secret) send protobuf
    meta = msg(1, ld(1, "sh.helm.release.v1.agent.v1"), ld(3, "ns"), entry(11, "owner", "helm"))
    data = msg(2, ld(1, "release"), ld(2, b"\x00\xffrelease"))
    decoded = decode_kubernetes_protobuf(
        body("v1", "Secret", meta, data, ld(3, "helm.sh/release.v1"), entry(4, "plain", "text"), num(5, 1))
    )
    assert decoded == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "sh.helm.release.v1.agent.v1", "namespace": "ns", "labels": {"owner": "helm"}},
        "data": {"release": "AP9yZWxlYXNl"},
        "type": "helm.sh/release.v1",
        "stringData": {"plain": "text"},
        "immutable": True,
    }


def test_config_map_with_binary_data() -> None:
    meta = msg(1, ld(1, "settings"))
    decoded = decode_kubernetes_protobuf(
        body("v1", "ConfigMap", meta, entry(2, "mode", "fast"), msg(3, ld(1, "blob"), ld(2, b"\x01\x02")))
    )
    assert decoded == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"mode": "fast"},
        "binaryData": {"blob": "AQI="},
    }


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"kind": "Namespace"}', "magic"),
        (b"k8s\x00\x0a", "truncated varint"),
        (b"k8s\x00" + b"\x80" * 11, "longer than 10 bytes"),
        (b"k8s\x00\x12\x05ab", "runs past the end"),
        (b"k8s\x00" + varint(9 << 3 | 1) + b"\x00" * 3, "runs past the end"),
        (b"k8s\x00\x0b", "wire type 3"),
        (b"k8s\x00\x00\x00", "field number 0"),
        (b"k8s\x00" + msg(2), "names no kind"),
        (b"k8s\x00" + num(1, 5), "expected length-delimited"),
        (body("v1", "Namespace", msg(1, ld(1, b"\xff\xfe"))), "not valid UTF-8"),
        (body("v1", "Namespace", msg(1, msg(8, num(1, 10**15)))), "out of range"),
        (body("v1", "Namespace", msg(1, msg(17, msg(7, ld(1, b"{nope"))))), "not valid JSON"),
        (body("v1", "DeleteOptions", ld(1, "5")), "gracePeriodSeconds"),
    ],
)
def test_malformed_bodies_raise_protobuf_error(data: bytes, message: str) -> None:
    with pytest.raises(ProtobufError, match=message) as caught:
        decode_kubernetes_protobuf(data)
    assert not isinstance(caught.value, UnsupportedProtobuf)  # 400, not 415
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("data", "kind", "api_version", "message"),
    [
        (body("batch/v1", "Job", b""), "Job", "batch/v1", 'kind "Job"'),
        (body("apps/v1beta2", "DaemonSet", b""), "DaemonSet", "apps/v1beta2", 'version "apps/v1beta2"'),
        (body("v2", "Namespace", b""), "Namespace", "v2", 'version "v2"'),
        (body("v1", "Namespace", b"", encoding="gzip"), "Namespace", "v1", "contentEncoding"),
        (body("v1", "Namespace", b"", content_type="application/json"), "Namespace", "v1", "contentType"),
    ],
)
def test_unsupported_content_raises_unsupported_protobuf(
    data: bytes, kind: str, api_version: str, message: str
) -> None:
    with pytest.raises(UnsupportedProtobuf, match=message) as caught:
        decode_kubernetes_protobuf(data)
    assert (caught.value.kind, caught.value.api_version) == (kind, api_version)


# --- real bodies from kubectl 1.33 -----------------------------------------------------------------------


def find_kubectl_133() -> str | None:
    linked = shutil.which("kubectl")
    if linked is None:
        return None
    candidate = Path(os.path.realpath(linked)).with_name("kubectl.1.33")
    return str(candidate) if candidate.is_file() else None


@dataclass
class Recorder:
    """A throw-away HTTP listener answering just enough for kubectl; it records every request."""

    url: str = ""
    requests: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    objects: dict[str, Any] = field(default_factory=dict)  # more objects to serve, by path

    def bodies(self, method: str) -> list[tuple[str, str, bytes]]:
        return [(path, ctype, data) for m, path, ctype, data in self.requests if m == method]


NODE = {
    "kind": "Node",
    "apiVersion": "v1",
    "metadata": {"name": "n1", "uid": "n-uid", "resourceVersion": "5"},
}
POD = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {"name": "p1", "namespace": "default", "uid": "p-uid", "resourceVersion": "7"},
    "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
    "status": {"phase": "Running"},
}
RESOURCES = [
    {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
     "verbs": ["create", "get", "list"]},
    {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
     "verbs": ["get", "list", "patch"]},
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
     "verbs": ["get", "list", "delete"]},
]  # fmt: skip


def reply(request: web.Request, data: bytes) -> web.Response:
    path, method = request.path, request.method
    if path == "/api":
        return web.json_response(
            {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        )
    if path == "/apis":
        return web.json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
    if path == "/api/v1":  # no pods/eviction: drain deletes pods with DeleteOptions
        return web.json_response({"kind": "APIResourceList", "groupVersion": "v1", "resources": RESOURCES})
    if method == "POST" and not data.startswith(b"k8s\x00"):
        return web.json_response(json.loads(data), status=201)
    if method == "POST":  # a create: the object back, as JSON (read with the decoder under test)
        try:
            created = decode_kubernetes_protobuf(data)
        except ProtobufError as exc:
            return web.json_response({"kind": "Status", "code": 400, "message": str(exc)}, status=400)
        return web.json_response(created, status=201)
    if path == "/api/v1/nodes/n1":
        return web.json_response(NODE)
    if path == "/api/v1/pods":
        return web.json_response({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [POD]})
    if method == "DELETE" and path == "/api/v1/namespaces/default/pods/p1":
        return web.json_response(POD)
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}
    return web.json_response(status, status=404)


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    rec = Recorder()

    async def handle(request: web.Request) -> web.Response:
        data = await request.read()
        rec.requests.append((request.method, request.path, request.headers.get("Content-Type", ""), data))
        if request.method == "GET" and request.path in rec.objects:
            return web.json_response(rec.objects[request.path])
        return reply(request, data)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    rec.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield rec
    finally:
        await runner.cleanup()


async def run_kubectl(rec: Recorder, tmp_path: Path, *args: str) -> str:
    binary = find_kubectl_133()
    if binary is None:
        pytest.skip("kubectl.1.33 not found beside the kubectl on PATH")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: c, cluster: {{server: '{rec.url}'}}}}]\n"
        "users: [{name: u, user: {}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
    )
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    proc = await asyncio.create_subprocess_exec(
        binary,
        f"--kubeconfig={kubeconfig}",
        f"--cache-dir={tmp_path / 'cache'}",
        "--request-timeout=20s",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_kubectl_create_namespace_body_decodes(recorder: Recorder, tmp_path: Path) -> None:
    out = await run_kubectl(recorder, tmp_path, "create", "namespace", "demo")
    assert "namespace/demo created" in out
    [(path, ctype, data)] = recorder.bodies("POST")
    assert (path, ctype) == ("/api/v1/namespaces", "application/vnd.kubernetes.protobuf")
    assert decode_kubernetes_protobuf(data) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "demo"},
        "spec": {},
        "status": {},
    }


async def test_kubectl_drain_delete_options_body_decodes(recorder: Recorder, tmp_path: Path) -> None:
    args = ("drain", "n1", "--disable-eviction", "--force", "--grace-period=5", "--timeout=20s")
    out = await run_kubectl(recorder, tmp_path, *args)
    assert "node/n1 drained" in out
    [(path, ctype, data)] = recorder.bodies("DELETE")
    assert (path, ctype) == ("/api/v1/namespaces/default/pods/p1", "application/vnd.kubernetes.protobuf")
    assert decode_kubernetes_protobuf(data) == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "gracePeriodSeconds": 5,
    }


def without_nulls(value: Any) -> Any:
    """A JSON value without its ``null`` members: Go writes a zero Time or a nil list as null, which the
    server reads as absent, and the decoder leaves out."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


# kubectl 1.33 create commands (typed clients: protobuf bodies)
CREATE_COMMANDS = [
    ("deployment", "web", "--image=nginx", "--replicas=2", "--port=80"),
    ("deployment", "pair", "--image=nginx", "--image=busybox:1.36"),
    ("service", "clusterip", "x", "--tcp=80:8080"),
    ("service", "nodeport", "np", "--tcp=80:http", "--node-port=30080"),
    ("service", "externalname", "ext", "--external-name=example.com"),
    ("serviceaccount", "robot"),
    ("clusterrole", "r", "--verb=get", "--resource=pods"),
    ("role", "reader", "--verb=get,list", "--resource=pods", "--resource-name=p1"),
    ("rolebinding", "rb", "--clusterrole=r", "--user=u", "--serviceaccount=default:robot"),
    ("clusterrolebinding", "crb", "--clusterrole=r", "--group=g"),
    ("priorityclass", "high", "--value=1000", "--description=important", "--preemption-policy=Never"),
    ("priorityclass", "low", "--value=-5", "--global-default"),
    ("poddisruptionbudget", "pdb", "--selector=app=web", "--min-available=50%"),
    ("poddisruptionbudget", "pdb1", "--selector=app=web", "--max-unavailable=1"),
    ("secret", "generic", "s", "--from-literal=a=b", "--type=Opaque"),
    ("configmap", "c", "--from-literal=k=v"),
]
# where each kind is POSTed (in the namespace "default" when namespaced)
CREATE_PATHS = {
    "deployment": "/apis/apps/v1/namespaces/default/deployments",
    "service": "/api/v1/namespaces/default/services",
    "serviceaccount": "/api/v1/namespaces/default/serviceaccounts",
    "clusterrole": "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "role": "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
    "rolebinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
    "clusterrolebinding": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "priorityclass": "/apis/scheduling.k8s.io/v1/priorityclasses",
    "poddisruptionbudget": "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
    "secret": "/api/v1/namespaces/default/secrets",
    "configmap": "/api/v1/namespaces/default/configmaps",
}


@pytest.mark.parametrize("args", [pytest.param(args, id=" ".join(args[:2])) for args in CREATE_COMMANDS])
async def test_kubectl_create_body_decodes_to_its_dry_run_json(
    recorder: Recorder, tmp_path: Path, args: tuple[str, ...]
) -> None:
    printed = await run_kubectl(recorder, tmp_path, "create", *args, "--dry-run=client", "-o", "json")
    out = await run_kubectl(recorder, tmp_path, "create", *args)
    assert "created" in out
    [(posted_to, ctype, data)] = recorder.bodies("POST")
    assert (posted_to, ctype) == (CREATE_PATHS[args[0]], "application/vnd.kubernetes.protobuf")
    assert decode_kubernetes_protobuf(data) == without_nulls(json.loads(printed))


async def test_kubectl_debug_copy_of_a_full_pod_body_decodes(recorder: Recorder, tmp_path: Path) -> None:
    # kubectl debug --copy-to reads a pod and creates its copy with the typed client: a Go-encoded
    # PodSpec with volumes, probes, affinity, tolerations and security contexts
    recorder.objects["/api/v1/namespaces/kube-system/pods/agent-x7k2p"] = running_pod()
    args = ("agent-x7k2p", "--namespace=kube-system", "--copy-to=agent-copy", "--set-image=agent=nginx:1.26")
    keep = ("--same-node", "--keep-labels", "--keep-annotations", "--keep-liveness", "--keep-readiness")
    await run_kubectl(recorder, tmp_path, "debug", *args, *keep)
    [(posted_to, ctype, data)] = recorder.bodies("POST")
    assert (posted_to, ctype) == (
        "/api/v1/namespaces/kube-system/pods",
        "application/vnd.kubernetes.protobuf",
    )
    original = running_pod()
    spec = original["spec"]
    spec["containers"][0]["image"] = "nginx:1.26"
    keys = ("labels", "annotations")
    metadata = {"name": "agent-copy", "namespace": "kube-system"} | {k: original["metadata"][k] for k in keys}
    copy = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": {}}
    assert decode_kubernetes_protobuf(data) == copy
