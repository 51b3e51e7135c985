"""Kubernetes protobuf request bodies, decoded into the JSON-shaped objects the server handles.

kubectl 1.32+ sends some bodies from its typed clients as ``application/vnd.kubernetes.protobuf``
(``kubectl create namespace`` posts a Namespace; typed deletes send DeleteOptions) and has no JSON
fallback. The body is the magic ``k8s\\x00`` followed by a ``runtime.Unknown`` envelope
{1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}; ``raw`` is the
object's message. Field numbers are those of upstream's generated.proto files.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

MAGIC = b"k8s\x00"
Obj = dict[str, Any]


class ProtobufError(ValueError):
    """Malformed protobuf (400), or a kind we cannot decode (``unsupported``: 415)."""

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


def _fields(data: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value): ints for varint/fixed, bytes for length-delimited."""
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > end:
                raise ProtobufError("truncated length-delimited field")
            value, pos = data[pos : pos + length], pos + length
        elif wire == 1:
            value, pos = int.from_bytes(data[pos : pos + 8], "little"), pos + 8
        elif wire == 5:
            value, pos = int.from_bytes(data[pos : pos + 4], "little"), pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > end:
            raise ProtobufError("truncated field")
        yield number, wire, value


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _text(value: Any) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a string field")
    try:
        return value.decode()
    except UnicodeDecodeError as exc:
        raise ProtobufError(f"invalid UTF-8 in a string field: {exc}") from None


def _signed(value: Any) -> int:
    return value - (1 << 64) if value >= 1 << 63 else int(value)


def _time(data: bytes) -> str:
    seconds = next((v for n, _, v in _fields(data) if n == 1), 0)
    moment = datetime.datetime.fromtimestamp(_signed(seconds), datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _map_entry(data: bytes) -> tuple[str, str]:
    key = value = ""
    for number, _, raw in _fields(data):
        if number == 1:
            key = _text(raw)
        elif number == 2:
            value = _text(raw)
    return key, value


def _owner_reference(data: bytes) -> Obj:
    names = {1: "kind", 3: "name", 4: "uid", 5: "apiVersion"}
    ref: Obj = {}
    for number, _, raw in _fields(data):
        if number in names:
            ref[names[number]] = _text(raw)
        elif number == 6:
            ref["controller"] = bool(raw)
        elif number == 7:
            ref["blockOwnerDeletion"] = bool(raw)
    return ref


def _object_meta(data: bytes) -> Obj:
    texts = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    meta: Obj = {}
    for number, _, raw in _fields(data):
        if number in texts:
            meta[texts[number]] = _text(raw)
        elif number == 7:
            meta["generation"] = _signed(raw)
        elif number == 8:
            meta["creationTimestamp"] = _time(raw)
        elif number == 9:
            meta["deletionTimestamp"] = _time(raw)
        elif number == 10:
            meta["deletionGracePeriodSeconds"] = _signed(raw)
        elif number in (11, 12):
            key, value = _map_entry(raw)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = value
        elif number == 13:
            meta.setdefault("ownerReferences", []).append(_owner_reference(raw))
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(raw))
    return meta


def _namespace(data: bytes) -> Obj:
    obj: Obj = {}
    for number, _, raw in _fields(data):
        if number == 1:
            obj["metadata"] = _object_meta(raw)
        elif number == 2:
            finalizers = [_text(v) for n, _, v in _fields(raw) if n == 1]
            obj["spec"] = {"finalizers": finalizers} if finalizers else {}
        elif number == 3:
            phase = next((_text(v) for n, _, v in _fields(raw) if n == 1), None)
            obj["status"] = {"phase": phase} if phase else {}
    return obj


def _delete_options(data: bytes) -> Obj:
    options: Obj = {}
    for number, _, raw in _fields(data):
        if number == 1:
            options["gracePeriodSeconds"] = _signed(raw)
        elif number == 2:
            names = {1: "uid", 2: "resourceVersion"}
            options["preconditions"] = {names[n]: _text(v) for n, _, v in _fields(raw) if n in names}
        elif number == 3:
            options["orphanDependents"] = bool(raw)
        elif number == 4:
            options["propagationPolicy"] = _text(raw)
        elif number == 5:
            options.setdefault("dryRun", []).append(_text(raw))
    return options


DECODERS: dict[tuple[str, str], Callable[[bytes], Obj]] = {
    ("v1", "Namespace"): _namespace,
    ("v1", "DeleteOptions"): _delete_options,
    ("meta.k8s.io/v1", "DeleteOptions"): _delete_options,
}


def decode_kubernetes_protobuf(data: bytes) -> Obj:
    if not data.startswith(MAGIC):
        raise ProtobufError("not a Kubernetes protobuf body (the k8s\\x00 prefix is missing)")
    api_version = kind = ""
    raw = b""
    for number, _, value in _fields(data[len(MAGIC) :]):
        if number == 1:
            for n, _, v in _fields(value):
                if n == 1:
                    api_version = _text(v)
                elif n == 2:
                    kind = _text(v)
        elif number == 2:
            raw = value
    decoder = DECODERS.get((api_version, kind))
    if decoder is None:
        raise ProtobufError(
            f"protobuf bodies of {api_version} {kind or '(no kind)'} are not supported; send JSON",
            unsupported=True,
        )
    return {"apiVersion": api_version, "kind": kind, **decoder(raw)}
