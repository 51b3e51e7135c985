"""Defaults of Services and what routes to them: upstream's ``SetDefaults_Service``,
``_Endpoints``, ``_EndpointPort`` (discovery/v1) and ``_NetworkPolicy``.

Cluster IPs, IP families and node ports are not defaults: the registry's allocator assigns them.
"""

from __future__ import annotations

from everynode.apiserver.defaults.podspec import objects, set_if_absent
from everynode.core.types import Obj

AFFINITY_TIMEOUT = 10800  # seconds: upstream's DefaultClientIPServiceAffinitySeconds


def externally_accessible(spec: Obj) -> bool:
    """NodePort and LoadBalancer services, and ClusterIP ones with external IPs."""
    kind = spec.get("type")
    return kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and bool(spec.get("externalIPs")))


def service_defaults(service: Obj) -> None:
    spec = service.get("spec")
    if not isinstance(spec, dict):
        return
    set_if_absent(spec, "sessionAffinity", "None", zero_counts=True)
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig")
        if config is None:
            config = spec["sessionAffinityConfig"] = {}
        if isinstance(config, dict):
            client_ip = config.get("clientIP")
            if client_ip is None:
                client_ip = config["clientIP"] = {}
            if isinstance(client_ip, dict):
                set_if_absent(client_ip, "timeoutSeconds", AFFINITY_TIMEOUT)
    set_if_absent(spec, "type", "ClusterIP", zero_counts=True)
    for port in objects(spec, "ports"):
        set_if_absent(port, "protocol", "TCP", zero_counts=True)
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if externally_accessible(spec):
        set_if_absent(spec, "externalTrafficPolicy", "Cluster", zero_counts=True)
    if spec.get("type") in ("ClusterIP", "NodePort", "LoadBalancer"):
        set_if_absent(spec, "internalTrafficPolicy", "Cluster", zero_counts=True)
    if spec.get("type") == "LoadBalancer":
        set_if_absent(spec, "allocateLoadBalancerNodePorts", True)


def endpoints_defaults(endpoints: Obj) -> None:
    for subset in objects(endpoints, "subsets"):
        for port in objects(subset, "ports"):
            set_if_absent(port, "protocol", "TCP", zero_counts=True)


def endpoint_slice_defaults(slice_: Obj) -> None:
    for port in objects(slice_, "ports"):
        set_if_absent(port, "name", "")
        set_if_absent(port, "protocol", "TCP")


def network_policy_defaults(policy: Obj) -> None:
    spec = policy.get("spec")
    if not isinstance(spec, dict):
        return
    for direction in ("ingress", "egress"):
        for rule in objects(spec, direction):
            for port in objects(rule, "ports"):
                set_if_absent(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
