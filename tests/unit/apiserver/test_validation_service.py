"""Service validation (create, update, status) as a metrics Service in a DaemonSet bundle meets it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.validation import service
from everynode.apiserver.validation.fields import dedupe
from everynode.core.types import Obj

SERVER_META = {"uid": "u-1", "resourceVersion": "9", "creationTimestamp": "2025-03-01T08:00:00Z"}
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
PORT_RANGE = "must be between 1 and 65535, inclusive"


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in dedupe(errs)]


def metrics_service(**spec: Any) -> Obj:
    """A defaulted, allocated metrics Service for a node agent."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "node-exporter",
            "namespace": "monitoring",
            "labels": {"app.kubernetes.io/name": "node-exporter"},
            **SERVER_META,
        },
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": "node-exporter"},
            "ports": [
                {"name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": "metrics"},
                {"name": "healthz", "port": 9101, "protocol": "TCP", "targetPort": 9101},
            ],
            "clusterIP": "10.96.12.7",
            "clusterIPs": ["10.96.12.7"],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "sessionAffinity": "None",
            "internalTrafficPolicy": "Cluster",
            **spec,
        },
        "status": {"loadBalancer": {}},
    }


def check(obj: Obj) -> list[str]:
    return messages(service.validate_service(obj))


def test_a_metrics_service_is_valid() -> None:
    assert service.validate_service(metrics_service()) == []


def test_a_headless_service_needs_no_ports() -> None:
    assert check(metrics_service(clusterIP="None", clusterIPs=["None"], ports=[])) == []
    assert check(metrics_service(ports=[])) == ["spec.ports: Required value"]


def test_a_node_port_service_is_valid() -> None:
    ports = [{"name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": 9100, "nodePort": 30910}]
    assert check(metrics_service(type="NodePort", ports=ports, externalTrafficPolicy="Cluster")) == []


def test_a_load_balancer_service_is_valid() -> None:
    spec = {
        "type": "LoadBalancer",
        "externalTrafficPolicy": "Local",
        "healthCheckNodePort": 32000,
        "allocateLoadBalancerNodePorts": True,
        "loadBalancerClass": "example.com/internal",
        "loadBalancerSourceRanges": ["10.0.0.0/8", " 192.168.0.0/16 "],
    }
    assert check(metrics_service(**spec)) == []


def test_an_external_name_service_is_valid() -> None:
    obj = metrics_service(type="ExternalName", externalName="metrics.example.com.", ports=[])
    for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
        del obj["spec"][field]
    assert check(obj) == []


def test_service_names_are_dns_1035_labels() -> None:
    obj = metrics_service()
    obj["metadata"]["name"] = "9100-metrics"
    assert check(obj) == [f'metadata.name: Invalid value: "9100-metrics": {DNS1035_MSG}']


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ({"port": 0}, ["spec.ports[0].port: Invalid value: 0: " + PORT_RANGE]),
        ({"port": 70000}, ["spec.ports[0].port: Invalid value: 70000: " + PORT_RANGE]),
        (
            {"protocol": "HTTP"},
            ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
        ),
        ({"protocol": ""}, ["spec.ports[0].protocol: Required value"]),
        ({"targetPort": 0}, ["spec.ports[0].targetPort: Invalid value: 0: " + PORT_RANGE]),
        (
            {"targetPort": "node-exporter-metrics"},
            [
                'spec.ports[0].targetPort: Invalid value: "node-exporter-metrics": must be no more than 15 '
                "characters"
            ],
        ),
        (
            {"targetPort": "9100"},
            ['spec.ports[0].targetPort: Invalid value: "9100": must contain at least one letter (a-z)'],
        ),
        ({"name": ""}, ["spec.ports[0].name: Required value"]),
        ({"name": "Metrics"}, [f'spec.ports[0].name: Invalid value: "Metrics": {LABEL_MSG}']),
        ({"name": "healthz"}, ['spec.ports[1].name: Duplicate value: "healthz"']),
        (
            {"appProtocol": "http//2"},
            [
                'spec.ports[0].appProtocol: Invalid value: "http//2": a qualified name must consist of '
                "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                "character "
                "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
                "(e.g. 'example.com/MyName')"
            ],
        ),
        ({"appProtocol": "kubernetes.io/h2c"}, []),
        (
            {"port": 9101},
            [
                'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", '
                "AppProtocol:(*string)(nil), Port:9101, "
                'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, '
                "NodePort:0}"
            ],
        ),
    ],
)
def test_ports(port: Obj, expected: list[str]) -> None:
    obj = metrics_service()
    obj["spec"]["ports"][0].update(port)
    assert check(obj) == expected


