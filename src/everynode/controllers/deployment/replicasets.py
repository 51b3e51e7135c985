"""Reading a Deployment's ReplicaSets: counts, orders, which one is new (upstream ``deployment_util.go``
and ``controller_utils.go``'s ReplicaSet helpers).

ReplicaSets and Deployments are the stored JSON dicts. A missing ``spec.replicas`` reads as the API
server's default, 1; missing status counters read as 0. Every function returns new lists and never
changes its arguments (upstream's sorts in place; callers here get the sorted copy instead).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from everynode.controllers.deployment import keys
from everynode.core.timestamps import parse_time

RS = Mapping[str, Any]


def _spec(obj: RS) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _status(obj: RS) -> Mapping[str, Any]:
    return obj.get("status") or {}


def _meta(obj: RS) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name(obj: RS) -> str:
    return str(_meta(obj).get("name", ""))


def uid(obj: RS) -> str:
    return str(_meta(obj).get("uid", ""))


def replicas(obj: RS) -> int:
    """``spec.replicas`` of a ReplicaSet or Deployment (1 when absent, as the API server defaults it)."""
    value = _spec(obj).get("replicas")
    return 1 if value is None else int(value)


def status_count(obj: RS, field: str) -> int:
    return int(_status(obj).get(field) or 0)


def annotations_of(obj: RS) -> Mapping[str, str]:
    found: Mapping[str, str] = _meta(obj).get("annotations") or {}
    return found


def template(obj: RS) -> Mapping[str, Any]:
    found: Mapping[str, Any] = _spec(obj).get("template") or {}
    return found


# -- counting (GetReplicaCountForReplicaSets & co.) ------------------------------------------------


def replica_count(rss: Iterable[RS | None]) -> int:
    """The sum of ``spec.replicas``: the pods asked for."""
    return sum(replicas(rs) for rs in rss if rs is not None)


def actual_count(rss: Iterable[RS | None]) -> int:
    """The sum of ``status.replicas``: the pods that exist."""
    return sum(status_count(rs, "replicas") for rs in rss if rs is not None)


def ready_count(rss: Iterable[RS | None]) -> int:
    return sum(status_count(rs, "readyReplicas") for rs in rss if rs is not None)


def available_count(rss: Iterable[RS | None]) -> int:
    return sum(status_count(rs, "availableReplicas") for rs in rss if rs is not None)


def active(rss: Iterable[RS | None]) -> list[RS]:
    """``FilterActiveReplicaSets``: the ReplicaSets asking for at least one pod."""
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


# -- orders ------------------------------------------------------------------------------------------


def _created(rs: RS) -> float:
    found = parse_time(_meta(rs).get("creationTimestamp"))
    return -math.inf if found is None else found  # Go's zero time sorts first


def by_creation(rss: Iterable[RS]) -> list[RS]:
    """``ReplicaSetsByCreationTimestamp``: oldest first, names breaking ties."""
    return sorted(rss, key=lambda rs: (_created(rs), name(rs)))


def by_size_older(rss: Iterable[RS]) -> list[RS]:
    """``ReplicaSetsBySizeOlder``: largest first; of equal size the older first (whom to scale down)."""
    return sorted(rss, key=lambda rs: (-replicas(rs), _created(rs), name(rs)))


def by_size_newer(rss: Iterable[RS]) -> list[RS]:
    """``ReplicaSetsBySizeNewer``: largest first; of equal size the newer first (whom to scale up)."""
    ordered = sorted(rss, key=lambda rs: (_created(rs), name(rs)), reverse=True)
    return sorted(ordered, key=lambda rs: -replicas(rs))


def revision(obj: RS) -> int:
    """``Revision``: the revision annotation as a number; 0 without one. ValueError if it is not one."""
    text = annotations_of(obj).get(keys.REVISION)
    if text is None:
        return 0
    return parse_int(text)


def parse_int(text: str) -> int:
    """A decimal int64 as Go's ``strconv.ParseInt(text, 10, 64)`` reads it (optional sign, digits only)."""
    stripped = text[1:] if text[:1] in "+-" else text
    if not stripped.isascii() or not stripped.isdigit():
        raise ValueError(f"invalid revision {text!r}")
    number = int(text)
    if not -(2**63) <= number < 2**63:
        raise ValueError(f"revision {text!r} out of range")
    return number


