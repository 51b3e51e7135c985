"""Kubernetes strategic merge patch, applied server side (``application/strategic-merge-patch+json``).

It is a JSON merge patch that knows, from the schema, which lists are sets keyed by a field (containers
by ``name``, env by ``name``, volumes by ``name``...) and merges those element by element instead of
replacing them; every other list is replaced whole. kubectl's ``apply``, ``set image``, ``taint``,
``cordon`` and ``rollout undo`` all send it. The behaviour of record is apimachinery
``pkg/util/strategicpatch/patch.go`` (``StrategicMergeMapPatch``); its test corpus was read to port the
cases in ``tests/unit/core/test_patch_strategic.py``.

Directives (keys beginning with ``$``):

- ``$patch: replace`` in a map: the map becomes the patch (minus directives); ``$patch: delete``: the map
  becomes ``{}``; ``$patch: merge``: the default, spelled out. In a merge list, ``{"$patch": "delete",
  <key>: v}`` removes every element with that key (a missing one is fine) and an element ``{"$patch":
  "replace"}`` makes the list exactly the other elements of the patch list.
- ``$retainKeys: [k...]``: after merging, the map keeps only those keys (kubectl sends it on ``volumes``
  when a volume's source type changes). Every non-null key of the patch map must be listed.
- ``$setElementOrder/<list>: [...]``: the final order of a merge list; elements the server has that the
  order does not name keep their place relative to their neighbours.
- ``$deleteFromPrimitiveList/<list>: [v...]``: remove those values from a list of scalars.

Order of a merge list without ``$setElementOrder`` follows upstream exactly: elements named by the patch
take the patch's order, server-only elements keep theirs, and the two are interleaved by the server's
order -- so an element that is new goes *before* the server-only elements that follow it (upstream's
long-standing "prepend" behaviour, which kustomize documents).

Deliberate differences from upstream, which stores through typed Go structs and so never sees them:
directives and unrecognised ``$`` keys never reach the result (upstream leaves them for the typed
decoder to drop); a new value carrying ``$patch: replace`` is kept (upstream drops it); ``$patch:
merge`` is accepted in maps and lists (upstream rejects it). Otherwise errors match upstream, with the
HTTP status it answers as ``PatchError.code``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Protocol

from everynode.core.patch.failure import PatchError, clone_json
from everynode.core.patch.list_order import element_kind, identity_of, keyed, merged_order, unique

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder"
DELETE_FROM_LIST = "$deleteFromPrimitiveList"
_DROP = object()  # a patch value that removes the key or element instead of setting it


class PatchSchema(Protocol):
    """What strategic merge needs to know about one position in an object.

    ``patch_strategy`` is the schema's ``x-kubernetes-patch-strategy`` of the field at this position, a
    comma-separated set of ``merge``, ``retainKeys``, ``replace`` (``""`` when none); ``merge_key`` its
    ``x-kubernetes-patch-merge-key``. ``field(name)`` is the position of a map key (for a
    ``map[string]X`` every key gives the schema of ``X``); ``items()`` the position of list elements.
    ``None`` anywhere means "unknown": maps merge, lists are replaced.
    """

    @property
    def patch_strategy(self) -> str: ...

    @property
    def merge_key(self) -> str | None: ...

    def field(self, name: str) -> PatchSchema | None: ...

    def items(self) -> PatchSchema | None: ...


@dataclasses.dataclass(frozen=True, eq=False)
class StaticSchema:
    """A :class:`PatchSchema` written out by hand (tests, kinds without OpenAPI definitions)."""

    patch_strategy: str = ""
    merge_key: str | None = None
    fields: Mapping[str, StaticSchema] = dataclasses.field(default_factory=dict)
    values: StaticSchema | None = None  # the schema of every key of a map[string]X
    element: StaticSchema | None = None  # the schema of list elements

    def field(self, name: str) -> StaticSchema | None:
        return self.fields.get(name, self.values)

    def items(self) -> StaticSchema | None:
        return self.element


def apply_strategic_merge_patch(
    original: dict[str, Any], patch: dict[str, Any], schema: PatchSchema | None, *, owned: bool = False
) -> dict[str, Any]:
    """Apply the strategic merge ``patch`` to ``original``; neither input is modified, unless
    ``owned``: ``original`` is then the caller's own copy, changed in place, which saves a copy."""
    if not isinstance(original, dict) or not isinstance(patch, dict):
        raise PatchError("a strategic merge patch and its target must be JSON objects", code=400)
    return _merge_map(original if owned else clone_json(original), patch, schema)


