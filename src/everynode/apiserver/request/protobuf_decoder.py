"""One generic decoder: protobuf wire bytes and a :class:`~.protobuf_layout.Layout` give the JSON dict.

Invariants (those of Go's ``encoding/json`` over the object Go's protobuf decoder would build):

- unknown field numbers are skipped, whatever their wire type (a newer client's fields);
- a singular scalar seen twice keeps the last value; a singular message seen twice is the merge of both
  (decoded from their concatenation), as protobuf specifies; repeated numbers may also arrive packed;
- ``int32`` keeps the low 32 bits, sign included, as Go's generated code does; negative numbers arrive
  as 64-bit two's complement varints;
- strings must be UTF-8, JSON texts (``RawExtension``, ``FieldsV1``) must parse, times must be in
  RFC 3339's range: anything else raises :class:`ProtobufError` naming the field's path
  (``Deployment.spec.template.spec.containers[0].name``).

Nested messages are read in place (start and end offsets into the one body), never copied.
"""

from __future__ import annotations

import base64
import math
import struct
import time
from typing import Any

import orjson

from everynode.apiserver.request.decoding import MAX_DEPTH, nests_deeper_than
from everynode.apiserver.request.protobuf_layout import (
    BOOL,
    BYTES,
    DOUBLE,
    FIXED32,
    FIXED64,
    INLINE,
    INT32,
    INT64,
    INT_OR_STRING,
    LENGTH,
    MAP,
    MESSAGE,
    MICRO_TIME,
    OMITEMPTY,
    QUANTITY,
    REPEATED,
    SINGLE,
    STRING,
    TIME,
    VARINT,
    Field,
    Layout,
)
from everynode.core.timestamps import LATEST_SECOND

__all__ = ["ProtobufError", "decode_message", "read_fields"]

WIRE_NAMES = {VARINT: "varint", FIXED64: "fixed64", LENGTH: "length-delimited", FIXED32: "fixed32"}
_NUMERIC_WIRES = (VARINT, FIXED64, FIXED32)
_SCALARS = frozenset({STRING, BYTES, INT32, INT64, BOOL, DOUBLE})

_DOUBLE = struct.Struct("<d")
_U64 = (1 << 64) - 1
# Embedded JSON sits at most 4 levels deep (metadata.managedFields[i].fieldsV1): with this limit, a
# decoded body nests no deeper than a JSON body may (``decoding.MAX_DEPTH``).
_EMBEDDED_DEPTH = MAX_DEPTH - 4
_GO_ZERO_SECONDS = -62135596800  # 0001-01-01T00:00:00Z, Go's zero time.Time, in Unix seconds


class ProtobufError(ValueError):
    """The body is not a readable Kubernetes protobuf message (the server answers 400 BadRequest)."""


class _Invalid(ValueError):
    """A value that cannot be carried as JSON; the caller names the field (paths are built only then)."""


# --- wire primitives ---------------------------------------------------------------------------------