def test_a_single_port_needs_no_name_and_udp_and_tcp_may_share_a_number() -> None:
    ports = [{"port": 53, "protocol": "UDP", "targetPort": 53}]
    assert check(metrics_service(ports=ports)) == []
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
    ]
    assert check(metrics_service(ports=ports)) == []


def test_types_and_selector() -> None:
    assert check(metrics_service(type="Internal")) == [
        'spec.type: Unsupported value: "Internal": supported values: '
        '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
    ]
    assert check(metrics_service(type="")) == ["spec.type: Required value"]
    assert check(metrics_service(selector={"app": "-bad"})) == [
        'spec.selector: Invalid value: "-bad": a valid label must be an empty string or consist of '
        "alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', "
        " "
        "or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {
                "ports": [
                    {"name": "m", "port": 9100, "protocol": "TCP", "targetPort": 9100, "nodePort": 30100}
                ]
            },
            ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
        ),
        (
            {
                "type": "NodePort",
                "externalTrafficPolicy": "Cluster",
                "ports": [
                    {"name": "a", "port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 30100},
                    {"name": "b", "port": 81, "protocol": "TCP", "targetPort": 81, "nodePort": 30100},
                    {"name": "c", "port": 82, "protocol": "UDP", "targetPort": 82, "nodePort": 30100},
                ],
            },
            ["spec.ports[1].nodePort: Duplicate value: 30100"],
        ),
        (
            {
                "type": "NodePort",
                "externalTrafficPolicy": "Cluster",
                "clusterIP": "None",
                "clusterIPs": ["None"],
            },
            ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
        ),
    ],
)
def test_node_ports(spec: Obj, expected: list[str]) -> None:
    assert check(metrics_service(**spec)) == expected


