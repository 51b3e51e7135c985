"""The ``pod-template-hash``: the value that names a Deployment's ReplicaSet for one template.

Upstream (``controller.ComputeHash``) feeds a dump of Go's in-memory ``PodTemplateSpec`` to 32-bit
FNV-1a, appends the collision count as 8 little-endian bytes, prints the sum in decimal and maps each
digit into the alphabet of ``rand.SafeEncodeString`` (``bcdfghjklmnpqrstvwxz2456789``), giving names
like ``nginx-5d59d67564``. That dump is of Go structs and cannot be reproduced from JSON, so here the
hashed bytes are the template's canonical JSON (sorted keys, no spaces): the *values* differ from
upstream's, the shape (digits mapped into the same alphabet, 1 to 10 characters) and every property
that matters are the same. Nothing compares a hash across implementations: a Deployment finds its
ReplicaSet by comparing templates (``replicasets.equal_ignore_hash``), never by hash, so ReplicaSets
made by a real cluster are still adopted and recognised; a hash only has to be stable for one
template and collision count, and a collision (another template's ReplicaSet holding the name) is
resolved by bumping ``status.collisionCount``, as upstream does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SAFE_ALPHABET = (
    "bcdfghjklmnpqrstvwxz2456789"  # upstream's rand.SafeEncodeString alphabet: no vowels, no 0/1/3
)
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a_32(data: bytes, start: int = _FNV_OFFSET) -> int:
    value = start
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: every character mapped into ``SAFE_ALPHABET`` by its code modulo 27."""
    return "".join(SAFE_ALPHABET[ord(char) % len(SAFE_ALPHABET)] for char in text)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """The ``pod-template-hash`` of ``template`` (a Deployment's ``spec.template``, without the label)."""
    value = fnv1a_32(canonical_json(template))
    if collision_count is not None:
        value = fnv1a_32((collision_count & 0xFFFFFFFF).to_bytes(8, "little"), value)
    return safe_encode(str(value))
