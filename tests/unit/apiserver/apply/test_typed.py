"""Field sets, comparisons, merges and removals of real kinds' values (structured-merge-diff's
typed/toset_test.go, comparison_test.go, merge_test.go, remove_test.go and the merge/ tests on lists)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from everynode.apiserver.apply import typed
from everynode.apiserver.apply.schema import ATOMIC, MAP, SET, ObjectSchema, Shape

DEPLOYMENT = ObjectSchema.builtin("apps", "v1", "Deployment").root
POD = ObjectSchema.builtin("", "v1", "Pod").root


def load(text: str) -> Any:
    return yaml.safe_load(text)


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


APPLIED = load(
    """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  replicas: 3
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        args: [--verbose]
        ports:
        - containerPort: 80
        env:
        - {name: A, value: "1"}
"""
)


def test_applied_fields_are_upstreams_fieldsv1() -> None:
    # The Apply entry kubectl apply --server-side gets: leaves and items only; matchLabels' selector is
    # atomic (x-kubernetes-map-type on LabelSelector); args is an atomic list; a port without protocol
    # is keyed with its default TCP.
    fields = typed.to_field_set(APPLIED, DEPLOYMENT)
    assert compact(fields) == (
        '{"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:app":{}},"f:name":{}},'
        '"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},'
        '"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:args":{},'
        '"f:env":{"k:{\\"name\\":\\"A\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},'
        '"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}'
    )


def test_null_and_empty_values_are_owned() -> None:
    # toFieldSet: a field set to null or {} is owned as itself; an empty associative list is not
    fields = typed.to_field_set(
        {"metadata": {"annotations": None, "labels": {}}, "spec": {"containers": []}}, POD
    )
    assert fields == {"f:metadata": {"f:annotations": {}, "f:labels": {}}}


def test_set_lists_and_duplicates() -> None:
    fields = typed.to_field_set({"metadata": {"finalizers": ["b", "a", "b"]}}, POD)
    # v: elements in value order; a duplicated item is owned as one, not expanded
    assert list(fields["f:metadata"]["f:finalizers"]) == ['v:"a"', 'v:"b"']


def test_compare_marks_new_subtrees_with_their_own_path() -> None:
    # Added covers a new map's own path (".") and every path in it; an existing struct is only passed
    old = load("metadata: {name: x}\nspec: {replicas: 1}")
    new = load("metadata: {name: x, labels: {app: a}}\nspec: {replicas: 2}")
    result = typed.compare(old, new, DEPLOYMENT)
    assert result.added == {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
    assert result.modified == {"f:spec": {"f:replicas": {}}}
    assert result.removed == {}
    back = typed.compare(new, old, DEPLOYMENT)
    assert back.removed == result.added


def test_compare_list_items_and_atomic_values() -> None:
    old = load(
        """
spec:
  selector: {matchLabels: {app: a}}
  template:
    spec:
      containers:
      - {name: a, image: one, args: [x]}
      - {name: b, image: two}
"""
    )
    new = load(
        """
spec:
  selector: {matchLabels: {app: b}}
  template:
    spec:
      containers:
      - {name: c, image: three}
      - {name: a, image: one, args: [x, y]}
"""
    )
    result = typed.compare(old, new, DEPLOYMENT)
    containers = ("f:spec", "f:template", "f:spec", "f:containers")
    assert result.modified["f:spec"]["f:selector"] == {}  # atomic: modified as a whole
    added = result.added["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert added == {'k:{"name":"c"}': {".": {}, "f:image": {}, "f:name": {}}}
    modified = result.modified
    for element in containers:
        modified = modified[element]
    assert modified == {'k:{"name":"a"}': {"f:args": {}}}
    removed = result.removed["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert removed == {'k:{"name":"b"}': {".": {}, "f:image": {}, "f:name": {}}}


def test_compare_equal_is_empty() -> None:
    assert typed.compare(APPLIED, json.loads(json.dumps(APPLIED)), DEPLOYMENT).same()


# -- merge -------------------------------------------------------------------------------------------


def containers(obj: Any) -> Any:
    return obj["spec"]["template"]["spec"]["containers"]


def test_merge_associative_lists_by_key() -> None:
    live = load(
        """
spec:
  template:
    spec:
      containers:
      - name: nginx
        image: nginx:1.24
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 80, protocol: TCP, name: http}]
        env: [{name: A, value: "0"}, {name: B, value: "2"}]
        args: [--old, --flags]
      - name: sidecar
        image: busybox
