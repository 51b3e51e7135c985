"""The scheduler's running account of every node: which pods it holds and what they request.

Fed by the pod and node informers, and by the scheduler itself: a pod it has decided to place is
*assumed* on its node at once, before the binding is written and long before the informer reports
it bound, so the next decision already sees the space taken and two pods cannot both claim the last
room on a node. When the informer reports the pod bound the assumption becomes a plain fact; if the
binding fails the assumption is forgotten and the space is free again.

Bound pods count until they are deleted or terminal (Succeeded/Failed); pods being deleted still
count (their containers are still stopping). Everything is in memory and synchronous.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.core.pods import is_terminal
from everynode.core.types import Obj
from everynode.scheduler.nodeinfo import NodeInfo, Snapshot, pod_key, pod_request


class SchedulerCache:
    def __init__(self) -> None:
        self._infos: dict[str, NodeInfo] = {}
        self._placed: dict[str, str] = {}  # pod key → the node it is counted on
        self._assumed: set[str] = set()
        self._order: list[str] | None = None  # sorted names of the known nodes, rebuilt when they change

    # -- nodes -------------------------------------------------------------------------------------

    def set_node(self, node: Obj) -> None:
        name = str(node["metadata"]["name"])
        info = self._infos.get(name)
        if info is None:
            info = self._infos[name] = NodeInfo(name)
        if info.node is None:
            self._order = None
        info.set_node(node)

    def remove_node(self, name: str) -> None:
        info = self._infos.get(name)
        if info is None:
            return
        if info.node is not None:
            self._order = None
        info.set_node(None)
        if not info.pods:
            del self._infos[name]

    def node_info(self, name: str) -> NodeInfo | None:
        return self._infos.get(name)

    # -- pods --------------------------------------------------------------------------------------

    def upsert_pod(self, pod: Mapping[str, Any]) -> None:
        """Account a pod as the informer now reports it."""
        key = pod_key(pod)
        node = (pod.get("spec") or {}).get("nodeName")
        if node and not is_terminal(pod):
            self._assumed.discard(key)
            self._place(key, str(node), pod)
        elif node or key not in self._assumed:
            self._assumed.discard(key)  # terminal, or unbound and not ours to keep
            self._unplace(key)

    def remove_pod(self, pod: Mapping[str, Any]) -> str | None:
        """Forget a deleted pod; the node it was counted on, if any."""
        key = pod_key(pod)
        self._assumed.discard(key)
        return self._unplace(key)

    def assume(self, pod: Mapping[str, Any], node: str) -> None:
        """Count ``pod`` on ``node`` now, ahead of its binding."""
        key = pod_key(pod)
        self._assumed.add(key)
        self._place(key, node, pod)

    def forget(self, key: str) -> str | None:
        """Undo ``assume`` (the binding failed); the node that got its space back, if any."""
        if key not in self._assumed:
            return None
        self._assumed.discard(key)
        return self._unplace(key)

    def is_assumed(self, key: str) -> bool:
        return key in self._assumed

    def placed_on(self, key: str) -> str | None:
        return self._placed.get(key)

    # -- decisions ---------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A live view for one (synchronous) decision."""
        if self._order is None:
            self._order = sorted(name for name, info in self._infos.items() if info.node is not None)
        return Snapshot(self._infos, self._order)

    # -- internals ---------------------------------------------------------------------------------

    def _place(self, key: str, node: str, pod: Mapping[str, Any]) -> None:
        current = self._placed.get(key)
        if current is not None and current != node:
            self._unplace(key)
        info = self._infos.get(node)
        if info is None:
            info = self._infos[node] = NodeInfo(node)
        info.add(key, pod_request(pod))
        self._placed[key] = node

    def _unplace(self, key: str) -> str | None:
        node = self._placed.pop(key, None)
        if node is None:
            return None
        info = self._infos.get(node)
        if info is not None:
            info.remove(key)
            if info.node is None and not info.pods:
                del self._infos[node]
        return node
