"""The kinds a DaemonSet's bundle brings along, through the official client's dynamic client (which
finds each kind by discovery, as `kubectl` does): create, read back with upstream's defaults, list,
patch, replace and delete, for every one of them.

The bundle is written here, shaped like the published ones (a node agent's ServiceAccount and RBAC,
its configuration, a metrics Service, a PodDisruptionBudget, a priority class, storage classes, a CSI
driver): the same kinds and field shapes, not a copy of any.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from everynode.core.types import Obj
from tests.integration.conftest import Clients
from tests.polling import poll_until

LABELS = {"app.kubernetes.io/name": "node-agent"}
_ADMISSION = "admissionregistration.k8s.io/v1"


def bundle(namespace: str) -> list[Obj]:
    """One object of each kind, in the order a bundle applies them."""
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "node-agent", "labels": LABELS}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"{namespace}:node-agent", "labels": LABELS},
            "rules": [
                {"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"]},
                {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{namespace}:node-agent"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "node-agent"},
            "subjects": [{"kind": "ServiceAccount", "name": "node-agent", "namespace": namespace}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "node-agent-leases"},
            "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["*"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "node-agent-leases"},
            "roleRef": {"kind": "Role", "name": "node-agent-leases"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "node-agent"},
                {"kind": "Group", "name": "system:nodes"},
            ],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "node-agent-config", "labels": LABELS},
            "data": {"agent.conf": "[SERVICE]\n    Flush 5\n", "parsers.conf": "[PARSER]\n"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "node-agent-token"},
            "stringData": {"token": "s3cr3t"},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "node-agent-metrics", "labels": LABELS},
            "spec": {"selector": LABELS, "ports": [{"name": "metrics", "port": 9100}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "external-db"},
            "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 5432}]}],
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "external-db-1", "labels": {"kubernetes.io/service-name": "external-db"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["192.0.2.10"]}],
            "ports": [{"port": 5432}],
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "collector"},
            "spec": {
                "serviceName": "collector",
                "selector": {"matchLabels": {"app": "collector"}},
                "template": {
                    "metadata": {"labels": {"app": "collector"}},
                    "spec": {"containers": [{"name": "collector", "image": "collector:1.4"}]},
                },
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "metrics-server"},
            "spec": {
                "selector": {"matchLabels": {"app": "metrics"}},
                "template": {
                    "metadata": {"labels": {"app": "metrics"}},
                    "spec": {"containers": [{"name": "metrics", "image": "metrics:0.7"}]},
                },
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "sidecar-injector"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "injector"}},
                "template": {
                    "metadata": {"labels": {"app": "injector"}},
                    "spec": {"containers": [{"name": "injector", "image": "injector:1"}]},
                },
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "collector"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "collector"}}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "metrics-only"},
            "spec": {
                "podSelector": {"matchLabels": LABELS},
                "ingress": [{"ports": [{"port": 9100}]}],
            },
        },
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": f"{namespace}-node-agent"},
            "value": 1000000,
            "description": "node agents run before ordinary workloads",
        },
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": f"{namespace}-local"},
            "provisioner": "local.csi.example.com",
        },
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "CSIDriver",
            "metadata": {"name": f"{namespace}.csi.example.com"},
            "spec": {"podInfoOnMount": True},
        },
    ]


@pytest.fixture(scope="module")
def dyn(k8s: Clients) -> dynamic.DynamicClient:
    return dynamic.DynamicClient(k8s.api)


def resource_of(dyn: dynamic.DynamicClient, obj: Obj) -> Any:
    return dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])


def create(dyn: dynamic.DynamicClient, obj: Obj, namespace: str) -> Obj:
    resource = resource_of(dyn, obj)
    made = resource.create(body=obj, namespace=namespace if resource.namespaced else None)
    return dict(made.to_dict())


@pytest.fixture
def created(dyn: dynamic.DynamicClient, namespace: str) -> Iterator[dict[str, Obj]]:
    """The bundle, created in a fresh namespace; the cluster-scoped parts deleted afterwards."""
    made = {obj["kind"]: create(dyn, obj, namespace) for obj in bundle(namespace)}
    yield made
    for obj in bundle(namespace):
        resource = resource_of(dyn, obj)
        if not resource.namespaced:
            try:
                resource.delete(name=obj["metadata"]["name"])
            except ApiException as exc:
                if exc.status != 404:
                    raise


def test_every_kind_is_discovered_with_upstreams_names(dyn: dynamic.DynamicClient) -> None:
    expected = {
        ("v1", "ConfigMap"): ("configmaps", True, ["cm"]),
        ("v1", "Secret"): ("secrets", True, []),
        ("v1", "ServiceAccount"): ("serviceaccounts", True, ["sa"]),
        ("v1", "Service"): ("services", True, ["svc"]),
        ("v1", "Endpoints"): ("endpoints", True, ["ep"]),
        ("discovery.k8s.io/v1", "EndpointSlice"): ("endpointslices", True, []),
        ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True, []),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False, []),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True, []),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False, []),
        ("apps/v1", "StatefulSet"): ("statefulsets", True, ["sts"]),
        ("apps/v1", "Deployment"): ("deployments", True, ["deploy"]),
        ("apps/v1", "ReplicaSet"): ("replicasets", True, ["rs"]),
        ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True, ["pdb"]),
        ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True, ["netpol"]),
        ("scheduling.k8s.io/v1", "PriorityClass"): ("priorityclasses", False, ["pc"]),
        ("storage.k8s.io/v1", "StorageClass"): ("storageclasses", False, ["sc"]),
        ("storage.k8s.io/v1", "CSIDriver"): ("csidrivers", False, []),
        (_ADMISSION, "ValidatingWebhookConfiguration"): ("validatingwebhookconfigurations", False, []),
        (_ADMISSION, "MutatingWebhookConfiguration"): ("mutatingwebhookconfigurations", False, []),
        (_ADMISSION, "ValidatingAdmissionPolicy"): ("validatingadmissionpolicies", False, []),
        (_ADMISSION, "ValidatingAdmissionPolicyBinding"): ("validatingadmissionpolicybindings", False, []),
        ("apiregistration.k8s.io/v1", "APIService"): ("apiservices", False, []),
    }
    for (api_version, kind), (plural, namespaced, short) in expected.items():
        resource = dyn.resources.get(api_version=api_version, kind=kind)
        assert (resource.name, resource.namespaced, list(resource.short_names or [])) == (
            plural,
            namespaced,
            short,
        ), kind
        assert set(resource.verbs) >= {"create", "get", "list", "watch", "patch", "update", "delete"}, kind


def test_a_bundle_is_created_and_reads_back_with_upstreams_defaults(
    created: dict[str, Obj], dyn: dynamic.DynamicClient, namespace: str
) -> None:
    secret = created["Secret"]
    assert secret["type"] == "Opaque"
    assert "stringData" not in secret
    assert base64.b64decode(secret["data"]["token"]) == b"s3cr3t"

    binding = created["RoleBinding"]
    assert binding["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert binding["subjects"][0] == {"kind": "ServiceAccount", "name": "node-agent"}
    assert binding["subjects"][1]["apiGroup"] == "rbac.authorization.k8s.io"

    service = created["Service"]["spec"]
    assert (service["type"], service["sessionAffinity"], service["internalTrafficPolicy"]) == (
        "ClusterIP",
        "None",
        "Cluster",
    )
    assert service["ports"] == [{"name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": 9100}]
    assert ipaddress.ip_address(service["clusterIP"]) in ipaddress.ip_network("10.0.0.0/24")
    assert (service["clusterIPs"], service["ipFamilies"]) == ([service["clusterIP"]], ["IPv4"])
    assert created["Service"]["status"] == {"loadBalancer": {}}

    sts = created["StatefulSet"]
    assert (sts["spec"]["replicas"], sts["spec"]["podManagementPolicy"]) == (1, "OrderedReady")
    assert sts["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert sts["metadata"]["generation"] == 1

    strategy = created["Deployment"]["spec"]["strategy"]
    assert strategy == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert created["Deployment"]["spec"]["progressDeadlineSeconds"] == 600
    assert (created["ReplicaSet"]["status"], created["ReplicaSet"]["metadata"]["generation"]) == (
        {"replicas": 0},
        1,
    )

    pdb = created["PodDisruptionBudget"]
    assert pdb["status"]["disruptionsAllowed"] == 0
    assert pdb["metadata"]["generation"] == 1
    assert created["NetworkPolicy"]["spec"]["policyTypes"] == ["Ingress"]
    assert created["NetworkPolicy"]["spec"]["ingress"][0]["ports"] == [{"port": 9100, "protocol": "TCP"}]
    assert created["PriorityClass"]["preemptionPolicy"] == "PreemptLowerPriority"
    storage = created["StorageClass"]
    assert (storage["reclaimPolicy"], storage["volumeBindingMode"]) == ("Delete", "Immediate")
    driver = created["CSIDriver"]["spec"]
    assert (driver["attachRequired"], driver["podInfoOnMount"], driver["volumeLifecycleModes"]) == (
        True,
        True,
        ["Persistent"],
    )
    assert created["EndpointSlice"]["ports"] == [{"name": "", "port": 5432, "protocol": "TCP"}]
    assert created["Endpoints"]["subsets"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]

    for obj in bundle(namespace):
        resource = resource_of(dyn, obj)
        scope = namespace if resource.namespaced else None
        read = resource.get(name=obj["metadata"]["name"], namespace=scope).to_dict()
        assert (read["apiVersion"], read["kind"]) == (obj["apiVersion"], obj["kind"])
        assert read == created[obj["kind"]]


def test_each_kind_lists_patches_replaces_and_deletes(
    created: dict[str, Obj], dyn: dynamic.DynamicClient, namespace: str
) -> None:
    for obj in bundle(namespace):
        resource = resource_of(dyn, obj)
        scope = namespace if resource.namespaced else None
        name = obj["metadata"]["name"]
        listed = resource.get(namespace=scope)
        assert name in [item.metadata.name for item in listed.items], obj["kind"]

        patched = resource.patch(
            name=name,
            namespace=scope,
            body={"metadata": {"labels": {"patched": "yes"}}},
            content_type="application/merge-patch+json",
        ).to_dict()
        assert patched["metadata"]["labels"]["patched"] == "yes", obj["kind"]

        replaced = resource.replace(body=patched | {"metadata": patched["metadata"]}, namespace=scope)
        assert replaced.metadata.labels["patched"] == "yes"

        resource.delete(name=name, namespace=scope)
        with pytest.raises(ApiException) as gone:
            resource.get(name=name, namespace=scope)
        assert gone.value.status == 404, obj["kind"]


def test_typed_clients_read_the_bundle(created: dict[str, Obj], k8s: Clients, namespace: str) -> None:
    """The generated typed APIs decode what the server returns into their models."""
    rbac = client.RbacAuthorizationV1Api(k8s.api)
    assert rbac.read_namespaced_role_binding("node-agent-leases", namespace).role_ref.kind == "Role"
    assert k8s.core.read_namespaced_config_map("node-agent-config", namespace).data["parsers.conf"]
    assert k8s.apps.read_namespaced_stateful_set("collector", namespace).spec.replicas == 1
    pdb = client.PolicyV1Api(k8s.api).read_namespaced_pod_disruption_budget("collector", namespace)
    assert pdb.spec.max_unavailable == 1
    classes = client.SchedulingV1Api(k8s.api).list_priority_class()
    assert f"{namespace}-node-agent" in [item.metadata.name for item in classes.items]


def test_the_system_priority_classes_exist_and_cannot_be_deleted(k8s: Clients) -> None:
    scheduling = client.SchedulingV1Api(k8s.api)
    node_critical = scheduling.read_priority_class("system-node-critical")
    assert (node_critical.value, node_critical.preemption_policy) == (2000001000, "PreemptLowerPriority")
    assert scheduling.read_priority_class("system-cluster-critical").value == 2000000000
    with pytest.raises(ApiException) as refused:
        scheduling.delete_priority_class("system-node-critical")
    assert refused.value.status == 403
    assert "this is a system priority class and cannot be deleted" in refused.value.body


def test_a_pods_priority_and_account_are_admitted_as_upstream_admits_them(
    k8s: Clients, namespace: str
) -> None:
    def pod(name: str, **spec: Any) -> Obj:
        return {
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "agent:1"}], **spec},
        }

    made = k8s.core.create_namespaced_pod(
        namespace, pod("critical", priorityClassName="system-node-critical")
    )
    assert (made.spec.priority, made.spec.service_account_name) == (2000001000, "default")
    with pytest.raises(ApiException) as unknown:
        k8s.core.create_namespaced_pod(namespace, pod("unknown", priorityClassName="no-such-class"))
    assert unknown.value.status == 403
    with pytest.raises(ApiException) as missing:
        k8s.core.create_namespaced_pod(namespace, pod("shipper", serviceAccountName="shipper"))
    assert missing.value.status == 403
    assert f"error looking up service account {namespace}/shipper" in missing.value.body
    k8s.core.create_namespaced_service_account(namespace, {"metadata": {"name": "shipper"}})

    def admitted() -> bool:
        try:
            k8s.core.create_namespaced_pod(namespace, pod("shipper", serviceAccountName="shipper"))
        except ApiException as exc:
            if exc.status != 403:
                raise
            return False
        return True

    poll_until(admitted, what="the pod admitted once its ServiceAccount exists", within=10, every=0.05)


def test_services_get_addresses_as_upstream_assigns_them(k8s: Clients, namespace: str) -> None:
    kubernetes = k8s.core.read_namespaced_service("kubernetes", "default")
    assert (kubernetes.spec.cluster_ip, kubernetes.spec.ports[0].port) == ("10.0.0.1", 443)

    def service(name: str, **spec: Any) -> Obj:
        ports = [{"name": "http", "port": 80}]
        return {"metadata": {"name": name}, "spec": {"selector": {"app": name}, "ports": ports, **spec}}

    node_port = k8s.core.create_namespaced_service(namespace, service("np", type="NodePort"))
    port = node_port.spec.ports[0].node_port
    assert 30000 <= port <= 32767
    body = service("clash", type="NodePort", ports=[{"name": "http", "port": 80, "nodePort": port}])
    with pytest.raises(ApiException) as taken:
        k8s.core.create_namespaced_service(namespace, body)
    assert taken.value.status == 422
    assert "provided port is already allocated" in taken.value.body
    with pytest.raises(ApiException) as same_ip:
        k8s.core.create_namespaced_service(namespace, service("same", clusterIP=node_port.spec.cluster_ip))
    assert "provided IP is already allocated" in same_ip.value.body

    # re-applying the original manifest keeps the addresses; turning it into ClusterIP drops the port
    replaced = k8s.core.patch_namespaced_service("np", namespace, {"spec": {"type": "ClusterIP"}})
    assert replaced.spec.cluster_ip == node_port.spec.cluster_ip
    assert replaced.spec.ports[0].node_port is None
    headless = k8s.core.create_namespaced_service(namespace, service("headless", clusterIP="None"))
    assert headless.spec.cluster_ip == "None"
