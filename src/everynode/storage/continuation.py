"""Continue tokens for paged lists, in kube-apiserver's wire format.

A token is the unpadded URL-safe base64 of ``{"v":"meta.k8s.io/v1","rv":<revision>,"start":<key>}``,
where ``start`` is the first key of the next page relative to the listed prefix. Using the same
format as upstream lets the API server hand the storage token to clients unchanged.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

from everynode.storage.errors import InvalidContinueToken

_VERSION = "meta.k8s.io/v1"


@dataclass(frozen=True, slots=True)
class Continuation:
    revision: int
    start: str  # key relative to the listed prefix


def encode(revision: int, start: str) -> str:
    raw = orjson.dumps({"v": _VERSION, "rv": revision, "start": start})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str) -> Continuation:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidContinueToken(f"continue token is not valid: {exc}") from exc
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        raise InvalidContinueToken("continue token has an unknown format version")
    revision, start = data.get("rv"), data.get("start")
    if not isinstance(revision, int) or isinstance(revision, bool) or not 0 < revision < 2**63:
        raise InvalidContinueToken("continue token has no valid revision")
    if not isinstance(start, str) or start.startswith("/") or ".." in start.split("/"):
        raise InvalidContinueToken("continue token has no valid start key")
    return Continuation(revision=revision, start=start)


def next_start(last_key: str, prefix: str) -> str:
    """The ``start`` of the page after one ending at ``last_key``: the smallest key after it."""
    return last_key[len(prefix) :] + "\x00"