"""
    )
    merged = typed.merge(live, APPLIED, DEPLOYMENT)
    nginx, sidecar = containers(merged)
    assert sidecar == {"name": "sidecar", "image": "busybox"}  # an item the config does not name stays
    assert nginx["image"] == "nginx:1.25"
    assert nginx["imagePullPolicy"] == "IfNotPresent"  # a field the config does not set stays
    # ports keyed by containerPort+protocol: the config's port (protocol defaulted) is the live one
    assert nginx["ports"] == [{"containerPort": 80, "protocol": "TCP", "name": "http"}]
    assert nginx["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert nginx["args"] == ["--verbose"]  # atomic: replaced
    assert merged["spec"]["selector"] == {"matchLabels": {"app": "nginx"}}


def test_merge_atomic_map_replaces_it_whole() -> None:
    live = {"spec": {"selector": {"matchLabels": {"app": "nginx", "tier": "web"}}}}
    config = {"spec": {"selector": {"matchLabels": {"app": "nginx"}}}}
    assert typed.merge(live, config, DEPLOYMENT)["spec"]["selector"] == {"matchLabels": {"app": "nginx"}}


def test_merge_granular_map_merges_keys() -> None:
    live = {"metadata": {"labels": {"app": "nginx", "tier": "web"}}}
    config = {"metadata": {"labels": {"app": "other"}}}
    assert typed.merge(live, config, DEPLOYMENT)["metadata"]["labels"] == {"app": "other", "tier": "web"}


@pytest.mark.parametrize(
    ("live", "config", "merged"),
    [
        # set_test.go: apply_twice_reorder, apply_update_apply_reorder
        (["a", "b", "c", "d"], ["a", "d", "c", "b"], ["a", "d", "c", "b"]),
        (["a", "d", "c", "b"], ["a", "b", "c", "d"], ["a", "b", "c", "d"]),
        # the shared items follow the configuration's order; the others keep their place
        (["x", "a", "y", "b"], ["b", "a"], ["x", "y", "b", "a"]),
        (["a", "b"], ["c"], ["a", "b", "c"]),
    ],
)
def test_merge_set_order(live: list[str], config: list[str], merged: list[str]) -> None:
    result = typed.merge({"metadata": {"finalizers": live}}, {"metadata": {"finalizers": config}}, POD)
    assert result["metadata"]["finalizers"] == merged


def test_merge_null_keeps_a_granular_map_and_clears_a_scalar() -> None:
    live = {"metadata": {"labels": {"a": "b"}}, "spec": {"replicas": 3}}
    merged = typed.merge(live, {"metadata": {"labels": None}, "spec": {"replicas": None}}, DEPLOYMENT)
    assert merged == {"metadata": {"labels": {"a": "b"}}, "spec": {"replicas": None}}


def test_configuration_with_duplicate_keys_is_rejected() -> None:
    config = {"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}}}
    with pytest.raises(typed.InvalidValue) as caught:
        typed.check(config, DEPLOYMENT)
    assert str(caught.value) == '.spec.template.spec.containers: duplicate entries for key [name="a"]'


def test_item_without_any_key_is_rejected() -> None:
    config = {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}
    with pytest.raises(typed.InvalidValue, match="omits all key fields"):
        typed.to_field_set(config, DEPLOYMENT)


# -- removal and named fields ------------------------------------------------------------------------


def test_remove_items() -> None:
    merged = load(
        """
metadata: {labels: {app: a, gone: x}}
spec:
  template:
    spec:
      containers:
      - {name: a, image: one}
      - {name: b, image: two}
"""
    )
    removed = typed.remove_items(
        merged,
        {
            "f:metadata": {"f:labels": {"f:gone": {}}},
            "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"b"}': {}}}}},
        },
        DEPLOYMENT,
    )
    assert removed == load(
        """
metadata: {labels: {app: a}}
spec: {template: {spec: {containers: [{name: a, image: one}]}}}
"""
    )
    # a map emptied by the removal becomes null, as upstream's walker leaves it
    assert typed.remove_items(
        {"metadata": {"labels": {"x": "1"}}}, {"f:metadata": {"f:labels": {"f:x": {}}}}, POD
    ) == {"metadata": {"labels": None}}


def test_ensure_named_fields_are_members() -> None:
    fields = {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {"f:containers": {'k:{"name":"a"}': {"f:image": {}}}},
    }
    named = typed.ensure_named_fields_are_members(fields, POD)
    assert named == {
        "f:metadata": {".": {}, "f:labels": {".": {}, "f:app": {}}},
        "f:spec": {".": {}, "f:containers": {".": {}, 'k:{"name":"a"}': {"f:image": {}}}},
    }


# -- schema ------------------------------------------------------------------------------------------


def at(shape: Shape, *names: str) -> Shape:
    """The shape of a field path (through list items where the path crosses a list)."""
    for name in names:
        if shape.list is not None:
            shape = shape.list.element
        assert shape.map is not None
        shape = shape.map.fields[name]
    return shape


def list_type(shape: Shape) -> tuple[str, tuple[str, ...]]:
    assert shape.list is not None
    return shape.list.mode, shape.list.keys


def test_list_and_map_types_of_builtin_kinds() -> None:
    assert list_type(at(POD, "spec", "containers")) == (MAP, ("name",))
    ports = at(POD, "spec", "containers", "ports")
    assert list_type(ports) == (MAP, ("containerPort", "protocol"))
    assert ports.list is not None
    assert ports.list.key_defaults == {"protocol": "TCP"}
    assert list_type(at(POD, "spec", "containers", "args")) == (ATOMIC, ())
    assert list_type(at(POD, "metadata", "finalizers")) == (SET, ())
    selector = at(DEPLOYMENT, "spec", "selector").map
    assert selector is not None
    assert selector.atomic
    labels = at(DEPLOYMENT, "metadata", "labels").map
    assert labels is not None
    assert not labels.atomic
    data = at(ObjectSchema.builtin("apps", "v1", "ControllerRevision").root, "data").map
    assert data is not None
    assert data.atomic  # RawExtension: atomic all the way down


def test_zero_objects_are_go_zero_structs() -> None:
    # What New() of the kind looks like once converted: struct fields present, pointers and slices
    # without omitempty null, required scalars at their zero
    assert ObjectSchema.builtin("apps", "v1", "Deployment").zero == {
        "metadata": {"creationTimestamp": None},
        "spec": {
            "selector": None,
            "strategy": {},
            "template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}},
        },
        "status": {},
    }
    assert ObjectSchema.builtin("apps", "v1", "DaemonSet").zero["status"] == {
        "currentNumberScheduled": 0,
        "desiredNumberScheduled": 0,
        "numberMisscheduled": 0,
        "numberReady": 0,
    }
    assert ObjectSchema.from_openapi_v3({"type": "object"}).zero == {}
