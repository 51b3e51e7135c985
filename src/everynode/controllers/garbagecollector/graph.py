"""The ownership graph: every watched object as a node, linked to its owners by uid (pure).

This is upstream's GraphBuilder without the goroutines. Informer events are applied in the order they
arrive (the event loop runs one handler at a time, which is what upstream's single graph-changes
queue guarantees), and each change says which uids deserve a closer look by calling ``enqueue_delete``
("attempt to delete": is it garbage? is its foreground deletion finished?) or ``enqueue_orphan``
("orphan its dependents"). The graph never decides anything by itself and never talks to the server.

- An owner that is referenced but not (yet) observed gets a *virtual* node, and is queued so a worker
  can ask the API server whether it exists.
- A node whose object starts deletion with the ``orphan`` finalizer is queued for orphaning; with
  ``foregroundDeletion`` it is marked as deleting its dependents, and it and its dependents are queued.
- When a node goes away its dependents are queued (they may be garbage now), and so are its owners
  that are waiting for their dependents to go.
- Removing a blocking reference (or unblocking it) queues the owner: it may be waiting on it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.controllers.garbagecollector.refs import (
    FOREGROUND,
    ORPHAN,
    Identity,
    OwnerRef,
    being_deleted,
    deletion_starts_with,
    has_finalizer,
    identity_of,
    owner_refs,
)
from everynode.core.resources import ResourceInfo

ABSENT_OWNER_CACHE_SIZE = 500  # upstream's absentOwnerCache holds 500 references


class AbsentOwners:
    """Owners confirmed absent (by a delete event or a lookup), least recently used forgotten first.

    Keyed by coordinates *and* uid, so an object recreated under the same name is a different entry.
    """

    def __init__(self, size: int = ABSENT_OWNER_CACHE_SIZE) -> None:
        self.size = size
        self._keys: OrderedDict[tuple[str, ...], None] = OrderedDict()

    def add(self, identity: Identity) -> None:
        key = identity.absent_key()
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)

    def __contains__(self, identity: object) -> bool:
        if not isinstance(identity, Identity):
            return False
        key = identity.absent_key()
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        return False

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(eq=False)
class Node:
    identity: Identity
    owners: tuple[OwnerRef, ...] = ()
    dependents: set[str] = field(default_factory=set)
    observed: bool = False  # False: a virtual node, known only from the references of dependents
    being_deleted: bool = False
    deleting_dependents: bool = False  # deletionTimestamp and the foregroundDeletion finalizer

    @property
    def uid(self) -> str:
        return self.identity.uid

    def reference_to(self, owner_uid: str) -> OwnerRef | None:
        for ref in self.owners:
            if ref.uid == owner_uid:
                return ref
        return None


def owner_diff(
    old: Iterable[OwnerRef], new: Iterable[OwnerRef]
) -> tuple[list[OwnerRef], list[OwnerRef], list[tuple[OwnerRef, OwnerRef]]]:
    """References added, removed, and changed (same uid, other fields differ) from ``old`` to ``new``."""
    before = {ref.uid: ref for ref in old}
    added: list[OwnerRef] = []
    changed: list[tuple[OwnerRef, OwnerRef]] = []
    for ref in new:
        previous = before.pop(ref.uid, None)
        if previous is None:
            added.append(ref)
        elif previous != ref:
            changed.append((previous, ref))
    return added, list(before.values()), changed


class Graph:
    def __init__(
        self,
        enqueue_delete: Callable[[str], None],
        enqueue_orphan: Callable[[str], None],
        absent: AbsentOwners | None = None,
        requeue_delete: Callable[[str], None] | None = None,
    ) -> None:
        self.enqueue_delete = enqueue_delete
        self.enqueue_orphan = enqueue_orphan
        self.requeue_delete = requeue_delete or enqueue_delete  # a rate-limited add, for retries
        self.absent = absent if absent is not None else AbsentOwners()
        self.nodes: dict[str, Node] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def get(self, uid: str) -> Node | None:
        return self.nodes.get(uid)

    def drop(self, uid: str) -> None:
        """Forget a node without queueing anything (a virtual node no dependent refers to)."""
        node = self.nodes.pop(uid, None)
        if node is not None:
            self._unlink_owners(node, node.owners)

    def dependents(self, uid: str) -> list[Node]:
        node = self.nodes.get(uid)
        if node is None:
            return []
        return [self.nodes[d] for d in sorted(node.dependents) if d in self.nodes]

    def blocking_dependents(self, uid: str) -> list[Node]:
        """Dependents whose reference to ``uid`` has ``blockOwnerDeletion: true``."""
        found = []
        for dependent in self.dependents(uid):
            ref = dependent.reference_to(uid)
            if ref is not None and ref.block_owner_deletion:
                found.append(dependent)
        return found

    # -- informer events -----------------------------------------------------------------------

    def observe(
        self, info: ResourceInfo, obj: Mapping[str, Any], old: Mapping[str, Any] | None = None
    ) -> None:
        """An add (``old`` None) or an update seen by the informer of ``info``."""
        identity = identity_of(info, obj)
        if not identity.uid:
            return
        owners = owner_refs(obj)
        node = self.nodes.get(identity.uid)
        if node is not None and not node.observed:
            node.observed = True
            if node.identity != identity:
                self._reidentify(node, identity)
        if node is None:
            node = Node(
                identity,
                owners,
                observed=True,
                being_deleted=being_deleted(obj),
                deleting_dependents=being_deleted(obj) and has_finalizer(obj, FOREGROUND),
            )
            self.nodes[identity.uid] = node
            self._link_owners(node, owners)
        else:
            if node.identity != identity:
                node.identity = identity  # an observed object's coordinates are the truth
            added, removed, changed = owner_diff(node.owners, owners)
            if added or removed or changed:
                self._enqueue_unblocked(removed, changed)
                node.owners = owners
                self._link_owners(node, added)
                self._unlink_owners(node, removed)
            if being_deleted(obj):
                node.being_deleted = True
        self._transitions(old, obj, node)

    def observe_delete(self, info: ResourceInfo, obj: Mapping[str, Any]) -> None:
        """A delete seen by the informer of ``info``."""
        node = self.nodes.get(identity_of(info, obj).uid)
        if node is not None:
            self._remove(node)

    def virtual_delete(self, identity: Identity) -> None:
        """A worker found ``identity`` absent from the API server (NotFound, or another uid)."""
        node = self.nodes.get(identity.uid)
        if node is None:
            return
        matching, other = self._partition_dependents(node, identity)
        if node.observed and node.identity != identity:
            # the object we observed is not the one found absent: keep it, but whoever pointed
            # at the absent coordinates is dangling
            self._mark_absent(identity, matching)
            return
        if other and not node.observed:
            # dependents disagree about who this owner is: only those that agree with the absent
            # coordinates are dangling; the node is looked up again under another dependent's view
            self._mark_absent(identity, matching)
            if node.identity == identity:
                alternate = _alternate(node, other, identity)
                if alternate is not None:
                    node.identity = alternate
                    self.requeue_delete(node.uid)
            return
        self._remove(node)

    # -- internals -------------------------------------------------------------------------------

    def _mark_absent(self, identity: Identity, dependents: list[Node]) -> None:
        if dependents:
            self.absent.add(identity)
        for dependent in dependents:
            self.enqueue_delete(dependent.uid)

    def _partition_dependents(self, node: Node, identity: Identity) -> tuple[list[Node], list[Node]]:
        """Dependents whose reference matches ``identity``, and those whose reference does not."""
        matching: list[Node] = []
        other: list[Node] = []
        for dependent in self.dependents(node.uid):
            ref = dependent.reference_to(node.uid)
            if ref is None:
                continue
            same_place = not identity.namespace or identity.namespace == dependent.identity.namespace
            if same_place and ref.matches(identity):
                matching.append(dependent)
            else:
                other.append(dependent)
        return matching, other

    def _reidentify(self, node: Node, observed: Identity) -> None:
        """A virtual node turned out to be ``observed``: dependents that named it otherwise may be
        pointing at something that does not exist, so they are looked at again."""
        _, mismatched = self._partition_dependents(node, observed)
        for dependent in mismatched:
            self.enqueue_delete(dependent.uid)
        node.identity = observed

    def _link_owners(self, node: Node, refs: Iterable[OwnerRef]) -> None:
        suspicious = False
        for ref in refs:
            owner = self.nodes.get(ref.uid)
            if owner is None:
                owner = Node(ref.owner_identity(node.identity.namespace))
                self.nodes[ref.uid] = owner
                owner.dependents.add(node.uid)
                self.enqueue_delete(owner.uid)  # does it exist? a worker will ask
                continue
            owner.dependents.add(node.uid)
            owner_namespace = owner.identity.namespace
            if owner_namespace and owner_namespace != node.identity.namespace:
                suspicious = True  # a namespaced owner in another namespace cannot be ours
            elif not ref.matches(owner.identity):
                suspicious = True  # right uid, other coordinates
        if suspicious:
            self.enqueue_delete(node.uid)

    def _unlink_owners(self, node: Node, refs: Iterable[OwnerRef]) -> None:
        for ref in refs:
            owner = self.nodes.get(ref.uid)
            if owner is not None:
                owner.dependents.discard(node.uid)

    def _enqueue_unblocked(self, removed: list[OwnerRef], changed: list[tuple[OwnerRef, OwnerRef]]) -> None:
        unblocked = [ref.uid for ref in removed if ref.block_owner_deletion]
        unblocked += [
            new.uid for old, new in changed if old.block_owner_deletion and not new.block_owner_deletion
        ]
        for uid in unblocked:
            if uid in self.nodes:
                self.enqueue_delete(uid)

    def _transitions(self, old: Mapping[str, Any] | None, new: Mapping[str, Any], node: Node) -> None:
        if deletion_starts_with(old, new, ORPHAN):
            self.enqueue_orphan(node.uid)
            return
        if deletion_starts_with(old, new, FOREGROUND):
            node.deleting_dependents = True
            for dependent in sorted(node.dependents):
                self.enqueue_delete(dependent)
            self.enqueue_delete(node.uid)

    def _remove(self, node: Node) -> None:
        self.nodes.pop(node.uid, None)
        self._unlink_owners(node, node.owners)
        if node.dependents:
            self.absent.add(node.identity)
        for dependent in sorted(node.dependents):
            self.enqueue_delete(dependent)
        for ref in node.owners:
            owner = self.nodes.get(ref.uid)
            if owner is not None and owner.deleting_dependents:
                self.enqueue_delete(owner.uid)  # maybe that was its last blocking dependent


def _alternate(node: Node, others: list[Node], absent: Identity) -> Identity | None:
    """Another identity some dependents give this owner (the least one, so the choice is stable)."""
    candidates = []
    for dependent in others:
        ref = dependent.reference_to(node.uid)
        if ref is not None:
            candidate = ref.owner_identity(dependent.identity.namespace)
            if candidate != absent:
                candidates.append(candidate)
    if not candidates:
        return None
    return min(candidates, key=lambda i: (i.kind, i.api_version, i.namespace, i.name))
