"""Taints and tolerations: which node taints a pod tolerates, and how tolerations are added.

The DaemonSet controller uses ``untolerated`` to decide whether a daemon pod may start on (or must
leave) a node, and ``add_or_update_toleration`` to give its pods the default daemon tolerations; the
scheduler's taint filter asks the same question. Upstream's rules (``Toleration.ToleratesTaint`` and
``AddOrUpdateTolerationInPodSpec``) are kept. A missing string field means ``""``, as in Go.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"

_MATCH_FIELDS = ("key", "operator", "value", "effect")


def _text(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field)
    return value if isinstance(value, str) else ""


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """Does ``toleration`` tolerate ``taint``?

    - An empty toleration effect matches every effect; otherwise the effects must be equal.
    - An empty toleration key matches every key (validation allows it only with ``Exists``);
      otherwise the keys must be equal.
    - ``Exists`` ignores the value; ``Equal`` or no operator needs equal values; any other operator
      tolerates nothing. ``tolerationSeconds`` plays no part.
    """
    effect = _text(toleration, "effect")
    if effect and effect != _text(taint, "effect"):
        return False
    key = _text(toleration, "key")
    if key and key != _text(taint, "key"):
        return False
    operator = _text(toleration, "operator")
    if operator == "Exists":
        return True
    if operator in ("", "Equal"):
        return _text(toleration, "value") == _text(taint, "value")
    return False


def untolerated(
    taints: Iterable[Mapping[str, Any]],
    tolerations: Sequence[Mapping[str, Any]],
    effects: Collection[str] = (NO_SCHEDULE, NO_EXECUTE),
) -> list[dict[str, Any]]:
    """The taints (copies, in order) whose effect is in ``effects`` and that no toleration tolerates."""
    return [
        dict(taint)
        for taint in taints
        if _text(taint, "effect") in effects and not any(tolerates(t, taint) for t in tolerations)
    ]


def _same_match(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    # Toleration.MatchToleration: key, operator, value and effect are equal (no defaulting of operator).
    return all(_text(a, f) == _text(b, f) for f in _MATCH_FIELDS)


def _identical(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    # Semantic deep equality of two tolerations: the match fields and tolerationSeconds.
    return _same_match(a, b) and a.get("tolerationSeconds") == b.get("tolerationSeconds")


def add_or_update_toleration(
    tolerations: Sequence[Mapping[str, Any]], toleration: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A new list with ``toleration`` added or updated (``AddOrUpdateTolerationInPodSpec``).

    If an identical toleration (including ``tolerationSeconds``) is already there the list is
    returned unchanged. Otherwise every toleration with the same key, operator, value and effect is
    replaced by ``toleration``, in place; if there is none, ``toleration`` is appended. Operators are
    compared as written: ``""`` and ``"Equal"`` are different tolerations here, as upstream.
    """
    current = [dict(t) for t in tolerations]
    if any(_identical(t, toleration) for t in current):
        return current
    updated = False
    result: list[dict[str, Any]] = []
    for existing in current:
        if _same_match(existing, toleration):
            result.append(dict(toleration))
            updated = True
        else:
            result.append(existing)
    if not updated:
        result.append(dict(toleration))
    return result
