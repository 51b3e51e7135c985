"""Empty maps are dropped on write, as upstream's omitempty drops them; lists and scalars are kept."""

from __future__ import annotations

from everynode.apiserver.description.omitempty import drop_empty_maps
from tests.builders import daemonset, node


def test_empty_maps_go_wherever_they_are_and_the_rest_stays() -> None:
    ds = daemonset("agent", namespace="ns", labels={})
    ds["metadata"]["annotations"] = {}
    template = ds["spec"]["template"]
    template["metadata"]["annotations"] = {}
    template["spec"]["nodeSelector"] = {}
    template["spec"]["tolerations"] = []
    template["spec"]["containers"][0]["resources"] = {"limits": {}, "requests": {"cpu": "1"}}
    drop_empty_maps(ds, "apps", "v1", "DaemonSet")
    assert "labels" not in ds["metadata"]
    assert "annotations" not in ds["metadata"]
    assert "annotations" not in template["metadata"]
    assert template["metadata"]["labels"]  # a map with keys stays
    assert "nodeSelector" not in template["spec"]
    assert template["spec"]["tolerations"] == []  # lists are not all omitempty upstream: kept
    assert template["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "1"}}


def test_an_emptied_status_map_goes_too_and_objects_stay() -> None:
    obj = node("n1")
    obj["status"] = {"capacity": {}, "allocatable": {"cpu": "2"}, "daemonEndpoints": {}}
    drop_empty_maps(obj, "", "v1", "Node")
    assert obj["status"] == {"allocatable": {"cpu": "2"}, "daemonEndpoints": {}}  # a struct, not a map


def test_a_kind_without_a_schema_is_left_alone() -> None:
    obj = {"metadata": {"labels": {}}}
    drop_empty_maps(obj, "example.com", "v1", "Unknown")
    assert obj == {"metadata": {"labels": {}}}
