"""Upstream's OpenAPI definitions: roots, patch metadata, unknown fields, and the SMP bodies kubectl sends."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.description import schema
from everynode.core.patch import apply_strategic_merge_patch
from everynode.core.patch.strategic import PatchSchema
from tests import builders

IN_SCOPE = [
    ("", "v1", "Namespace", "io.k8s.api.core.v1.Namespace"),
    ("", "v1", "Node", "io.k8s.api.core.v1.Node"),
    ("", "v1", "Pod", "io.k8s.api.core.v1.Pod"),
    ("", "v1", "Event", "io.k8s.api.core.v1.Event"),
    ("", "v1", "Binding", "io.k8s.api.core.v1.Binding"),
    ("apps", "v1", "DaemonSet", "io.k8s.api.apps.v1.DaemonSet"),
    ("apps", "v1", "ControllerRevision", "io.k8s.api.apps.v1.ControllerRevision"),
    ("coordination.k8s.io", "v1", "Lease", "io.k8s.api.coordination.v1.Lease"),
    ("policy", "v1", "Eviction", "io.k8s.api.policy.v1.Eviction"),
    ("", "v1", "DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
    ("meta.k8s.io", "v1", "DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
    ("events.k8s.io", "v1", "Event", "io.k8s.api.events.v1.Event"),
]


def test_definitions_are_loaded_once() -> None:
    assert schema.definitions() is schema.definitions()
    assert "io.k8s.api.apps.v1.DaemonSet" in schema.definitions()


@pytest.mark.parametrize(("group", "version", "kind", "name"), IN_SCOPE)
def test_root_definition(group: str, version: str, kind: str, name: str) -> None:
    assert schema.root_definition(group, version, kind) == name


@pytest.mark.parametrize(
    ("group", "version", "kind"), [("apps", "v1", "Nope"), ("", "v2", "Pod"), ("apps", "v1", "Pod")]
)
def test_unknown_kinds_have_no_definition(group: str, version: str, kind: str) -> None:
    assert schema.root_definition(group, version, kind) is None
    assert schema.patch_schema(group, version, kind) is None
    assert schema.unknown_fields(group, version, kind, {"anything": 1}) == []


def at(node: PatchSchema | None, path: str) -> PatchSchema | None:
    """Walk a dotted path; ``[]`` steps into list elements."""
    for step in path.split("."):
        assert node is not None, path
        if step.endswith("[]"):
            node = node.field(step[:-2])
            assert node is not None, path
            node = node.items()
        else:
            node = node.field(step)
    return node


PATCH_METADATA = [
    ("apps", "DaemonSet", "spec.template.spec.containers", "merge", "name"),
    ("apps", "DaemonSet", "spec.template.spec.initContainers", "merge", "name"),
    ("apps", "DaemonSet", "spec.template.spec.containers[].env", "merge", "name"),
    ("apps", "DaemonSet", "spec.template.spec.containers[].ports", "merge", "containerPort"),
    ("apps", "DaemonSet", "spec.template.spec.containers[].volumeMounts", "merge", "mountPath"),
    ("apps", "DaemonSet", "spec.template.spec.volumes", "merge,retainKeys", "name"),
    ("apps", "DaemonSet", "spec.template.spec.imagePullSecrets", "merge", "name"),
    ("apps", "DaemonSet", "spec.template.spec.tolerations", "", None),
    ("apps", "DaemonSet", "spec.template.spec.containers[].args", "", None),
    ("apps", "DaemonSet", "spec.selector.matchExpressions", "", None),
    ("apps", "DaemonSet", "metadata.ownerReferences", "merge", "uid"),
    ("apps", "DaemonSet", "metadata.finalizers", "merge", None),
    ("apps", "DaemonSet", "status.conditions", "merge", "type"),
    ("", "Pod", "status.conditions", "merge", "type"),
    ("", "Pod", "spec.containers", "merge", "name"),
    ("", "Node", "status.addresses", "merge", "type"),
    ("", "Node", "status.conditions", "merge", "type"),
    ("", "Node", "spec.taints", "", None),
]


@pytest.mark.parametrize(("group", "kind", "path", "strategy", "merge_key"), PATCH_METADATA)
def test_patch_metadata(group: str, kind: str, path: str, strategy: str, merge_key: str | None) -> None:
    node = at(schema.patch_schema(group, "v1", kind), path)
    assert node is not None
    assert (node.patch_strategy, node.merge_key) == (strategy, merge_key)


@pytest.mark.parametrize(
    "path",
    [
        "metadata.labels.anything",  # map[string]string: any key has the value schema
        "spec.template.spec.containers[].resources.limits.cpu",  # map of Quantity (a oneOf)
        "spec.updateStrategy.rollingUpdate.maxUnavailable",  # IntOrString
        "spec.template.spec.containers[].image",
    ],
)
def test_scalar_positions_have_no_children(path: str) -> None:
    node = at(schema.patch_schema("apps", "v1", "DaemonSet"), path)
    assert node is not None
    assert node.field("x") is None
    assert node.items() is None


def test_open_objects_have_no_schema_below_them() -> None:
    revision = schema.patch_schema("apps", "v1", "ControllerRevision")
    assert at(revision, "data") is not None
    assert at(revision, "data.spec") is None


def test_lookups_are_memoised() -> None:
    root = schema.patch_schema("apps", "v1", "DaemonSet")
    assert root is schema.patch_schema("apps", "v1", "DaemonSet")
    assert at(root, "spec.template.spec.containers") is at(root, "spec.template.spec.containers")


def daemonset() -> dict[str, Any]:
    main = builders.container(
        "c",
        image="nginx:1.25",
        env=[{"name": "A", "value": "1"}],
        ports=[{"containerPort": 80, "protocol": "TCP"}],
        resources={"limits": {"cpu": "100m", "example.com/gpu": 1}},
        volumeMounts=[{"name": "data", "mountPath": "/data"}],
    )
    return builders.daemonset(
        "web",
        namespace="default",
        labels={"app": "web", "any/key": "v"},
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}\n"},
        metadata={
            "finalizers": ["a/b"],
            "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {"f:x": {}}}}],
        },
        containers=[main],
        pod_spec={
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "a", "operator": "Exists"}],
            "nodeSelector": {"kubernetes.io/os": "linux"},
        },
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
        status={"currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberMisscheduled": 0},
    )


def with_changes(obj: dict[str, Any], *changes: tuple[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` with ``("a.b[0].c", value)`` set (a new key is added)."""
    result = copy.deepcopy(obj)
    for path, value in changes:
        node: Any = result
        steps = path.replace("[", ".[").split(".")
        for step in steps[:-1]:
            node = node[int(step[1:-1])] if step.startswith("[") else node[step]
        node[steps[-1]] = value
    return result