def _strategies(schema: PatchSchema | None) -> frozenset[str]:
    if schema is None or not schema.patch_strategy:
        return frozenset()
    return frozenset(part.strip() for part in schema.patch_strategy.split(","))


def _field(schema: PatchSchema | None, name: str) -> PatchSchema | None:
    return None if schema is None else schema.field(name)


def _list_name(key: str, prefix: str) -> str | None:
    """The list a ``$prefix/<list>`` key names, None if ``key`` is not such a directive; 400 if garbled."""
    if not key.startswith(prefix):
        return None
    if not key.startswith(prefix + "/"):
        raise PatchError(f"invalid patch format of {prefix} key {key!r}", code=400)
    return key[len(prefix) + 1 :]


def _merge_map(target: dict[str, Any], patch: dict[str, Any], schema: PatchSchema | None) -> dict[str, Any]:
    """Merge ``patch`` into ``target``, a private copy this module may change in place."""
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            return _fresh_map(patch, schema)
        if directive == "delete":
            return {}
        if directive != "merge":
            raise PatchError(f"unknown patch type: {directive!r} in map", code=500)
    if RETAIN_KEYS in patch:
        _retain_keys(target, patch)
    ordered: set[str] = set()
    for key, order in patch.items():
        name = _list_name(key, SET_ORDER)
        if name is not None and _set_element_order(target, patch, name, order, _field(schema, name)):
            ordered.add(name)
    deletions: list[tuple[str, Any]] = []
    for key, value in patch.items():
        if key.startswith("$"):
            name = _list_name(key, DELETE_FROM_LIST)
            if name is not None:
                deletions.append((name, value))
            continue  # every other directive was handled above; unknown ones are dropped
        if key in ordered:
            continue
        if value is None:
            target.pop(key, None)
            continue
        child = _field(schema, key)
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict) and "replace" not in _strategies(child):
            target[key] = _merge_map(current, value, child)
        elif isinstance(value, list) and isinstance(current, list):
            target[key] = _merge_list(current, value, child)
        else:
            fresh = _fresh(value, child)
            if fresh is _DROP:
                target.pop(key, None)
            else:
                target[key] = fresh
    for name, values in deletions:
        current = target.get(name)
        if isinstance(current, list) and isinstance(values, list):
            doomed = {identity_of(value) for value in values}
            target[name] = [item for item in current if identity_of(item) not in doomed]
    return target


