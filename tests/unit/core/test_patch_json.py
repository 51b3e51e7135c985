"""JSON patch (RFC 6902) with JSON Pointers (RFC 6901): every operation, its errors and their status."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.core.patch import PatchError, apply_json_patch

CASES = [
    pytest.param({"a": 1}, [{"op": "add", "path": "/b", "value": 2}], {"a": 1, "b": 2}, id="add a key"),
    pytest.param({"a": 1}, [{"op": "add", "path": "/a", "value": 9}], {"a": 9}, id="add replaces a key"),
    pytest.param([1, 3], [{"op": "add", "path": "/1", "value": 2}], [1, 2, 3], id="add inserts into a list"),
    pytest.param([1], [{"op": "add", "path": "/1", "value": 2}], [1, 2], id="add at the length appends"),
    pytest.param([1], [{"op": "add", "path": "/-", "value": 2}], [1, 2], id="add at - appends"),
    pytest.param({"a": 1}, [{"op": "add", "path": "", "value": [1]}], [1], id="add at the root replaces it"),
    pytest.param(
        {"a": {"b": 1}},
        [{"op": "add", "path": "/a/c", "value": {"d": [None]}}],
        {"a": {"b": 1, "c": {"d": [None]}}},
        id="add a nested object",
    ),
    pytest.param({"a": 1, "b": 2}, [{"op": "remove", "path": "/a"}], {"b": 2}, id="remove a key"),
    pytest.param([1, 2, 3], [{"op": "remove", "path": "/1"}], [1, 3], id="remove a list element"),
    pytest.param({"a": 1}, [{"op": "replace", "path": "/a", "value": 2}], {"a": 2}, id="replace a key"),
    pytest.param([1, 2], [{"op": "replace", "path": "/0", "value": 9}], [9, 2], id="replace an element"),
    pytest.param(
        {"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}], {"b": 2}, id="replace the root"
    ),
    pytest.param(
        {"a": {"b": 1}, "c": {}},
        [{"op": "move", "from": "/a/b", "path": "/c/d"}],
        {"a": {}, "c": {"d": 1}},
        id="move a key",
    ),
    pytest.param(
        [1, 2, 3, 4], [{"op": "move", "from": "/1", "path": "/3"}], [1, 3, 4, 2], id="move an element"
    ),
    pytest.param({"a": 1}, [{"op": "move", "from": "/a", "path": "/a"}], {"a": 1}, id="move onto itself"),
    pytest.param(
        {"a": [1]},
        [{"op": "copy", "from": "/a", "path": "/b"}, {"op": "add", "path": "/b/-", "value": 2}],
        {"a": [1], "b": [1, 2]},
        id="copy is a deep copy",
    ),
    pytest.param(
        {"a": {"b": [1, 2.0, {"c": True}]}},
        [{"op": "test", "path": "/a", "value": {"b": [1.0, 2, {"c": True}]}}],
        {"a": {"b": [1, 2.0, {"c": True}]}},
        id="test compares JSON values (1 equals 1.0)",
    ),
    pytest.param({"a": None}, [{"op": "test", "path": "/a", "value": None}], {"a": None}, id="test null"),
    pytest.param(
        {"a/b": 1, "m~n": 2, "": 3, " ": 4},
        [
            {"op": "replace", "path": "/a~1b", "value": 10},
            {"op": "replace", "path": "/m~0n", "value": 20},
            {"op": "replace", "path": "/", "value": 30},
            {"op": "replace", "path": "/ ", "value": 40},
        ],
        {"a/b": 10, "m~n": 20, "": 30, " ": 40},
        id="pointer escapes, the empty key and a space",
    ),
    pytest.param({"~1": 1}, [{"op": "remove", "path": "/~01"}], {}, id="~01 is the key ~1"),
    pytest.param(
        {"spec": {"taints": [{"key": "a"}, {"key": "b"}]}},
        [
            {"op": "test", "path": "/spec/taints/1/key", "value": "b"},
            {"op": "remove", "path": "/spec/taints/1"},
        ],
        {"spec": {"taints": [{"key": "a"}]}},
        id="kubectl patch --type json: test then remove",
    ),
    pytest.param({"a": 1}, [], {"a": 1}, id="no operations"),
    pytest.param(
        {"a": 1},
        [{"op": "add", "path": "/b", "value": 1, "extra": "ignored"}],
        {"a": 1, "b": 1},
        id="extra members",
    ),
]


@pytest.mark.parametrize(("original", "operations", "expected"), CASES)
def test_json_patch(original: Any, operations: list[dict[str, Any]], expected: Any) -> None:
    assert apply_json_patch(original, operations) == expected


ERRORS = [
    pytest.param({}, {"op": "add"}, 400, id="not a list"),
    pytest.param({}, ["add"], 400, id="not a list of objects"),
    pytest.param({}, [{"op": "frobnicate", "path": "/a"}], 422, id="unknown op"),
    pytest.param({}, [{"path": "/a", "value": 1}], 422, id="missing op"),
    pytest.param({}, [{"op": [], "path": "/a", "value": 1}], 422, id="op that is not a string"),
    pytest.param([1], [{"op": "add", "path": "/" + "9" * 5000, "value": 1}], 422, id="5,000-digit index"),
    pytest.param({}, [{"op": "add", "value": 1}], 422, id="missing path"),
    pytest.param({}, [{"op": "add", "path": "/a"}], 422, id="missing value"),
    pytest.param({}, [{"op": "copy", "path": "/a"}], 422, id="missing from"),
    pytest.param({}, [{"op": "add", "path": "a", "value": 1}], 422, id="path without a leading slash"),
    pytest.param({}, [{"op": "add", "path": "/a~2", "value": 1}], 422, id="bad escape"),
    pytest.param({}, [{"op": "add", "path": "/a/b", "value": 1}], 422, id="add below a missing key"),
    pytest.param({"a": 1}, [{"op": "add", "path": "/a/b", "value": 1}], 422, id="add below a scalar"),
    pytest.param([1], [{"op": "add", "path": "/2", "value": 1}], 422, id="add past the end"),
    pytest.param([1], [{"op": "add", "path": "/-1", "value": 1}], 422, id="negative index"),
    pytest.param([1, 2], [{"op": "add", "path": "/01", "value": 1}], 422, id="leading zero"),
    pytest.param([1], [{"op": "add", "path": "/x", "value": 1}], 422, id="index that is not a number"),
    pytest.param({}, [{"op": "remove", "path": "/a"}], 422, id="remove a missing key"),
    pytest.param([1], [{"op": "remove", "path": "/1"}], 422, id="remove past the end"),
    pytest.param([1], [{"op": "remove", "path": "/-"}], 422, id="remove -"),
    pytest.param({}, [{"op": "remove", "path": ""}], 422, id="remove the root"),
    pytest.param({}, [{"op": "replace", "path": "/a", "value": 1}], 422, id="replace a missing key"),
    pytest.param([], [{"op": "replace", "path": "/0", "value": 1}], 422, id="replace past the end"),
    pytest.param({"a": {}}, [{"op": "move", "from": "/a", "path": "/a/b"}], 422, id="move into own child"),
    pytest.param({}, [{"op": "move", "from": "/x", "path": "/y"}], 422, id="move from a missing key"),
    pytest.param({"a": 1}, [{"op": "test", "path": "/a", "value": 2}], 422, id="test fails"),
    pytest.param({"a": 1}, [{"op": "test", "path": "/a", "value": True}], 422, id="true is not 1"),
    pytest.param({"a": 1}, [{"op": "test", "path": "/a", "value": "1"}], 422, id="'1' is not 1"),
    pytest.param({"a": [1]}, [{"op": "test", "path": "/a", "value": [1, 2]}], 422, id="lists differ"),
    pytest.param({"a": {"b": 1}}, [{"op": "test", "path": "/a", "value": {}}], 422, id="objects differ"),
    pytest.param({}, [{"op": "test", "path": "/a", "value": None}], 422, id="test of a missing path"),
    pytest.param({}, [{"op": "add", "path": "/a", "value": 1}] * 10_001, 413, id="too many operations"),
]


@pytest.mark.parametrize(("original", "operations", "code"), ERRORS)
def test_failures_carry_upstream_status(original: Any, operations: Any, code: int) -> None:
    with pytest.raises(PatchError) as caught:
        apply_json_patch(original, operations)
    assert caught.value.code == code


def test_a_failed_operation_leaves_the_document_untouched() -> None:
    original = {"a": 1}
    with pytest.raises(PatchError, match="test failed"):
        apply_json_patch(
            original, [{"op": "add", "path": "/b", "value": 2}, {"op": "test", "path": "/a", "value": 0}]
        )
    assert original == {"a": 1}


def test_inputs_are_never_modified_and_the_result_shares_nothing() -> None:
    original = {"a": {"b": [1]}}
    operations = [
        {"op": "add", "path": "/c", "value": {"d": [1]}},
        {"op": "add", "path": "/a/b/-", "value": 2},
    ]
    before = copy.deepcopy((original, operations))
    result = apply_json_patch(original, operations)
    result["c"]["d"].append("changed")
    assert (original, operations) == before
    assert result == {"a": {"b": [1, 2]}, "c": {"d": [1, "changed"]}}
