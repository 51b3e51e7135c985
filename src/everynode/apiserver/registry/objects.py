"""Small facts about API objects as JSON dicts: metadata access, generated names, copies, the
success Status, nulls dropped. (How objects are stored is ``codec``'s.)"""

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