def test_external_name_rules() -> None:
    obj = metrics_service(type="ExternalName", ports=[])
    del obj["spec"]["internalTrafficPolicy"]
    assert check(obj) == [
        "spec.clusterIPs: Forbidden: may not be set for ExternalName services",
        "spec.ipFamilies: Forbidden: may not be set for ExternalName services",
        "spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services",
        "spec.externalName: Required value",
    ]
    for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        del obj["spec"][field]
    obj["spec"]["externalName"] = "Metrics.Example.com"
    assert check(obj) == [
        'spec.externalName: Invalid value: "Metrics.Example.com": a lowercase RFC 1123 subdomain must '
        "consist "
        "of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"sessionAffinity": ""}, ["spec.sessionAffinity: Required value"]),
        (
            {"sessionAffinity": "Cookie"},
            ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
        ),
        (
            {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10}}},
            ["spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None"],
        ),
        (
            {"sessionAffinity": "ClientIP"},
            ["spec.sessionAffinityConfig: Required value: when session affinity type is ClientIP"],
        ),
        (
            {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {}},
            ["spec.sessionAffinityConfig.clientIP: Required value: when session affinity type is ClientIP"],
        ),
        (
            {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {}}},
            [
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Required value: "
                "when session affinity type is ClientIP"
            ],
        ),
        (
            {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 86401}}},
            [
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: "
                "must be greater than 0 and less than 86400"
            ],
        ),
        (
            {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}},
            [],
        ),
    ],
)
def test_session_affinity(spec: Obj, expected: list[str]) -> None:
    assert check(metrics_service(**spec)) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"clusterIPs": []}, ["spec.clusterIPs: Required value"]),
        (
            {"clusterIPs": ["10.96.12.8"]},
            ['spec.clusterIPs: Invalid value: []string{"10.96.12.8"}: first value must match `clusterIP`'],
        ),
        (
            {"clusterIP": ""},
            [
                'spec.clusterIPs: Invalid value: []string{"10.96.12.7"}: must be empty when `clusterIP` is '
                "not specified"
            ],
        ),
        (
            {"clusterIP": "None", "clusterIPs": ["None", "10.96.0.1"]},
            [
                'spec.clusterIPs: Invalid value: []string{"None", "10.96.0.1"}: \'None\' must be the first '
                "and only value"
            ],
        ),
        (
            {"clusterIP": "10.96.300.1", "clusterIPs": ["10.96.300.1"]},
            [f'spec.clusterIPs[0]: Invalid value: "10.96.300.1": {IP_MSG}'],
        ),
        (
            {"clusterIPs": ["10.96.12.7", "fd00::7", "10.96.12.9"], "ipFamilies": ["IPv4", "IPv6"]},
            [
                'spec.clusterIPs: Invalid value: []string{"10.96.12.7", "fd00::7", "10.96.12.9"}: may only '
                "hold up to 2 values"
            ],
        ),
        (
            {"clusterIPs": ["10.96.12.7", "10.96.12.8"], "ipFamilyPolicy": "PreferDualStack"},
            [
                'spec.clusterIPs: Invalid value: []string{"10.96.12.7", "10.96.12.8"}: '
                "may specify no more than one IP for each IP family"
            ],
        ),
        (
            {
                "clusterIPs": ["10.96.12.7", "fd00::7"],
                "ipFamilies": ["IPv4", "IPv6"],
                "ipFamilyPolicy": "RequireDualStack",
            },
            [],
        ),
        (
            {"clusterIP": "fd00::7", "clusterIPs": ["fd00::7"]},
            [
                'spec.clusterIPs[0]: Invalid value: "fd00::7": expected an IPv4 value as indicated by '
                "`ipFamilies[0]`"
            ],
        ),
        (
            {"ipFamilies": ["IPv6"]},
            [
                'spec.clusterIPs[0]: Invalid value: "10.96.12.7": expected an IPv6 value as indicated by '
                "`ipFamilies[0]`"
            ],
        ),
        (
            {"ipFamilies": ["IPv4", "IPv4"]},
            ['spec.ipFamilies[1]: Duplicate value: "IPv4"'],
        ),
        (
            {"ipFamilies": ["IPv5"]},
            ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'],
        ),
        (
            {"ipFamilyPolicy": "DualStack"},
            [
                'spec.ipFamilyPolicy: Unsupported value: "DualStack": supported values: '
                '"PreferDualStack", "RequireDualStack", "SingleStack"'
            ],
        ),
        ({"clusterIP": "010.096.012.007", "clusterIPs": ["010.096.012.007"]}, []),
    ],
)
def test_cluster_ips(spec: Obj, expected: list[str]) -> None:
    assert check(metrics_service(**spec)) == expected


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.10", []),
        ("nope", [f'spec.externalIPs[0]: Invalid value: "nope": {IP_MSG}']),
        ("0.0.0.0", ['spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)']),
        (
            "127.0.0.1",
            [
                'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range '
                "(127.0.0.0/8, ::1/128)"
            ],
        ),
        (
            "169.254.1.1",
            [
                'spec.externalIPs[0]: Invalid value: "169.254.1.1": may not be in the link-local range '
                "(169.254.0.0/16, fe80::/10)"
            ],
        ),
        (
            "ff02::1",
            [
                'spec.externalIPs[0]: Invalid value: "ff02::1": '
                "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
            ],
        ),
        (
            "::ffff:127.0.0.1",
            [
                'spec.externalIPs[0]: Invalid value: "::ffff:127.0.0.1": '
                "may not be in the loopback range (127.0.0.0/8, ::1/128)"
            ],
        ),
    ],
)
def test_external_ips(ip: str, expected: list[str]) -> None:
    assert check(metrics_service(externalIPs=[ip], externalTrafficPolicy="Cluster")) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"loadBalancerSourceRanges": ["10.0.0.0/8"]},
            ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"],
        ),
        (
            {"allocateLoadBalancerNodePorts": False},
            ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"],
        ),
        (
            {"loadBalancerClass": "example.com/lb"},
            ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"],
        ),
        (
            {"externalTrafficPolicy": "Local"},
            [
                'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for '
                "externally-accessible services"
            ],
        ),
        (
            {"healthCheckNodePort": 32000},
            [
                "spec.healthCheckNodePort: Invalid value: 32000: "
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
            ],
        ),
        ({"internalTrafficPolicy": None}, ["spec.internalTrafficPolicy: Required value"]),
        (
            {"internalTrafficPolicy": "Node"},
            ['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"'],
        ),
        ({"trafficDistribution": "PreferClose"}, []),
        (
            {"trafficDistribution": "PreferSameNode"},
            [
                'spec.trafficDistribution: Unsupported value: "PreferSameNode": supported values: '
                '"PreferClose"'
            ],
        ),
    ],
)
def test_fields_of_other_types_and_traffic_policies(spec: Obj, expected: list[str]) -> None:
    assert check(metrics_service(**spec)) == expected


