"""Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``) as JSON-shaped dicts.

kubectl 1.32+ sends the bodies of its typed (generated) clients as protobuf, with no JSON fallback:
``kubectl create namespace`` POSTs a v1 Namespace, and typed deletes (``drain`` without eviction) send a
DeleteOptions. This module turns such a body into the dict the JSON path would have produced, so the rest
of the server never sees protobuf. Replies stay JSON, which every client accepts.

A body is the magic ``k8s\\x00`` followed by a ``runtime.Unknown`` message::

    Unknown{1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}

``raw`` is the object's own message, which carries no apiVersion/kind; those come from ``typeMeta``.
Field numbers follow the upstream ``generated.proto`` files (k8s.io/api core/v1 and policy/v1,
k8s.io/apimachinery meta/v1 and runtime).

The Go encoder writes every non-pointer field, even when empty, while Go's JSON encoder drops ``omitempty``
fields. The decoder mirrors the JSON form: empty strings, zero counters, zero timestamps and empty lists
or maps are left out, but optional (pointer) fields such as ``gracePeriodSeconds: 0`` or
``orphanDependents: false`` are kept when present, because there zero means something.

Errors: :class:`ProtobufError` (a ``ValueError``) for a body that cannot be read (answer 400);
its subclass :class:`UnsupportedProtobuf` for a well-formed envelope holding a kind, apiVersion or
encoding this module does not decode (answer 415).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from everynode.core.timestamps import LATEST_SECOND, format_time

__all__ = ["MAGIC", "ProtobufError", "UnsupportedProtobuf", "decode_kubernetes_protobuf", "supported_kinds"]

MAGIC = b"k8s\x00"

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
_WIRE_NAMES = {VARINT: "varint", FIXED64: "fixed64", LENGTH: "length-delimited", FIXED32: "fixed32"}


class ProtobufError(ValueError):
    """The body is not a readable Kubernetes protobuf message (the server answers 400 BadRequest)."""


class UnsupportedProtobuf(ProtobufError):
    """A well-formed envelope whose content this decoder does not handle (the server answers 415).

    ``kind`` and ``api_version`` are those named in the envelope's typeMeta (possibly empty).
    """

    def __init__(self, message: str, *, kind: str = "", api_version: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.api_version = api_version


# --- wire format --------------------------------------------------------------------------------------


def _read_varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError(f"{what}: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(f"{what}: varint longer than 10 bytes")


class _Message:
    """The fields of one encoded message, by number, in wire order; read through typed accessors.

    Following protobuf rules, the last occurrence of a singular scalar wins, and several occurrences of a
    singular embedded message merge (which is the same as decoding their concatenation).
    """

    def __init__(self, data: bytes, what: str) -> None:
        self.what = what
        self.fields: dict[int, list[tuple[int, int | bytes]]] = {}
        pos, end = 0, len(data)
        while pos < end:
            key, pos = _read_varint(data, pos, what)
            number, wire = key >> 3, key & 7
            if number == 0:
                raise ProtobufError(f"{what}: invalid field number 0")
            value: int | bytes
            if wire == VARINT:
                value, pos = _read_varint(data, pos, what)
            elif wire == LENGTH:
                size, pos = _read_varint(data, pos, what)
                if pos + size > end:
                    raise ProtobufError(f"{what}: field {number} runs past the end of the message")
                value, pos = data[pos : pos + size], pos + size
            elif wire in (FIXED64, FIXED32):
                width = 8 if wire == FIXED64 else 4
                if pos + width > end:
                    raise ProtobufError(f"{what}: field {number} runs past the end of the message")
                value, pos = data[pos : pos + width], pos + width
            else:
                raise ProtobufError(f"{what}: field {number} has unsupported wire type {wire}")
            self.fields.setdefault(number, []).append((wire, value))

    def _values(self, number: int, wire: int, name: str) -> list[Any]:
        values = []
        for actual, value in self.fields.get(number, ()):
            if actual != wire:
                raise ProtobufError(
                    f"{self.what}.{name} (field {number}): expected {_WIRE_NAMES[wire]}, "
                    f"got {_WIRE_NAMES.get(actual, actual)}"
                )
            values.append(value)
        return values

    def has(self, number: int) -> bool:
        return number in self.fields

    def strings(self, number: int, name: str) -> list[str]:
        try:
            return [raw.decode("utf-8") for raw in self._values(number, LENGTH, name)]
        except UnicodeDecodeError as exc:
            raise ProtobufError(f"{self.what}.{name} (field {number}) is not valid UTF-8: {exc}") from None

    def string(self, number: int, name: str) -> str | None:
        values = self.strings(number, name)
        return values[-1] if values else None

    def raw_bytes(self, number: int, name: str) -> bytes | None:
        values: list[bytes] = self._values(number, LENGTH, name)
        return values[-1] if values else None

    def int64(self, number: int, name: str) -> int | None:
        values: list[int] = self._values(number, VARINT, name)
        if not values:
            return None
        value = values[-1] & 0xFFFFFFFFFFFFFFFF  # int32 and int64 negatives are sign-extended to 64 bits
        return value - (1 << 64) if value >= 1 << 63 else value

    def bool(self, number: int, name: str) -> bool | None:
        values: list[int] = self._values(number, VARINT, name)
        return bool(values[-1]) if values else None

    def message(self, number: int, name: str) -> _Message | None:
        values: list[bytes] = self._values(number, LENGTH, name)
        return _Message(b"".join(values), f"{self.what}.{name}") if values else None

    def messages(self, number: int, name: str) -> list[_Message]:
        return [
            _Message(raw, f"{self.what}.{name}[{index}]")
            for index, raw in enumerate(self._values(number, LENGTH, name))
        ]

    def bytes_map(self, number: int, name: str) -> dict[str, str]:
        """A ``map<string, bytes>``, its values base64 as Go's JSON writes ``[]byte``."""
        result: dict[str, str] = {}
        for entry in self.messages(number, name):
            result[entry.string(1, "key") or ""] = base64.b64encode(
                entry.raw_bytes(2, "value") or b""
            ).decode()
        return result

    def string_map(self, number: int, name: str) -> dict[str, str]:
        """A ``map<string, string>``: repeated entries of {1: key, 2: value}; a later key wins."""
        result: dict[str, str] = {}
        for entry in self.messages(number, name):
            result[entry.string(1, "key") or ""] = entry.string(2, "value") or ""
        return result