def _retain_keys(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """``$retainKeys``: keep only the listed keys of ``target``; the patch may only set listed keys."""
    keys = patch[RETAIN_KEYS]
    if not isinstance(keys, list):
        raise PatchError("invalid patch format of retainKeys: it must be a list", code=400)
    allowed = {key for key in keys if isinstance(key, str)}
    for key, value in patch.items():
        if value is not None and not key.startswith("$") and key not in allowed:
            raise PatchError(f"invalid patch format of retainKeys: {key!r} is not in $retainKeys", code=400)
    for key in [key for key in target if key not in allowed]:
        del target[key]


def _fresh(value: Any, schema: PatchSchema | None) -> Any:
    """A patch value that has nothing to merge into, made storable: directives out, map nulls dropped."""
    if isinstance(value, dict):
        if DIRECTIVE in value and value[DIRECTIVE] not in ("replace", "merge"):
            return _DROP  # "delete" (and upstream silently drops unknown directives here too)
        return _fresh_map(value, schema)
    if isinstance(value, list):
        return _fresh_list(value, schema)
    return value


def _fresh_map(value: dict[str, Any], schema: PatchSchema | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in value.items():
        if item is None or key.startswith("$"):
            continue
        fresh = _fresh(item, _field(schema, key))
        if fresh is not _DROP:
            result[key] = fresh
    return result


def _fresh_list(value: list[Any], schema: PatchSchema | None) -> list[Any]:
    """Elements carrying ``$patch`` are instructions, not elements: they are left out (as upstream)."""
    element = None if schema is None else schema.items()
    result = []
    for item in value:
        if isinstance(item, dict) and DIRECTIVE in item:
            continue
        fresh = _fresh(item, element)
        if fresh is not _DROP:
            result.append(fresh)
    return result


def _merge_list(current: list[Any], patch: list[Any], schema: PatchSchema | None) -> list[Any]:
    """Merge a patch list into the server's list: by key, as a set, or by replacing it."""
    if schema is None or "merge" not in _strategies(schema):
        return _fresh_list(patch, schema)
    if not current and not patch:
        return current
    if element_kind(current, patch) != "map":
        merged = unique(current + patch)
        return merged_order(merged, patch, current, identity_of)
    merge_key = schema.merge_key
    if not merge_key:
        raise PatchError("cannot merge lists of objects without a patch merge key", code=500)
    element = schema.items()
    identity = keyed(merge_key)
    plain: list[dict[str, Any]] = []
    for item in patch:
        directive = item.get(DIRECTIVE, "merge")
        if directive == "merge":
            if DIRECTIVE not in item or merge_key in item:  # a bare {"$patch": "merge"} says nothing
                plain.append(item)
        elif directive == "delete":
            doomed = identity(item)
            current = [
                old for old in current if old.get(merge_key, _DROP) is _DROP or identity(old) != doomed
            ]
        elif directive == "replace":
            current = [item for item in patch if DIRECTIVE not in item]
            return [_fresh_map(item, element) for item in current]
        else:
            raise PatchError(f"unknown patch type: {directive!r} in list element", code=500)
    server_order = list(current)
    for item in plain:
        key = identity(item)
        for index, old in enumerate(current):
            if merge_key in old and identity(old) == key:
                current[index] = _merge_map(old, item, element)
                break
        else:
            current.append(_fresh_map(item, element))
    return merged_order(current, plain, server_order, identity)


def _set_element_order(
    target: dict[str, Any], patch: dict[str, Any], name: str, order: Any, schema: PatchSchema | None
) -> bool:
    """``$setElementOrder/<name>``: merge the list and sort it; False when the list is left to the caller."""
    patch_list = patch.get(name)
    if not isinstance(order, list) or (name in patch and not isinstance(patch_list, list)):
        raise PatchError(f"invalid patch format of setElementOrder list for {name!r}", code=400)
    if schema is None or "merge" not in _strategies(schema):
        return False  # an atomic list: the order directive has nothing to say
    current = target.get(name)
    kind = element_kind(order, current if isinstance(current, list) else [], patch_list or [])
    merge_key = schema.merge_key if kind == "map" else None
    identity = keyed(merge_key) if merge_key else identity_of
    if patch_list and order:
        _check_order(patch_list, order, identity)
    if not isinstance(current, list):
        if patch_list is not None:
            target[name] = _fresh_list(patch_list, schema)
        return True
    if patch_list is None:
        target[name] = merged_order(current, order, current, identity)
        return True
    merged = _merge_list(list(current), patch_list, schema)
    server = _server_view(current, patch_list, identity) if merge_key else None
    target[name] = merged_order(merged, order, current if server is None else server, identity)
    return True


def _server_view(
    current: list[Any], patch_list: list[Any], identity: Callable[[Any], Hashable]
) -> list[Any] | None:
    """The server order upstream sorts a keyed list by after merging it under ``$setElementOrder``.

    Upstream deletes and appends elements in the backing array of the live list it later reads the
    server order from, so that order is "the survivors, then the added elements", cut to the live list's
    length. Its tests pin the consequence (a server-only element stays before elements the patch adds);
    we reproduce it. None (use the live order) when the patch replaces the whole list.
    """
    if any(isinstance(item, dict) and item.get(DIRECTIVE) == "replace" for item in patch_list):
        return None
    doomed = {
        identity(item) for item in patch_list if isinstance(item, dict) and item.get(DIRECTIVE) == "delete"
    }
    view = [item for item in current if identity(item) not in doomed]
    seen = {identity(item) for item in view}
    for item in patch_list:
        if isinstance(item, dict) and DIRECTIVE not in item and identity(item) not in seen:
            seen.add(identity(item))
            view.append(item)
    return view[: len(current)]


def _check_order(patch_list: list[Any], order: list[Any], identity: Callable[[Any], Hashable]) -> None:
    """The patch list (minus directives) must be a subsequence of the ``$setElementOrder`` list."""
    wanted = [item for item in patch_list if not (isinstance(item, dict) and DIRECTIVE in item)]
    position = 0
    for item in order:
        if position < len(wanted) and identity(wanted[position]) == identity(item):
            position += 1
    if position < len(wanted):
        raise PatchError(
            f"the order in patch list {patch_list} doesn't match $setElementOrder list {order}", code=500
        )
