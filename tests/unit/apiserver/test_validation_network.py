"""Endpoints, EndpointSlice and NetworkPolicy validation, and the IP helpers they share."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.validation import endpoints, ips, networkpolicy, service
from everynode.apiserver.validation.fields import dedupe
from everynode.core.types import Obj

SERVER_META = {"uid": "u-1", "resourceVersion": "9", "creationTimestamp": "2025-03-01T08:00:00Z"}
IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
PORT_RANGE = "must be between 1 and 65535, inclusive"
SUBSET = "must be a strict subset of `cidr`"
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in dedupe(errs)]


def meta(name: str = "node-exporter") -> Obj:
    return {"name": name, "namespace": "monitoring", **SERVER_META}


# -- IP helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("010.000.000.001", "10.0.0.1"),
        ("fd00::1", "fd00::1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("fe80::1%eth0", None),
        ("10.0.0", None),
        ("10.0.0.256", None),
        ("", None),
    ],
)
def test_ips_parse_as_go_parses_them_sloppily(text: str, expected: str | None) -> None:
    parsed = ips.parse_ip(text)
    assert (None if parsed is None else str(parsed)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("fd00::/64", "fd00::/64"),
        ("10.0.0.0", None),
    ],
)
def test_cidrs_parse_with_host_bits_allowed(text: str, expected: str | None) -> None:
    parsed = ips.parse_cidr(text)
    assert (None if parsed is None else str(parsed)) == expected


# -- Endpoints ------------------------------------------------------------------------------------


def node_exporter_endpoints(**subset: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": meta(),
        "subsets": [
            {
                "addresses": [
                    {"ip": "10.244.1.5", "nodeName": "node-1", "hostname": "node-exporter-abcde"},
                    {"ip": "10.244.2.7", "nodeName": "node-2"},
                ],
                "notReadyAddresses": [{"ip": "fd00::10"}],
                "ports": [
                    {"name": "metrics", "port": 9100, "protocol": "TCP"},
                    {"name": "healthz", "port": 9101, "protocol": "TCP", "appProtocol": "http"},
                ],
                **subset,
            }
        ],
    }


def test_endpoints_are_valid() -> None:
    assert endpoints.validate_endpoints(node_exporter_endpoints()) == []
    assert service.validate_endpoints is endpoints.validate_endpoints


@pytest.mark.parametrize(
    ("subset", "expected"),
    [
        (
            {"addresses": [], "notReadyAddresses": []},
            ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"],
        ),
        (
            {"addresses": [{"ip": "nope"}]},
            [
                f'subsets[0].addresses[0].ip: Invalid value: "nope": {IP_MSG}',
                'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address',
            ],
        ),
        (
            {"addresses": [{"ip": "127.0.0.1"}]},
            [
                'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": '
                "may not be in the loopback range (127.0.0.0/8, ::1/128)"
            ],
        ),
        (
            {"notReadyAddresses": [{"ip": "fe80::1"}]},
            [
                'subsets[0].notReadyAddresses[0].ip: Invalid value: "fe80::1": '
                "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
            ],
        ),
        (
            {"addresses": [{"ip": "10.244.1.5", "hostname": "Exporter"}]},
            [f'subsets[0].addresses[0].hostname: Invalid value: "Exporter": {LABEL_MSG}'],
        ),
        (
            {"addresses": [{"ip": "10.244.1.5", "nodeName": "Node_1"}]},
            [f'subsets[0].addresses[0].nodeName: Invalid value: "Node_1": {SUBDOMAIN_MSG}'],
        ),
        (
            {"ports": [{"port": 9100, "protocol": "TCP"}, {"name": "b", "port": 9101, "protocol": "TCP"}]},
            ["subsets[0].ports[0].name: Required value"],
        ),
        ({"ports": [{"port": 9100, "protocol": "TCP"}]}, []),
        (
            {"ports": [{"port": 0, "protocol": "TCP"}]},
            [f"subsets[0].ports[0].port: Invalid value: 0: {PORT_RANGE}"],
        ),
        (
            {"ports": [{"port": 9100, "protocol": "ICMP"}]},
            [
                'subsets[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", '
                '"UDP"'
            ],
        ),
        ({"ports": [{"port": 9100}]}, ["subsets[0].ports[0].protocol: Required value"]),
    ],
)
def test_endpoints_subsets(subset: Obj, expected: list[str]) -> None:
    assert messages(endpoints.validate_endpoints(node_exporter_endpoints(**subset))) == expected


def test_endpoints_with_no_subsets_are_valid() -> None:
    obj = node_exporter_endpoints()
    obj["subsets"] = []
    assert endpoints.validate_endpoints(obj) == []


def test_an_update_that_leaves_invalid_subsets_alone_is_accepted() -> None:
    old = node_exporter_endpoints(addresses=[{"ip": "127.0.0.1"}])
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"service.kubernetes.io/headless": ""}
    assert endpoints.validate_endpoints_update(new, old) == []
    new["subsets"][0]["ports"][0]["port"] = 9200
    assert messages(endpoints.validate_endpoints_update(new, old)) == [
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": '
        "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    ]


# -- EndpointSlice --------------------------------------------------------------------------------


def node_exporter_slice(**fields: Any) -> Obj:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            **meta("node-exporter-x7k2p"),
            "labels": {"kubernetes.io/service-name": "node-exporter"},
        },
        "addressType": "IPv4",
        "endpoints": [
            {
                "addresses": ["10.244.1.5"],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": "node-1",
                "zone": "zone-a",
                "hints": {"forZones": [{"name": "zone-a"}]},
                "targetRef": {"kind": "Pod", "namespace": "monitoring", "name": "node-exporter-abcde"},
            }
        ],
        "ports": [
            {"name": "metrics", "port": 9100, "protocol": "TCP"},
            {"name": "", "port": 9101, "protocol": "TCP"},
        ],
        **fields,
    }


def test_an_endpoint_slice_is_valid() -> None:
    assert endpoints.validate_endpoint_slice(node_exporter_slice()) == []
    fqdn = node_exporter_slice(addressType="FQDN", endpoints=[{"addresses": ["exporter.example.com."]}])
    assert endpoints.validate_endpoint_slice(fqdn) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"addressType": ""}, ["addressType: Required value"]),
        (
            {"addressType": "IP"},
            ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"'],
        ),
        (
            {"endpoints": [{"addresses": []}]},
            ["endpoints[0].addresses: Required value: must contain at least 1 address"],
        ),
        (
            {"endpoints": [{"addresses": [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(101)]}]},
            ["endpoints[0].addresses: Too many: 101: must have at most 100 items"],
        ),
        (
            {"endpoints": [{"addresses": ["10.0.0.1"]}] * 1001},
            ["endpoints: Too many: 1001: must have at most 1000 items"],
        ),
        (
            {"endpoints": [{"addresses": ["fd00::1"]}]},
            ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address'],
        ),
        (
            {"addressType": "IPv6", "endpoints": [{"addresses": ["10.0.0.1", "::1"]}]},
            [
                'endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
                'endpoints[0].addresses[1]: Invalid value: "::1": may not be in the loopback range '
                "(127.0.0.0/8, "
                "::1/128)",
            ],
        ),
        (
            {"addressType": "FQDN", "endpoints": [{"addresses": ["exporter"]}]},
            [
                'endpoints[0].addresses[0]: Invalid value: "exporter": '
                "should be a domain with at least two segments separated by dots"
            ],
        ),
        (
            {"addressType": "FQDN", "endpoints": [{"addresses": ["Exporter.example.com"]}]},
            [f'endpoints[0].addresses[0]: Invalid value: "Exporter.example.com": {SUBDOMAIN_MSG}'],
        ),
        (
            {"endpoints": [{"addresses": ["10.0.0.1"], "hostname": "Pod"}]},
            [f'endpoints[0].hostname: Invalid value: "Pod": {LABEL_MSG}'],
        ),
        (
            {"endpoints": [{"addresses": ["10.0.0.1"], "nodeName": "Node_1"}]},
            [f'endpoints[0].nodeName: Invalid value: "Node_1": {SUBDOMAIN_MSG}'],
        ),
        (
            {
                "endpoints": [
                    {"addresses": ["10.0.0.1"], "hints": {"forZones": [{"name": "a"}, {"name": "a"}]}}
                ]
            },
            ['endpoints[0].hints.forZones[1].name: Duplicate value: "a"'],
        ),
        (
            {
                "endpoints": [
                    {"addresses": ["10.0.0.1"], "hints": {"forZones": [{"name": str(i)} for i in range(9)]}}
                ]
            },
            ["endpoints[0].hints.forZones: Too many: 9: must have at most 8 items"],
        ),
        (
            {
                "endpoints": [
                    {"addresses": ["10.0.0.1"], "deprecatedTopology": {f"k{i}": "v" for i in range(17)}}
                ]
            },
            ["endpoints[0].deprecatedTopology: Too many: 17: must have at most 16 items"],
        ),
        (
            {
                "ports": [
                    {"name": "", "port": 1, "protocol": "TCP"},
                    {"name": "", "port": 2, "protocol": "TCP"},
                ]
            },
            ['ports[1].name: Duplicate value: ""'],
        ),
        (
            {"ports": [{"name": "Metrics", "port": 9100, "protocol": "TCP"}]},
            [f'ports[0].name: Invalid value: "Metrics": {LABEL_MSG}'],
        ),
        ({"ports": [{"name": "m", "port": 9100}]}, ["ports[0].protocol: Required value"]),
        ({"ports": [{"name": "m", "port": 0, "protocol": "TCP"}]}, []),
    ],
)
def test_endpoint_slice_rules(fields: Obj, expected: list[str]) -> None:
    assert messages(endpoints.validate_endpoint_slice(node_exporter_slice(**fields))) == expected


def test_endpoint_slice_address_type_is_immutable() -> None:
    old = node_exporter_slice()
    new = copy.deepcopy(old)
    new["endpoints"][0]["conditions"]["ready"] = False
    assert endpoints.validate_endpoint_slice_update(new, old) == []
    new = node_exporter_slice(addressType="FQDN", endpoints=[])
    assert messages(endpoints.validate_endpoint_slice_update(new, old)) == [
        'addressType: Invalid value: "FQDN": field is immutable'
    ]


# -- NetworkPolicy --------------------------------------------------------------------------------


def metrics_policy(**spec: Any) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta("allow-prometheus"),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "node-exporter"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                            },
                            "podSelector": {"matchLabels": {"app": "prometheus"}},
                        },
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                    ],
                    "ports": [{"protocol": "TCP", "port": 9100}, {"protocol": "TCP", "port": "metrics"}],
                }
            ],
            "egress": [
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 30000, "endPort": 32767}]}
            ],
            **spec,
        },
    }


def test_a_network_policy_is_valid() -> None:
    assert networkpolicy.validate_network_policy(metrics_policy()) == []


def with_port(port: Obj) -> Obj:
    return metrics_policy(ingress=[{"ports": [port]}])


def with_peer(peer: Obj) -> Obj:
    return metrics_policy(egress=[{"to": [peer]}])


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            with_port({"protocol": "ICMP"}),
            [
                'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", '
                '"UDP", "SCTP"'
            ],
        ),
        (with_port({"port": 0}), [f"spec.ingress[0].ports[0].port: Invalid value: 0: {PORT_RANGE}"]),
        (
            with_port({"port": "-metrics"}),
            ['spec.ingress[0].ports[0].port: Invalid value: "-metrics": must not begin or end with a hyphen'],
        ),
        (
            with_port({"port": 9100, "endPort": 9000}),
            [
                "spec.ingress[0].ports[0].endPort: Invalid value: 9100: must be greater than or equal to "
                "`port`"
            ],
        ),
        (
            with_port({"port": 9100, "endPort": 70000}),
            [f"spec.ingress[0].ports[0].endPort: Invalid value: 70000: {PORT_RANGE}"],
        ),
        (
            with_port({"port": "metrics", "endPort": 9200}),
            [
                "spec.ingress[0].ports[0].endPort: Invalid value: 9200: may not be specified when `port` is "
                "non-numeric"
            ],
        ),
        (
            with_port({"endPort": 9200}),
            [
                "spec.ingress[0].ports[0].endPort: Invalid value: 9200: may not be specified when `port` is "
                "not specified"
            ],
        ),
        (with_peer({}), ["spec.egress[0].to[0]: Required value: must specify a peer"]),
        (
            with_peer({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}),
            ["spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer"],
        ),
        (with_peer({"ipBlock": {}}), ["spec.egress[0].to[0].ipBlock.cidr: Required value"]),
        (
            with_peer({"ipBlock": {"cidr": "10.0.0.0"}}),
            [
                'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.0": '
                "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
            ],
        ),
        (
            with_peer(
                {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/16", "10.2.0.0/24", "fd00::/64"]}}
            ),
            [
                f'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.0.0.0/16": {SUBSET}',
                f'spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "10.2.0.0/24": {SUBSET}',
                f'spec.egress[0].to[0].ipBlock.except[2]: Invalid value: "fd00::/64": {SUBSET}',
            ],
        ),
        (
            with_peer({"namespaceSelector": {"matchLabels": {"team": "-x"}}}),
            [
                'spec.egress[0].to[0].namespaceSelector.matchLabels: Invalid value: "-x": a valid label must '
                "be an "
                "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an "
                "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                "validation is "
                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
            ],
        ),
        (
            metrics_policy(policyTypes=["Ingress", "Egress", "Ingress"]),
            [
                'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: '
                "may not specify more than two policyTypes"
            ],
        ),
        (
            metrics_policy(policyTypes=["Inbound"]),
            ['spec.policyTypes[0]: Unsupported value: "Inbound": supported values: "Ingress", "Egress"'],
        ),
    ],
)
def test_network_policy_rules(obj: Obj, expected: list[str]) -> None:
    assert messages(networkpolicy.validate_network_policy(obj)) == expected


def test_network_policy_update_keeps_invalid_selector_values_already_stored() -> None:
    selector = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["not valid!"]}]}
    old = metrics_policy(podSelector=selector)
    assert [e.field for e in networkpolicy.validate_network_policy(old)] == [
        "spec.podSelector.matchExpressions[0].values[0]"
    ]
    new = copy.deepcopy(old)
    new["spec"]["policyTypes"] = ["Ingress"]
    assert networkpolicy.validate_network_policy_update(new, old) == []
    fresh = metrics_policy()
    changed = copy.deepcopy(fresh)
    changed["spec"]["podSelector"] = selector
    changed["metadata"]["name"] = "other"
    assert [e.field for e in networkpolicy.validate_network_policy_update(changed, fresh)] == [
        "metadata.name",
        "spec.podSelector.matchExpressions[0].values[0]",
    ]
