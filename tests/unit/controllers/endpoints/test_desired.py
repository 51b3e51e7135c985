"""A Service's Endpoints and EndpointSlice from the pods it selects, as upstream's controllers make them."""

from __future__ import annotations

from everynode.controllers.endpoints.controller import slice_name
from everynode.controllers.endpoints.desired import endpoints, slice_endpoints, slice_labels
from everynode.core.types import Obj
from tests.builders import container, pod


def service(**spec: object) -> Obj:
    body = {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    return {
        "metadata": {"name": "web", "namespace": "ns", "uid": "svc-uid", "labels": {"team": "a"}},
        "spec": body | spec,
    }


def member(name: str, ip: str, *, ready: bool = True, port: int = 8080, **meta: object) -> Obj:
    ctr = container("main", ports=[{"name": "http", "containerPort": port, "protocol": "TCP"}])
    obj = pod(
        name,
        namespace="ns",
        labels={"app": "web"},
        node="node-1",
        containers=[ctr],
        uid=f"uid-{name}",
        **meta,
    )
    obj["status"] = {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": str(ready)}]}
    return obj


def test_ready_and_not_ready_pods_are_addresses_of_the_named_target_port() -> None:
    pods = [member("b", "10.1.0.2"), member("a", "10.1.0.1", ready=False), pod("other", namespace="ns")]
    made = endpoints(service(), pods)
    assert made["metadata"] == {"name": "web", "namespace": "ns", "labels": {"team": "a"}}
    [subset] = made["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.1.0.2"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.1.0.1"]
    assert subset["addresses"][0]["targetRef"] == {
        "kind": "Pod",
        "namespace": "ns",
        "name": "b",
        "uid": "uid-b",
    }
    assert subset["addresses"][0]["nodeName"] == "node-1"
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_pods_serving_other_ports_get_subsets_of_their_own_and_pods_without_ip_none() -> None:
    pods = [member("a", "10.1.0.1"), member("b", "10.1.0.2", port=9090)]
    waiting = member("c", "")
    made = endpoints(service(), [*pods, waiting])
    assert [[a["ip"] for a in s["addresses"]] for s in made["subsets"]] == [["10.1.0.1"], ["10.1.0.2"]]
    assert endpoints(service(), []) == {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "ns", "labels": {"team": "a"}},
    }


def test_the_slice_lists_each_pod_with_its_conditions() -> None:
    entries, ports = slice_endpoints(
        service(), [member("a", "10.1.0.1"), member("b", "10.1.0.2", ready=False)]
    )
    assert [(e["addresses"], e["conditions"]["ready"]) for e in entries] == [
        (["10.1.0.1"], True),
        (["10.1.0.2"], False),
    ]
    assert ports == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert slice_labels(service()) == {
        "team": "a",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    name = slice_name(service())
    assert name.startswith("web-")
    assert len(name) == len("web-") + 5
    assert slice_name(service()) == name  # the same Service, the same slice


def test_headless_services_are_labelled_and_published_not_ready_addresses_count_as_ready() -> None:
    made = endpoints(
        service(clusterIP="None", publishNotReadyAddresses=True), [member("a", "10.1.0.1", ready=False)]
    )
    assert made["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    assert [a["ip"] for a in made["subsets"][0]["addresses"]] == ["10.1.0.1"]