def test_load_balancer_rules() -> None:
    base = {"type": "LoadBalancer", "externalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True}
    assert check(metrics_service(**base)) == []
    assert check(metrics_service(**{**base, "allocateLoadBalancerNodePorts": None})) == [
        "allocateLoadBalancerNodePorts: Required value"
    ]
    assert check(metrics_service(**{**base, "externalTrafficPolicy": ""})) == [
        "spec.externalTrafficPolicy: Required value"
    ]
    assert check(metrics_service(**{**base, "externalTrafficPolicy": "Global"})) == [
        'spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"'
    ]
    assert check(metrics_service(**{**base, "externalTrafficPolicy": "Local"})) == [
        "spec.healthCheckNodePort: Required value"
    ]
    assert check(metrics_service(**{**base, "loadBalancerSourceRanges": ["10.0.0.0/33"]})) == [
        'spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": '
        "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
    ]
    assert check(metrics_service(**{**base, "loadBalancerClass": "-internal"}))[0].startswith(
        'spec.loadBalancerClass: Invalid value: "-internal": name part must consist of'
    )


def test_source_ranges_annotation() -> None:
    obj = metrics_service()
    obj["metadata"]["annotations"] = {
        "service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8,x"
    }
    assert check(obj) == [
        "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Forbidden: "
        "may only be used when `type` is 'LoadBalancer'",
        'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: "x": '
        "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
    ]


def test_topology_annotations_must_agree() -> None:
    obj = metrics_service()
    obj["metadata"]["annotations"] = {
        "service.kubernetes.io/topology-mode": "Auto",
        "service.kubernetes.io/topology-aware-hints": "Disabled",
    }
    assert check(obj) == [
        'metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: "Auto": '
        "must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified"
    ]


def test_wrong_shapes_are_errors_not_crashes() -> None:
    obj = metrics_service(ports="9100", selector=["app"])
    assert check(obj)[:2] == [
        'spec.ports: Invalid value: "9100": must be of type array',
        'spec.selector: Invalid value: ["app"]: must be of type object',
    ]


# -- update ---------------------------------------------------------------------------------------


def update(new: Obj, old: Obj) -> list[str]:
    return messages(service.validate_service_update(new, old))


def test_an_update_may_change_ports_and_selector() -> None:
    old = metrics_service()
    new = copy.deepcopy(old)
    new["spec"]["ports"][0]["port"] = 19100
    new["spec"]["selector"]["tier"] = "node"
    assert update(new, old) == []


def test_cluster_ips_may_not_change_once_set() -> None:
    old = metrics_service()
    new = metrics_service(clusterIP="10.96.12.8", clusterIPs=["10.96.12.8"])
    assert update(new, old) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.12.8"}: may not change once set'
    ]


def test_the_primary_cluster_ip_may_not_be_unset() -> None:
    old = metrics_service()
    new = metrics_service(clusterIP="", clusterIPs=[])
    assert update(new, old) == [
        "spec.clusterIPs[0]: Invalid value: []string{}: primary clusterIP can not be unset"
    ]


def test_a_secondary_ip_may_be_added_and_released_only_with_single_stack() -> None:
    old = metrics_service()
    dual = metrics_service(
        clusterIPs=["10.96.12.7", "fd00::7"], ipFamilies=["IPv4", "IPv6"], ipFamilyPolicy="PreferDualStack"
    )
    assert update(dual, old) == []
    back = metrics_service(ipFamilyPolicy="PreferDualStack")
    assert update(back, dual) == [
        "spec.ipFamilyPolicy: Invalid value: \"PreferDualStack\": must be set to 'SingleStack' when "
        "releasing "
        "the secondary clusterIP",
        "spec.ipFamilyPolicy: Invalid value: \"PreferDualStack\": must be set to 'SingleStack' when "
        "releasing "
        "the secondary ipFamily",
    ]
    assert update(metrics_service(), dual) == []


def test_ip_families_may_not_change() -> None:
    old = metrics_service(clusterIP="fd00::7", clusterIPs=["fd00::7"], ipFamilies=["IPv6"])
    new = copy.deepcopy(old)
    new["spec"]["ipFamilies"] = ["IPv4"]
    assert update(new, old) == [
        'spec.ipFamilies[0]: Invalid value: []core.IPFamily{"IPv4"}: may not change once set',
        'spec.clusterIPs[0]: Invalid value: "fd00::7": expected an IPv4 value as indicated by '
        "`ipFamilies[0]`",
    ]


