from __future__ import annotations

import pytest

from everynode.apiserver.pbdecode import ProtobufError, decode_kubernetes_protobuf


def varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, value: bytes | int | str) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = field(1, api_version) + field(2, kind)
    return b"k8s\x00" + field(1, type_meta) + field(2, raw) + field(3, "") + field(4, "")


def test_a_namespace_as_kubectl_create_namespace_sends_it() -> None:
    meta = field(1, "demo") + field(11, field(1, "team") + field(2, "a")) + field(8, field(1, 1_700_000_000))
    body = envelope("v1", "Namespace", field(1, meta) + field(2, b"") + field(3, b""))
    assert decode_kubernetes_protobuf(body) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "demo", "labels": {"team": "a"}, "creationTimestamp": "2023-11-14T22:13:20Z"},
        "spec": {},
        "status": {},
    }


def test_delete_options() -> None:
    raw = field(1, 0) + field(2, field(1, "uid-1")) + field(4, "Foreground") + field(5, "All")
    assert decode_kubernetes_protobuf(envelope("meta.k8s.io/v1", "DeleteOptions", raw)) == {
        "apiVersion": "meta.k8s.io/v1",
        "kind": "DeleteOptions",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "uid-1"},
        "propagationPolicy": "Foreground",
        "dryRun": ["All"],
    }


def test_owner_references_and_negative_numbers() -> None:
    owner = field(1, "DaemonSet") + field(3, "agent") + field(4, "u") + field(5, "apps/v1") + field(6, 1)
    meta = field(1, "ns") + field(13, owner) + field(14, "kubernetes") + field(10, -1)
    decoded = decode_kubernetes_protobuf(envelope("v1", "Namespace", field(1, meta)))
    assert decoded["metadata"]["ownerReferences"] == [
        {"kind": "DaemonSet", "name": "agent", "uid": "u", "apiVersion": "apps/v1", "controller": True}
    ]
    assert decoded["metadata"]["finalizers"] == ["kubernetes"]
    assert decoded["metadata"]["deletionGracePeriodSeconds"] == -1


@pytest.mark.parametrize(
    ("body", "unsupported"),
    [
        (b"{}", False),
        (b"k8s\x00\x0a\xff", False),
        (envelope("apps/v1", "DaemonSet", b""), True),
    ],
)
def test_bad_or_unsupported_bodies_are_refused(body: bytes, unsupported: bool) -> None:
    with pytest.raises(ProtobufError) as caught:
        decode_kubernetes_protobuf(body)
    assert caught.value.unsupported is unsupported
