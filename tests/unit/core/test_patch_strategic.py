"""Strategic merge patch, server side: behaviours ported from apimachinery's strategicpatch test corpus.

The cases restate upstream's (``patch_test.go``: the custom cases and the raw two-way / three-way
cases, whose result order is exact) with our own data over a small hand-written schema:

- ``items``: a merge list keyed by ``name`` (elements have their own ``items``, ``atomic``, ``ints``);
- ``atomic``: a list of objects without a strategy (replaced whole);
- ``ints``: a primitive merge list (a set); ``plainInts``: a primitive list without strategy;
- ``labels``: a map[string]string; ``union``: a map with strategy ``retainKeys``;
- ``volumes``: a ``merge,retainKeys`` list keyed by ``name``; ``blob``: a map with strategy ``replace``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.core.patch import PatchError, StaticSchema, apply_strategic_merge_patch

LEAF = StaticSchema()
ELEMENT = StaticSchema(
    fields={
        "items": StaticSchema("merge", "name", element=LEAF),
        "atomic": StaticSchema(element=LEAF),
        "ints": StaticSchema("merge"),
    }
)
SCHEMA = StaticSchema(
    fields={
        "items": StaticSchema("merge", "name", element=ELEMENT),
        "atomic": StaticSchema(element=ELEMENT),
        "ints": StaticSchema("merge"),
        "plainInts": StaticSchema(),
        "labels": StaticSchema(values=LEAF),
        "union": StaticSchema("retainKeys", fields={"ints": StaticSchema("merge")}),
        "volumes": StaticSchema("merge,retainKeys", "name", element=ELEMENT),
        "blob": StaticSchema("replace"),
    }
)


def smp(original: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    return apply_strategic_merge_patch(original, patch, SCHEMA)


MAPS = [
    pytest.param({"a": 1}, {"b": 2}, {"a": 1, "b": 2}, id="add a field"),
    pytest.param({"a": 1, "b": 2}, {"a": None, "c": 3}, {"b": 2, "c": 3}, id="null deletes a field"),
    pytest.param({"a": 1}, {"zzz": None}, {"a": 1}, id="null for an absent field is a no-op"),
    pytest.param({"a": 1}, {}, {"a": 1}, id="empty patch"),
    pytest.param({}, {"a": 1, "b": 2}, {"a": 1, "b": 2}, id="empty original"),
    pytest.param(
        {"labels": {"k1": "1", "k2": "2"}},
        {"labels": {"k2": None, "k3": "3"}},
        {"labels": {"k1": "1", "k3": "3"}},
        id="nested map: delete one key, add another",
    ),
    pytest.param(
        {"labels": {"k1": "1", "k2": "2"}, "x": 1},
        {"labels": {"$patch": "delete"}},
        {"labels": {}, "x": 1},
        id="$patch delete empties a nested map",
    ),
    pytest.param({"a": 1, "b": 2}, {"$patch": "replace"}, {}, id="$patch replace of the whole object"),
    pytest.param(
        {"a": 1, "b": 2}, {"$patch": "replace", "c": 3}, {"c": 3}, id="$patch replace keeps only the patch"
    ),
    pytest.param(
        {"spec": {"x": {"old": 1, "keep": 2}, "y": 1}},
        {"spec": {"x": {"$patch": "replace", "new": 1}}},
        {"spec": {"x": {"new": 1}, "y": 1}},
        id="$patch replace of a nested map",
    ),
    pytest.param(
        {"spec": {"a": 1}},
        {"spec": {"$patch": "merge", "b": 2}},
        {"spec": {"a": 1, "b": 2}},
        id="$patch merge is the default spelled out",
    ),
    pytest.param(
        {"a": 1},
        {"new": {"key": {"kept": "v", "dropped": None}}},
        {"a": 1, "new": {"key": {"kept": "v"}}},
        id="nulls inside an added map are dropped",
    ),
    pytest.param({}, {"new": {"only": None}}, {"new": {}}, id="an added map of nulls becomes empty"),
    pytest.param(
        {},
        {"new": [{"inner": {"a": "x", "b": None}}, None, "s"]},
        {"new": [{"inner": {"a": "x"}}, None, "s"]},
        id="nulls in maps inside an added list are dropped, null list elements kept",
    ),
    pytest.param(
        {"thing": None, "m": {"k": None}},
        {"other": 1},
        {"thing": None, "m": {"k": None}, "other": 1},
        id="nulls already stored are left alone",
    ),
    pytest.param({"a": {"b": 1}}, {"a": "scalar"}, {"a": "scalar"}, id="a scalar replaces a map"),
    pytest.param({"a": "scalar"}, {"a": {"b": 1}}, {"a": {"b": 1}}, id="a map replaces a scalar"),
    pytest.param({"a": [1, 2]}, {"a": {"b": 1}}, {"a": {"b": 1}}, id="a map replaces a list"),
    pytest.param(
        {"unknown": {"deep": {"a": 1}}, "u2": [1, 2]},
        {"unknown": {"deep": {"b": 2}}, "u2": [3]},
        {"unknown": {"deep": {"a": 1, "b": 2}}, "u2": [3]},
        id="fields the schema does not know: maps merge, lists are replaced",
    ),
    pytest.param(
        {"blob": {"a": 1, "b": 2}},
        {"blob": {"c": 3}},
        {"blob": {"c": 3}},
        id="a map with strategy replace is replaced whole",
    ),
]


@pytest.mark.parametrize(("original", "patch", "expected"), MAPS)
def test_maps(original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    assert smp(original, patch) == expected


def n(*names: Any, **extra: Any) -> list[dict[str, Any]]:
    """Elements keyed by name: n(1, 2) == [{"name": 1}, {"name": 2}]."""
    return [{"name": name, **extra} for name in names]


MERGE_LISTS = [
    pytest.param(
        {"items": [{"name": "a"}, {"name": "b", "v": 1}]},
        {"items": [{"name": "b", "other": "x"}]},
        {"items": [{"name": "a"}, {"name": "b", "v": 1, "other": "x"}]},
        id="add a field to an element",
    ),
    pytest.param(
        {"items": [{"name": "a", "v": 1}]},
        {"items": [{"name": "a", "v": 2}]},
        {"items": [{"name": "a", "v": 2}]},
        id="change a field of an element",
    ),
    pytest.param(
        {"items": [{"name": "a", "v": 1, "w": 2}]},
        {"items": [{"name": "a", "v": None}]},
        {"items": [{"name": "a", "w": 2}]},
        id="null deletes a field of an element",
    ),
    pytest.param(
        {"items": [{"name": "a"}, {"name": "b"}]},
        {"items": [{"name": "c"}]},
        {"items": [{"name": "c"}, {"name": "a"}, {"name": "b"}]},
        id="a new element goes first (upstream prepends)",
    ),
    pytest.param(
        {"items": [{"name": "a"}, {"name": "b"}]},
        {"items": [{"name": "b", "v": 1}, {"name": "c"}]},
        {"items": [{"name": "a"}, {"name": "b", "v": 1}, {"name": "c"}]},
        id="a new element follows the patched element it comes after",
    ),
    pytest.param(
        {"items": [{"name": "a"}, {"name": "b"}]},
        {"$setElementOrder/items": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "items": [{"name": "c"}]},
        {"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
        id="$setElementOrder puts a new element where kubectl apply wants it",
    ),
    pytest.param(
        {"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
        {"items": [{"name": "b", "$patch": "delete"}]},
        {"items": [{"name": "a"}, {"name": "c"}]},
        id="$patch delete removes an element",
    ),
    pytest.param(
        {"items": [{"name": "a"}]},
        {"items": [{"name": "zz", "$patch": "delete"}]},
        {"items": [{"name": "a"}]},
        id="deleting a missing element is not an error",
    ),
    pytest.param(
        {"items": [*n(1, 1), {"name": 2, "v": "x"}, *n(3, 3)]},
        {"items": [{"name": 1, "$patch": "delete"}, {"name": 3, "$patch": "delete"}]},
        {"items": [{"name": 2, "v": "x"}]},
        id="$patch delete removes every duplicate",
    ),
    pytest.param(
        {"items": n(1, 2)},
        {"items": [{"name": 9, "v": 1}, {"$patch": "replace"}]},
        {"items": [{"name": 9, "v": 1}]},
        id="a $patch replace element makes the list the rest of the patch list",
    ),
    pytest.param(
        {"items": n(1, 2)}, {"items": [{"$patch": "replace"}]}, {"items": []}, id="replace with nothing"
    ),
    pytest.param({"items": []}, {"items": []}, {"items": []}, id="empty merges with empty"),
    pytest.param(
        {"items": [{"name": 1}, {"name": 2, "v": "b"}, {"name": 3}]},
        {"items": [{"name": 3, "v": "c"}, {"name": 1, "v": "a"}, {"name": 2, "o": "x"}]},
        {"items": [{"name": 3, "v": "c"}, {"name": 1, "v": "a"}, {"name": 2, "v": "b", "o": "x"}]},
        id="the patch's order wins for the elements it names",
    ),
    pytest.param(
        {"items": [{"name": 1}, {"name": 2, "v": "b"}, {"name": 3}]},
        {"items": [{"name": 3, "v": "c"}, {"name": 1, "v": "a"}]},
        {"items": [{"name": 2, "v": "b"}, {"name": 3, "v": "c"}, {"name": 1, "v": "a"}]},
        id="server-only elements keep their place relative to patched ones",
    ),
    pytest.param(
        {"items": [{"name": 1, "o": "a"}, {"name": 3}, {"name": 4}, {"name": 2}]},
        {"$setElementOrder/items": n(4, 2, 3, 1)},
        {"items": [{"name": 4}, {"name": 2}, {"name": 3}, {"name": 1, "o": "a"}]},
        id="$setElementOrder alone reorders",
    ),
    pytest.param(
        {"items": [{"name": 1, "o": "a"}, {"name": 2}, {"name": 9}, {"name": 3}, {"name": 4}]},
        {"$setElementOrder/items": n(2, 1, 4, 3)},
        {"items": [{"name": 2}, {"name": 1, "o": "a"}, {"name": 9}, {"name": 4}, {"name": 3}]},
        id="$setElementOrder keeps a server-only element near its neighbours",
    ),
    pytest.param(
        {"items": [{"name": 1}, {"name": 2}, *n(7, 9, 8), {"name": 3}, {"name": 4}]},
        {"$setElementOrder/items": n(2, 1, 4, 3)},
        {"items": [*n(2, 1), *n(7, 9, 8), *n(4, 3)]},
        id="$setElementOrder keeps a run of server-only elements together",
    ),
    pytest.param(
        {"items": n(1, 3)},
        {"$setElementOrder/items": n(3, 2, 1), "items": [{"name": 3, "v": 3}, {"name": 1, "v": 1}]},
        {"items": [{"name": 3, "v": 3}, {"name": 1, "v": 1}]},
        id="$setElementOrder may name elements that exist nowhere",
    ),
    pytest.param(
        {"items": [{"name": 1}, {"name": 2, "v": "d1"}, {"name": 3}, {"name": 2, "v": "d2"}, {"name": 4}]},
        {"$setElementOrder/items": n(2, 1, 4, 3, 2)},
        {"items": [{"name": 2, "v": "d1"}, {"name": 2, "v": "d2"}, *n(1, 4, 3)]},
        id="duplicates stay together at the first place their key is ordered",
    ),
    pytest.param(
        {"items": [{"name": "a", "v": "a"}, {"name": "b", "v": "b"}], "atomic": n("c", "d")},
        {"$setElementOrder/items": n("b"), "items": [{"$patch": "delete", "name": "a"}]},
        {"items": [{"name": "b", "v": "b"}], "atomic": n("c", "d")},
        id="delete and reorder in one patch",
    ),
    pytest.param(
        {"items": [{"name": "x"}, {"name": "y", "o": 1}, {"name": "z", "o": 2}]},
        {"$setElementOrder/items": n("y", "w"), "items": [{"name": "w"}, {"name": "x", "$patch": "delete"}]},
        {"items": [{"name": "y", "o": 1}, {"name": "z", "o": 2}, {"name": "w"}]},
        id="add and delete under $setElementOrder: a server-only element stays before the new one",
    ),
    pytest.param(
        {"items": [{"name": "x", "o": 1}, {"name": "z", "o": 2}]},
        {"$setElementOrder/items": n("v", "w"), "items": [*n("v", "w"), {"name": "x", "$patch": "delete"}]},
        {"items": [{"name": "z", "o": 2}, *n("v", "w")]},
        id="add two and delete one under $setElementOrder",
    ),
    pytest.param(
        {"items": [{"name": "app"}, {"name": "injected", "o": 1}]},
        {"$setElementOrder/items": n("app", "new"), "items": [{"name": "new"}]},
        {"items": [{"name": "app"}, {"name": "new"}, {"name": "injected", "o": 1}]},
        id="kubectl apply: a new element goes before a trailing server-only one",
    ),
    pytest.param(
        {"name": "hi"},
        {"items": [{"name": "hello"}, {"$patch": "delete", "name": "nothere"}]},
        {"name": "hi", "items": [{"name": "hello"}]},
        id="a new list drops its directive elements",
    ),
    pytest.param(
        {"items": [{"name": 1, "o": "a", "atomic": [{"name": 1}, {"name": 2, "v": 2}]}, {"name": 2}]},
        {"$setElementOrder/items": n(1, 2), "items": [{"name": 1, "atomic": [{"name": 1, "v": 1}]}]},
        {"items": [{"name": 1, "o": "a", "atomic": [{"name": 1, "v": 1}]}, {"name": 2}]},
        id="an atomic list inside a merge element is replaced",
    ),
    pytest.param(
        {
            "items": [
                {"name": 1, "o": "a", "items": [{"name": 1}, {"name": 2, "v": 2}]},
                {"name": 2, "o": "b"},
            ]
        },
        {
            "$setElementOrder/items": n(1, 2),
            "items": [{"$setElementOrder/items": n(1, 2), "name": 1, "items": [{"name": 1, "v": 1}]}],
        },
        {
            "items": [
                {"name": 1, "o": "a", "items": [{"name": 1, "v": 1}, {"name": 2, "v": 2}]},
                {"name": 2, "o": "b"},
            ]
        },
        id="a merge list inside a merge element merges too",
    ),
    pytest.param(
        {"items": [{"name": "a", "ints": [1]}]},
        {"items": [{"name": "b", "ints": [2], "$setElementOrder/ints": [2], "gone": None}]},
        {"items": [{"name": "b", "ints": [2]}, {"name": "a", "ints": [1]}]},
        id="an added element is stored without directives or nulls",
    ),
    pytest.param(
        {"atomic": n(1, 2)},
        {"atomic": [{"name": 3}]},
        {"atomic": [{"name": 3}]},
        id="a list without merge strategy is replaced",
    ),
    pytest.param({"atomic": n(1, 2)}, {"atomic": None}, {}, id="null removes an atomic list"),
    pytest.param(
        {"atomic": n(1)},
        {"$setElementOrder/atomic": n(2), "atomic": n(2)},
        {"atomic": n(2)},
        id="$setElementOrder on an atomic list has nothing to say",
    ),
]


@pytest.mark.parametrize(("original", "patch", "expected"), MERGE_LISTS)
def test_merge_lists_of_objects(
    original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert smp(original, patch) == expected


PRIMITIVE_LISTS = [
    pytest.param({"ints": [1, 2]}, {"ints": [2, 3]}, {"ints": [1, 2, 3]}, id="union without duplicates"),
    pytest.param({"ints": [1, 1, 2]}, {"ints": [3]}, {"ints": [3, 1, 2]}, id="server duplicates collapse"),
    pytest.param({"ints": [1, 2, 3]}, {"ints": [3, 1, 2]}, {"ints": [3, 1, 2]}, id="the patch's order wins"),
    pytest.param(
        {"ints": [1, 2, 3]}, {"ints": [3, 1]}, {"ints": [2, 3, 1]}, id="server-only keeps its place"
    ),
    pytest.param({}, {"ints": [5, 6]}, {"ints": [5, 6]}, id="a new list is taken as is"),
    pytest.param(
        {"ints": [1, 2, 3]},
        {"$deleteFromPrimitiveList/ints": [2]},
        {"ints": [1, 3]},
        id="$deleteFromPrimitiveList removes a value",
    ),
    pytest.param(
        {"ints": [1, 2, 3, 3, 4]},
        {"$setElementOrder/ints": [1, 2], "$deleteFromPrimitiveList/ints": [3]},
        {"ints": [1, 2, 4]},
        id="$deleteFromPrimitiveList removes every copy",
    ),
    pytest.param(
        {"ints": [1, 2]},
        {"$deleteFromPrimitiveList/ints": [3]},
        {"ints": [1, 2]},
        id="deleting a missing value is a no-op",
    ),
    pytest.param(
        {"foo": ["bar"]},
        {"$deleteFromPrimitiveList/ints": [3]},
        {"foo": ["bar"]},
        id="deleting from a missing list does not create it",
    ),
    pytest.param(
        {"plainInts": [1, 2, 3]},
        {"$deleteFromPrimitiveList/plainInts": [2]},
        {"plainInts": [1, 3]},
        id="$deleteFromPrimitiveList works without merge strategy too",
    ),
    pytest.param(
        {"ints": [1, 2, 3, 4]},
        {"$setElementOrder/ints": [1, 2, 4], "$deleteFromPrimitiveList/ints": [3], "ints": [4]},
        {"ints": [1, 2, 4]},
        id="add and delete with $setElementOrder",
    ),
    pytest.param(
        {"ints": [1, 3]},
        {"$setElementOrder/ints": [3, 2, 1]},
        {"ints": [3, 1]},
        id="$setElementOrder of a value that exists nowhere",
    ),
    pytest.param(
        {"ints": [1, 2, 9, 3, 4]},
        {"$setElementOrder/ints": [2, 1, 4, 3]},
        {"ints": [2, 1, 9, 4, 3]},
        id="$setElementOrder keeps a server-only value near its neighbours",
    ),
    pytest.param(
        {"ints": [1, 2, 3, 2, 4]},
        {"$setElementOrder/ints": [2, 1, 4, 3, 2]},
        {"ints": [2, 2, 1, 4, 3]},
        id="duplicate values stay together",
    ),
    pytest.param({"plainInts": [1, 2]}, {"plainInts": [3]}, {"plainInts": [3]}, id="no strategy: replaced"),
    pytest.param(
        {"ints": ["a", "b"]}, {"ints": ["c"]}, {"ints": ["c", "a", "b"]}, id="a new string goes first"
    ),
]


@pytest.mark.parametrize(("original", "patch", "expected"), PRIMITIVE_LISTS)
def test_primitive_lists(original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    assert smp(original, patch) == expected


RETAIN_KEYS = [
    pytest.param(
        {"union": {"name": "type1", "value": "foo"}},
        {"union": {"$retainKeys": ["name", "other"], "name": "type2", "other": "bar"}},
        {"union": {"name": "type2", "other": "bar"}},
        id="$retainKeys clears the keys it does not list",
    ),
    pytest.param(
        {"union": {"value": "foo"}},
        {"union": {"$retainKeys": ["other"], "other": "bar"}},
        {"union": {"other": "bar"}},
        id="$retainKeys clears a defaulted field",
    ),
    pytest.param(
        {"union": {"name": "foo", "value": "a"}},
        {"union": {"value": "b"}},
        {"union": {"name": "foo", "value": "b"}},
        id="without the directive a retainKeys map merges",
    ),
    pytest.param(
        {"union": {"name": "foo", "value": "a"}},
        {"union": {}},
        {"union": {"name": "foo", "value": "a"}},
        id="an empty patch map changes nothing",
    ),
    pytest.param(
        {"union": {"name": "foo", "ints": [1, 2]}},
        {"union": {"$retainKeys": ["ints", "name"], "ints": [3]}},
        {"union": {"name": "foo", "ints": [3, 1, 2]}},
        id="$retainKeys keeps a merge list, which then merges",
    ),
    pytest.param(
        {"volumes": [{"name": "bar"}, {"name": "data", "emptyDir": {}, "x": 1}]},
        {
            "volumes": [
                {
                    "$retainKeys": ["hostPath", "name"],
                    "emptyDir": None,
                    "hostPath": {"p": "/"},
                    "name": "data",
                }
            ]
        },
        {"volumes": [{"name": "bar"}, {"name": "data", "hostPath": {"p": "/"}}]},
        id="$retainKeys in a merge,retainKeys list element",
    ),
    pytest.param(
        {"volumes": [{"name": "bar"}, {"name": "foo", "value": "a"}]},
        {"volumes": [{"name": "foo", "value": None}]},
        {"volumes": [{"name": "bar"}, {"name": "foo"}]},
        id="a merge,retainKeys list merges by key",
    ),
]


@pytest.mark.parametrize(("original", "patch", "expected"), RETAIN_KEYS)
def test_retain_keys(original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    assert smp(original, patch) == expected


ERRORS = [
    pytest.param({"items": n(1)}, {"items": [{"v": "no name"}]}, 500, "merge key", id="element without key"),
    pytest.param(
        {"items": n(1, 3, 2)},
        {"$setElementOrder/items": n(1, 2, 3), "items": [{"name": 3}, {"name": 1}]},
        500,
        "doesn't match",
        id="$setElementOrder disagrees with the patch list",
    ),
    pytest.param(
        {"ints": [1, 3, 2]},
        {"$setElementOrder/ints": [1, 2, 3], "ints": [3, 1]},
        500,
        "doesn't match",
        id="$setElementOrder disagrees with a primitive patch list",
    ),
    pytest.param({}, {"$patch": "explode"}, 500, "unknown patch type", id="unknown $patch in a map"),
    pytest.param(
        {"items": n(1)},
        {"items": [{"$patch": "explode"}]},
        500,
        "unknown patch type",
        id="unknown $patch in a list",
    ),
    pytest.param({"ints": [[1]]}, {"ints": [[2]]}, 422, "lists of lists", id="lists of lists"),
    pytest.param({"ints": [1]}, {"ints": ["a"]}, 500, "not identical", id="mixed element types"),
    pytest.param(
        {"union": {"a": 1}}, {"union": {"$retainKeys": "a"}}, 400, "retainKeys", id="$retainKeys not a list"
    ),
    pytest.param(
        {"union": {"a": 1}},
        {"union": {"$retainKeys": ["a"], "b": 2}},
        400,
        "retainKeys",
        id="a patched key missing from $retainKeys",
    ),
    pytest.param(
        {}, {"$setElementOrder/items": "x"}, 400, "setElementOrder", id="$setElementOrder not a list"
    ),
    pytest.param(
        {}, {"$setElementOrderitems": []}, 400, "setElementOrder", id="garbled $setElementOrder key"
    ),
    pytest.param(
        {}, {"$deleteFromPrimitiveListints": [1]}, 400, "deleteFromPrimitiveList", id="garbled delete key"
    ),
]


@pytest.mark.parametrize(("original", "patch", "code", "text"), ERRORS)
def test_errors_carry_upstream_status(
    original: dict[str, Any], patch: dict[str, Any], code: int, text: str
) -> None:
    with pytest.raises(PatchError, match=text) as caught:
        smp(original, patch)
    assert caught.value.code == code


def test_a_patch_or_target_that_is_not_an_object_is_a_bad_request() -> None:
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch({}, [], SCHEMA)  # type: ignore[arg-type]
    assert caught.value.code == 400


def test_directives_are_never_stored() -> None:
    result = smp(
        {"spec": {"x": 1}},
        {
            "$unknown": 1,
            "spec": {"$weird": {"a": 1}, "new": {"$retainKeys": ["a"], "a": 1, "$other": 2}},
            "added": {"$patch": "replace", "inner": {"$patch": "delete"}, "keep": [{"$patch": "merge"}, 1]},
            "gone": {"$patch": "delete"},
        },
    )
    assert result == {"spec": {"x": 1, "new": {"a": 1}}, "added": {"keep": [1]}}


def test_without_a_schema_maps_merge_and_lists_are_replaced() -> None:
    original = {"m": {"a": 1}, "l": [{"name": "a"}]}
    assert apply_strategic_merge_patch(original, {"m": {"b": 2}, "l": [{"name": "b"}]}, None) == {
        "m": {"a": 1, "b": 2},
        "l": [{"name": "b"}],
    }


def test_inputs_are_never_modified_and_the_result_shares_nothing() -> None:
    original = {"items": [{"name": "a", "labels": {"k": "v"}}], "labels": {"x": "1"}, "ints": [1]}
    patch = {
        "$setElementOrder/items": n("b", "a"),
        "items": [{"name": "b", "labels": {"n": "1"}}, {"name": "a", "labels": {"k": None}}],
        "$deleteFromPrimitiveList/ints": [1],
    }
    before_original, before_patch = copy.deepcopy(original), copy.deepcopy(patch)
    result = smp(original, patch)
    assert (original, patch) == (before_original, before_patch)
    result["labels"]["x"] = "changed"
    result["items"][0]["labels"]["n"] = "changed"
    assert (original, patch) == (before_original, before_patch)