def test_anything_goes_to_and_from_external_name() -> None:
    old = metrics_service()
    new = metrics_service(type="ExternalName", externalName="metrics.example.com", ports=[])
    for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
        del new["spec"][field]
    assert update(new, old) == []
    assert update(metrics_service(clusterIP="10.96.0.99", clusterIPs=["10.96.0.99"]), new) == []


def test_headless_stays_headless_freely() -> None:
    old = metrics_service(clusterIP="None", clusterIPs=["None"], ipFamilies=["IPv4"])
    new = metrics_service(clusterIP="None", clusterIPs=["None"], ipFamilies=["IPv6"])
    assert update(new, old) == []


def test_load_balancer_class_and_health_check_port_are_fixed() -> None:
    base = {
        "type": "LoadBalancer",
        "externalTrafficPolicy": "Local",
        "healthCheckNodePort": 32000,
        "allocateLoadBalancerNodePorts": True,
        "loadBalancerClass": "example.com/a",
    }
    old = metrics_service(**base)
    new = metrics_service(**{**base, "loadBalancerClass": "example.com/b", "healthCheckNodePort": 32001})
    assert update(new, old) == [
        'spec.loadBalancerClass: Invalid value: "example.com/b": may not change once set',
        "spec.healthCheckNodePort: Forbidden: field is immutable",
    ]
    unset = metrics_service(**{**base, "loadBalancerClass": None})
    assert update(unset, old) == ["spec.loadBalancerClass: Invalid value: null: may not change once set"]


def test_update_keeps_ips_the_old_object_already_had() -> None:
    old = metrics_service(externalIPs=["203.0.113.010"], externalTrafficPolicy="Cluster")
    new = copy.deepcopy(old)
    assert update(new, old) == []


def test_type_change_to_cluster_ip_with_node_ports_left_is_forbidden() -> None:
    ports = [{"name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": 9100, "nodePort": 30910}]
    old = metrics_service(type="NodePort", ports=ports, externalTrafficPolicy="Cluster")
    new = metrics_service(ports=copy.deepcopy(ports))
    assert update(new, old) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]


# -- status ---------------------------------------------------------------------------------------


def with_ingress(*ingress: Obj, **spec: Any) -> Obj:
    obj = metrics_service(**spec)
    obj["status"] = {"loadBalancer": {"ingress": list(ingress)}}
    return obj


LB = {"type": "LoadBalancer", "externalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True}


def test_status_may_report_load_balancer_ingress() -> None:
    old = metrics_service(**LB)
    new = with_ingress({"ip": "203.0.113.10", "ipMode": "VIP"}, {"hostname": "lb.example.com"}, **LB)
    assert messages(service.validate_service_status_update(new, old)) == []


@pytest.mark.parametrize(
    ("ingress", "expected"),
    [
        (
            {"ip": "nope", "ipMode": "VIP"},
            [f'status.loadBalancer.ingress[0].ip: Invalid value: "nope": {IP_MSG}'],
        ),
        (
            {"ip": "203.0.113.10"},
            ["status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set"],
        ),
        (
            {"hostname": "lb.example.com", "ipMode": "VIP"},
            ["status.loadBalancer.ingress[0].ipMode: Forbidden: may not be specified when `ip` is not set"],
        ),
        (
            {"ip": "203.0.113.10", "ipMode": "DSR"},
            [
                'status.loadBalancer.ingress[0].ipMode: Unsupported value: "DSR": supported values: "Proxy", '
                '"VIP"'
            ],
        ),
        (
            {"hostname": "203.0.113.10"},
            [
                'status.loadBalancer.ingress[0].hostname: Invalid value: "203.0.113.10": '
                "must be a DNS name, not an IP address"
            ],
        ),
    ],
)
def test_status_ingress_rules(ingress: Obj, expected: list[str]) -> None:
    old = metrics_service(**LB)
    assert messages(service.validate_service_status_update(with_ingress(ingress, **LB), old)) == expected


def test_status_ingress_only_for_load_balancers() -> None:
    old = metrics_service()
    new = with_ingress({"ip": "203.0.113.10", "ipMode": "VIP"})
    assert messages(service.validate_service_status_update(new, old)) == [
        "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"
    ]
