"""What validates when created validates again when updated unchanged: no stored object may be
stuck (the hostile-input fuzz test found a Node whose repeated address passed create's rules and
failed every update). Any one field of a valid object of each kind is replaced by any JSON value."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from everynode.apiserver.description.schema import field_problems
from everynode.apiserver.kinds import kind_of
from everynode.core.resources import BY_RESOURCE
from everynode.core.types import Obj

META = {"uid": "u-1", "creationTimestamp": "2026-01-01T00:00:00Z", "resourceVersion": "7"}
CONTAINER = {"name": "c", "image": "registry.example/agent:1", "ports": [{"containerPort": 80}]}
POD_SPEC = {"containers": [CONTAINER], "nodeName": "n1", "tolerations": [{"operator": "Exists"}]}
VALID: dict[str, Obj] = {
    "pods": {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": POD_SPEC,
        "status": {"phase": "Running"},
    },
    "nodes": {
        "metadata": {"name": "n1", "labels": {"zone": "a"}},
        "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}], "podCIDR": "10.0.0.0/24"},
        "status": {
            "capacity": {"cpu": "4"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    },
    "daemonsets": {
        "metadata": {"name": "d", "namespace": "default", "generation": 1},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}}, "spec": POD_SPEC | {"nodeName": ""}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
        },
        "status": {"desiredNumberScheduled": 1, "numberReady": 1},
    },
    "namespaces": {"metadata": {"name": "team-a"}, "spec": {"finalizers": ["kubernetes"]}},
    "leases": {"metadata": {"name": "n1", "namespace": "kube-node-lease"}, "spec": {"holderIdentity": "n1"}},
    "events": {
        "metadata": {"name": "e", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
        "reason": "Started",
        "type": "Normal",
        "message": "m",
    },
    "controllerrevisions": {
        "metadata": {"name": "r", "namespace": "default"},
        "revision": 1,
        "data": {"a": 1},
    },
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**31) | st.text(max_size=8) | st.just("1.2.3.4"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def positions(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(positions(child, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Obj]:
    resource = draw(st.sampled_from(sorted(VALID)))
    obj = copy.deepcopy(VALID[resource])
    where = draw(st.sampled_from(positions(obj)))
    target = obj
    for key in where[:-1]:
        target = target[key]
    value = draw(json_values)
    if draw(st.booleans()) and isinstance(target, list):
        target.append(copy.deepcopy(target[where[-1]]))  # a repeated list element
    else:
        target[where[-1]] = value
    return resource, obj


@settings(max_examples=3000, deadline=None)
@given(case=mutated())
def test_an_object_that_passes_create_passes_an_unchanged_update(case: tuple[str, Obj]) -> None:
    resource, obj = case
    info = BY_RESOURCE[resource]
    _, overflowing, mistyped = field_problems(info.group, info.version, info.kind, obj)
    if overflowing or mistyped:
        return  # refused as Go's typed decoder refuses it (400), before any rule runs
    try:
        kind_of(resource).apply_defaults(obj)
    except (TypeError, AttributeError, KeyError, ValueError):
        return  # a body of the wrong shape: refused before validation (400)
    obj["metadata"] = (
        {**obj["metadata"], **META} if isinstance(obj.get("metadata"), dict) else obj["metadata"]
    )
    try:
        created = kind_of(resource).validate_create(obj)
    except (TypeError, AttributeError, KeyError, ValueError):
        return
    if created:
        return
    assert kind_of(resource).validate_update(copy.deepcopy(obj), obj) == [], obj
    assert kind_of(resource).validate_status_update(copy.deepcopy(obj), obj) == [], obj
