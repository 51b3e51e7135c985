"""JSON patch (RFC 6902), the body of ``application/json-patch+json`` (``kubectl patch --type json``).

A patch is a list of operations applied in order to one document; if any fails, the whole patch fails
and the document is unchanged (we work on a copy). Paths are JSON Pointers (RFC 6901): ``""`` is the
whole document, each ``/token`` steps into an object key or an array index, ``~1`` stands for ``/`` and
``~0`` for ``~``. An index is ``0`` or a number without a leading zero; ``-`` means "after the last
element" and only ``add`` (and the target of ``move``/``copy``) may use it.

Where upstream's library (evanphx/json-patch v4) is laxer than the RFC we follow the RFC: negative
indexes, leading zeros, ``~`` escapes other than ``~0``/``~1``, and a ``test`` of a missing path are
errors here. Failures carry the status upstream answers: 400 when the body is not a list of objects,
422 for everything that goes wrong while applying, 413 beyond 10,000 operations.
"""

from __future__ import annotations

import re
from typing import Any

from everynode.core.patch.failure import PatchError, clone_json

MAX_OPERATIONS = 10_000
"""kube-apiserver refuses longer JSON patches with 413 (``maxJSONPatchOperations``)."""

_NEEDS_VALUE = frozenset({"add", "replace", "test"})
_NEEDS_FROM = frozenset({"move", "copy"})
_OPS = _NEEDS_VALUE | _NEEDS_FROM | {"remove"}
_BAD_ESCAPE = re.compile(r"~(?![01])")


def apply_json_patch(original: Any, operations: Any, *, owned: bool = False) -> Any:
    """Apply the RFC 6902 ``operations`` to ``original`` and return the result; inputs are not modified,
    unless ``owned``: ``original`` is then the caller's own copy, changed in place."""
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise PatchError("a JSON patch must be a JSON array of operation objects", code=400)
    if len(operations) > MAX_OPERATIONS:
        raise PatchError(
            f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, got {len(operations)}",
            code=413,
        )
    document = original if owned else clone_json(original)
    for index, operation in enumerate(operations):
        document = _apply(document, operation, index)
    return document


def _apply(document: Any, operation: dict[str, Any], index: int) -> Any:
    """Apply one operation to ``document`` (owned by us) and return the new document."""
    op = operation.get("op")
    if not isinstance(op, str) or op not in _OPS:
        raise PatchError(f"operation {index}: unknown op {op!r}")
    path = _pointer(operation, "path", index)
    where = f"operation {index} ({op} {operation['path']})"
    if op in _NEEDS_VALUE and "value" not in operation:
        raise PatchError(f"{where}: missing value")
    if op == "add":
        return _add(document, path, clone_json(operation["value"]), where)
    if op == "remove":
        return _remove(document, path, where)
    if op == "replace":
        return _replace(document, path, clone_json(operation["value"]), where)
    if op == "test":
        if not json_equal(_get(document, path, where), operation["value"]):
            raise PatchError(f"{where}: test failed")
        return document
    source = _pointer(operation, "from", index)
    value = _get(document, source, where)
    if op == "move":
        if path[: len(source)] == source and len(path) > len(source):
            raise PatchError(f"{where}: cannot move a value into one of its own children")
        if path == source:
            return document
        document = _remove(document, source, where)
    return _add(document, path, clone_json(value), where)


def _pointer(operation: dict[str, Any], member: str, index: int) -> list[str]:
    """Parse the JSON Pointer in ``operation[member]`` into its unescaped tokens."""
    pointer = operation.get(member)
    if not isinstance(pointer, str):
        raise PatchError(f"operation {index}: {member!r} must be a JSON Pointer string")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"operation {index}: {member} {pointer!r} must start with '/'")
    tokens = pointer[1:].split("/")
    for token in tokens:
        if "~" in token and _BAD_ESCAPE.search(token):
            raise PatchError(f"operation {index}: {member} {pointer!r} has an invalid '~' escape")
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def _index(token: str, size: int, where: str, *, insert: bool) -> int:
    """The list index ``token`` names; ``insert`` allows ``size`` itself (and ``-``) as the end."""
    if token == "-" and insert:
        return size
    if not token.isascii() or not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"{where}: {token!r} is not a valid array index")
    position = int(token) if len(token) <= 18 else size + 1  # far beyond any list; no huge conversions
    if position > size or (position == size and not insert):
        raise PatchError(f"{where}: index {position} is out of bounds (length {size})")
    return position


def _parent(document: Any, path: list[str], where: str) -> Any:
    """The container that holds the value ``path`` points at; it must exist."""
    node = document
    for token in path[:-1]:
        node = _child(node, token, where)
    return node


def _child(node: Any, token: str, where: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise PatchError(f"{where}: path does not exist (no key {token!r})")
        return node[token]
    if isinstance(node, list):
        return node[_index(token, len(node), where, insert=False)]
    raise PatchError(f"{where}: path does not exist ({token!r} is below a scalar)")


def _get(document: Any, path: list[str], where: str) -> Any:
    node = document
    for token in path:
        node = _child(node, token, where)
    return node


def _add(document: Any, path: list[str], value: Any, where: str) -> Any:
    if not path:
        return value
    parent, last = _parent(document, path, where), path[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), where, insert=True), value)
    else:
        raise PatchError(f"{where}: cannot add below a scalar")
    return document


def _replace(document: Any, path: list[str], value: Any, where: str) -> Any:
    if not path:
        return value
    parent, last = _parent(document, path, where), path[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{where}: path does not exist (no key {last!r})")
        parent[last] = value
    elif isinstance(parent, list):
        parent[_index(last, len(parent), where, insert=False)] = value
    else:
        raise PatchError(f"{where}: path does not exist (below a scalar)")
    return document


def _remove(document: Any, path: list[str], where: str) -> Any:
    if not path:
        raise PatchError(f"{where}: cannot remove the whole document")
    parent, last = _parent(document, path, where), path[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{where}: path does not exist (no key {last!r})")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_index(last, len(parent), where, insert=False)]
    else:
        raise PatchError(f"{where}: path does not exist (below a scalar)")
    return document


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality as RFC 6902 ``test`` defines it: numbers by value, objects unordered, no bool==1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and left.keys() == right.keys()
            and all(json_equal(item, right[key]) for key, item in left.items())
        )
    if isinstance(left, list):
        return (
            isinstance(right, list)
            and len(left) == len(right)
            and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
        )
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and bool(left == right)
