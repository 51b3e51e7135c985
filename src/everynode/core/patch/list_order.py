"""Elements of the lists a strategic merge patch merges: their identity and their order.

An element's identity is its JSON value with JSON's equality (``1 == 1.0``, ``true`` is not ``1``), or
for a list of objects its merge key's value. The order of a merged list follows upstream's
``normalizeElementOrder`` and ``mergeSortedSlice``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

from everynode.core.patch.failure import PatchError


def merged_order(
    merged: list[Any], wanted: list[Any], server: list[Any], identity: Callable[[Any], Hashable]
) -> list[Any]:
    """Upstream's ordering of a merged list (``normalizeElementOrder`` + ``mergeSortedSlice``).

    Elements named in ``wanted`` (the patch list or ``$setElementOrder``) are sorted by that order; the
    others keep the server's order; then the two runs are interleaved, a server-only element going first
    only when both it and the next wanted element are on the server and it was before that one there.
    """
    wanted_rank = _ranks(wanted, identity)
    server_rank = _ranks(server, identity)
    named = [item for item in merged if identity(item) in wanted_rank]
    named.sort(key=lambda item: wanted_rank[identity(item)])
    others = [item for item in merged if identity(item) not in wanted_rank]
    others.sort(key=lambda item: server_rank.get(identity(item), len(server)))
    result: list[Any] = []
    i = j = 0
    while i < len(others) and j < len(named):
        left, right = server_rank.get(identity(others[i])), server_rank.get(identity(named[j]))
        if left is not None and right is not None and left < right:
            result.append(others[i])
            i += 1
        else:
            result.append(named[j])
            j += 1
    return result + others[i:] + named[j:]


def _ranks(items: list[Any], identity: Callable[[Any], Hashable]) -> dict[Hashable, int]:
    ranks: dict[Hashable, int] = {}
    for index, item in enumerate(items):
        ranks.setdefault(identity(item), index)
    return ranks


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "map" if isinstance(value, dict) else "list"


def identity_of(value: Any) -> Hashable:
    """A hashable identity with JSON equality: ``1 == 1.0``, but ``true`` is not ``1``."""
    kind = json_type(value)
    if kind in ("map", "list"):
        return (kind, json.dumps(value, sort_keys=True))
    return (kind, value)


def keyed(merge_key: str) -> Callable[[Any], Hashable]:
    def identity(item: Any) -> Hashable:
        if not isinstance(item, dict) or merge_key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {merge_key}", code=500)
        return identity_of(item[merge_key])

    return identity


def element_kind(*lists: list[Any]) -> str | None:
    """The JSON type shared by every element ("map", "string", ...); lists must not mix types."""
    kind = None
    for items in lists:
        for item in items:
            this = json_type(item)
            if this == "list":
                raise PatchError("lists of lists are not supported", code=422)
            if kind is None:
                kind = this
            elif kind != this:
                raise PatchError(f"list element types are not identical: {items}", code=500)
    return kind


def unique(items: list[Any]) -> list[Any]:
    seen: set[Hashable] = set()
    result = []
    for item in items:
        identity = identity_of(item)
        if identity not in seen:
            seen.add(identity)
            result.append(item)
    return result
