"""Sets of field paths, kept in the very shape ``managedFields[].fieldsV1`` stores them.

upstream's ``fieldpath.Set`` (``fieldpath/set.go``) is a trie: the members at one level, and the children
that lead to deeper members. Its serialised form (``fieldpath/serialize.go``) writes each node as a JSON
object keyed by path elements, ``{}`` for a member with nothing below it, and a ``"."`` key in a node
that is a member *and* has members below::

    {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
    # members: .metadata.labels and .metadata.labels.app; .metadata is only on the way

A ``FieldSet`` here *is* that JSON (a dict of element strings to nodes, a node being such a dict): reading
``fieldsV1`` from a stored object costs nothing, writing it back costs nothing, and a manager whose
fields did not change keeps the very same dict. The operations never change their operands (they share
unchanged subtrees with them, so sets must be treated as immutable) and keep three invariants:

- every node is canonical: ``{}`` (a member leaf), or children with ``"."`` first when it is a member;
  no node is empty unless it is a member leaf, and no node is ``{".": {}}``;
- children are in upstream's order (``fieldpath.sort_elements``), so the JSON is upstream's byte for byte;
- the root has no ``"."`` (nobody owns "the whole object").

Only ``canonicalize`` accepts anything else: it is for ``fieldsV1`` sent by clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from everynode.apiserver.apply.fieldpath import MEMBER, Path, canonical, sort_elements

FieldSet = dict[str, Any]  # element -> node; a node is itself a FieldSet (plus "." when a member)


def is_member(node: FieldSet) -> bool:
    """Whether the node under an element is itself in the set (``{}`` or ``{".": {}, ...}``)."""
    return not node or MEMBER in node


def has_children(node: FieldSet) -> bool:
    return len(node) > (1 if MEMBER in node else 0)


def make_node(member: bool, children: FieldSet) -> FieldSet | None:
    """The node for a member flag and (sorted, "."-free) children; None when it would be empty."""
    if not children:
        return {} if member else None
    if member:
        return {MEMBER: {}, **children}
    return children


def sort(children: FieldSet) -> FieldSet:
    """``children`` re-keyed in upstream's order (``"."`` first)."""
    if len(children) < 2:
        return children
    keys = list(children)
    ordered = sort_elements(keys)
    if ordered == keys:
        return children
    return {k: children[k] for k in ordered}


def _normal(node: FieldSet) -> FieldSet | None:
    """A node after removals: None when nothing is left, ``{}`` when only its membership is."""
    if not node:
        return None
    if len(node) == 1 and MEMBER in node:
        return {}
    return node


# -- building ------------------------------------------------------------------------------------------


def from_paths(*paths: Path) -> FieldSet:
    """A set of these paths (each a member; the nodes on the way are not)."""
    root: FieldSet = {}
    for path in paths:
        insert(root, path)
    return _resort(root)


def insert(root: FieldSet, path: Path) -> None:
    """Add ``path`` to a set being built (in place; call ``from_paths`` or sort afterwards)."""
    if not path:
        return
    node = root
    for element in path[:-1]:
        child = node.get(element)
        if child is None:
            child = node[element] = {}
        elif not child:  # a member leaf gains children: keep its membership
            child[MEMBER] = {}
        node = child
    last = path[-1]
    child = node.get(last)
    if child is None:
        node[last] = {}
    elif child:
        child[MEMBER] = {}


def _resort(node: FieldSet) -> FieldSet:
    return sort({k: (_resort(v) if v else v) for k, v in node.items()})


def canonicalize(fields: Any) -> FieldSet:
    """A client's ``fieldsV1`` as a canonical set: elements respelt, unknown element types dropped,
    children sorted; ValueError if it is not a set at all."""
    if not isinstance(fields, dict):
        raise ValueError("fieldsV1 must be a JSON object")
    node = _canonical_node(fields)
    return {} if node is None else {k: v for k, v in node.items() if k != MEMBER}


def _canonical_node(fields: dict[str, Any]) -> FieldSet | None:
    member = False
    children: FieldSet = {}
    for raw, child in fields.items():
        if not isinstance(raw, str) or not isinstance(child, dict):
            raise ValueError("fieldsV1 nodes must be JSON objects")
        if raw == MEMBER:
            member = True
            continue
        element = canonical(raw)
        if element is None:
            continue
        sub = _canonical_node(child) if child else {}
        if sub is None:
            sub = {}  # a node whose children were all dropped still says it is a member
        previous = children.get(element)
        children[element] = sub if previous is None else union_node(previous, sub)
    if not fields:
        return {}
    return make_node(member, sort(children)) if (member or children) else {}


