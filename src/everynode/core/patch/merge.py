"""JSON merge patch (RFC 7386), the body of ``application/merge-patch+json`` (``kubectl label``).

An object in the patch is merged key by key into the target, ``null`` deletes a key, and anything else
(a string, a number, a list) replaces the target value whole. A patch that is not an object replaces
the whole document. Nulls nested in an object that is being added are dropped too, as the RFC's
recursive definition implies; lists are copied as they are (nulls inside them included).

Upstream answers 400 for a patch that is literally ``null``; that check belongs to the caller, which
knows the body was ``null``, so here it simply yields ``None`` as the RFC says.
"""

from __future__ import annotations

from typing import Any

from everynode.core.patch.failure import clone_json


def apply_merge_patch(original: Any, patch: Any, *, owned: bool = False) -> Any:
    """Apply ``patch`` to ``original`` and return the result; neither input is modified, unless
    ``owned``: ``original`` is then the caller's own copy, changed in place, which saves a copy."""
    if not isinstance(patch, dict):
        return clone_json(patch)
    target: dict[str, Any] = {}
    if isinstance(original, dict):
        target = original if owned else clone_json(original)
    _merge_into(target, patch)
    return target


def _merge_into(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge ``patch`` into ``target``, which this module owns (a copy) and may change in place."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            if not isinstance(current, dict):
                current = {}
                target[key] = current
            _merge_into(current, value)
        else:
            target[key] = clone_json(value)