# --- small helpers --------------------------------------------------------------------------------------


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is what Go's JSON ``omitempty`` leaves out (None, "", 0, [], {})."""
    if value is not None and value not in ("", 0, [], {}):
        target[key] = value


def _put_present(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` whenever the field was on the wire: Go pointer fields, where zero is meaningful."""
    if value is not None:
        target[key] = value


def _time(message: _Message | None) -> str | None:
    """A meta/v1 Time {1: seconds, 2: nanos} as JSON carries it: RFC 3339, UTC, whole seconds."""
    if message is None:
        return None
    seconds = message.int64(1, "seconds") or 0
    nanos = message.int64(2, "nanos") or 0
    if seconds == 0 and nanos == 0:
        return None  # the zero Time: JSON has null, which the server treats as absent
    if not 0 <= seconds <= LATEST_SECOND:
        raise ProtobufError(f"{message.what}: timestamp {seconds} is out of range")
    return format_time(seconds)


# --- meta/v1 -----------------------------------------------------------------------------------------


def _owner_reference(m: _Message) -> dict[str, Any]:
    # apiVersion, kind, name and uid have no omitempty in Go's JSON tags: always present.
    ref: dict[str, Any] = {
        "apiVersion": m.string(5, "apiVersion") or "",
        "kind": m.string(1, "kind") or "",
        "name": m.string(3, "name") or "",
        "uid": m.string(4, "uid") or "",
    }
    _put_present(ref, "controller", m.bool(6, "controller"))
    _put_present(ref, "blockOwnerDeletion", m.bool(7, "blockOwnerDeletion"))
    return ref


def _managed_fields_entry(m: _Message) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    _put(entry, "manager", m.string(1, "manager"))
    _put(entry, "operation", m.string(2, "operation"))
    _put(entry, "apiVersion", m.string(3, "apiVersion"))
    _put(entry, "time", _time(m.message(4, "time")))
    _put(entry, "fieldsType", m.string(6, "fieldsType"))
    fields_v1 = m.message(7, "fieldsV1")
    raw = fields_v1.raw_bytes(1, "Raw") if fields_v1 is not None else None
    if raw:
        try:
            entry["fieldsV1"] = json.loads(raw)
        except ValueError as exc:
            raise ProtobufError(f"{m.what}.fieldsV1 is not valid JSON: {exc}") from None
    _put(entry, "subresource", m.string(8, "subresource"))
    return entry


def _object_meta(m: _Message | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if m is None:
        return meta
    _put(meta, "name", m.string(1, "name"))
    _put(meta, "generateName", m.string(2, "generateName"))
    _put(meta, "namespace", m.string(3, "namespace"))
    _put(meta, "selfLink", m.string(4, "selfLink"))
    _put(meta, "uid", m.string(5, "uid"))
    _put(meta, "resourceVersion", m.string(6, "resourceVersion"))
    _put(meta, "generation", m.int64(7, "generation"))
    _put(meta, "creationTimestamp", _time(m.message(8, "creationTimestamp")))
    _put(meta, "deletionTimestamp", _time(m.message(9, "deletionTimestamp")))
    _put_present(meta, "deletionGracePeriodSeconds", m.int64(10, "deletionGracePeriodSeconds"))
    _put(meta, "labels", m.string_map(11, "labels"))
    _put(meta, "annotations", m.string_map(12, "annotations"))
    _put(meta, "ownerReferences", [_owner_reference(r) for r in m.messages(13, "ownerReferences")])
    _put(meta, "finalizers", m.strings(14, "finalizers"))
    _put(meta, "managedFields", [_managed_fields_entry(e) for e in m.messages(17, "managedFields")])
    return meta


def _delete_options_fields(m: _Message) -> dict[str, Any]:
    options: dict[str, Any] = {}
    _put_present(options, "gracePeriodSeconds", m.int64(1, "gracePeriodSeconds"))
    preconditions = m.message(2, "preconditions")
    if preconditions is not None:
        pre: dict[str, Any] = {}
        _put_present(pre, "uid", preconditions.string(1, "uid"))
        _put_present(pre, "resourceVersion", preconditions.string(2, "resourceVersion"))
        options["preconditions"] = pre
    _put_present(options, "orphanDependents", m.bool(3, "orphanDependents"))
    _put_present(options, "propagationPolicy", m.string(4, "propagationPolicy"))
    _put(options, "dryRun", m.strings(5, "dryRun"))
    _put_present(
        options,
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        m.bool(6, "ignoreStoreReadErrorWithClusterBreakingPotential"),
    )
    return options


# --- kinds -----------------------------------------------------------------------------------------


def _namespace(m: _Message) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": _object_meta(m.message(1, "metadata"))}
    spec_message = m.message(2, "spec")
    if spec_message is not None:
        spec: dict[str, Any] = {}
        _put(spec, "finalizers", spec_message.strings(1, "finalizers"))
        obj["spec"] = spec
    status_message = m.message(3, "status")
    if status_message is not None:
        status: dict[str, Any] = {}
        _put(status, "phase", status_message.string(1, "phase"))
        conditions = []
        for c in status_message.messages(2, "conditions"):
            condition: dict[str, Any] = {}
            _put(condition, "type", c.string(1, "type"))
            _put(condition, "status", c.string(2, "status"))
            _put(condition, "lastTransitionTime", _time(c.message(4, "lastTransitionTime")))
            _put(condition, "reason", c.string(5, "reason"))
            _put(condition, "message", c.string(6, "message"))
            conditions.append(condition)
        _put(status, "conditions", conditions)
        obj["status"] = status
    return obj


def _object_reference(m: _Message | None) -> dict[str, Any]:
    ref: dict[str, Any] = {}
    if m is None:
        return ref
    _put(ref, "kind", m.string(1, "kind"))
    _put(ref, "namespace", m.string(2, "namespace"))
    _put(ref, "name", m.string(3, "name"))
    _put(ref, "uid", m.string(4, "uid"))
    _put(ref, "apiVersion", m.string(5, "apiVersion"))
    _put(ref, "resourceVersion", m.string(6, "resourceVersion"))
    _put(ref, "fieldPath", m.string(7, "fieldPath"))
    return ref


def _secret(m: _Message) -> dict[str, Any]:
    # k8s.io/api/core/v1 generated.proto: 1 metadata, 2 data, 3 type, 4 stringData, 5 immutable
    obj: dict[str, Any] = {"metadata": _object_meta(m.message(1, "metadata"))}
    _put(obj, "data", m.bytes_map(2, "data"))
    _put(obj, "type", m.string(3, "type"))
    _put(obj, "stringData", m.string_map(4, "stringData"))
    _put_present(obj, "immutable", m.bool(5, "immutable"))
    return obj


def _config_map(m: _Message) -> dict[str, Any]:
    # 1 metadata, 2 data, 3 binaryData, 4 immutable
    obj: dict[str, Any] = {"metadata": _object_meta(m.message(1, "metadata"))}
    _put(obj, "data", m.string_map(2, "data"))
    _put(obj, "binaryData", m.bytes_map(3, "binaryData"))
    _put_present(obj, "immutable", m.bool(4, "immutable"))
    return obj


def _binding(m: _Message) -> dict[str, Any]:
    return {
        "metadata": _object_meta(m.message(1, "metadata")),
        "target": _object_reference(m.message(2, "target")),
    }


def _eviction(m: _Message) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": _object_meta(m.message(1, "metadata"))}
    options = m.message(2, "deleteOptions")
    if options is not None:
        obj["deleteOptions"] = _delete_options_fields(options)
    return obj


Decoder = Callable[[_Message], dict[str, Any]]

# kind -> (accepted apiVersions, or None for any, decoder). DeleteOptions is registered in every group
# version (a typed delete sends the resource's own apiVersion) and always has the meta/v1 layout.
_KINDS: dict[str, tuple[frozenset[str] | None, Decoder]] = {
    "Namespace": (frozenset({"v1"}), _namespace),
    "DeleteOptions": (None, _delete_options_fields),
    "Binding": (frozenset({"v1"}), _binding),
    "Secret": (frozenset({"v1"}), _secret),
    "ConfigMap": (frozenset({"v1"}), _config_map),
    "Eviction": (frozenset({"policy/v1", "policy/v1beta1"}), _eviction),
}


def supported_kinds() -> dict[str, frozenset[str] | None]:
    """The kinds this module decodes, with their accepted apiVersions (None: any)."""
    return {kind: versions for kind, (versions, _) in _KINDS.items()}


def decode_kubernetes_protobuf(data: bytes) -> dict[str, Any]:
    """A ``k8s\\x00``-prefixed protobuf body as the JSON-shaped dict (camelCase, apiVersion and kind).

    Raises :class:`UnsupportedProtobuf` (415) for a kind/apiVersion/encoding it does not handle and
    :class:`ProtobufError` (400) for anything malformed.
    """
    if not data.startswith(MAGIC):
        raise ProtobufError("the protobuf body does not start with the Kubernetes magic number k8s\\x00")
    envelope = _Message(data[len(MAGIC) :], "Unknown")
    type_meta = envelope.message(1, "typeMeta")
    api_version = (type_meta.string(1, "apiVersion") if type_meta else None) or ""
    kind = (type_meta.string(2, "kind") if type_meta else None) or ""
    encoding = envelope.string(3, "contentEncoding") or ""
    content_type = envelope.string(4, "contentType") or ""
    if not kind:
        raise ProtobufError("the protobuf envelope names no kind (typeMeta.kind is empty)")
    if encoding:
        raise UnsupportedProtobuf(
            f'unsupported protobuf contentEncoding "{encoding}"', kind=kind, api_version=api_version
        )
    if content_type not in ("", "application/vnd.kubernetes.protobuf"):
        raise UnsupportedProtobuf(
            f'unsupported protobuf contentType "{content_type}"', kind=kind, api_version=api_version
        )
    entry = _KINDS.get(kind)
    if entry is None or (entry[0] is not None and api_version not in entry[0]):
        raise UnsupportedProtobuf(
            f'protobuf bodies of kind "{kind}" in version "{api_version}" are not supported; '
            "send JSON instead",
            kind=kind,
            api_version=api_version,
        )
    obj = entry[1](_Message(envelope.raw_bytes(2, "raw") or b"", kind))
    head: dict[str, Any] = {"apiVersion": api_version} if api_version else {}
    head["kind"] = kind
    return head | obj
