"""Unknown fields are found and removed by exact position, whatever their keys look like."""

from __future__ import annotations

import re

import pytest

from everynode.apiserver.description import schema
from everynode.apiserver.request import fieldvalidation
from everynode.core import errors
from everynode.core import resources as r


@pytest.mark.parametrize("key", ["", "a.b", "a[0]", "[1]", "..", "x]"])
def test_an_unknown_field_is_removed_whatever_its_key(key: str) -> None:
    node = {"metadata": {"name": "n"}, "spec": {key: 1, "podCIDR": "10.0.0.0/24"}, key: {"x": 1}}
    warnings = fieldvalidation.check_fields(r.NODES, node, "Warn")
    assert node == {"metadata": {"name": "n"}, "spec": {"podCIDR": "10.0.0.0/24"}}
    assert warnings == [f'unknown field "spec.{key}"', f'unknown field "{key}"']
    assert schema.unknown_fields("", "v1", "Node", node) == []


def test_unknown_fields_inside_lists_are_named_with_their_position() -> None:
    node = {"metadata": {"name": "n"}, "status": {"addresses": [{"type": "a"}, {"type": "b", "extra": 1}]}}
    assert schema.unknown_field_paths("", "v1", "Node", node) == [("status", "addresses", 1, "extra")]
    with pytest.raises(errors.BadRequest, match=r'unknown field "status.addresses\[1\].extra"'):
        fieldvalidation.check_fields(r.NODES, node, "Strict")
    fieldvalidation.check_fields(r.NODES, node, "Ignore")
    assert node["status"]["addresses"][1] == {"type": "b"}


def test_render_path_prints_as_kube_apiserver_does() -> None:
    assert schema.render_path(("spec", "containers", 0, "imagee")) == "spec.containers[0].imagee"
    assert schema.render_path(("", "x")) == ".x"


@pytest.mark.parametrize(
    ("spec", "field", "integer"),
    [
        ({"minReadySeconds": 2**31}, "spec.minReadySeconds", "int32"),
        ({"revisionHistoryLimit": -(2**31) - 1}, "spec.revisionHistoryLimit", "int32"),
        (
            {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 2**40}}},
            "spec.updateStrategy.rollingUpdate.maxUnavailable",
            "int32",  # IntOrString's integer
        ),
        (
            {"template": {"spec": {"terminationGracePeriodSeconds": 2**63}}},
            "spec.template.spec.terminationGracePeriodSeconds",
            "int64",
        ),
        (
            {"template": {"spec": {"securityContext": {"supplementalGroups": [1, 2**64 - 1]}}}},
            "spec.template.spec.securityContext.supplementalGroups[1]",
            "int64",
        ),
    ],
)
def test_an_integer_too_large_for_its_field_is_refused_in_every_mode(
    spec: dict[str, object], field: str, integer: str
) -> None:
    for mode in fieldvalidation.MODES:
        with pytest.raises(
            errors.BadRequest, match=rf"into Go struct field {re.escape(field)} of type {integer}"
        ):
            fieldvalidation.check_fields(r.DAEMONSETS, {"metadata": {"name": "d"}, "spec": spec}, mode)


@pytest.mark.parametrize(
    "spec",
    [
        {"minReadySeconds": 2**31 - 1},
        {"template": {"spec": {"terminationGracePeriodSeconds": 2**63 - 1}}},
        {"template": {"spec": {"containers": [{"name": "c", "args": ["x"] * 3}]}}},
    ],
)
def test_integers_within_their_fields_range_pass(spec: dict[str, object]) -> None:
    assert (
        fieldvalidation.check_fields(r.DAEMONSETS, {"metadata": {"name": "d"}, "spec": spec}, "Strict") == []
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"minReadySeconds": "3"},
            "cannot unmarshal string into Go struct field spec.minReadySeconds of type integer",
        ),
        ({"minReadySeconds": 1.5}, "cannot unmarshal number into Go struct field spec.minReadySeconds"),
        ({"selector": []}, "cannot unmarshal array into Go struct field spec.selector of type object"),
        ({"selector": {"matchLabels": {"a": 1}}}, "field spec.selector.matchLabels.a of type string"),
        ({"template": {"spec": {"containers": {}}}}, "field spec.template.spec.containers of type array"),
        ({"template": {"spec": {"containers": [{"name": "c", "args": [1]}]}}}, r"containers\[0\].args\[0\]"),
        ({"template": {"spec": {"hostNetwork": "true"}}}, "spec.template.spec.hostNetwork of type boolean"),
        ({"updateStrategy": {"rollingUpdate": {"maxSurge": True}}}, "of type string or integer"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_a_400_as_gos_decoder_gives(
    spec: dict[str, object], message: str
) -> None:
    for mode in fieldvalidation.MODES:
        with pytest.raises(errors.BadRequest, match=message):
            fieldvalidation.check_fields(r.DAEMONSETS, {"metadata": {"name": "d"}, "spec": spec}, mode)


def test_quantities_take_numbers_and_strings_and_open_fields_take_anything() -> None:
    node = {
        "metadata": {"name": "n", "managedFields": [{"fieldsV1": {"f:spec": {"x": [1, "a"]}}}]},
        "status": {"capacity": {"cpu": 4, "memory": "1Gi", "pods": 110.0}},
    }
    assert fieldvalidation.check_fields(r.NODES, node, "Strict") == []
