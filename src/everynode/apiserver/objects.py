"""Small facts about API objects as JSON dicts: metadata access, time stamps, generated names,
and the storage encoding (the object without its resourceVersion, which storage supplies)."""

from __future__ import annotations

import secrets
from typing import Any

import orjson

from everynode.core.types import Obj

# apimachinery's rand.String alphabet: no vowels (no accidental words), no look-alike characters.
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(length: int = 5) -> str:
    return "".join(secrets.choice(_NAME_ALPHABET) for _ in range(length))


def meta(obj: Obj) -> Obj:
    value = obj.get("metadata")
    if not isinstance(value, dict):
        value = {}
        obj["metadata"] = value
    return value


def encode_for_storage(obj: Obj) -> bytes:
    metadata = obj.get("metadata", {})
    if "resourceVersion" in metadata:
        metadata = {k: v for k, v in metadata.items() if k != "resourceVersion"}
        obj = {**obj, "metadata": metadata}
    return exact_bytes(orjson.dumps(obj))


def exact_bytes(data: bytes) -> bytes:
    """A copy of ``data`` in an allocation of its own size, for bytes that are kept.

    orjson's output keeps the capacity its buffer grew to: measured with ``malloc_usable_size``, a
    2.7 KB pod takes 8 KiB, a 5 KB object 64 KiB. The stored value of every write stays in the
    watch cache's history for 75 s, so at 5,000 nodes that slack was ~350 MB of the API server's
    peak RSS on SQLite (on etcd the values come back from etcd's watch, already exact). The copy
    costs ~0.4 µs.
    """
    return bytes(memoryview(data))


def with_revision(obj: Obj, revision: int) -> Obj:
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
    return obj


def deep_copy(obj: Obj) -> Obj:
    """A fast deep copy of JSON data (about 6x faster than copy.deepcopy)."""
    copied: Obj = orjson.loads(orjson.dumps(obj))
    return copied


def status_success(info_group: str, resource: str, name: str, uid: str | None) -> Obj:
    details: Obj = {"name": name}
    if info_group:
        details["group"] = info_group
    details["kind"] = resource
    if uid:
        details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def drop_nulls(value: Any) -> Any:
    """Remove null-valued keys at every depth: a typed decoder reads ``null`` as "not set".

    Most documents hold no null at all; encoding one (a few µs) proves that far faster than walking
    it, and then the document itself is returned.
    """
    if isinstance(value, dict | list):
        try:
            if b"null" not in orjson.dumps(value):
                return value
        except TypeError:
            pass
    return _drop_nulls_walk(value)


def _drop_nulls_walk(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls_walk(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls_walk(v) for v in value]
    return value
