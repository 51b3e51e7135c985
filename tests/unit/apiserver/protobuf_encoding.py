"""A tiny protobuf encoder for the protobuf request body tests: bodies are built field by field.

``num``/``ld``/``msg`` write one varint, length-delimited or embedded-message field; the rest are the
shapes Kubernetes messages use (map entries, Time, IntOrString, Quantity, the ``k8s\\x00`` envelope).
Go's encoder writes fields in number order; these write them in the order given. ``encode_object`` turns
a kind's JSON into its protobuf body through the decoder's own tables, for round trips; ``running_pod``
is a full-sized Pod to send through them.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import datetime
from typing import Any

from everynode.apiserver.request import protobuf_layout as pl
from everynode.apiserver.request.protobuf_kinds import layout_for
from tests import builders


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negatives as 64-bit two's complement, as Go writes int32/int64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def num(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def ld(number: int, payload: bytes | str) -> bytes:
    raw = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def msg(number: int, *parts: bytes) -> bytes:
    return ld(number, b"".join(parts))


def fixed64(number: int, value: float) -> bytes:
    return varint(number << 3 | 1) + struct.pack("<d", value)


def entry(number: int, key: str, value: str) -> bytes:
    """One entry of a ``map<string, string>`` field."""
    return msg(number, ld(1, key), ld(2, value))


def quantities(number: int, **values: str) -> bytes:
    """A ``map<string, Quantity>`` field (a ResourceList)."""
    return b"".join(msg(number, ld(1, key), msg(2, ld(1, value))) for key, value in values.items())


def labels(number: int, **values: str) -> bytes:
    return b"".join(entry(number, key, value) for key, value in values.items())


def ts(number: int, seconds: int, nanos: int = 0) -> bytes:
    """A meta/v1 Time or MicroTime."""
    return msg(number, num(1, seconds), num(2, nanos))


def int_or_string(number: int, value: int | str) -> bytes:
    """util/intstr IntOrString, all three fields written as Go writes them."""
    if isinstance(value, int):
        return msg(number, num(1, 0), num(2, value), ld(3, ""))
    return msg(number, num(1, 1), num(2, 0), ld(3, value))


def quantity(number: int, value: str) -> bytes:
    return msg(number, ld(1, value))


def meta(name: str, namespace: str = "", **label_values: str) -> bytes:
    """An ObjectMeta (field 1 of every kind) with a name, a namespace and labels."""
    parts = [ld(1, name)]
    if namespace:
        parts.append(ld(3, namespace))
    return msg(1, *parts, labels(11, **label_values))


def body(api_version: str, kind: str, *raw: bytes, encoding: str = "", content_type: str = "") -> bytes:
    """The ``k8s\\x00`` envelope (runtime.Unknown) around a kind's own fields."""
    return (
        b"k8s\x00"
        + msg(1, ld(1, api_version), ld(2, kind))
        + ld(2, b"".join(raw))
        + ld(3, encoding)
        + ld(4, content_type)
    )


T_2024 = 1704067200  # 2024-01-01T00:00:00Z


# --- JSON to protobuf, through the decoder's own tables ----------------------------------------------------


def _seconds(stamp: str) -> tuple[int, int]:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return int(moment.timestamp()), moment.microsecond * 1000


def _value(f: pl.Field, value: Any) -> bytes:
    """One value of field ``f`` as its field bytes."""
    n = f.number
    if f.kind == pl.STRING:
        return ld(n, value)
    if f.kind in (pl.INT32, pl.INT64):
        return num(n, value)
    if f.kind == pl.BOOL:
        return num(n, int(value))
    if f.kind == pl.DOUBLE:
        return fixed64(n, value)
    if f.kind == pl.BYTES:
        return ld(n, base64.b64decode(value))
    if f.kind in (pl.TIME, pl.MICRO_TIME):
        return ts(n, *_seconds(value))
    if f.kind == pl.QUANTITY:
        return quantity(n, value)
    if f.kind == pl.INT_OR_STRING:
        return int_or_string(n, value)
    if f.kind in (pl.RAW_EXTENSION, pl.FIELDS_V1):
        return msg(n, ld(1, json.dumps(value)))
    assert f.layout is not None
    return ld(n, encode_json(f.layout, value))


def encode_json(layout: pl.Layout, obj: dict[str, Any]) -> bytes:
    """``obj`` (a kind's JSON, or part of it) as the message ``layout`` declares, fields in number order
    and map keys sorted, as Go writes them; a field not in ``obj`` is not written."""
    parts = []
    for number in sorted(layout.fields):
        f = layout.fields[number]
        if f.presence == pl.INLINE:
            assert f.layout is not None
            parts.append(ld(number, encode_json(f.layout, obj)))
            continue
        if f.name not in obj:
            continue
        value = obj[f.name]
        if f.shape == pl.REPEATED:
            parts.extend(_value(f, item) for item in value)
        elif f.shape == pl.MAP:
            entry_field = pl.Field(2, "", f.kind, pl.SINGLE, pl.OMITEMPTY, f.message, layout=f.layout)
            parts.extend(msg(number, ld(1, key), _value(entry_field, value[key])) for key in sorted(value))
        else:
            parts.append(_value(f, value))
    return b"".join(parts)


