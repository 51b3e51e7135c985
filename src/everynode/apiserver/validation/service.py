"""Service validation (upstream ``ValidateService``, ``ValidateServiceUpdate``, ``...StatusUpdate``)."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.containers import PROTOCOLS
from everynode.apiserver.validation.endpoints import (
    validate_endpoint_slice,
    validate_endpoint_slice_update,
    validate_endpoints,
    validate_endpoints_update,
)
from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_list,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    expect_object,
    index,
    key,
    str_map,
    strings,
)
from everynode.apiserver.validation.ips import validate_cidr, validate_endpoint_ip, validate_ip
from everynode.apiserver.validation.meta import (
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.apiserver.validation.service_fields import (
    SERVICE_TYPES,
    TRAFFIC_POLICIES,
    is_headless,
    service_port_text,
    validate_cluster_ip_fields,
    validate_ip_updates,
    validate_load_balancer_class,
    validate_load_balancer_status,
)
from everynode.apiserver.validation.values import (
    dns_label,
    dns_subdomain,
    port_number,
    port_number_or_name,
)
from everynode.apiserver.validation.values import qualified_name as qualified
from everynode.core import names
from everynode.core.fielderrors import FieldError, duplicate, forbidden, invalid, not_supported, required
from everynode.core.types import Obj

__all__ = [
    "validate_endpoint_slice",
    "validate_endpoint_slice_update",
    "validate_endpoints",
    "validate_endpoints_update",
    "validate_service",
    "validate_service_status_update",
    "validate_service_update",
]

AFFINITIES = ("ClientIP", "None")
MAX_AFFINITY_SECONDS = 86400
TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
TOPOLOGY_HINTS = "service.kubernetes.io/topology-aware-hints"
SOURCE_RANGES = "service.beta.kubernetes.io/load-balancer-source-ranges"
_SPEC_SHAPE = {
    **dict.fromkeys(
        ("ports", "clusterIPs", "externalIPs", "ipFamilies", "loadBalancerSourceRanges"), "array"
    ),
    **dict.fromkeys(("selector", "sessionAffinityConfig"), "object"),
    **dict.fromkeys(
        (
            "type",
            "clusterIP",
            "externalName",
            "sessionAffinity",
            "externalTrafficPolicy",
            "internalTrafficPolicy",
            "ipFamilyPolicy",
            "loadBalancerIP",
            "loadBalancerClass",
            "trafficDistribution",
        ),
        "string",
    ),
    "healthCheckNodePort": "integer",
    **dict.fromkeys(("publishNotReadyAddresses", "allocateLoadBalancerNodePorts"), "boolean"),
}
_PORT_SHAPE = {"name": "string", "protocol": "string", "appProtocol": "string", "port": "integer"}


def _shape(spec: Any) -> Errors:
    errs = expect_object(spec, "spec") or expect(spec, _SPEC_SHAPE, "spec")
    spec = as_dict(spec)
    errs.extend(expect_items(spec.get("ports"), "object", "spec.ports"))
    for i, port in enumerate(dicts(spec.get("ports"))):
        errs.extend(expect(port, {**_PORT_SHAPE, "nodePort": "integer"}, index("spec.ports", i)))
    for field in ("clusterIPs", "externalIPs", "ipFamilies", "loadBalancerSourceRanges"):
        errs.extend(expect_items(spec.get(field), "string", child("spec", field)))
    errs.extend(expect_items(spec.get("selector"), "string", "spec.selector", keyed=True))
    return errs


def externally_accessible(spec: Obj) -> bool:
    kind = spec.get("type")
    return kind in ("LoadBalancer", "NodePort") or (
        kind == "ClusterIP" and bool(as_list(spec.get("externalIPs")))
    )


def needs_health_check(spec: Obj) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _topology_annotations(metadata: Any) -> Errors:
    annotations = str_map(as_dict(metadata).get("annotations"))
    mode, hints = annotations.get(TOPOLOGY_MODE), annotations.get(TOPOLOGY_HINTS)
    if mode is not None and hints is not None and mode != hints:
        detail = f"must match annotations[{TOPOLOGY_HINTS}] when both are specified"
        return [invalid(key("metadata.annotations", TOPOLOGY_MODE), mode, detail)]
    return []


def _type_rules(spec: Obj) -> Errors:
    """What the type requires of the other fields: ports, no headless node ports, an external name."""
    kind, ports = spec.get("type"), dicts(spec.get("ports"))
    errs: Errors = []
    if not ports and not is_headless(spec) and kind != "ExternalName":
        errs.append(required("spec.ports"))
    if kind in ("LoadBalancer", "NodePort") and is_headless(spec):
        detail = f"may not be set to 'None' for {kind} services"
        errs.append(invalid("spec.clusterIPs[0]", "None", detail))
    elif kind == "ExternalName":
        for field in ("clusterIPs", "ipFamilies"):
            if as_list(spec.get(field)):
                errs.append(forbidden(child("spec", field), "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        cname = as_str(spec.get("externalName")).removesuffix(".")
        errs.extend(dns_subdomain(cname, "spec.externalName") if cname else [required("spec.externalName")])
    return errs


def _port(port: Obj, require_name: bool, seen: set[str], path: str) -> Errors:
    """``validateServicePort``: name, number, protocol, target port and app protocol."""
    errs: Errors = []
    name = as_str(port.get("name"))
    if require_name and not name:
        errs.append(required(child(path, "name")))
    elif name:
        errs.extend(dns_label(name, child(path, "name")))
        if name in seen:
            errs.append(duplicate(child(path, "name"), name))
        seen.add(name)
    errs.extend(port_number(port.get("port"), child(path, "port")))
    protocol = as_str(port.get("protocol"))
    if not protocol:
        errs.append(required(child(path, "protocol")))
    elif protocol not in PROTOCOLS:
        errs.append(not_supported(child(path, "protocol"), protocol, PROTOCOLS))
    errs.extend(port_number_or_name(port.get("targetPort"), child(path, "targetPort")))
    if isinstance(port.get("appProtocol"), str):
        errs.extend(qualified(port["appProtocol"], child(path, "appProtocol")))
    return errs


def _ports(spec: Obj) -> Errors:
    ports = dicts(spec.get("ports"))
    seen: set[str] = set()
    errs: Errors = []
    for i, port in enumerate(ports):
        errs.extend(_port(port, len(ports) > 1, seen, index("spec.ports", i)))
    return errs


def _session_affinity(spec: Obj) -> Errors:
    affinity, config = as_str(spec.get("sessionAffinity")), spec.get("sessionAffinityConfig")
    errs: Errors = []
    if not affinity:
        errs.append(required("spec.sessionAffinity"))
    elif affinity not in AFFINITIES:
        errs.append(not_supported("spec.sessionAffinity", affinity, AFFINITIES))
    path = "spec.sessionAffinityConfig"
    if affinity == "ClientIP":
        detail = "when session affinity type is ClientIP"
        client_ip = as_dict(config).get("clientIP")
        if not isinstance(config, dict):
            errs.append(required(path, detail))
        elif not isinstance(client_ip, dict):
            errs.append(required(child(path, "clientIP"), detail))
        elif as_int(client_ip.get("timeoutSeconds")) is None:
            errs.append(required(child(path, "clientIP", "timeoutSeconds"), detail))
        else:
            timeout = client_ip["timeoutSeconds"]
            if not 0 < timeout <= MAX_AFFINITY_SECONDS:
                detail = f"must be greater than 0 and less than {MAX_AFFINITY_SECONDS}"
                errs.append(invalid(child(path, "clientIP", "timeoutSeconds"), timeout, detail))
    elif affinity == "None" and config is not None:
        errs.append(forbidden(path, "must not be set when session affinity is None"))
    return errs


def _external_ips(spec: Obj, old_spec: Obj | None) -> Errors:
    existing = strings(as_dict(old_spec).get("externalIPs"))
    errs: Errors = []
    for i, ip in enumerate(strings(spec.get("externalIPs"))):
        path = index("spec.externalIPs", i)
        errs.extend(validate_ip(ip, path, existing) or validate_endpoint_ip(ip, path))
    return errs


def _node_ports(spec: Obj) -> Errors:
    """No node ports on a ClusterIP service; no (protocol, port) or (protocol, nodePort) used twice."""
    ports = dicts(spec.get("ports"))
    errs: Errors = []
    if spec.get("type") == "ClusterIP":
        for i, port in enumerate(ports):
            if as_int(port.get("nodePort")):
                detail = "may not be used when `type` is 'ClusterIP'"
                errs.append(forbidden(child(index("spec.ports", i), "nodePort"), detail))
    node_ports: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        node_port = as_int(port.get("nodePort")) or 0
        if node_port:
            mark = (as_str(port.get("protocol")), node_port)
            if mark in node_ports:
                errs.append(duplicate(child(index("spec.ports", i), "nodePort"), node_port))
            node_ports.add(mark)
    pairs: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        mark = (as_str(port.get("protocol")), as_int(port.get("port")) or 0)
        if mark in pairs:
            text = service_port_text(*mark)
            errs.append(FieldError("Duplicate", index("spec.ports", i), port, value_text=text))
        pairs.add(mark)
    return errs


def _source_ranges(spec: Obj, metadata: Any, old: Obj | None) -> Errors:
    ranges = strings(spec.get("loadBalancerSourceRanges"))
    lb_only = "may only be used when `type` is 'LoadBalancer'"
    errs: Errors = []
    if ranges:
        path = "spec.LoadBalancerSourceRanges"  # sic: upstream's path has a capital L
        if spec.get("type") != "LoadBalancer":
            errs.append(forbidden(path, lb_only))
        old_ranges = [
            r.strip() for r in strings(as_dict(as_dict(old).get("spec")).get("loadBalancerSourceRanges"))
        ]
        for i, value in enumerate(ranges):
            errs.extend(validate_cidr(value.strip(), index(path, i), old_ranges))
        return errs
    annotations = str_map(as_dict(metadata).get("annotations"))
    if SOURCE_RANGES not in annotations:
        return errs
    path = key("metadata.annotations", SOURCE_RANGES)
    if spec.get("type") != "LoadBalancer":
        errs.append(forbidden(path, lb_only))
    old_value = str_map(as_dict(as_dict(old).get("metadata")).get("annotations")).get(SOURCE_RANGES)
    value = annotations[SOURCE_RANGES].strip()
    if (old is None or old_value != annotations[SOURCE_RANGES]) and value:
        for cidr in value.split(","):
            errs.extend(validate_cidr(cidr.strip(), path))
    return errs


def _load_balancer_fields(spec: Obj) -> Errors:
    errs: Errors = []
    allocate = spec.get("allocateLoadBalancerNodePorts")
    if allocate is not None and spec.get("type") != "LoadBalancer":
        path = "spec.allocateLoadBalancerNodePorts"
        errs.append(forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
    if spec.get("type") == "LoadBalancer" and allocate is None:
        errs.append(required("allocateLoadBalancerNodePorts"))  # sic: upstream's path has no "spec."
    return errs


def _traffic_policies(spec: Obj) -> Errors:
    """``validateServiceExternalTrafficPolicy``, the internal policy and ``trafficDistribution``."""
    errs: Errors = []
    external = as_str(spec.get("externalTrafficPolicy"))
    if not externally_accessible(spec):
        if external:
            detail = "may only be set for externally-accessible services"
            errs.append(invalid("spec.externalTrafficPolicy", external, detail))
    elif not external:
        errs.append(required("spec.externalTrafficPolicy"))
    elif external not in TRAFFIC_POLICIES:
        errs.append(not_supported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES))
    health = as_int(spec.get("healthCheckNodePort")) or 0
    if not needs_health_check(spec):
        if health:
            detail = "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
            errs.append(invalid("spec.healthCheckNodePort", health, detail))
    elif not health:
        errs.append(required("spec.healthCheckNodePort"))
    else:
        errs.extend(port_number(health, "spec.healthCheckNodePort"))
    internal = spec.get("internalTrafficPolicy")
    if internal is None and spec.get("type") in ("ClusterIP", "NodePort", "LoadBalancer"):
        errs.append(required("spec.internalTrafficPolicy"))
    if internal is not None and internal not in TRAFFIC_POLICIES:
        errs.append(not_supported("spec.internalTrafficPolicy", as_str(internal), TRAFFIC_POLICIES))
    distribution = spec.get("trafficDistribution")
    if distribution is not None and distribution != "PreferClose":
        errs.append(not_supported("spec.trafficDistribution", as_str(distribution), ("PreferClose",)))
    return errs


def _validate(service: Obj, old: Obj | None) -> Errors:
    metadata, raw_spec = service.get("metadata"), service.get("spec")
    errs = validate_object_meta(metadata, namespaced=True, name_fn=names.name_is_dns1035_label)
    errs.extend(_shape(raw_spec))
    spec = as_dict(raw_spec)
    errs.extend(_topology_annotations(metadata))
    errs.extend(_type_rules(spec))
    errs.extend(_ports(spec))
    if isinstance(spec.get("selector"), dict):
        errs.extend(validate_labels(spec["selector"], "spec.selector"))
    errs.extend(_session_affinity(spec))
    errs.extend(validate_cluster_ip_fields(spec, as_dict(old).get("spec") if old is not None else None))
    errs.extend(_external_ips(spec, as_dict(old.get("spec")) if old is not None else None))
    kind = as_str(spec.get("type"))
    if not kind:
        errs.append(required("spec.type"))
    elif kind not in SERVICE_TYPES:
        errs.append(not_supported("spec.type", kind, SERVICE_TYPES))
    errs.extend(_node_ports(spec))
    errs.extend(_source_ranges(spec, metadata, old))
    errs.extend(_load_balancer_fields(spec))
    errs.extend(validate_load_balancer_class(spec, None))
    errs.extend(_traffic_policies(spec))
    return errs


def validate_service(obj: Obj) -> Errors:
    return _validate(obj, None)


def validate_service_update(new: Obj, old: Obj) -> Errors:
    """Metadata rules, the allocated addresses that may not change, then the create rules again (with
    values the old object already held still accepted)."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    errs.extend(validate_ip_updates(new_spec, old_spec))
    errs.extend(validate_load_balancer_class(new_spec, old_spec))
    health, old_health = new_spec.get("healthCheckNodePort"), old_spec.get("healthCheckNodePort")
    if needs_health_check(old_spec) and needs_health_check(new_spec) and as_int(health) != as_int(old_health):
        errs.append(forbidden("spec.healthCheckNodePort", "field is immutable"))
    errs.extend(_validate(new, old))
    return errs


def validate_service_status_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_load_balancer_status(new, old))
    return errs