UNKNOWN = [
    pytest.param("DaemonSet", daemonset(), [], id="a clean DaemonSet"),
    pytest.param(
        "DaemonSet",
        with_changes(daemonset(), ("spec.template.spec.containers[0].imagee", "x")),
        ["spec.template.spec.containers[0].imagee"],
        id="a typo in a container",
    ),
    pytest.param(
        "DaemonSet",
        with_changes(
            daemonset(), ("bogus", 1), ("metadata.nam", "x"), ("spec.template.spec.tolerations[0].k", 1)
        ),
        ["metadata.nam", "spec.template.spec.tolerations[0].k", "bogus"],
        id="unknown fields in document order",
    ),
    pytest.param(
        "DaemonSet",
        with_changes(
            daemonset(), ("spec.template.spec.containers[0].env[0].valueFrom", {"fieldRef": {"x": 1}})
        ),
        ["spec.template.spec.containers[0].env[0].valueFrom.fieldRef.x"],
        id="deep inside nested objects",
    ),
    pytest.param(
        "DaemonSet",
        with_changes(daemonset(), ("spec.updateStrategy.rollingUpdate.maxUnavailable", {"odd": 1})),
        [],
        id="a wrong type is not an unknown field",
    ),
    pytest.param(
        "DaemonSet", with_changes(daemonset(), ("status.extra", None)), ["status.extra"], id="null value"
    ),
    pytest.param(
        "ControllerRevision",
        {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1, "data": {"spec": {"any": 1}}},
        [],
        id="RawExtension data is open",
    ),
    pytest.param(
        "DeleteOptions", {"apiVersion": "v1", "kind": "DeleteOptions", "metadata": {}}, [], id="kind metadata"
    ),
    pytest.param(
        "Eviction",
        {"metadata": {"name": "p"}, "deleteOptions": {"gracePeriodSeconds": 0, "grace": 1}},
        ["deleteOptions.grace"],
        id="Eviction",
    ),
    pytest.param(
        "Node",
        {
            "spec": {"taints": [{"key": "k", "effect": "NoSchedule", "tolerance": 1}]},
            "status": {"capacity": {"x": "1"}},
        },
        ["spec.taints[0].tolerance"],
        id="Node",
    ),
    pytest.param(
        "Lease",
        {"spec": {"holderIdentity": "a", "renewTime": "2026-01-01T00:00:00.000000Z", "ttl": 1}},
        ["spec.ttl"],
        id="Lease",
    ),
    pytest.param(
        "Binding", {"target": {"kind": "Node", "name": "n1", "node": 1}}, ["target.node"], id="Binding"
    ),
]


@pytest.mark.parametrize(("kind", "obj", "expected"), UNKNOWN)
def test_unknown_fields(kind: str, obj: dict[str, Any], expected: list[str]) -> None:
    group = {"DaemonSet": "apps", "ControllerRevision": "apps", "Lease": "coordination.k8s.io"}.get(kind, "")
    group = "policy" if kind == "Eviction" else group
    assert schema.unknown_fields(group, "v1", kind, obj) == expected


