"""When the controller last saw each node alive — on its own clock, never the node's.

Two signs of life count, each only when it *changes* under the controller's eyes (upstream's
``probeTimestamp``; the times written inside the objects are never compared with local time):

- the node's Lease in ``kube-node-lease`` (same name as the node): its ``spec.renewTime`` changed;
- the node's Ready condition: its ``lastHeartbeatTime`` changed, or its status changed to anything but
  ``Unknown`` (only this controller writes Unknown, and its own write is no sign of life).

The first sight of a node counts as a sign of life if it has a Ready condition (so a restarted
controller gives every node a full grace period); a node that never reported is dated from its
``creationTimestamp`` instead (clamped to now), and gets the startup grace. The first sight of a Lease
counts too. Handlers call in with the informers' events; ``last_seen`` answers in O(1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.controllers.nodelifecycle.decisions import READY, UNKNOWN, condition, created_at
from everynode.core.clock import Clock
from everynode.core.types import Obj


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _renew_time(lease: Mapping[str, Any]) -> Any:
    return (lease.get("spec") or {}).get("renewTime")


def heartbeat_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Does going from ``old`` to ``new`` show the node's agent alive?"""
    before, after = condition(old, READY), condition(new, READY)
    if after is None:
        return False
    if before is None:
        return after.get("status") != UNKNOWN
    if after.get("lastHeartbeatTime") != before.get("lastHeartbeatTime"):
        return True
    return after.get("status") != before.get("status") and after.get("status") != UNKNOWN


class HealthTracker:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._node_seen: dict[str, float] = {}
        self._lease_seen: dict[str, float] = {}

    def last_seen(self, name: str) -> float | None:
        """Local (monotonic) time of the node's latest sign of life; None for a node never seen."""
        node, lease = self._node_seen.get(name), self._lease_seen.get(name)
        if node is None:
            return lease
        return node if lease is None or node >= lease else lease

    def __len__(self) -> int:
        return len(self._node_seen)

    # -- nodes -------------------------------------------------------------------------------------

    def node_added(self, node: Obj) -> None:
        now = self.clock.now()
        seen = now
        if condition(node, READY) is None:
            created = created_at(node)
            if created is not None:
                seen = now - max(0.0, self.clock.wall() - created)
        self._node_seen[_name(node)] = seen

    def node_updated(self, old: Obj, new: Obj) -> None:
        name = _name(new)
        if name not in self._node_seen:
            self.node_added(new)
        elif heartbeat_changed(old, new):
            self._node_seen[name] = self.clock.now()

    def node_deleted(self, node: Obj) -> None:
        self._node_seen.pop(_name(node), None)

    # -- leases ------------------------------------------------------------------------------------

    def lease_added(self, lease: Obj) -> None:
        self._lease_seen[_name(lease)] = self.clock.now()

    def lease_updated(self, old: Obj, new: Obj) -> None:
        name = _name(new)
        if name not in self._lease_seen or _renew_time(old) != _renew_time(new):
            self._lease_seen[name] = self.clock.now()

    def lease_deleted(self, lease: Obj) -> None:
        """A deleted Lease is no new sign of life, but what it showed still counts for its node."""
        name = _name(lease)
        seen = self._lease_seen.pop(name, None)
        if seen is not None and name in self._node_seen:
            self._node_seen[name] = max(self._node_seen[name], seen)
