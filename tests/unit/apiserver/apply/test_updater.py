"""structured-merge-diff's merge.Updater on its own test schema (merge/nested_test.go's nestedTypeParser,
written here as an OpenAPI v3 schema): the cases of multiple_appliers_test.go (TestMultipleAppliersNestedType)
and nested_test.go (TestUpdateNestedType, struct_*) where pruning and shared ownership meet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from everynode.apiserver.apply import fieldset, updater
from everynode.apiserver.apply.fieldpath import field, key, value
from everynode.apiserver.apply.schema import ObjectSchema

ROOT = ObjectSchema.from_openapi_v3(
    {
        "type": "object",
        "properties": {
            "listOfLists": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "value": {
                            "type": "array",
                            "x-kubernetes-list-type": "set",
                            "items": {"type": "string"},
                        },
                    },
                },
            },
            "struct": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "value": {"type": "number"}},
            },
        },
    }
).root


def item(name: str, *rest: str) -> tuple[str, ...]:
    """``listOfLists[name=…]`` and what follows (``"value", "d"`` is the set item ``d`` of its value)."""
    path = [field("listOfLists"), key({"name": name})]
    if rest == ("name",):
        path.append(field("name"))
    elif rest:
        path += [field("value"), value(rest[1])]
    return tuple(path)


Op = tuple[str, str, str]  # (Apply|Update, manager, YAML object)


def run(ops: list[Op]) -> tuple[dict[str, Any], updater.Managers]:
    """Replay ``ops`` as upstream's merge test fixture does (``internal/fixture/state.go``)."""
    live: dict[str, Any] = {}
    managers: updater.Managers = {}
    for op, manager, text in ops:
        obj = yaml.safe_load(text) or {}
        if op == "Apply":
            merged, managers = updater.apply(
                live, obj, managers, manager, version="v1", force=False, shape=ROOT
            )
            live = live if merged is None else merged
        else:
            managers = updater.update(live, obj, managers, manager, version="v1", shape=ROOT)
            live = obj
    return live, managers


def owned(managers: updater.Managers) -> dict[Any, fieldset.FieldSet]:
    return {manager: versioned.fields for manager, versioned in managers.items()}


APPLY_ONE_AB = ("Apply", "apply-one", "listOfLists: [{name: a}, {name: b, value: [c]}]")
APPLY_ONE_A = ("Apply", "apply-one", "listOfLists: [{name: a}]")
A_ONLY = fieldset.from_paths(item("a"), item("a", "name"))


