"""DaemonSet history: the template hash and the ControllerRevisions that snapshot each template.

Everything here is a pure function over JSON objects (``dict[str, Any]`` with camelCase keys); the
controller does the reads and writes. The rules follow upstream's DaemonSet controller:

* The hash is FNV-1a (32 bit) over one canonical JSON encoding of the pod template, optionally
  followed by the collision count, printed in decimal and mapped through upstream's "safe"
  alphabet, so hashes have upstream's form (1-10 characters from ``[4-9bcdf]``) though not its
  values (upstream hashes a Go-specific dump that cannot be reproduced here).
* A revision's ``data`` is a strategic-merge patch that replaces the whole template; a revision
  matches a DaemonSet when the canonical encodings of the two patches are equal. The same encoder
  is used to snapshot and to compare.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import orjson

from everynode.core import wellknown

"""Label on revisions and daemon pods naming the template hash they were made from."""

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193
_MAX_NAME_PREFIX = 223  # leaves room for "-" and a hash within a 253-character name


def canonical_json(value: Any) -> bytes:
    """The one encoding used for hashing and matching: keys sorted at every level, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def fnv1a32(data: bytes, start: int = _FNV32_OFFSET) -> int:
    """32-bit FNV-1a of ``data``; pass a previous result as ``start`` to continue hashing."""
    h = start
    for byte in data:
        h = ((h ^ byte) * _FNV32_PRIME) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """Map every character into an alphabet without vowels (and without 0, 1, 3), as upstream does."""
    return "".join(_SAFE_ALPHABET[ord(c) % len(_SAFE_ALPHABET)] for c in text)


def compute_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """The template hash used in revision names and in the ``controller-revision-hash`` label."""
    h = fnv1a32(canonical_json(template))
    if collision_count is not None:
        h = fnv1a32((collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4), h)
    return safe_encode(str(h))


def _template_patch(ds: Mapping[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {**ds["spec"]["template"], "$patch": "replace"}}}


def revision_patch(ds: Mapping[str, Any]) -> bytes:
    """The canonical bytes of the patch that restores ``ds``'s template (what revisions are compared on)."""
    return canonical_json(_template_patch(ds))


def revision_data(ds: Mapping[str, Any]) -> dict[str, Any]:
    """The same patch as a fresh JSON object (shares nothing with ``ds``), for a revision's ``data``."""
    data: dict[str, Any] = orjson.loads(revision_patch(ds))
    return data


def matches(ds: Mapping[str, Any], revision: Mapping[str, Any]) -> bool:
    """Whether ``revision`` snapshots ``ds``'s current template."""
    return revision_patch(ds) == canonical_json(revision.get("data"))


def revision_name(ds_name: str, hash_: str) -> str:
    """``<name>-<hash>``, with the name cut to 223 characters as upstream's ControllerRevisionName does."""
    return f"{ds_name[:_MAX_NAME_PREFIX]}-{hash_}"


def revision_hash(revision: Mapping[str, Any]) -> str:
    """The revision's ``controller-revision-hash`` label, or ``""`` when it has none."""
    labels = (revision.get("metadata") or {}).get("labels") or {}
    value = labels.get(wellknown.LABEL_CONTROLLER_REVISION_HASH, "")
    return str(value)


def revision_number(revision: Mapping[str, Any]) -> int:
    """The revision's ``revision`` field (0 when absent)."""
    return int(revision.get("revision") or 0)


def new_revision(ds: Mapping[str, Any], hash_: str, revision: int) -> dict[str, Any]:
    """The ControllerRevision the controller creates to snapshot ``ds``'s template under ``hash_``."""
    meta = ds["metadata"]
    template_meta = ds["spec"]["template"].get("metadata") or {}
    labels = {**(template_meta.get("labels") or {}), wellknown.LABEL_CONTROLLER_REVISION_HASH: hash_}
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": revision_name(meta["name"], hash_),
            "namespace": meta.get("namespace"),
            "labels": labels,
            "annotations": dict(meta.get("annotations") or {}),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": meta["name"],
                    "uid": meta.get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "data": revision_data(ds),
        "revision": revision,
    }


def split_history(
    ds: Mapping[str, Any], revisions: Iterable[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(current, old)``: the revisions that match ``ds``'s template, and the rest (order kept)."""
    patch = revision_patch(ds)
    current: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    for revision in revisions:
        (current if canonical_json(revision.get("data")) == patch else old).append(revision)
    return current, old


def next_revision_number(old: Sequence[Mapping[str, Any]]) -> int:
    """The number a new (or reused) current revision gets: one more than every old one, or 1."""
    return max((revision_number(r) for r in old), default=0) + 1


def pick_current(current: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Dedupe matching revisions: keep the highest revision (on a tie, the last seen) and delete the rest.

    Returns ``(kept, duplicates)``. ``current`` must not be empty.
    """
    if not current:
        raise ValueError("pick_current needs at least one revision")
    kept_index = 0
    for index, revision in enumerate(current):
        if revision_number(revision) >= revision_number(current[kept_index]):
            kept_index = index
    duplicates = [r for index, r in enumerate(current) if index != kept_index]
    return current[kept_index], duplicates


def revisions_to_delete(
    old: Sequence[dict[str, Any]], live_hashes: Collection[str], limit: int
) -> list[dict[str, Any]]:
    """Old revisions to delete so that at most ``limit`` remain, oldest first, sparing any a pod still uses.

    A revision whose hash is in ``live_hashes`` is never chosen, so more than ``limit`` may remain. A
    revision without a hash label is never live (pods with an empty hash protect nothing).
    """
    to_kill = len(old) - limit
    if to_kill <= 0:
        return []
    chosen: list[dict[str, Any]] = []
    for revision in sorted(old, key=revision_number):
        if len(chosen) >= to_kill:
            break
        hash_ = revision_hash(revision)
        if hash_ and hash_ in live_hashes:
            continue
        chosen.append(revision)
    return chosen
