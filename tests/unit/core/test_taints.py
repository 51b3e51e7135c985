"""Taints and tolerations: the matching rule and AddOrUpdateTolerationInPodSpec."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.core.taints import add_or_update_toleration, tolerates, untolerated

TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        # Exists with an empty key tolerates everything, whatever the effect.
        ({"operator": "Exists"}, TAINT, True),
        ({"operator": "Exists"}, {"key": "k", "effect": "NoExecute"}, True),
        ({"operator": "Exists", "effect": "NoSchedule"}, TAINT, True),
        ({"operator": "Exists", "effect": "NoExecute"}, TAINT, False),
        # Empty effect matches every effect.
        ({"key": "dedicated", "operator": "Equal", "value": "gpu"}, TAINT, True),
        ({"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": ""}, TAINT, True),
        ({"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoExecute"}, TAINT, False),
        # Equal (or no operator) needs equal values; Exists ignores the value.
        ({"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}, TAINT, True),
        ({"key": "dedicated", "operator": "", "value": "gpu"}, TAINT, True),
        ({"key": "dedicated", "operator": "Equal", "value": "cpu"}, TAINT, False),
        ({"key": "dedicated", "operator": "Equal"}, TAINT, False),
        ({"key": "dedicated", "operator": "Exists"}, TAINT, True),
        ({"key": "dedicated", "operator": "Exists", "value": "cpu"}, TAINT, True),
        ({"key": "other", "operator": "Exists"}, TAINT, False),
        ({"key": "other", "operator": "Equal", "value": "gpu"}, TAINT, False),
        # A missing value is the empty string on both sides.
        ({"key": "k", "operator": "Equal"}, {"key": "k", "effect": "NoSchedule"}, True),
        ({"key": "k", "operator": "Equal", "value": ""}, {"key": "k", "effect": "NoSchedule"}, True),
        ({"key": "k", "operator": "Equal", "value": "v"}, {"key": "k", "effect": "NoSchedule"}, False),
        # An empty key with Equal is invalid by validation; the rule itself still matches any key by value.
        ({"operator": "Equal", "value": "gpu"}, TAINT, True),
        ({"operator": "Equal", "value": "cpu"}, TAINT, False),
        # Any other operator tolerates nothing.
        ({"key": "dedicated", "operator": "In", "value": "gpu"}, TAINT, False),
        ({"key": "dedicated", "operator": "exists"}, TAINT, False),
        ({"key": "dedicated", "operator": "Gt", "value": "1"}, {"key": "dedicated", "value": "2"}, False),
        # tolerationSeconds plays no part.
        ({"key": "dedicated", "operator": "Exists", "tolerationSeconds": 0}, TAINT, True),
    ],
)
def test_tolerates(toleration: dict[str, Any], taint: dict[str, Any], expected: bool) -> None:
    assert tolerates(toleration, taint) is expected


NO_SCHEDULE = {"key": "a", "effect": "NoSchedule"}
PREFER = {"key": "b", "effect": "PreferNoSchedule"}
NO_EXECUTE = {"key": "c", "value": "1", "effect": "NoExecute"}
TAINTS = [NO_SCHEDULE, PREFER, NO_EXECUTE]


@pytest.mark.parametrize(
    ("tolerations", "expected"),
    [
        ([], [NO_SCHEDULE, NO_EXECUTE]),
        ([{"key": "a", "operator": "Exists"}], [NO_EXECUTE]),
        ([{"key": "c", "operator": "Equal", "value": "1"}], [NO_SCHEDULE]),
        ([{"key": "c", "operator": "Equal", "value": "2"}], [NO_SCHEDULE, NO_EXECUTE]),
        ([{"operator": "Exists", "effect": "NoExecute"}], [NO_SCHEDULE]),
        ([{"operator": "Exists"}], []),
        ([{"key": "a", "operator": "Exists"}, {"key": "c", "operator": "Exists"}], []),
    ],
)
def test_untolerated_ignores_prefer_no_schedule(
    tolerations: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> None:
    assert untolerated(TAINTS, tolerations) == expected


def test_untolerated_with_chosen_effects_returns_copies() -> None:
    result = untolerated(TAINTS, [], effects={"NoExecute", "PreferNoSchedule"})
    assert result == [PREFER, NO_EXECUTE]
    result[0]["key"] = "changed"
    assert PREFER["key"] == "b"
    assert untolerated([], [], ("NoSchedule",)) == []


NOT_READY = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}


def test_add_appends_when_nothing_matches() -> None:
    user = [{"key": "a", "operator": "Exists"}]
    result = add_or_update_toleration(user, NOT_READY)
    assert result == [{"key": "a", "operator": "Exists"}, NOT_READY]
    assert user == [{"key": "a", "operator": "Exists"}]
    assert add_or_update_toleration([], NOT_READY) == [NOT_READY]


def test_update_replaces_in_place_and_drops_toleration_seconds() -> None:
    user = [
        {"key": "a", "operator": "Exists"},
        {**NOT_READY, "tolerationSeconds": 300},
        {"key": "z", "operator": "Exists"},
    ]
    result = add_or_update_toleration(user, NOT_READY)
    assert result == [{"key": "a", "operator": "Exists"}, NOT_READY, {"key": "z", "operator": "Exists"}]
    assert user[1]["tolerationSeconds"] == 300


def test_identical_toleration_leaves_list_unchanged() -> None:
    user = [{"key": "a", "operator": "Exists"}, dict(NOT_READY), {**NOT_READY, "tolerationSeconds": 5}]
    result = add_or_update_toleration(user, NOT_READY)
    assert result == user
    assert result is not user


@pytest.mark.parametrize(
    ("existing", "replaced"),
    [
        # Missing fields are "" on both sides, so these are the same toleration.
        ({"key": "k", "operator": "Exists", "value": "", "effect": "NoSchedule"}, True),
        # Differences in key, operator, value or effect make a different toleration (appended).
        ({"key": "k", "operator": "Equal", "effect": "NoSchedule"}, False),
        ({"key": "k", "effect": "NoSchedule"}, False),
        ({"key": "k", "operator": "Exists"}, False),
        ({"key": "other", "operator": "Exists", "effect": "NoSchedule"}, False),
    ],
)
def test_match_uses_key_operator_value_effect(existing: dict[str, Any], replaced: bool) -> None:
    new = {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 10}
    result = add_or_update_toleration([existing], new)
    assert result == ([new] if replaced else [existing, new])


def test_empty_and_equal_operators_are_distinct_tolerations() -> None:
    existing = {"key": "k", "value": "v", "effect": "NoSchedule"}
    new = {"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}
    assert add_or_update_toleration([existing], new) == [existing, new]
