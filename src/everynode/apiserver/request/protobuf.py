"""Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``) as JSON-shaped dicts.

client-go's typed (generated) clients send built-in kinds as protobuf, with no JSON fallback: kubectl
1.32+ (``create deployment|service|serviceaccount|role|…``, ``run``, ``debug --copy-to``, typed deletes
with a DeleteOptions, evictions), Helm's release storage, and many controllers. This module turns such a
body into the dict the JSON path would have produced, so the rest of the server never sees protobuf.
Replies stay JSON, which every client accepts.

A body is the magic ``k8s\\x00`` followed by a ``runtime.Unknown`` message::

    Unknown{1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}

``raw`` is the object's own message, which carries no apiVersion/kind; those come from ``typeMeta``.
Every built-in kind this server serves is decoded (``protobuf_kinds``), by one table-driven decoder
(``protobuf_decoder``) over declarations of each message's fields (``protobuf_layout`` describes the
table language; ``protobuf_meta``, ``protobuf_core``, ``protobuf_apps`` and ``protobuf_groups`` hold the
tables, from upstream's ``generated.proto`` and ``types.go``).

The Go encoder writes every non-pointer field, even when empty, while Go's JSON encoder drops ``omitempty``
fields. The decoder mirrors the JSON form: empty strings, zero counters, zero timestamps and empty lists
or maps are left out, but optional (pointer) fields such as ``gracePeriodSeconds: 0`` or
``orphanDependents: false`` are kept when present, because there zero means something, and fields Go
always writes (``containerPort``, ``ready``) are there even when zero. A kind's ``metadata`` is always
there, ``{}`` at least.

Errors: :class:`ProtobufError` (a ``ValueError``) for a body that cannot be read (answer 400);
its subclass :class:`UnsupportedProtobuf` for a well-formed envelope holding a kind, apiVersion or
encoding this module does not decode (answer 415).
"""

from __future__ import annotations

from typing import Any

from everynode.apiserver.request.protobuf_decoder import ProtobufError, decode_message, read_fields
from everynode.apiserver.request.protobuf_kinds import ANY_VERSION, KINDS, layout_for

__all__ = ["MAGIC", "ProtobufError", "UnsupportedProtobuf", "decode_kubernetes_protobuf", "supported_kinds"]

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"


class UnsupportedProtobuf(ProtobufError):
    """A well-formed envelope whose content this decoder does not handle (the server answers 415).

    ``kind`` and ``api_version`` are those named in the envelope's typeMeta (possibly empty).
    """

    def __init__(self, message: str, *, kind: str = "", api_version: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.api_version = api_version


def supported_kinds() -> dict[str, frozenset[str] | None]:
    """The kinds this module decodes, with their accepted apiVersions (None: any)."""
    kinds: dict[str, set[str]] = {}
    for api_version, kind in KINDS:
        kinds.setdefault(kind, set()).add(api_version)
    result: dict[str, frozenset[str] | None] = {kind: frozenset(v) for kind, v in kinds.items()}
    result.update(dict.fromkeys(ANY_VERSION))
    return result


def _field(
    fields: dict[int, list[tuple[int, int | bytes]]], number: int, what: str, *, merge: bool = False
) -> bytes:
    """A length-delimited field of the envelope: the last occurrence, or (``merge``, for a message)
    all of them concatenated, as protobuf merges a repeated singular message."""
    values = fields.get(number, [])
    for wire, value in values:
        if not isinstance(value, bytes):
            got = {0: "varint", 1: "fixed64", 5: "fixed32"}.get(wire, str(wire))
            raise ProtobufError(f"{what} (field {number}): expected length-delimited, got {got}")
    chunks = [value for _, value in values if isinstance(value, bytes)]
    return b"".join(chunks) if merge else (chunks[-1] if chunks else b"")


def _text(fields: dict[int, list[tuple[int, int | bytes]]], number: int, what: str) -> str:
    raw = _field(fields, number, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtobufError(f"{what} (field {number}) is not valid UTF-8: {exc}") from None


def decode_kubernetes_protobuf(data: bytes) -> dict[str, Any]:
    """A ``k8s\\x00``-prefixed protobuf body as the JSON-shaped dict (camelCase, apiVersion and kind).

    Raises :class:`UnsupportedProtobuf` (415) for a kind/apiVersion/encoding it does not handle and
    :class:`ProtobufError` (400) for anything malformed.
    """
    if not data.startswith(MAGIC):
        raise ProtobufError("the protobuf body does not start with the Kubernetes magic number k8s\\x00")
    envelope = read_fields(data[len(MAGIC) :], "Unknown")
    type_meta = read_fields(_field(envelope, 1, "Unknown.typeMeta", merge=True), "Unknown.typeMeta")
    api_version = _text(type_meta, 1, "Unknown.typeMeta.apiVersion")
    kind = _text(type_meta, 2, "Unknown.typeMeta.kind")
    encoding = _text(envelope, 3, "Unknown.contentEncoding")
    content_type = _text(envelope, 4, "Unknown.contentType")
    if not kind:
        raise ProtobufError("the protobuf envelope names no kind (typeMeta.kind is empty)")
    if encoding:
        raise UnsupportedProtobuf(
            f'unsupported protobuf contentEncoding "{encoding}"', kind=kind, api_version=api_version
        )
    if content_type not in ("", PROTOBUF):
        raise UnsupportedProtobuf(
            f'unsupported protobuf contentType "{content_type}"', kind=kind, api_version=api_version
        )
    layout = layout_for(api_version, kind)
    if layout is None:
        raise UnsupportedProtobuf(
            f'protobuf bodies of kind "{kind}" in version "{api_version}" are not supported; '
            "send JSON instead",
            kind=kind,
            api_version=api_version,
        )
    raw = _field(envelope, 2, "Unknown.raw")
    obj = decode_message(layout, raw, 0, len(raw), kind)
    if 1 in layout.fields and layout.fields[1].name == "metadata":
        obj.setdefault("metadata", {})
    head: dict[str, Any] = {"apiVersion": api_version} if api_version else {}
    head["kind"] = kind
    return head | obj
