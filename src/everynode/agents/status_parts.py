"""What every status renderer shares: its inputs and output, condition bookkeeping, and the node's
address (a pod's host IP is its node's)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.core.types import Obj

Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Context:
    """What a renderer may know besides the object: the time (epoch seconds) and, for a pod, its node."""

    now: float
    node: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Output:
    """A rendered step: the status fields to set, and (nodes) labels to add because they are missing."""

    status: Obj
    labels: dict[str, str] = field(default_factory=dict)


def short_hash(text: str, size: int = 4) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=size).digest(), "big")


def set_conditions(
    existing: Iterable[Any],
    updates: Iterable[tuple[str, str, str | None, str | None]],
    now: str,
    *,
    heartbeat: bool = False,
) -> list[Obj]:
    """``existing`` conditions with ``updates`` (type, status, reason, message) applied, in place.

    An updated condition keeps its ``lastTransitionTime`` when its status is unchanged (and gets ``now``
    otherwise); types not updated are kept as they are; new types are appended in order. With
    ``heartbeat`` every updated condition gets ``lastHeartbeatTime`` = ``now`` (node conditions).
    """
    wanted = {kind: (status, reason, message) for kind, status, reason, message in updates}
    result: list[Obj] = []
    seen: set[str] = set()
    for entry in existing:
        if not isinstance(entry, Mapping):
            continue
        kind = entry.get("type")
        if kind not in wanted:
            result.append(dict(entry))
        elif kind not in seen:  # a duplicate of an updated type is dropped
            seen.add(kind)
            result.append(_condition(kind, wanted[kind], entry, now, heartbeat))
    for kind, change in wanted.items():
        if kind not in seen:
            result.append(_condition(kind, change, {}, now, heartbeat))
    return result


def _condition(
    kind: str, change: tuple[str, str | None, str | None], old: Mapping[str, Any], now: str, heartbeat: bool
) -> Obj:
    status, reason, message = change
    same = old.get("status") == status and old.get("lastTransitionTime")
    condition: Obj = {"type": kind, "status": status}
    if heartbeat:
        condition["lastHeartbeatTime"] = now
    condition["lastTransitionTime"] = old["lastTransitionTime"] if same else now
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def status_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    status: Mapping[str, Any] = obj.get("status") or {}
    return status


def meta_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta: Mapping[str, Any] = obj.get("metadata") or {}
    return meta


def node_ip(node: Mapping[str, Any] | None, node_name: str) -> str:
    """The node's first InternalIP; without one, an address in 172.16.0.0/12 derived from its name."""
    for address in status_of(node or {}).get("addresses") or ():
        if isinstance(address, Mapping) and address.get("type") == "InternalIP" and address.get("address"):
            return str(address["address"])
    h = short_hash(node_name)
    return f"172.{16 + (h >> 20) % 16}.{(h >> 8) % 256}.{1 + h % 254}"
