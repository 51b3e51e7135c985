"""Service, Endpoints, EndpointSlice and NetworkPolicy rows: exact cells, wide cells included."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.apiserver.tables.services import ENDPOINT_SLICES, ENDPOINTS, NETWORK_POLICIES, SERVICES
from everynode.core.types import Obj
from tests.unit.apiserver.tablerows import ago, cells, columns


def meta(name: str, created: str | None = None) -> Obj:
    return {"name": name, "namespace": "default", "creationTimestamp": created or ago(minutes=5)}


def port(number: int, protocol: str = "TCP", node_port: int | None = None, name: str = "") -> Obj:
    p: Obj = {"name": name, "port": number, "protocol": protocol, "targetPort": number}
    if node_port is not None:
        p["nodePort"] = node_port
    return p


def service(name: str = "web", *, status: Obj | None = None, **spec: Any) -> Obj:
    obj: Obj = {"metadata": meta(name), "spec": {"type": "ClusterIP", **spec}}
    if status is not None:
        obj["status"] = status
    return obj


def ingress(*points: Obj) -> Obj:
    return {"loadBalancer": {"ingress": list(points)}}


# --- Service ---


def test_service_columns() -> None:
    assert columns(SERVICES) == [
        ("Name", "string", "name", 0),
        ("Type", "string", "", 0),
        ("Cluster-IP", "string", "", 0),
        ("External-IP", "string", "", 0),
        ("Port(s)", "string", "", 0),
        ("Age", "string", "", 0),
        ("Selector", "string", "", 1),
    ]


@pytest.mark.parametrize(
    ("svc", "expected"),
    [
        pytest.param(
            service(
                clusterIP="10.96.0.1",
                clusterIPs=["10.96.0.1"],
                ports=[port(443, name="https")],
            ),
            ["web", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "5m", "<none>"],
            id="kubernetes-like",
        ),
        pytest.param(
            service(
                clusterIPs=["10.96.12.34"],
                ports=[port(80), port(53, "UDP")],
                selector={"tier": "fe", "app": "web"},
            ),
            ["web", "ClusterIP", "10.96.12.34", "<none>", "80/TCP,53/UDP", "5m", "app=web,tier=fe"],
            id="cluster-ip-selector-sorted",
        ),
        pytest.param(
            service(clusterIPs=["10.96.12.34"], externalIPs=["192.0.2.10", "192.0.2.11"], ports=[port(80)]),
            ["web", "ClusterIP", "10.96.12.34", "192.0.2.10,192.0.2.11", "80/TCP", "5m", "<none>"],
            id="cluster-ip-external-ips",
        ),
        pytest.param(
            service(
                type="NodePort",
                clusterIPs=["10.96.7.7"],
                ports=[port(80, node_port=30080), port(443, node_port=30443)],
                selector={"app": "web"},
            ),
            ["web", "NodePort", "10.96.7.7", "<none>", "80:30080/TCP,443:30443/TCP", "5m", "app=web"],
            id="node-port",
        ),
        pytest.param(
            service(type="LoadBalancer", clusterIPs=["10.96.8.8"], ports=[port(80, node_port=31000)]),
            ["web", "LoadBalancer", "10.96.8.8", "<pending>", "80:31000/TCP", "5m", "<none>"],
            id="load-balancer-pending",
        ),
        pytest.param(
            service(
                type="LoadBalancer",
                clusterIPs=["10.96.8.8"],
                ports=[port(80, node_port=31000)],
                status=ingress(
                    {"ip": "203.0.113.9"},
                    {"hostname": "lb.example.com"},
                    {"ip": "198.51.100.4", "hostname": "ignored.example.com"},
                    {"ip": "203.0.113.9"},
                    {},
                ),
            ),
            [
                "web",
                "LoadBalancer",
                "10.96.8.8",
                "198.51.100.4,203.0.113.9,lb.example.com",
                "80:31000/TCP",
                "5m",
                "<none>",
            ],
            id="load-balancer-ingress-sorted-unique-untruncated",
        ),
        pytest.param(
            service(
                type="LoadBalancer",
                clusterIPs=["10.96.8.8"],
                externalIPs=["192.0.2.50"],
                ports=[port(80, node_port=31000)],
                status=ingress({"ip": "203.0.113.9"}),
            ),
            ["web", "LoadBalancer", "10.96.8.8", "203.0.113.9,192.0.2.50", "80:31000/TCP", "5m", "<none>"],
            id="load-balancer-plus-external-ips",
        ),
        pytest.param(
            service(
                type="LoadBalancer",
                clusterIPs=["10.96.8.8"],
                externalIPs=["192.0.2.50"],
                ports=[port(80, node_port=31000)],
            ),
            ["web", "LoadBalancer", "10.96.8.8", "192.0.2.50", "80:31000/TCP", "5m", "<none>"],
            id="load-balancer-pending-with-external-ips",
        ),
        pytest.param(
            service("db", type="ExternalName", externalName="db.example.com"),
            ["db", "ExternalName", "<none>", "db.example.com", "<none>", "5m", "<none>"],
            id="external-name",
        ),
        pytest.param(
            service("db-headless", clusterIP="None", clusterIPs=["None"], ports=[port(5432)]),
            ["db-headless", "ClusterIP", "None", "<none>", "5432/TCP", "5m", "<none>"],
            id="headless",
        ),
        pytest.param(
            service(clusterIPs=["10.96.1.2", "fd00:10:96::1a2b"], ports=[port(80)]),
            ["web", "ClusterIP", "10.96.1.2", "<none>", "80/TCP", "5m", "<none>"],
            id="dual-stack-first-ip",
        ),
        pytest.param(
            service(clusterIP="10.96.3.3", ports=[port(80)]),
            ["web", "ClusterIP", "10.96.3.3", "<none>", "80/TCP", "5m", "<none>"],
            id="cluster-ip-without-cluster-ips",
        ),
        pytest.param(
            service(type="", ports=[{"port": 8080}]),
            ["web", "", "<none>", "<unknown>", "8080/", "5m", "<none>"],
            id="no-type-no-protocol",
        ),
        pytest.param(
            {"metadata": {"name": "bare"}},
            ["bare", "", "<none>", "<unknown>", "<none>", "<unknown>", "<none>"],
            id="bare-object",
        ),
        pytest.param(
            {
                "metadata": meta("odd"),
                "spec": {
                    "type": "LoadBalancer",
                    "clusterIPs": "10.0.0.1",
                    "externalIPs": [1, None],
                    "ports": [{"port": "80", "nodePort": True, "protocol": 6}, "x"],
                    "selector": ["app"],
                },
                "status": {"loadBalancer": {"ingress": {"ip": "1.2.3.4"}}},
            },
            ["odd", "LoadBalancer", "<none>", "<pending>", "0/", "5m", "<none>"],
            id="wrong-types",
        ),
        pytest.param(
            {"metadata": meta("odd"), "spec": ["ClusterIP"], "status": "up"},
            ["odd", "", "<none>", "<unknown>", "<none>", "5m", "<none>"],
            id="spec-not-a-mapping",
        ),
    ],
)
def test_service_rows(svc: Obj, expected: list[Any]) -> None:
    assert cells(SERVICES, svc) == expected


# --- Endpoints ---


def endpoints(*subsets: Obj, name: str = "web") -> Obj:
    return {"metadata": meta(name), "subsets": list(subsets)}


def addresses(*ips: str) -> list[Obj]:
    return [{"ip": ip, "targetRef": {"kind": "Pod", "name": f"pod-{ip}"}} for ip in ips]


def test_endpoints_columns() -> None:
    assert columns(ENDPOINTS) == [
        ("Name", "string", "name", 0),
        ("Endpoints", "string", "", 0),
        ("Age", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("ep", "expected"),
    [
        pytest.param(
            endpoints({"addresses": addresses("192.168.1.10"), "ports": [port(6443, name="https")]}),
            "192.168.1.10:6443",
            id="one-address",
        ),
        pytest.param(
            endpoints({"addresses": addresses(*(f"10.0.0.{i}" for i in range(1, 6))), "ports": [port(80)]}),
            "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...",
            id="five-addresses",
        ),
        pytest.param(
            endpoints({"addresses": addresses("10.0.0.1", "10.0.0.2", "10.0.0.3"), "ports": [port(80)]}),
            "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80",
            id="exactly-three",
        ),
        pytest.param(
            endpoints({"addresses": addresses("10.0.0.1", "10.0.0.2"), "ports": [port(80), port(443)]}),
            "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...",
            id="per-port-then-per-address",
        ),
        pytest.param(
            endpoints(
                {"addresses": addresses("10.0.0.1", "10.0.0.2"), "ports": [port(80)]},
                {"addresses": addresses("10.0.1.1", "10.0.1.2", "10.0.1.3"), "ports": [port(8080)]},
            ),
            "10.0.0.1:80,10.0.0.2:80,10.0.1.1:8080 + 2 more...",
            id="across-subsets",
        ),
        pytest.param(
            endpoints({"addresses": addresses("10.0.0.7", "10.0.0.8")}),
            "10.0.0.7,10.0.0.8",
            id="headless-without-ports",
        ),
        pytest.param(
            endpoints({"addresses": addresses("fd00::1", "10.0.0.1"), "ports": [port(8080)]}),
            "[fd00::1]:8080,10.0.0.1:8080",
            id="ipv6-bracketed",
        ),
        pytest.param(
            endpoints(
                {
                    "addresses": addresses("10.0.0.1"),
                    "notReadyAddresses": addresses("10.0.0.2", "10.0.0.3", "10.0.0.4"),
                    "ports": [port(80)],
                }
            ),
            "10.0.0.1:80",
            id="not-ready-ignored",
        ),
        pytest.param(endpoints(), "<none>", id="no-subsets"),
        pytest.param({"metadata": meta("web")}, "<none>", id="subsets-absent"),
        pytest.param(
            endpoints({"notReadyAddresses": addresses("10.0.0.2"), "ports": [port(80)]}),
            "",
            id="only-not-ready",
        ),
        pytest.param(
            endpoints({"addresses": [{"ip": 5}, "10.0.0.9", {"ip": "10.0.0.1"}], "ports": [{"port": "80"}]}),
            ":0,10.0.0.1:0",
            id="wrong-types",
        ),
        pytest.param(
            {"metadata": meta("web"), "subsets": {"addresses": []}}, "<none>", id="subsets-not-a-list"
        ),
    ],
)
def test_endpoints_rows(ep: Obj, expected: str) -> None:
    assert cells(ENDPOINTS, ep) == [ep["metadata"]["name"], expected, "5m"]


# --- EndpointSlice ---


def endpoint_slice(ports: Any, endpoints_: Any, address_type: Any = "IPv4") -> Obj:
    return {
        "metadata": meta("web-abc12"),
        "addressType": address_type,
        "ports": ports,
        "endpoints": endpoints_,
    }


def ready(*ips: str) -> Obj:
    return {"addresses": list(ips), "conditions": {"ready": True}}


def test_endpointslice_columns() -> None:
    assert columns(ENDPOINT_SLICES) == [
        ("Name", "string", "name", 0),
        ("AddressType", "string", "", 0),
        ("Ports", "string", "", 0),
        ("Endpoints", "string", "", 0),
        ("Age", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("eps", "expected"),
    [
        pytest.param(
            endpoint_slice([port(80, name="http")], [ready("10.0.0.1"), ready("10.0.0.2")]),
            ["web-abc12", "IPv4", "80", "10.0.0.1,10.0.0.2", "5m"],
            id="typical",
        ),
        pytest.param(
            endpoint_slice(
                [port(p) for p in (80, 443, 8080, 8443, 9090)],
                [ready("10.0.0.1", "10.0.0.2"), ready("10.0.0.3"), ready("10.0.0.4")],
            ),
            ["web-abc12", "IPv4", "80,443,8080 + 2 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...", "5m"],
            id="more-than-three",
        ),
        pytest.param(
            endpoint_slice(
                [{"name": "http", "protocol": "TCP"}, {"protocol": "TCP"}, {"name": "", "protocol": "TCP"}],
                [ready("fd00::1")],
                "IPv6",
            ),
            ["web-abc12", "IPv6", "http,*,", "fd00::1", "5m"],
            id="port-name-or-star",
        ),
        pytest.param(
            endpoint_slice([{"name": ""}], [], "FQDN"),
            ["web-abc12", "FQDN", "<unset>", "<unset>", "5m"],
            id="blank-is-unset",
        ),
        pytest.param(
            endpoint_slice(None, None),
            ["web-abc12", "IPv4", "<unset>", "<unset>", "5m"],
            id="empty",
        ),
        pytest.param(
            endpoint_slice(
                [{"port": "80", "name": 3}, 5], [{"addresses": "10.0.0.1"}, ready("10.0.0.2"), 7], 4
            ),
            ["web-abc12", "", "*", "10.0.0.2", "5m"],
            id="wrong-types",
        ),
    ],
)
def test_endpointslice_rows(eps: Obj, expected: list[Any]) -> None:
    assert cells(ENDPOINT_SLICES, eps) == expected


# --- NetworkPolicy ---


def policy(pod_selector: Any = None, *, spec: Any = None) -> Obj:
    if spec is None:
        spec = {"policyTypes": ["Ingress"]}
        if pod_selector is not None:
            spec["podSelector"] = pod_selector
    return {"metadata": meta("allow-web", ago(hours=5)), "spec": spec}


def test_networkpolicy_columns() -> None:
    assert columns(NETWORK_POLICIES) == [
        ("Name", "string", "name", 0),
        ("Pod-Selector", "string", "", 0),
        ("Age", "string", "", 0),
    ]


@pytest.mark.parametrize(
    ("np", "expected"),
    [
        pytest.param(policy({}), "<none>", id="empty-selects-all"),
        pytest.param(policy(), "<none>", id="absent-selector"),
        pytest.param(policy({"matchLabels": {"role": "db", "app": "shop"}}), "app=shop,role=db", id="labels"),
        pytest.param(
            policy(
                {
                    "matchLabels": {"app": "web"},
                    "matchExpressions": [
                        {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                        {"key": "legacy", "operator": "DoesNotExist"},
                        {"key": "zone", "operator": "NotIn", "values": ["b"]},
                        {"key": "canary", "operator": "Exists"},
                    ],
                }
            ),
            "app=web,canary,env in (dev,prod),!legacy,zone notin (b)",
            id="expressions",
        ),
        pytest.param(
            policy({"matchExpressions": [{"key": "a", "operator": "Near", "values": ["x"]}]}),
            "<error>",
            id="bad-operator",
        ),
        pytest.param(policy({"matchLabels": ["app"]}), "<error>", id="match-labels-a-list"),
        pytest.param(policy({"matchExpressions": ["app"]}), "<error>", id="expression-a-string"),
        pytest.param(
            policy({"matchExpressions": [{"key": "a", "operator": "In", "values": 5}]}),
            "<error>",
            id="values-a-number",
        ),
        pytest.param(policy("app=web"), "<error>", id="selector-a-string"),
        pytest.param(policy(spec=["x"]), "<none>", id="spec-not-a-mapping"),
    ],
)
def test_networkpolicy_rows(np: Obj, expected: str) -> None:
    assert cells(NETWORK_POLICIES, np) == ["allow-web", expected, "5h"]