def encode_object(obj: dict[str, Any]) -> bytes:
    """A whole object (with apiVersion and kind) as the body a typed client sends."""
    layout = layout_for(obj["apiVersion"], obj["kind"])
    assert layout is not None, (obj["apiVersion"], obj["kind"])
    return body(obj["apiVersion"], obj["kind"], encode_json(layout, obj))


# --- a realistic object -----------------------------------------------------------------------------


def running_pod() -> dict[str, Any]:
    """A DaemonSet's pod as the server holds it once it runs: owner, managed fields, volumes, probes,
    tolerations, affinity, and a full status (every field Go always writes present)."""
    owner = builders.daemonset("agent", namespace="kube-system", uid="ds-uid")
    main = builders.container(
        "agent",
        cpu="100m",
        memory="64Mi",
        ports=[{"name": "metrics", "containerPort": 9100, "protocol": "TCP"}],
        env=[
            {
                "name": "NODE_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}},
            },
            {"name": "LOG_LEVEL", "value": "info"},
        ],
        volumeMounts=[
            {"name": "config", "readOnly": True, "mountPath": "/etc/agent"},
            {"name": "host-proc", "readOnly": True, "mountPath": "/host/proc"},
        ],
        livenessProbe={"httpGet": {"path": "/healthz", "port": "metrics"}, "periodSeconds": 10},
        readinessProbe={"tcpSocket": {"port": 9100}, "initialDelaySeconds": 2},
        securityContext={"runAsNonRoot": True, "runAsUser": 65534, "capabilities": {"drop": ["ALL"]}},
        terminationMessagePath="/dev/termination-log",
        terminationMessagePolicy="File",
        imagePullPolicy="IfNotPresent",
    )
    status = {
        "phase": "Running",
        "conditions": [
            builders.condition(kind, lastTransitionTime="2024-01-01T00:00:05Z")
            for kind in (
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            )
        ],
        "hostIP": "10.0.0.7",
        "hostIPs": [{"ip": "10.0.0.7"}],
        "podIP": "10.244.3.17",
        "podIPs": [{"ip": "10.244.3.17"}],
        "startTime": "2024-01-01T00:00:01Z",
        "containerStatuses": [
            {
                "name": "agent",
                "state": {"running": {"startedAt": "2024-01-01T00:00:03Z"}},
                "lastState": {},
                "ready": True,
                "restartCount": 0,
                "image": builders.IMAGE,
                "imageID": "docker.io/library/nginx@sha256:" + "0d17b565c37bcbd895e9d92315a05c1c" * 2,
                "containerID": "containerd://6f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff",
                "started": True,
            }
        ],
        "qosClass": "Burstable",
    }
    return builders.pod(
        "agent-x7k2p",
        namespace="kube-system",
        node="node-0042",
        labels={"app": "agent", "controller-revision-hash": "5d4f8c9b7", "pod-template-generation": "3"},
        annotations={"kubectl.kubernetes.io/default-container": "agent"},
        owners=[builders.owner_ref(owner)],
        uid="0c2f3b4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e",
        resource_version="123456",
        created="2024-01-01T00:00:00Z",
        metadata={
            "generateName": "agent-",
            "managedFields": [
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": "2024-01-01T00:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}}}},
                }
            ],
        },
        containers=[main],
        status=status,
        volumes=[
            {"name": "config", "configMap": {"name": "agent-config", "defaultMode": 420}},
            {"name": "host-proc", "hostPath": {"path": "/proc", "type": ""}},
            {
                "name": "kube-api-access",
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                    ],
                    "defaultMode": 420,
                },
            },
        ],
        restartPolicy="Always",
        terminationGracePeriodSeconds=30,
        dnsPolicy="ClusterFirst",
        serviceAccountName="agent",
        serviceAccount="agent",
        hostPID=True,
        securityContext={},
        schedulerName="default-scheduler",
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-0042"]}]}
                    ]
                }
            }
        },
        tolerations=[
            {"key": key, "operator": "Exists", "effect": effect}
            for key, effect in (
                ("node.kubernetes.io/not-ready", "NoExecute"),
                ("node.kubernetes.io/unreachable", "NoExecute"),
                ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                ("node.kubernetes.io/unschedulable", "NoSchedule"),
            )
        ],
        priority=0,
        enableServiceLinks=True,
        preemptionPolicy="PreemptLowerPriority",
    )
