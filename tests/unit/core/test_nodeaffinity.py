"""nodeSelector and required node affinity, as the DaemonSet controller and the scheduler read them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.core.nodeaffinity import (
    node_selector_matches,
    node_selector_terms_match,
    pin_to_node,
    pinned_node_name,
    pod_matches_node_affinity,
)

NODE: dict[str, Any] = {
    "metadata": {"name": "node-1", "labels": {"zone": "a", "disk": "ssd", "cpus": "8", "odd": "x8"}}
}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    req: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        req["values"] = list(values)
    return req


def name_field(operator: str, *values: str) -> dict[str, Any]:
    return {"key": "metadata.name", "operator": operator, "values": list(values)}


def required(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
            }
        }
    }


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (None, True),
        ({}, True),
        ({"zone": "a"}, True),
        ({"zone": "a", "disk": "ssd"}, True),
        ({"zone": "b"}, False),
        ({"zone": "a", "gpu": "yes"}, False),
        ({"zone": ""}, False),
    ],
)
def test_node_selector_matches_every_pair(selector: dict[str, str] | None, expected: bool) -> None:
    assert node_selector_matches(selector, NODE["metadata"]["labels"]) is expected


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        (expr("zone", "In", "a", "b"), True),
        (expr("zone", "In", "b", "c"), False),
        (expr("missing", "In", "a"), False),
        (expr("zone", "NotIn", "b"), True),
        (expr("zone", "NotIn", "a", "b"), False),
        (expr("missing", "NotIn", "a"), True),
        (expr("zone", "Exists"), True),
        (expr("missing", "Exists"), False),
        (expr("zone", "DoesNotExist"), False),
        (expr("missing", "DoesNotExist"), True),
        (expr("cpus", "Gt", "4"), True),
        (expr("cpus", "Gt", "8"), False),  # strict
        (expr("cpus", "Gt", "16"), False),
        (expr("cpus", "Lt", "16"), True),
        (expr("cpus", "Lt", "8"), False),  # strict
        (expr("cpus", "Gt", "+3"), False),  # parses as an integer, but is not a valid label value
        (expr("cpus", "Gt", "-3"), False),  # likewise: labels.NewRequirement rejects the term
        (expr("cpus", "Gt", "0"), True),
        (expr("odd", "Gt", "1"), False),  # the label value is not an integer
        (expr("missing", "Gt", "1"), False),
        (expr("missing", "Lt", "1"), False),
    ],
)
def test_match_expressions_operators(requirement: dict[str, Any], expected: bool) -> None:
    assert node_selector_terms_match([{"matchExpressions": [requirement]}], NODE) is expected


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        (name_field("In", "node-1"), True),
        (name_field("In", "node-2"), False),
        (name_field("NotIn", "node-2"), True),
        (name_field("NotIn", "node-1"), False),
    ],
)
def test_match_fields_on_node_name(requirement: dict[str, Any], expected: bool) -> None:
    assert node_selector_terms_match([{"matchFields": [requirement]}], NODE) is expected


@pytest.mark.parametrize(
    "term",
    [
        pytest.param({"matchExpressions": [expr("zone", "Like", "a")]}, id="unknown-operator"),
        pytest.param({"matchExpressions": [expr("zone", "Exists", "a")]}, id="exists-with-values"),
        pytest.param({"matchExpressions": [expr("zone", "DoesNotExist", "a")]}, id="dne-with-values"),
        pytest.param({"matchExpressions": [expr("missing", "NotIn")]}, id="notin-without-values"),
        pytest.param({"matchExpressions": [expr("zone", "In")]}, id="in-without-values"),
        pytest.param({"matchExpressions": [expr("cpus", "Gt")]}, id="gt-without-value"),
        pytest.param({"matchExpressions": [expr("cpus", "Gt", "1", "2")]}, id="gt-two-values"),
        pytest.param({"matchExpressions": [expr("cpus", "Lt", "ten")]}, id="lt-not-integer"),
        pytest.param({"matchExpressions": [expr("cpus", "Lt", "1_0")]}, id="lt-not-go-integer"),
        pytest.param({"matchExpressions": [expr("bad key!", "DoesNotExist")]}, id="invalid-key"),
        pytest.param(
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": "a"}]}, id="values-str"
        ),
        pytest.param({"matchExpressions": [{"operator": "Exists"}]}, id="no-key"),
        pytest.param({"matchFields": [name_field("In")]}, id="field-in-without-values"),
        pytest.param({"matchFields": [name_field("In", "node-1", "node-2")]}, id="field-in-two-values"),
        pytest.param({"matchFields": [name_field("Exists")]}, id="field-exists"),
        pytest.param({"matchFields": [name_field("Gt", "1")]}, id="field-gt"),
        pytest.param(
            {"matchFields": [{"key": "metadata.namespace", "operator": "NotIn", "values": ["x"]}]},
            id="field-other-key",
        ),
        pytest.param({}, id="empty-term"),
        pytest.param({"matchExpressions": [], "matchFields": []}, id="empty-lists"),
        pytest.param({"matchExpressions": None, "matchFields": None}, id="null-lists"),
    ],
)
def test_malformed_or_empty_term_matches_nothing(term: dict[str, Any]) -> None:
    assert node_selector_terms_match([term], NODE) is False
    # ... without spoiling a valid term ORed with it.
    assert node_selector_terms_match([term, {"matchExpressions": [expr("zone", "Exists")]}], NODE) is True


def test_empty_term_list_matches_nothing() -> None:
    assert node_selector_terms_match([], NODE) is False


def test_terms_are_ored_and_requirements_anded() -> None:
    wrong_zone = {"matchExpressions": [expr("zone", "In", "b")]}
    right = {"matchExpressions": [expr("zone", "In", "a"), expr("disk", "In", "ssd")]}
    half = {"matchExpressions": [expr("zone", "In", "a"), expr("disk", "In", "hdd")]}
    with_field = {"matchExpressions": [expr("zone", "In", "a")], "matchFields": [name_field("In", "node-2")]}
    assert node_selector_terms_match([wrong_zone, right], NODE) is True
    assert node_selector_terms_match([wrong_zone, half], NODE) is False
    assert node_selector_terms_match([with_field], NODE) is False
    assert node_selector_terms_match([with_field, right], NODE) is True


def test_node_without_labels() -> None:
    bare = {"metadata": {"name": "node-1"}}
    assert node_selector_terms_match([{"matchExpressions": [expr("zone", "DoesNotExist")]}], bare) is True
    assert node_selector_terms_match([{"matchExpressions": [expr("zone", "Exists")]}], bare) is False
    assert pod_matches_node_affinity({"nodeSelector": {"zone": "a"}}, bare) is False


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, True),
        ({"nodeSelector": {"zone": "a"}}, True),
        ({"nodeSelector": {"zone": "b"}}, False),
        ({"affinity": {}}, True),
        ({"affinity": {"nodeAffinity": {}}}, True),
        ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": None}}}, True),
        ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}}, False),
        (required(), False),
        (required({"matchFields": [name_field("In", "node-1")]}), True),
        (required({"matchFields": [name_field("In", "node-2")]}), False),
        ({"nodeSelector": {"zone": "b"}, **required({"matchFields": [name_field("In", "node-1")]})}, False),
        ({"nodeSelector": {"zone": "a"}, **required({"matchExpressions": [expr("zone", "In", "b")]})}, False),
        ({"nodeSelector": {"zone": "a"}, **required({"matchExpressions": [expr("disk", "Exists")]})}, True),
        (
            {
                "affinity": {
                    "nodeAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {"weight": 1, "preference": {"matchExpressions": [expr("zone", "In", "b")]}}
                        ]
                    }
                }
            },
            True,
        ),
    ],
)
def test_pod_matches_node_affinity(spec: dict[str, Any], expected: bool) -> None:
    assert pod_matches_node_affinity(spec, NODE) is expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, None),
        ({"nodeName": ""}, None),
        ({"nodeName": "node-9"}, "node-9"),
        ({"nodeName": "node-9", **required({"matchFields": [name_field("In", "node-1")]})}, "node-9"),
        (required({"matchFields": [name_field("In", "node-1")]}), "node-1"),
        (required(), None),
        (required({"matchExpressions": [expr("zone", "In", "a")]}), None),
        (required({"matchFields": [name_field("NotIn", "node-1")]}), None),
        (
            required(
                {"matchExpressions": [expr("zone", "In", "a")]},
                {"matchFields": [name_field("NotIn", "x"), name_field("In", "node-2")]},
                {"matchFields": [name_field("In", "node-3")]},
            ),
            "node-2",
        ),
    ],
)
def test_pinned_node_name(spec: dict[str, Any], expected: str | None) -> None:
    assert pinned_node_name({"metadata": {"name": "p"}, "spec": spec}) == expected


@pytest.mark.parametrize("values", [[], ["node-1", "node-2"]])
def test_pinned_node_name_requires_a_single_name(values: list[str]) -> None:
    pod = {
        "metadata": {"namespace": "ns", "name": "p"},
        "spec": required({"matchFields": [name_field("In", *values)]}),
    }
    with pytest.raises(ValueError, match=r"not unique for pod ns/p"):
        pinned_node_name(pod)


PINNED_TERMS = [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}]
PREFERRED = [{"weight": 5, "preference": {"matchExpressions": [expr("disk", "In", "ssd")]}}]
POD_AFFINITY = {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "zone"}]}


def test_pin_to_node_without_affinity() -> None:
    assert pin_to_node(None, "node-1") == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": PINNED_TERMS}
        }
    }


def test_pin_to_node_without_node_affinity_keeps_pod_affinity() -> None:
    affinity = {"podAffinity": POD_AFFINITY, "podAntiAffinity": POD_AFFINITY}
    assert pin_to_node(affinity, "node-1") == {
        "podAffinity": POD_AFFINITY,
        "podAntiAffinity": POD_AFFINITY,
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": PINNED_TERMS}
        },
    }
    assert affinity == {"podAffinity": POD_AFFINITY, "podAntiAffinity": POD_AFFINITY}


def test_pin_to_node_without_required_keeps_preferred() -> None:
    affinity = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": PREFERRED}}
    assert pin_to_node(affinity, "node-1") == {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": PREFERRED,
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": PINNED_TERMS},
        }
    }


def test_pin_to_node_replaces_required_terms_and_does_not_mutate() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [expr("zone", "In", "a")]},
                    {"matchFields": [name_field("In", "node-7")]},
                ]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": PREFERRED,
        },
        "podAntiAffinity": POD_AFFINITY,
    }
    before = copy.deepcopy(affinity)
    pinned = pin_to_node(affinity, "node-1")
    assert pinned == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": PINNED_TERMS},
            "preferredDuringSchedulingIgnoredDuringExecution": PREFERRED,
        },
        "podAntiAffinity": POD_AFFINITY,
    }
    assert affinity == before
    # A deep copy: changing the result leaves the input alone.
    pinned["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] = 99
    pinned["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].clear()
    assert affinity == before


def test_pinned_pod_targets_and_matches_only_its_node() -> None:
    spec = {"affinity": pin_to_node({"nodeAffinity": {}}, "node-1")}
    assert pinned_node_name({"spec": spec}) == "node-1"
    assert pod_matches_node_affinity(spec, NODE) is True
    assert pod_matches_node_affinity(spec, {"metadata": {"name": "node-2", "labels": {}}}) is False