CASES: dict[str, tuple[list[Op], Any, dict[str, fieldset.FieldSet]]] = {
    "remove_one_keep_one_with_two_sub_items": (
        [APPLY_ONE_AB, ("Apply", "apply-two", "listOfLists: [{name: b, value: [d]}]"), APPLY_ONE_A],
        {"listOfLists": [{"name": "a"}, {"name": "b", "value": ["d"]}]},
        {
            "apply-one": A_ONLY,
            "apply-two": fieldset.from_paths(item("b"), item("b", "name"), item("b", "value", "d")),
        },
    ),
    "remove_one_keep_one_with_dangling_subitem": (
        [
            APPLY_ONE_AB,
            ("Apply", "apply-two", "listOfLists: [{name: b, value: [d]}]"),
            ("Update", "controller", "listOfLists: [{name: a}, {name: b, value: [c, d, e]}]"),
            APPLY_ONE_A,
        ],
        {"listOfLists": [{"name": "a"}, {"name": "b", "value": ["d", "e"]}]},
        {
            "apply-one": A_ONLY,
            "apply-two": fieldset.from_paths(item("b"), item("b", "name"), item("b", "value", "d")),
            "controller": fieldset.from_paths(item("b", "value", "e")),
        },
    ),
    "remove_one_with_dangling_subitem_keep_one": (
        [
            APPLY_ONE_AB,
            ("Apply", "apply-two", "listOfLists: [{name: a, value: [b]}]"),
            ("Update", "controller", "listOfLists: [{name: a, value: [b]}, {name: b, value: [c, d]}]"),
            APPLY_ONE_A,
        ],
        {"listOfLists": [{"name": "a", "value": ["b"]}]},
        {
            "apply-one": A_ONLY,
            "apply-two": fieldset.from_paths(item("a"), item("a", "name"), item("a", "value", "b")),
        },
    ),
    "remove_one_keep_one_with_sub_item": (
        [APPLY_ONE_AB, ("Apply", "apply-two", "listOfLists: [{name: b, value: [d]}]"), APPLY_ONE_A],
        {"listOfLists": [{"name": "a"}, {"name": "b", "value": ["d"]}]},
        {
            "apply-one": A_ONLY,
            "apply-two": fieldset.from_paths(item("b"), item("b", "name"), item("b", "value", "d")),
        },
    ),
    "struct_apply_remove_all": (
        [("Apply", "default", "struct: {name: a, value: 1}"), ("Apply", "default", "{}")],
        {},
        {},
    ),
    "struct_apply_remove_dangling": (
        [("Apply", "default", "struct: {name: a}"), ("Apply", "default", "struct:")],
        {"struct": None},
        {"default": fieldset.from_paths((field("struct"),))},
    ),
    "struct_apply_update_dict_dangling": (
        [
            ("Apply", "default", "struct: {name: a}"),
            ("Update", "controller", "struct: {name: a, value: 1}"),
            ("Apply", "default", "struct: {}"),
        ],
        {"struct": {"value": 1}},
        {
            "default": fieldset.from_paths((field("struct"),)),
            "controller": fieldset.from_paths((field("struct"), field("value"))),
        },
    ),
    "struct_apply_update_dict_null": (
        [
            ("Apply", "default", "struct: {name: a}"),
            ("Update", "controller", "struct: {name: a, value: 1}"),
            ("Apply", "default", "struct:"),
        ],
        {"struct": {"value": 1}},
        {
            "default": fieldset.from_paths((field("struct"),)),
            "controller": fieldset.from_paths((field("struct"), field("value"))),
        },
    ),
    "struct_apply_update_took_over": (
        [
            ("Apply", "default", "struct: {name: a}"),
            ("Update", "controller", "struct: {name: b, value: 1}"),
            ("Apply", "default", "struct:"),
        ],
        {"struct": {"name": "b", "value": 1}},
        {
            "default": fieldset.from_paths((field("struct"),)),
            "controller": fieldset.from_paths(
                (field("struct"), field("name")), (field("struct"), field("value"))
            ),
        },
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_upstream_case(name: str) -> None:
    ops, expected_object, expected_owners = CASES[name]
    live, managers = run(ops)
    assert live == expected_object
    assert owned(managers) == expected_owners


def test_conflicts_list_every_path_of_every_manager() -> None:
    # multiple_appliers_test.go change_value_yes_conflict, across two managers
    ops: list[Op] = [
        ("Apply", "apply-one", "struct: {name: a}"),
        ("Update", "controller", "struct: {name: a, value: 1}"),
    ]
    live, managers = run(ops)
    with pytest.raises(updater.Conflicts) as caught:
        updater.apply(
            live,
            {"struct": {"name": "z", "value": 2}},
            managers,
            "apply-two",
            version="v1",
            force=False,
            shape=ROOT,
        )
    assert sorted(caught.value.conflicts) == [
        ("apply-one", (field("struct"), field("name"))),
        ("controller", (field("struct"), field("value"))),
    ]


@pytest.mark.parametrize(
    "step",
    [
        lambda live, managers: updater.update(live, live, managers, "x", version="v1", shape=ROOT),
        lambda live, managers: updater.apply(
            live, live, managers, "x", version="v1", force=False, shape=ROOT
        )[1],
    ],
)
def test_nothing_changes_when_nothing_changes(
    step: Callable[[dict[str, Any], updater.Managers], updater.Managers],
) -> None:
    live, managers = run([APPLY_ONE_AB])
    after = step(live, managers)
    assert after["apply-one"] is managers["apply-one"]  # untouched entries are the same objects