def _varint(data: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise ProtobufError(f"{what}: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(f"{what}: varint longer than 10 bytes")


def _read(data: bytes, pos: int, end: int, what: str) -> tuple[int, int, int | tuple[int, int], int]:
    """The field at ``pos``: (number, wire type, value, next position). A varint value is an int; any
    other value is its (start, end) in ``data``."""
    key = data[pos]
    if key < 0x80:
        pos += 1
    else:
        key, pos = _varint(data, pos, end, what)
    number, wire = key >> 3, key & 7
    if number == 0:
        raise ProtobufError(f"{what}: invalid field number 0")
    if wire == VARINT:
        if pos < end and data[pos] < 0x80:
            return number, wire, data[pos], pos + 1
        value, pos = _varint(data, pos, end, what)
        return number, wire, value, pos
    if wire == LENGTH:
        if pos < end and data[pos] < 0x80:
            size = data[pos]
            pos += 1
        else:
            size, pos = _varint(data, pos, end, what)
        stop = pos + size
    elif wire == FIXED64:
        stop = pos + 8
    elif wire == FIXED32:
        stop = pos + 4
    else:
        raise ProtobufError(f"{what}: field {number} has unsupported wire type {wire}")
    if stop > end:
        raise ProtobufError(f"{what}: field {number} runs past the end of the message")
    return number, wire, (pos, stop), stop


def read_fields(data: bytes, what: str) -> dict[int, list[tuple[int, int | bytes]]]:
    """Every field of a small message by number, in wire order: (wire type, int or bytes)."""
    fields: dict[int, list[tuple[int, int | bytes]]] = {}
    pos, end = 0, len(data)
    while pos < end:
        number, wire, value, pos = _read(data, pos, end, what)
        item = value if isinstance(value, int) else data[value[0] : value[1]]
        fields.setdefault(number, []).append((wire, item))
    return fields


# --- values --------------------------------------------------------------------------------------------


def _int64(value: int) -> int:
    value &= _U64
    return value - (1 << 64) if value >= 1 << 63 else value


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _utf8(data: bytes, start: int, stop: int) -> str:
    try:
        return data[start:stop].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Invalid(f"is not valid UTF-8: {exc}") from None


def _string(data: bytes, start: int, stop: int, what: str) -> str:
    try:
        return _utf8(data, start, stop)
    except _Invalid as exc:
        raise ProtobufError(f"{what} {exc}") from None


def _json(data: bytes, start: int, stop: int, what: str) -> Any:
    """Embedded JSON text (RawExtension, FieldsV1), nesting no deeper than a JSON body may in total."""
    if start == stop:
        return None
    try:
        value = orjson.loads(data[start:stop])
    except orjson.JSONDecodeError as exc:
        raise ProtobufError(f"{what} is not valid JSON: {exc}") from None
    brackets = data.count(b"[", start, stop) + data.count(b"{", start, stop)
    if brackets > _EMBEDDED_DEPTH and nests_deeper_than(value, _EMBEDDED_DEPTH):
        raise ProtobufError(f"{what} nests deeper than {_EMBEDDED_DEPTH} levels")
    return value


def _scalar(kind: str, wire: int, value: int | tuple[int, int], data: bytes) -> Any:
    """A scalar's JSON value (the wire type already matches the kind); :class:`_Invalid` if it has none."""
    if wire == VARINT:
        assert isinstance(value, int)
        if kind == INT64:
            return _int64(value)
        if kind == INT32:
            return _int32(value)
        return value != 0  # bool
    assert not isinstance(value, int)
    if kind == STRING:
        return _utf8(data, value[0], value[1])
    if kind == BYTES:
        return base64.b64encode(data[value[0] : value[1]]).decode("ascii")
    number: float = _DOUBLE.unpack_from(data, value[0])[0]
    if not math.isfinite(number):
        raise _Invalid(f"is {number}, which JSON cannot carry")
    return number


def _time(data: bytes, start: int, stop: int, what: str, *, micro: bool) -> str | None:
    """A meta/v1 Time or MicroTime ``{1: seconds, 2: nanos}``; None for the zero time (JSON null).

    Time keeps whole seconds and MicroTime microseconds, as their protobuf decoders do (upstream
    time_proto.go, micro_time_proto.go). Go writes the zero time as an empty message; zero seconds (and
    microseconds), or the seconds of Go's zero time, are read as zero too.
    """
    seconds = nanos = 0
    pos = start
    while pos < stop:
        number, _, value, pos = _read(data, pos, stop, what)
        if number in (1, 2):
            if not isinstance(value, int):
                raise ProtobufError(f"{what}: field {number} must be a varint")
            if number == 1:
                seconds = _int64(value)
            else:
                nanos = _int32(value)
    if micro:
        carry, nanos = divmod(nanos, 1_000_000_000)  # time.Unix normalises nanoseconds this way
        seconds += carry
    micros = nanos // 1000 if micro else 0
    if seconds in (0, _GO_ZERO_SECONDS) and micros == 0:
        return None
    if not 0 <= seconds <= LATEST_SECOND:
        raise ProtobufError(f"{what}: timestamp {seconds} is out of range")
    t = time.gmtime(seconds)
    stamp = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{stamp}.{micros:06d}Z" if micro else f"{stamp}Z"


def _int_or_string(data: bytes, start: int, stop: int, what: str) -> int | str:
    """util/intstr IntOrString ``{1: type, 2: intVal, 3: strVal}``: type 0 is the number, 1 the string."""
    kind = int_value = 0
    str_value = ""
    pos = start
    while pos < stop:
        number, wire, value, pos = _read(data, pos, stop, what)
        if number == 1 and isinstance(value, int):
            kind = _int64(value)
        elif number == 2 and isinstance(value, int):
            int_value = _int32(value)
        elif number == 3 and not isinstance(value, int) and wire == LENGTH:
            str_value = _string(data, value[0], value[1], f"{what}.strVal")
        elif number in (1, 2, 3):
            raise ProtobufError(f"{what}: field {number} has the wrong wire type")
    if kind == 0:
        return int_value
    if kind == 1:
        return str_value
    raise ProtobufError(f"{what}: IntOrString type {kind} is neither 0 (int) nor 1 (string)")


def _field_one(data: bytes, start: int, stop: int, what: str) -> tuple[int, int] | None:
    """The last field 1 of a one-field message (Quantity's string, RawExtension's raw), as a range."""
    found = None
    pos = start
    while pos < stop:
        number, wire, value, pos = _read(data, pos, stop, what)
        if number == 1:
            if isinstance(value, int) or wire != LENGTH:
                raise ProtobufError(f"{what}: field 1 must be length-delimited")
            found = value
    return found


def _special(kind: str, data: bytes, start: int, stop: int, what: str) -> Any:
    """The JSON value of one of apimachinery's special messages; None where JSON would write null."""
    if kind in (TIME, MICRO_TIME):
        return _time(data, start, stop, what, micro=kind == MICRO_TIME)
    if kind == INT_OR_STRING:
        return _int_or_string(data, start, stop, what)
    text = _field_one(data, start, stop, what)
    if kind == QUANTITY:
        # Go's decoder parses the string (the server's validation does here); the zero Quantity is "0"
        return "0" if text is None else _string(data, text[0], text[1], what)
    # RAW_EXTENSION, FIELDS_V1: JSON text, written into the JSON as it is
    return None if text is None else _json(data, text[0], text[1], what)


def _map_entry(f: Field, data: bytes, start: int, stop: int, what: str) -> tuple[str, Any]:
    key, value_range = "", None
    pos = start
    while pos < stop:
        number, wire, value, pos = _read(data, pos, stop, what)
        if number == 1:
            if isinstance(value, int) or wire != LENGTH:
                raise ProtobufError(f"{what}: a map key must be length-delimited")
            key = _string(data, value[0], value[1], f"{what}.key")
        elif number == 2:
            if isinstance(value, int) or wire != LENGTH:
                raise ProtobufError(f"{what}: a map value must be length-delimited")
            value_range = value
    where = f"{what}[{key}]"
    first, last = value_range if value_range is not None else (0, 0)
    source = data if value_range is not None else b""
    if f.kind == STRING:
        return key, _string(source, first, last, where)
    if f.kind == BYTES:
        return key, base64.b64encode(source[first:last]).decode("ascii")
    if f.kind == MESSAGE:
        assert f.layout is not None
        return key, decode_message(f.layout, source, first, last, where)
    return key, _special(f.kind, source, first, last, where)


# --- messages ------------------------------------------------------------------------------------------


def _packed(f: Field, data: bytes, start: int, stop: int, what: str) -> list[Any]:
    """A packed repeated number: the values back to back in one length-delimited field."""
    values: list[Any] = []
    pos = start
    while pos < stop:
        if f.wire == VARINT:
            raw, pos = _varint(data, pos, stop, what)
            values.append(_scalar(f.kind, VARINT, raw, data))
        else:
            width = 8 if f.wire == FIXED64 else 4
            if pos + width > stop:
                raise ProtobufError(f"{what}: a packed value runs past the end of the field")
            values.append(_scalar(f.kind, f.wire, (pos, pos + width), data))
            pos += width
    return values


def _other_wire(
    out: dict[str, Any], f: Field, wire: int, value: int | tuple[int, int], data: bytes, *, what: str
) -> None:
    """A field on a wire type other than its own: packed repeated numbers, or an error."""
    if f.shape != REPEATED or wire != LENGTH or f.wire not in _NUMERIC_WIRES or isinstance(value, int):
        raise ProtobufError(
            f"{what}.{f.name or '...'} (field {f.number}): expected {WIRE_NAMES[f.wire]}, "
            f"got {WIRE_NAMES.get(wire, str(wire))}"
        )
    try:
        values = _packed(f, data, value[0], value[1], f"{what}.{f.name}")
    except _Invalid as exc:
        raise ProtobufError(f"{what}.{f.name} (field {f.number}) {exc}") from None
    out.setdefault(f.name, []).extend(values)


def _set_scalar(out: dict[str, Any], f: Field, value: int | tuple[int, int], data: bytes, what: str) -> None:
    """A singular scalar: the last one on the wire wins; omitempty leaves a zero one out."""
    try:
        scalar = _scalar(f.kind, f.wire, value, data)
    except _Invalid as exc:
        raise ProtobufError(f"{what}.{f.name} (field {f.number}) {exc}") from None
    if f.presence == OMITEMPTY and not scalar:
        out.pop(f.name, None)
    else:
        out[f.name] = scalar


def _occurrences(data: bytes, start: int, stop: int, number: int, what: str) -> bytes:
    """Every occurrence of field ``number`` in ``data[start:stop]``, concatenated: a singular message
    seen more than once is the merge of all of them, which is what decoding this gives."""
    parts = []
    pos = start
    while pos < stop:
        found, _, value, pos = _read(data, pos, stop, what)
        if found == number and not isinstance(value, int):
            parts.append(data[value[0] : value[1]])
    return b"".join(parts)


def _set_message(out: dict[str, Any], f: Field, data: bytes, first: int, last: int, *, what: str) -> None:
    """A singular message in ``data[first:last]``: declared (inline or not) or special."""
    path = f"{what}.{f.name}" if f.name else what
    if f.kind == MESSAGE:
        assert f.layout is not None
        decoded = decode_message(f.layout, data, first, last, path)
        if f.presence == INLINE:
            out.update(decoded)
        else:
            out[f.name] = decoded
        return
    special = _special(f.kind, data, first, last, path)
    if special is None:
        out.pop(f.name, None)
    else:
        out[f.name] = special


def _add_item(out: dict[str, Any], f: Field, value: int | tuple[int, int], data: bytes, what: str) -> None:
    """One more element of a repeated field, or one more entry of a map (a later key wins)."""
    if f.shape == MAP:
        assert not isinstance(value, int)
        entries = out.get(f.name)
        if entries is None:
            entries = out[f.name] = {}
        key, item = _map_entry(f, data, value[0], value[1], f"{what}.{f.name}")
        entries[key] = item
        return
    items = out.get(f.name)
    if items is None:
        items = out[f.name] = []
    if f.kind in _SCALARS:
        try:
            items.append(_scalar(f.kind, f.wire, value, data))
        except _Invalid as exc:
            raise ProtobufError(f"{what}.{f.name}[{len(items)}] (field {f.number}) {exc}") from None
        return
    assert not isinstance(value, int)
    path = f"{what}.{f.name}[{len(items)}]"
    if f.kind == MESSAGE:
        assert f.layout is not None
        items.append(decode_message(f.layout, data, value[0], value[1], path))
    else:
        items.append(_special(f.kind, data, value[0], value[1], path))


def _split(data: bytes, start: int, end: int, what: str) -> list[tuple[int, int, Any]]:
    """The fields of ``data[start:end]`` in wire order: (number, wire type, value), a varint's value an
    int and any other its (start, end) range. Reads the usual one-byte keys and sizes itself."""
    found: list[tuple[int, int, Any]] = []
    pos = start
    while pos < end:
        key = data[pos]
        if key >= 0x80 or key & 5 != 0 or key < 8:  # not a plain varint or length-delimited field
            number, wire, value, pos = _read(data, pos, end, what)
            found.append((number, wire, value))
            continue
        pos += 1
        if pos >= end:
            raise ProtobufError(f"{what}: truncated varint")
        value = data[pos]
        if value < 0x80:
            pos += 1
        else:
            value, pos = _varint(data, pos, end, what)
        if key & 2:  # length-delimited
            first, pos = pos, pos + value
            if pos > end:
                raise ProtobufError(f"{what}: field {key >> 3} runs past the end of the message")
            value = (first, pos)
        found.append((key >> 3, key & 7, value))
    return found


def decode_message(layout: Layout, data: bytes, start: int, end: int, what: str) -> dict[str, Any]:
    """The message in ``data[start:end]`` as its JSON dict; ``what`` is its path, for errors.

    Strings and repeated messages, most of any body, are decoded here; the helpers take the rest.
    """
    out: dict[str, Any] = {}
    fields = layout.fields
    seen = merged = 0  # bits by field number: singular messages seen, and those merged
    for number, wire, value in _split(data, start, end, what):
        f = fields.get(number)
        if f is None:
            continue  # an unknown field: skipped
        if wire != f.wire:
            _other_wire(out, f, wire, value, data, what=what)
            continue
        shape, kind = f.shape, f.kind
        if kind == STRING and shape == SINGLE:
            try:
                text = data[value[0] : value[1]].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtobufError(f"{what}.{f.name} (field {number}) is not valid UTF-8: {exc}") from None
            if text or f.presence != OMITEMPTY:
                out[f.name] = text
            else:
                out.pop(f.name, None)
        elif kind == MESSAGE and shape == REPEATED:
            items = out.get(f.name)
            if items is None:
                items = out[f.name] = []
            assert f.layout is not None
            path = f"{what}.{f.name}[{len(items)}]"
            items.append(decode_message(f.layout, data, value[0], value[1], path))
        elif shape != SINGLE:
            _add_item(out, f, value, data, what)
        elif wire == LENGTH and kind != BYTES:
            bit = 1 << number
            if not seen & bit:
                seen |= bit
                _set_message(out, f, data, value[0], value[1], what=what)
            elif not merged & bit:  # seen again: decode the merge of every occurrence, once
                merged |= bit
                joined = _occurrences(data, start, end, number, what)
                _set_message(out, f, joined, 0, len(joined), what=what)
        else:
            _set_scalar(out, f, value, data, what)
    for name, zero in layout.defaults:
        if name not in out:
            out[name] = zero
    return out
