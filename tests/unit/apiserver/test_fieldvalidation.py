"""Unknown fields are found and removed by exact position, whatever their keys look like."""

from __future__ import annotations

import pytest

from everynode.apiserver import fieldvalidation, schema
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