# -- reading -------------------------------------------------------------------------------------------


def has(root: FieldSet, path: Path) -> bool:
    """Whether ``path`` is a member."""
    if not path:
        return False
    node = root
    for element in path[:-1]:
        child = node.get(element)
        if child is None:
            return False
        node = child
    last = node.get(path[-1])
    return last is not None and is_member(last)


def members(root: FieldSet) -> Iterator[Path]:
    """Every member, in upstream's order (``Set.Iterate``): a level's members, then its children's."""
    yield from _members(root, ())


def _members(node: FieldSet, prefix: Path) -> Iterator[Path]:
    for element, child in node.items():
        if element != MEMBER and is_member(child):
            yield (*prefix, element)
    for element, child in node.items():
        if element != MEMBER and has_children(child):
            yield from _members(child, (*prefix, element))


def size(root: FieldSet) -> int:
    return sum(1 for _ in members(root))


def prefixed(root: FieldSet, element: str) -> FieldSet:
    """The paths under ``element``, without it (``Set.WithPrefix``)."""
    node = root.get(element)
    if not node:
        return {}
    return {k: v for k, v in node.items() if k != MEMBER} if MEMBER in node else node


# -- algebra -------------------------------------------------------------------------------------------


def union(a: FieldSet, b: FieldSet) -> FieldSet:
    """Members of either."""
    if a is b or not b:
        return a
    if not a:
        return b
    out: FieldSet | None = None
    grew = False
    for element, bnode in b.items():
        anode = a.get(element)
        if anode is None:
            if out is None:
                out = dict(a)
            out[element] = bnode
            grew = True
        elif anode is not bnode and element != MEMBER:
            merged = union_node(anode, bnode)
            if merged is not anode:
                if out is None:
                    out = dict(a)
                out[element] = merged
    if out is None:
        return a
    return sort(out) if grew else out


def union_node(anode: FieldSet, bnode: FieldSet) -> FieldSet:
    if not anode:
        if not bnode or MEMBER in bnode:
            return bnode
        return {MEMBER: {}, **bnode}
    if not bnode:
        return anode if MEMBER in anode else {MEMBER: {}, **anode}
    return union(anode, bnode)


def difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """``a`` without ``b``'s members; a path that is in ``b`` only on the way is kept (``Set.Difference``)."""
    if not a or not b:
        return a
    if a is b:
        return {}
    out: FieldSet | None = None
    for element, bnode in b.items():
        if element == MEMBER:
            continue
        anode = a.get(element)
        if anode is None:
            continue
        left = _difference_node(anode, bnode)
        if left is anode:
            continue
        if out is None:
            out = dict(a)
        if left is None:
            del out[element]
        else:
            out[element] = left
    return a if out is None else out


def _difference_node(anode: FieldSet, bnode: FieldSet) -> FieldSet | None:
    if not anode:
        return None if is_member(bnode) else anode
    remaining = difference(anode, bnode) if has_children(bnode) else anode
    if MEMBER in remaining and is_member(bnode):
        remaining = {k: v for k, v in remaining.items() if k != MEMBER}
    if remaining is anode:
        return anode
    return _normal(remaining)


def recursive_difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """``a`` without ``b``'s members *and everything below them* (``Set.RecursiveDifference``)."""
    if not a or not b:
        return a
    out: FieldSet | None = None
    for element, bnode in b.items():
        if element == MEMBER:
            continue
        anode = a.get(element)
        if anode is None:
            continue
        if is_member(bnode):
            left = None
        elif not anode:
            continue
        else:
            inner = recursive_difference(anode, bnode)
            if inner is anode:
                continue
            left = _normal(inner)
        if out is None:
            out = dict(a)
        if left is None:
            del out[element]
        else:
            out[element] = left
    return a if out is None else out


def intersection(a: FieldSet, b: FieldSet) -> FieldSet:
    """Members of both."""
    if not a or not b:
        return {}
    if a is b:
        return a
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    out: FieldSet = {}
    for element, snode in small.items():
        if element == MEMBER:
            continue
        bnode = big.get(element)
        if bnode is None:
            continue
        both = _intersection_node(snode, bnode)
        if both is not None:
            out[element] = both
    return out


def _intersection_node(x: FieldSet, y: FieldSet) -> FieldSet | None:
    member = is_member(x) and is_member(y)
    if not x or not y:
        return {} if member else None
    if x is y:
        return x
    inner = intersection(x, y)
    return make_node(member, inner)


def empty(root: FieldSet) -> bool:
    return not root