def ds_patch(patch: dict[str, Any], original: dict[str, Any] | None = None) -> dict[str, Any]:
    root = schema.patch_schema("apps", "v1", "DaemonSet")
    return apply_strategic_merge_patch(original or daemonset(), patch, root)


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def test_kubectl_apply_image_and_env_change() -> None:
    result = ds_patch(
        {
            "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"new":1}\n'}},
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "c"}],
                        "containers": [
                            {
                                "$setElementOrder/env": [{"name": "A"}],
                                "env": [{"name": "A", "value": "2"}],
                                "image": "nginx:1.26",
                                "name": "c",
                            }
                        ],
                    }
                }
            },
        }
    )
    container = pod_spec(result)["containers"][0]
    assert container["image"] == "nginx:1.26"
    assert container["env"] == [{"name": "A", "value": "2"}]
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert result["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/last-applied-configuration": '{"new":1}\n'
    }
    assert schema.unknown_fields("apps", "v1", "DaemonSet", result) == []


def test_kubectl_apply_volume_type_change_env_removed_sidecar_added() -> None:
    result = ds_patch(
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "c"}, {"name": "sidecar"}],
                        "$setElementOrder/volumes": [{"name": "data"}],
                        "containers": [{"env": None, "name": "c"}, {"image": "busybox", "name": "sidecar"}],
                        "tolerations": [{"operator": "Exists"}],
                        "volumes": [
                            {
                                "$retainKeys": ["hostPath", "name"],
                                "emptyDir": None,
                                "hostPath": {"path": "/var/data"},
                                "name": "data",
                            }
                        ],
                    }
                }
            }
        }
    )
    spec = pod_spec(result)
    assert [c["name"] for c in spec["containers"]] == ["c", "sidecar"]
    assert "env" not in spec["containers"][0]
    assert spec["containers"][1] == {"image": "busybox", "name": "sidecar"}
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["volumes"] == [{"name": "data", "hostPath": {"path": "/var/data"}}]


def test_kubectl_apply_container_removed() -> None:
    two = with_changes(daemonset(), ("spec.template.spec.containers", [{"name": "c"}, {"name": "sidecar"}]))
    result = ds_patch(
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "c"}],
                        "containers": [{"$patch": "delete", "name": "sidecar"}],
                    }
                }
            }
        },
        two,
    )
    assert pod_spec(result)["containers"] == [{"name": "c"}]


def test_kubectl_set_image() -> None:
    result = ds_patch(
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "c"}],
                        "containers": [{"image": "busybox:1.37", "name": "c"}],
                    }
                }
            }
        }
    )
    expected = with_changes(daemonset(), ("spec.template.spec.containers[0].image", "busybox:1.37"))
    assert result == expected


def test_kubectl_rollout_undo_replaces_the_template() -> None:
    template = {
        "metadata": {"labels": {"app": "web"}, "creationTimestamp": None},
        "spec": {"containers": [{"name": "old", "image": "nginx:1.24"}], "restartPolicy": "Always"},
    }
    result = ds_patch({"spec": {"template": {"$patch": "replace", **template}}})
    assert result["spec"]["template"] == {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "old", "image": "nginx:1.24"}], "restartPolicy": "Always"},
    }
    assert result["spec"]["updateStrategy"] == daemonset()["spec"]["updateStrategy"]


def test_kubectl_rollout_restart_adds_an_annotation() -> None:
    stamp = {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}
    result = ds_patch({"spec": {"template": {"metadata": {"annotations": stamp}}}})
    assert result["spec"]["template"]["metadata"] == {"labels": {"app": "web"}, "annotations": stamp}


NODE: dict[str, Any] = {
    "metadata": {"name": "n1"},
    "spec": {"taints": [{"key": "old", "effect": "NoExecute"}], "podCIDR": "10.0.0.0/24"},
}

CORDONED = {**NODE, "spec": {**NODE["spec"], "unschedulable": True}}

NODE_PATCHES = [
    pytest.param(
        NODE,
        {"spec": {"taints": [{"effect": "NoSchedule", "key": "dedicated", "value": "ds"}]}},
        {"taints": [{"effect": "NoSchedule", "key": "dedicated", "value": "ds"}], "podCIDR": "10.0.0.0/24"},
        id="kubectl taint replaces the whole list",
    ),
    pytest.param(
        NODE, {"spec": {"taints": None}}, {"podCIDR": "10.0.0.0/24"}, id="kubectl taint removing the last"
    ),
    pytest.param(NODE, {"spec": {"unschedulable": True}}, CORDONED["spec"], id="kubectl cordon"),
    pytest.param(CORDONED, {"spec": {"unschedulable": None}}, NODE["spec"], id="kubectl uncordon"),
]


@pytest.mark.parametrize(("original", "patch", "spec"), NODE_PATCHES)
def test_kubectl_node_patches(original: dict[str, Any], patch: dict[str, Any], spec: dict[str, Any]) -> None:
    result = apply_strategic_merge_patch(original, patch, schema.patch_schema("", "v1", "Node"))
    assert result["spec"] == spec
