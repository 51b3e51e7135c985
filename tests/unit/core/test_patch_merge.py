"""JSON merge patch (RFC 7386): the RFC's rules, case by case, plus what kubectl label sends."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.core.patch import apply_merge_patch

CASES = [
    pytest.param({"a": "b"}, {"a": "c"}, {"a": "c"}, id="replace a value"),
    pytest.param({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}, id="add a key"),
    pytest.param({"a": "b"}, {"a": None}, {}, id="null deletes"),
    pytest.param({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}, id="null deletes only its key"),
    pytest.param({"a": ["b"]}, {"a": "c"}, {"a": "c"}, id="a scalar replaces a list"),
    pytest.param({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}, id="a list replaces a scalar"),
    pytest.param(
        {"a": {"b": "c"}},
        {"a": {"b": "d", "c": None}},
        {"a": {"b": "d"}},
        id="nested objects merge; null of an absent key is a no-op",
    ),
    pytest.param({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}, id="lists are replaced, never merged"),
    pytest.param(["a", "b"], ["c", "d"], ["c", "d"], id="a list patch replaces a list document"),
    pytest.param({"a": "b"}, ["c"], ["c"], id="a list patch replaces an object document"),
    pytest.param({"a": "foo"}, None, None, id="a null patch yields null"),
    pytest.param({"a": "foo"}, "bar", "bar", id="a string patch replaces the document"),
    pytest.param({"e": None}, {"a": 1}, {"e": None, "a": 1}, id="stored nulls are left alone"),
    pytest.param([1, 2], {"a": "b", "c": None}, {"a": "b"}, id="an object patch turns a list into an object"),
    pytest.param({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}, id="nulls vanish from added objects"),
    pytest.param({}, {"a": [None, {"b": None}]}, {"a": [None, {"b": None}]}, id="lists are copied verbatim"),
    pytest.param(
        {"metadata": {"labels": {"app": "x"}}},
        {"metadata": {"labels": {"env": "prod"}}},
        {"metadata": {"labels": {"app": "x", "env": "prod"}}},
        id="kubectl label",
    ),
    pytest.param(
        {"metadata": {"labels": {"app": "x", "env": "prod"}}},
        {"metadata": {"labels": {"env": None}}},
        {"metadata": {"labels": {"app": "x"}}},
        id="kubectl label env-",
    ),
]


@pytest.mark.parametrize(("original", "patch", "expected"), CASES)
def test_merge_patch(original: Any, patch: Any, expected: Any) -> None:
    assert apply_merge_patch(original, patch) == expected


def test_inputs_are_never_modified_and_the_result_shares_nothing() -> None:
    original = {"a": {"b": [1, {"c": 2}]}, "keep": {"x": 1}}
    patch = {"a": {"d": {"e": [3]}}, "f": [{"g": 1}]}
    before = copy.deepcopy((original, patch))
    result = apply_merge_patch(original, patch)
    result["a"]["b"][1]["c"] = "changed"
    result["keep"]["x"] = "changed"
    result["a"]["d"]["e"].append(4)
    result["f"][0]["g"] = "changed"
    assert (original, patch) == before
