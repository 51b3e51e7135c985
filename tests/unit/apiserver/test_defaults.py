"""Defaulting (reference §1.1 and §1.3): what ``kubectl get -o yaml`` shows after a create."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.defaults import image_pull_policy, qos_class
from everynode.apiserver.kinds import kind_of
from everynode.core.types import Obj
from tests import builders

DIGEST = "sha256:" + "ab" * 32


def defaulted(resource: str, obj: Obj) -> Obj:
    kind_of(resource).apply_defaults(obj)
    return obj


def daemonset(**spec: Any) -> Obj:
    shipper = builders.container("shipper", image="shipper:3")
    body = builders.daemonset(
        "log-shipper", namespace="ops", match_labels={"app": "shipper"}, containers=[shipper], **spec
    )
    return defaulted("daemonsets", body)


# -- DaemonSet ------------------------------------------------------------------------------------


def test_daemonset_strategy_and_history_defaults() -> None:
    spec = daemonset()["spec"]
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert spec["revisionHistoryLimit"] == 10


def test_daemonset_labels_are_not_copied_from_the_template() -> None:
    assert "labels" not in daemonset()["metadata"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"type": "OnDelete"}, {"type": "OnDelete"}),
        (
            {"type": "OnDelete", "rollingUpdate": {"maxSurge": 5}},
            {"type": "OnDelete", "rollingUpdate": {"maxSurge": 5}},
        ),
        (
            {"rollingUpdate": {"maxUnavailable": "30%"}},
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "30%", "maxSurge": 0}},
        ),
        (
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        ),
    ],
)
def test_daemonset_strategy_keeps_what_is_given(given: Obj, expected: Obj) -> None:
    assert daemonset(updateStrategy=given)["spec"]["updateStrategy"] == expected


def test_zero_revision_history_is_kept() -> None:
    assert daemonset(revisionHistoryLimit=0)["spec"]["revisionHistoryLimit"] == 0


def test_pod_template_defaults() -> None:
    template = daemonset()["spec"]["template"]
    assert template["metadata"] == {"labels": {"app": "shipper"}}
    assert template["spec"] == {
        "containers": [
            {
                "name": "shipper",
                "image": "shipper:3",
                "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
    }


def test_a_template_gets_no_pod_only_defaults() -> None:
    spec = daemonset()["spec"]["template"]["spec"]
    for pod_only in ("enableServiceLinks", "priority", "preemptionPolicy", "tolerations"):
        assert pod_only not in spec


def test_host_ports_are_not_defaulted_in_templates() -> None:
    ds = daemonset()
    ds["spec"]["template"]["spec"]["hostNetwork"] = True
    ds["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 9100}]
    kind_of("daemonsets").apply_defaults(ds)
    assert ds["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 9100, "protocol": "TCP"}
    ]


def test_defaulting_is_idempotent() -> None:
    ds = daemonset()
    again = copy.deepcopy(ds)
    kind_of("daemonsets").apply_defaults(again)
    assert again == ds


def test_a_daemonset_without_template_still_gets_pod_spec_defaults() -> None:
    body = defaulted("daemonsets", {"metadata": {"name": "x"}, "spec": {}})
    assert body["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


# -- containers and volumes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("library/nginx", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        (f"nginx@{DIGEST}", "IfNotPresent"),
        (f"nginx:latest@{DIGEST}", "Always"),
        ("localhost:5000/team/agent", "Always"),
        ("localhost:5000/team/agent:v2", "IfNotPresent"),
        ("registry.example.com:443/agent:latest", "Always"),
        ("Not/A/Valid/Image", "IfNotPresent"),
        ("", "IfNotPresent"),
    ],
)
def test_image_pull_policy(image: str, policy: str) -> None:
    assert image_pull_policy(image) == policy


def pod_spec_after_defaults(**spec: Any) -> Obj:
    return defaulted("pods", builders.pod("p", namespace="ops", **spec))["spec"]


def test_an_explicit_pull_policy_is_kept() -> None:
    spec = pod_spec_after_defaults(containers=[{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}])
    assert spec["containers"][0]["imagePullPolicy"] == "Never"


def test_probe_and_handler_defaults() -> None:
    ctr = {
        "name": "c",
        "image": "app:1",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "livenessProbe": {"httpGet": {"port": "http"}},
        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 3},
        "lifecycle": {"preStop": {"httpGet": {"port": 8080, "path": "/drain"}}},
        "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
    }
    (out,) = pod_spec_after_defaults(containers=[ctr])["containers"]
    assert out["ports"] == [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]
    assert out["livenessProbe"] == {
        "httpGet": {"port": "http", "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert out["readinessProbe"]["periodSeconds"] == 3
    assert out["lifecycle"]["preStop"]["httpGet"] == {"port": 8080, "path": "/drain", "scheme": "HTTP"}
    assert out["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "spec.nodeName", "apiVersion": "v1"}


def test_volume_defaults() -> None:
    volumes = [
        {"name": "scratch"},
        {"name": "tls", "secret": {"secretName": "tls"}},
        {"name": "conf", "configMap": {"name": "conf", "defaultMode": 0o600}},
        {"name": "logs", "hostPath": {"path": "/var/log"}},
        {
            "name": "info",
            "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]},
        },
        {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
    ]
    out = pod_spec_after_defaults(containers=[{"name": "c", "image": "x:1"}], volumes=volumes)["volumes"]
    assert out == [
        {"name": "scratch", "emptyDir": {}},
        {"name": "tls", "secret": {"secretName": "tls", "defaultMode": 420}},
        {"name": "conf", "configMap": {"name": "conf", "defaultMode": 0o600}},
        {"name": "logs", "hostPath": {"path": "/var/log", "type": ""}},
        {
            "name": "info",
            "downwardAPI": {
                "items": [
                    {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels", "apiVersion": "v1"}}
                ],
                "defaultMode": 420,
            },
        },
        {
            "name": "token",
            "projected": {
                "sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}],
                "defaultMode": 420,
            },
        },
    ]


def test_resource_quantities_are_canonical() -> None:
    ctr = {
        "name": "c",
        "image": "x:1",
        "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"}, "requests": {"cpu": 0.1}},
    }
    (out,) = pod_spec_after_defaults(containers=[ctr])["containers"]
    assert out["resources"] == {
        "limits": {"cpu": "500m", "memory": "1Gi"},
        "requests": {"cpu": "100m", "memory": "1Gi"},
    }


# -- Pod-only defaults ----------------------------------------------------------------------------


def test_pod_only_defaults() -> None:
    pod = defaulted(
        "pods", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}}
    )
    spec = pod["spec"]
    assert spec["enableServiceLinks"] is True
    assert "priority" not in spec  # admission's (it reads the PriorityClasses): test_admission.py
    assert spec["tolerations"] == [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert "serviceAccountName" not in spec
    assert "volumes" not in spec


def test_daemon_pods_already_tolerate_not_ready_and_unreachable() -> None:
    tolerations = [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    ]
    spec = pod_spec_after_defaults(
        containers=[{"name": "c", "image": "x:1"}], tolerations=copy.deepcopy(tolerations)
    )
    assert spec["tolerations"] == tolerations


def test_a_toleration_of_everything_needs_no_default_seconds() -> None:
    spec = pod_spec_after_defaults(
        containers=[{"name": "c", "image": "x:1"}], tolerations=[{"operator": "Exists"}]
    )
    assert spec["tolerations"] == [{"operator": "Exists"}]


def test_requests_default_to_limits_in_pods() -> None:
    ctr = {
        "name": "c",
        "image": "x:1",
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m"}},
    }
    (out,) = pod_spec_after_defaults(containers=[ctr], initContainers=[copy.deepcopy(ctr) | {"name": "i"}])[
        "containers"
    ]
    assert out["resources"]["requests"] == {"cpu": "100m", "memory": "1Gi"}


def test_host_network_pods_get_host_ports() -> None:
    ctr = {
        "name": "c",
        "image": "x:1",
        "ports": [{"containerPort": 9100}, {"containerPort": 53, "hostPort": 53}],
    }
    (out,) = pod_spec_after_defaults(containers=[ctr], hostNetwork=True)["containers"]
    assert [p["hostPort"] for p in out["ports"]] == [9100, 53]


def resources(requests: Obj | None = None, limits: Obj | None = None) -> Obj:
    return {k: v for k, v in (("requests", requests), ("limits", limits)) if v is not None}


@pytest.mark.parametrize(
    ("containers", "init", "expected"),
    [
        ([{}], [], "BestEffort"),
        ([resources(requests={"cpu": "0"})], [], "BestEffort"),
        ([resources(requests={"example.com/gpu": "1"}, limits={"example.com/gpu": "1"})], [], "BestEffort"),
        ([resources(requests={"cpu": "100m"})], [], "Burstable"),
        ([resources(limits={"cpu": "1", "memory": "1Gi"})], [], "Guaranteed"),
        (
            [resources(requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1Gi"})],
            [],
            "Guaranteed",
        ),
        (
            [resources(requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1Gi"})],
            [],
            "Burstable",
        ),
        ([resources(limits={"cpu": "1"})], [], "Burstable"),
        ([resources(limits={"cpu": "1", "memory": "1Gi"}), {}], [], "Burstable"),
        ([resources(limits={"cpu": "1", "memory": "1Gi"})], [resources(requests={"cpu": "1"})], "Burstable"),
    ],
)
def test_qos_class(containers: list[Obj], init: list[Obj], expected: str) -> None:
    def wrap(items: list[Obj], prefix: str) -> list[Obj]:
        return [
            {"name": f"{prefix}{i}", "image": "x:1", "resources": copy.deepcopy(r)}
            for i, r in enumerate(items)
        ]

    pod = defaulted(
        "pods",
        {
            "metadata": {"name": "p"},
            "spec": {"containers": wrap(containers, "c"), "initContainers": wrap(init, "i")},
        },
    )
    assert pod["status"]["qosClass"] == expected
    assert qos_class(pod["spec"]) == expected


def test_an_existing_status_keeps_its_qos_class() -> None:
    pod = {
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "x:1"}]},
        "status": {"phase": "Running", "qosClass": "Burstable"},
    }
    assert defaulted("pods", pod)["status"] == {"phase": "Running", "qosClass": "Burstable"}


# -- other kinds ----------------------------------------------------------------------------------


def test_namespace_defaults() -> None:
    ns = defaulted("namespaces", {"metadata": {"name": "team-a"}})
    assert ns == {
        "metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "team-a"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    finalized = defaulted("namespaces", {"metadata": {"name": "team-a"}, "spec": {"finalizers": []}})
    assert finalized["spec"]["finalizers"] == []


def test_node_allocatable_defaults_to_capacity() -> None:
    node = defaulted(
        "nodes", {"metadata": {"name": "n"}, "status": {"capacity": {"cpu": "4", "memory": "16384Mi"}}}
    )
    assert node["status"]["allocatable"] == {"cpu": "4", "memory": "16Gi"}
    assert node["status"]["capacity"] == {"cpu": "4", "memory": "16Gi"}


@pytest.mark.parametrize("resource", ["events", "leases", "controllerrevisions"])
def test_kinds_without_defaults_are_left_alone(resource: str) -> None:
    body: Obj = {"metadata": {"name": "x"}, "spec": {}}
    assert defaulted(resource, copy.deepcopy(body)) == body


def test_malformed_bodies_are_left_for_validation() -> None:
    for resource in ("pods", "daemonsets", "namespaces", "nodes"):
        kind_of(resource).apply_defaults({"metadata": "x", "spec": [], "status": 1})
        kind_of(resource).apply_defaults(
            {"spec": {"containers": "x", "template": {"spec": 3}, "updateStrategy": []}}
        )