def _revision_or_none(obj: RS) -> int | None:
    try:
        return revision(obj)
    except ValueError:
        return None


def by_revision(rss: Iterable[RS]) -> list[RS]:
    """``ReplicaSetsByRevision``: lowest revision first; unreadable or equal revisions fall back to
    creation order."""

    def compare(a: RS, b: RS) -> int:
        ra, rb = _revision_or_none(a), _revision_or_none(b)
        if ra is None or rb is None or ra == rb:
            ka, kb = (_created(a), name(a)), (_created(b), name(b))
            return -1 if ka < kb else (1 if kb < ka else 0)
        return -1 if ra < rb else 1

    return sorted(rss, key=functools.cmp_to_key(compare))


def max_revision(rss: Iterable[RS | None]) -> int:
    """``MaxRevision``: the highest readable revision (0 for none)."""
    found = 0
    for rs in rss:
        if rs is None:
            continue
        value = _revision_or_none(rs)
        if value is not None and value > found:
            found = value
    return found


def last_revision(rss: Iterable[RS | None]) -> int:
    """``LastRevision``: the second highest readable revision (what ``rollout undo`` goes back to)."""
    first = second = 0
    for rs in rss:
        if rs is None:
            continue
        value = _revision_or_none(rs)
        if value is None:
            continue
        if value >= first:
            first, second = value, first
        elif value > second:
            second = value
    return second


# -- templates ---------------------------------------------------------------------------------------


def _semantic(value: Any) -> Any:
    """``value`` as ``apiequality.Semantic.DeepEqual`` would compare it: absent, null, empty maps,
    empty lists and empty strings are all the zero value and equal each other, so they are dropped."""
    if isinstance(value, Mapping):
        cleaned = {key: _semantic(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if not _is_zero(item)}
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _is_zero(value: Any) -> bool:
    return value is None or (isinstance(value, dict | list | str) and len(value) == 0)


def equal_ignore_hash(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """``EqualIgnoreHash``: two pod templates are the same once the ``pod-template-hash`` label is
    taken out of both (a Deployment's template never has it; its ReplicaSets' always do)."""
    return bool(_without_hash(first) == _without_hash(second))


def _without_hash(pod_template: Mapping[str, Any]) -> Any:
    meta = dict(pod_template.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.pop(keys.POD_TEMPLATE_HASH, None)
    meta["labels"] = labels
    return _semantic({**pod_template, "metadata": meta})


def find_new(deployment: RS, rss: Sequence[RS]) -> RS | None:
    """``FindNewReplicaSet``: the oldest ReplicaSet whose template is the Deployment's (several can
    exist after an upgrade, kubernetes#40415; the oldest wins, deterministically)."""
    wanted = template(deployment)
    for rs in by_creation(rss):
        if equal_ignore_hash(template(rs), wanted):
            return rs
    return None


def find_old(deployment: RS, rss: Sequence[RS]) -> tuple[list[RS], list[RS]]:
    """``FindOldReplicaSets``: (the old ones still asking for pods, all old ones), in creation order."""
    new = find_new(deployment, rss)
    old = [rs for rs in by_creation(rss) if new is None or uid(rs) != uid(new)]
    return [rs for rs in old if replicas(rs) != 0], old


def find_active_or_latest(new: RS | None, old: Sequence[RS]) -> RS | None:
    """``FindActiveOrLatest``: the only active ReplicaSet, or the newest when none is active (the new
    one if there is one); None when several are active (they must be scaled proportionally)."""
    if new is None and not old:
        return None
    newest_first = list(reversed(by_creation(old)))
    running = active([*newest_first, new])
    if not running:
        return new if new is not None else newest_first[0]
    return running[0] if len(running) == 1 else None


def is_saturated(deployment: RS, rs: RS | None) -> bool:
    """``IsSaturated``: the ReplicaSet is sized for, annotated for, and has available, every replica."""
    if rs is None:
        return False
    try:
        desired = parse_int(annotations_of(rs).get(keys.DESIRED_REPLICAS, ""))
    except ValueError:
        return False
    wanted = replicas(deployment)
    return replicas(rs) == wanted and desired == wanted and status_count(rs, "availableReplicas") == wanted
