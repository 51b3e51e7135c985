"""Values walked with their shapes: field sets, comparisons, merges and removals.

structured-merge-diff's ``typed`` package, over plain JSON values:

- :func:`to_field_set` (``typed/tofieldset.go``): the fields an applied configuration sets -- every
  scalar, every atomic list or map, every associative-list item, every map key that is not a declared
  struct field, and any field set to null or ``{}``; a struct field holding content is only on the way;
- :func:`compare` (``typed/compare.go``): what changed between two versions: fields added (a new subtree
  counts every path in it, itself included), removed (likewise) and modified (a scalar or an atomic
  value that differs). Subtrees that are equal are skipped with one ``==``, so a small change to a big
  object costs little;
- :func:`merge` (``typed/merge.go``): an applied configuration over the live object: maps merged key by
  key, associative lists item by item (the configuration's order wins for the items it names, the
  others keep their place), atomic values and scalars replaced;
- :func:`remove_items` (``typed/remove.go``): a value without the paths of a set (a container left
  empty becomes null, as upstream's walker leaves it);
- :func:`ensure_named_fields_are_members` (``fieldpath.Set.EnsureNamedFieldsAreMembers``).

Both sides of a comparison or merge may hold a value the schema does not expect; like upstream the
walkers then let the value's own kind decide, and where it fits no kind they treat it as a leaf.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from everynode.apiserver.apply import fieldpath
from everynode.apiserver.apply.fieldpath import MEMBER
from everynode.apiserver.apply.fieldset import FieldSet, is_member, make_node, sort
from everynode.apiserver.apply.schema import DEDUCED, ListShape, Shape
from everynode.apiserver.apply.schema import MAP as LIST_MAP

_ABSENT: Any = object()


class InvalidValue(ValueError):
    """A value the schema cannot index (upstream's typed-value validation errors)."""

    def __init__(self, path: fieldpath.Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        where = fieldpath.render(self.path)
        return f"{where}: {self.message}" if where else self.message


# -- list items ----------------------------------------------------------------------------------------


def item_element(item: Any, shape: ListShape) -> str:
    """The element naming an item of an associative list (``listItemToPathElement``); raises
    ``InvalidValue`` (without a path) for an item that has none."""
    if shape.mode == LIST_MAP:
        if type(item) is not dict:
            if item is None:
                raise InvalidValue((), "associative list with keys may not have a null element")
            raise InvalidValue((), "associative list with keys may not have non-map elements")
        keys = shape.keys
        if len(keys) == 1:
            name = keys[0]
            found = item.get(name, _ABSENT)
            if found is not _ABSENT:
                if type(found) is str or type(found) is int:
                    return fieldpath.single_key(name, found)
                return fieldpath.key({name: found})
        fields: dict[str, Any] = {}
        defaults = shape.key_defaults if any(name not in item for name in keys) else {}
        for name in keys:
            if name in item:
                fields[name] = item[name]
            elif name in defaults:
                fields[name] = defaults[name]
        if keys and not fields:
            quoted = "[" + " ".join(f'"{k}"' for k in keys) + "]"
            raise InvalidValue(
                (),
                f"associative list with keys has an element that omits all key fields {quoted} "
                "(and doesn't have default values for any key fields)",
            )
        return fieldpath.key(fields)
    if isinstance(item, dict):
        raise InvalidValue((), "associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise InvalidValue((), "not supported: associative list with lists as elements")
    if item is None:
        raise InvalidValue((), "associative list without keys has an element that's an explicit null")
    return fieldpath.value(item)


def _elements(items: list[Any], shape: ListShape, path: fieldpath.Path) -> list[str]:
    """Every item's element, in order; an item without one is an error at the list's path
    (``element 2: ...``, as upstream words it)."""
    try:
        return [item_element(item, shape) for item in items]
    except InvalidValue:
        pass
    for position, item in enumerate(items):
        try:
            item_element(item, shape)
        except InvalidValue as err:
            raise InvalidValue(path, f"element {position}: {err.message}") from None
    raise AssertionError("unreachable")


def _index_items(
    items: list[Any], shape: ListShape, path: fieldpath.Path, *, duplicates: bool
) -> tuple[list[str], dict[str, Any]]:
    """Each item's element, in order, and the item under each element (a duplicated one: null).
    ``duplicates``: whether repeated elements are allowed (live objects) or an error (configurations)."""
    elements = _elements(items, shape, path)
    observed: dict[str, Any] = {}
    for element, item in zip(elements, items, strict=True):
        if element in observed:
            if not duplicates:
                raise InvalidValue(path, f"duplicate entries for key {fieldpath.render_element(element)}")
            observed[element] = None
        else:
            observed[element] = item
    return elements, observed


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "null" if value is None else "scalar"


# -- field sets ----------------------------------------------------------------------------------------


def to_field_set(value: Any, shape: Shape) -> FieldSet:
    """The fields ``value`` (an object) sets."""
    node = _fields_of(value, shape, ())
    if node is None:
        return {}
    return {k: v for k, v in node.items() if k != MEMBER}


def _fields_of(value: Any, shape: Shape, path: fieldpath.Path) -> FieldSet | None:
    """The set below ``value`` (None: nothing below it)."""
    if isinstance(value, dict):
        mshape = shape.map
        if mshape is None or mshape.atomic:
            return None
        fields = mshape.fields
        children: FieldSet = {}
        for name, item in value.items():
            declared = fields.get(name)
            child_shape = mshape.element if declared is None else declared
            element = "f:" + name
            below = _fields_of(item, child_shape, (*path, element))
            member = (
                declared is None
                or item is None
                or (isinstance(item, dict) and not item)
                or _is_leaf(item, child_shape)
            )
            node = make_node(member, below) if below else ({} if member else None)
            if node is not None:
                children[element] = node
        return sort(children) if children else None
    if isinstance(value, list):
        lshape = shape.list
        if lshape is None or lshape.atomic or not value:
            return None
        elements = _elements(value, lshape, path)
        seen: dict[str, int] = {}
        for element in elements:
            seen[element] = seen.get(element, 0) + 1
        children = {}
        element_shape = lshape.element
        for element, item in zip(elements, value, strict=True):
            if seen[element] > 1:
                children[element] = {}  # duplicates are owned as one item, not field by field
                continue
            below = _fields_of(item, element_shape, (*path, element))
            children[element] = make_node(True, below) if below else {}
        return sort(children)
    return None


def _is_leaf(value: Any, shape: Shape) -> bool:
    """Whether a field's own path is in the set: scalars, atomic lists and maps, and values whose kind
    the shape does not accept."""
    if isinstance(value, dict):
        return shape.map is None or shape.map.atomic
    if isinstance(value, list):
        return shape.list is None or shape.list.atomic
    return True


# -- comparison ----------------------------------------------------------------------------------------


class Comparison(NamedTuple):
    added: FieldSet
    modified: FieldSet
    removed: FieldSet

    def same(self) -> bool:
        return not (self.added or self.modified or self.removed)


def compare(lhs: Any, rhs: Any, shape: Shape) -> Comparison:
    """What changed from ``lhs`` to ``rhs`` (two objects)."""
    changes = Comparison({}, {}, {})
    if lhs != rhs:
        _compare_maps(lhs or {}, rhs or {}, shape, changes, path=())
    return Comparison(sort(changes.added), sort(changes.modified), sort(changes.removed))


def _compare_child(
    element: str, lv: Any, rv: Any, shape: Shape, changes: Comparison, *, path: fieldpath.Path
) -> None:
    """Record in ``changes`` the difference of one child (``_ABSENT`` on the side that lacks it)."""
    added, modified, removed = changes
    if lv is _ABSENT:
        added[element] = _all_paths(rv, shape, (*path, element))
        return
    if rv is _ABSENT:
        removed[element] = _all_paths(lv, shape, (*path, element))
        return
    lt, rt = type(lv), type(rv)
    if lt is dict and rt is dict:
        lk = rk = "map"
    elif lt is list and rt is list:
        lk = rk = "list"
    else:
        lk, rk = _kind(lv), _kind(rv)
    kind = rk if lk == "null" else lk
    if lk != rk and "null" not in (lk, rk):
        # The kind changed (an untyped field): the field is modified, and a granular container's
        # contents are gone (or new) with it.
        modified[element] = {}
        for value, into in ((lv, removed), (rv, added)):
            contents = _all_paths(value, shape, (*path, element))
            if contents:
                into[element] = {k: v for k, v in contents.items() if k != MEMBER}
        return
    below = Comparison({}, {}, {})
    here = (*path, element)
    if kind == "map":
        mshape = shape.map
        if mshape is None or mshape.atomic or (not lv and not rv):
            modified[element] = {}
            return
        _compare_maps(lv or {}, rv or {}, shape, below, path=here)
    elif kind == "list":
        lshape = shape.list
        if lshape is None or lshape.atomic or (not lv and not rv):
            modified[element] = {}
            return
        _compare_lists(lv or [], rv or [], lshape, below, path=here)
    else:
        modified[element] = {}
        return
    if below.added:
        added[element] = sort(below.added)
    if below.modified:
        modified[element] = sort(below.modified)
    if below.removed:
        removed[element] = sort(below.removed)


def _compare_maps(
    lhs: dict[str, Any], rhs: dict[str, Any], shape: Shape, changes: Comparison, *, path: fieldpath.Path
) -> None:
    mshape = shape.map
    if mshape is None:
        mshape = DEDUCED.map
        assert mshape is not None
    fields = mshape.fields
    for name, lv in lhs.items():
        rv = rhs.get(name, _ABSENT)
        if rv is lv or rv == lv:
            continue
        declared = fields.get(name)
        child = mshape.element if declared is None else declared
        _compare_child("f:" + name, lv, rv, child, changes, path=path)
    for name, rv in rhs.items():
        if name not in lhs:
            declared = fields.get(name)
            child = mshape.element if declared is None else declared
            _compare_child("f:" + name, _ABSENT, rv, child, changes, path=path)


def _compare_lists(
    lhs: list[Any], rhs: list[Any], shape: ListShape, changes: Comparison, *, path: fieldpath.Path
) -> None:
    lgroups: dict[str, list[Any]] = {}
    for element, item in zip(_elements(lhs, shape, path), lhs, strict=True):
        lgroups.setdefault(element, []).append(item)
    rgroups: dict[str, list[Any]] = {}
    for element, item in zip(_elements(rhs, shape, path), rhs, strict=True):
        rgroups.setdefault(element, []).append(item)
    element_shape = shape.element
    for element in [*lgroups, *(e for e in rgroups if e not in lgroups)]:
        litems = lgroups.get(element, ())
        ritems = rgroups.get(element, ())
        if len(litems) <= 1 and len(ritems) <= 1:
            lv = litems[0] if litems else _ABSENT
            rv = ritems[0] if ritems else _ABSENT
            if lv is not _ABSENT and rv is not _ABSENT and (lv is rv or lv == rv):
                continue
            _compare_child(element, lv, rv, element_shape, changes, path=path)
        elif len(litems) >= 2 and len(ritems) >= 2:
            if list(litems) != list(ritems):
                changes.modified[element] = {}
        elif len(litems) >= 2:
            if ritems:
                _compare_child(element, _ABSENT, ritems[0], element_shape, changes, path=path)
            changes.removed[element] = {}
        else:
            if litems:
                _compare_child(element, litems[0], _ABSENT, element_shape, changes, path=path)
            changes.added[element] = {}


def _all_paths(value: Any, shape: Shape, path: fieldpath.Path) -> FieldSet:
    """The node of a value that appears or disappears whole: itself and every path below it."""
    if isinstance(value, dict):
        mshape = shape.map
        if mshape is None or mshape.atomic or not value:
            return {}
        fields = mshape.fields
        children: FieldSet = {}
        for name, item in value.items():
            declared = fields.get(name)
            child = mshape.element if declared is None else declared
            element = "f:" + name
            children[element] = _all_paths(item, child, (*path, element))
        return {MEMBER: {}, **sort(children)}
    if isinstance(value, list):
        lshape = shape.list
        if lshape is None or lshape.atomic or not value:
            return {}
        elements = _elements(value, lshape, path)
        groups: dict[str, int] = {}
        for element in elements:
            groups[element] = groups.get(element, 0) + 1
        children = {}
        for element, item in zip(elements, value, strict=True):
            children[element] = (
                {} if groups[element] > 1 else _all_paths(item, lshape.element, (*path, element))
            )
        return {MEMBER: {}, **sort(children)}
    return {}


# -- merging -------------------------------------------------------------------------------------------


def merge(lhs: Any, rhs: Any, shape: Shape, path: fieldpath.Path = ()) -> Any:
    """``rhs`` (an applied configuration) merged over ``lhs`` (the live value)."""
    if lhs is _ABSENT:
        return _checked(rhs, shape, path)
    if rhs is _ABSENT:
        return lhs
    lk, rk = _kind(lhs), _kind(rhs)
    if rk == "null":
        # null is a wildcard: a granular container keeps its items, anything else becomes null
        if lk == "map" and lhs and shape.map is not None and not shape.map.atomic:
            return lhs
        if lk == "list" and lhs and shape.list is not None and not shape.list.atomic:
            return lhs
        return None
    if lk not in (rk, "null"):
        return _checked(rhs, shape, path)
    if rk == "map":
        mshape = shape.map
        if mshape is None or mshape.atomic or (not lhs and not rhs):
            return rhs
        if lhs is None:
            return _checked(rhs, shape, path)
        return _merge_maps(lhs, rhs, shape, path)
    if rk == "list":
        lshape = shape.list
        if lshape is None or lshape.atomic or (not lhs and not rhs):
            return rhs
        return _merge_lists(lhs or [], rhs, lshape, path)
    return rhs


def _merge_maps(
    lhs: dict[str, Any], rhs: dict[str, Any], shape: Shape, path: fieldpath.Path
) -> dict[str, Any]:
    mshape = shape.map
    assert mshape is not None
    fields = mshape.fields
    out: dict[str, Any] = {}
    for name, lv in lhs.items():
        rv = rhs.get(name, _ABSENT)
        if rv is _ABSENT:
            out[name] = lv
            continue
        declared = fields.get(name)
        out[name] = merge(lv, rv, mshape.element if declared is None else declared, (*path, "f:" + name))
    for name, rv in rhs.items():
        if name not in lhs:
            declared = fields.get(name)
            child = mshape.element if declared is None else declared
            out[name] = _checked(rv, child, (*path, "f:" + name))
    return out


def _merge_lists(lhs: list[Any], rhs: list[Any], shape: ListShape, path: fieldpath.Path) -> list[Any]:
    """``visitListItems`` of the merging walker: the configuration's order for the items it names;
    live items it does not name stay where they were relative to the shared ones."""
    rhs_elements, observed_rhs = _index_items(rhs, shape, path, duplicates=False)
    lhs_elements, observed_lhs = _index_items(lhs, shape, path, duplicates=True)
    element_shape = shape.element
    shared = [e for e in rhs_elements if e in observed_lhs]
    shared_at = 0
    next_shared = shared[0] if shared else None
    merged: set[str] = set()
    out: list[Any] = []
    li = ri = 0
    llen, rlen = len(lhs_elements), len(rhs_elements)
    while li < llen or ri < rlen:
        if li < llen and ri < rlen:
            element = lhs_elements[li]
            if element == rhs_elements[ri]:
                merged.add(element)
                out.append(
                    merge(observed_lhs[element], observed_rhs[element], element_shape, (*path, element))
                )
                li += 1
                ri += 1
                shared_at += 1
                next_shared = shared[shared_at] if shared_at < len(shared) else None
                continue
            if element in observed_rhs and next_shared is not None and next_shared != element:
                li += 1  # a shared item, not the one due now: it is taken in the configuration's order
                continue
        if li < llen:
            element = lhs_elements[li]
            if element not in observed_rhs:
                out.append(lhs[li])
                li += 1
                continue
            if element in merged:
                li += 1
        if ri < rlen:
            element = rhs_elements[ri]
            merged.add(element)
            live = observed_lhs.get(element, _ABSENT)
            out.append(merge(live, observed_rhs[element], element_shape, (*path, element)))
            ri += 1
            if next_shared is not None and next_shared == element:
                shared_at += 1
                next_shared = shared[shared_at] if shared_at < len(shared) else None
    return out


def _checked(value: Any, shape: Shape, path: fieldpath.Path) -> Any:
    """A configuration's value taken whole: its associative lists must still name their items."""
    if isinstance(value, dict):
        mshape = shape.map
        if mshape is not None and not mshape.atomic:
            fields = mshape.fields
            for name, item in value.items():
                if isinstance(item, dict | list):
                    declared = fields.get(name)
                    _checked(item, mshape.element if declared is None else declared, (*path, "f:" + name))
    elif isinstance(value, list):
        lshape = shape.list
        if lshape is not None and not lshape.atomic and value:
            elements, _ = _index_items(value, lshape, path, duplicates=False)
            for element, item in zip(elements, value, strict=True):
                if isinstance(item, dict | list):
                    _checked(item, lshape.element, (*path, element))
    return value


def check(config: Any, shape: Shape) -> None:
    """Raise ``InvalidValue`` if a configuration repeats or cannot name an associative-list item."""
    _checked(config, shape, ())


# -- removing ------------------------------------------------------------------------------------------


def remove_items(value: Any, to_remove: FieldSet, shape: Shape) -> Any:
    """``value`` without the members of ``to_remove`` (and what is below them)."""
    if not to_remove:
        return value
    if isinstance(value, dict):
        mshape = shape.map
        if mshape is None or mshape.atomic or not value:
            return value
        fields = mshape.fields
        out: dict[str, Any] = {}
        for name, item in value.items():
            node = to_remove.get("f:" + name)
            if node is None:
                out[name] = item
            elif is_member(node):
                continue
            else:
                declared = fields.get(name)
                out[name] = remove_items(item, node, mshape.element if declared is None else declared)
        return out or None
    if isinstance(value, list):
        lshape = shape.list
        if lshape is None or lshape.atomic or not value:
            return value
        kept: list[Any] = []
        for item in value:
            try:
                element = item_element(item, lshape)
            except InvalidValue:
                kept.append(item)
                continue
            node = to_remove.get(element)
            if node is None:
                kept.append(item)
            elif not is_member(node):
                kept.append(remove_items(item, node, lshape.element))
        return kept or None
    return value


# -- named fields --------------------------------------------------------------------------------------


def ensure_named_fields_are_members(fields: FieldSet, shape: Shape | None) -> FieldSet:
    """``fields`` with every declared struct field on the way to a member made a member too."""
    mshape = shape.map if shape is not None else None
    lshape = shape.list if shape is not None else None
    out: FieldSet = {}
    for element, node in fields.items():
        if element == MEMBER or not node:
            out[element] = node
            continue
        child: Shape | None = None
        named = False
        if element.startswith("f:") and mshape is not None:
            declared = mshape.fields.get(element[2:])
            named = declared is not None
            child = mshape.element if declared is None else declared
        elif element.startswith("k:") and lshape is not None:
            child = lshape.element
        inner = ensure_named_fields_are_members(node, child)
        if named and MEMBER not in inner:
            inner = {MEMBER: {}, **inner}
        out[element] = inner
    return out


__all__ = [
    "Comparison",
    "InvalidValue",
    "check",
    "compare",
    "ensure_named_fields_are_members",
    "item_element",
    "merge",
    "remove_items",
    "to_field_set",
]
