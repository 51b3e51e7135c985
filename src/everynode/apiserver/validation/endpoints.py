"""Endpoints, EndpointSlice validation (``ValidateEndpoints[Update]``, ``ValidateEndpointSlice[Update]``)."""

from __future__ import annotations

import ipaddress
from typing import Any

from everynode.apiserver.validation.containers import PROTOCOLS
from everynode.apiserver.validation.fields import (
    Errors,
    as_list,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    immutable,
    index,
    semantic_equal,
    str_map,
    strings,
)
from everynode.apiserver.validation.ips import parse_ip, validate_endpoint_ip, validate_ip
from everynode.apiserver.validation.meta import (
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.apiserver.validation.values import (
    dns_label,
    dns_subdomain,
    port_number,
    qualified_name,
    too_many,
)
from everynode.core import names
from everynode.core.fielderrors import duplicate, invalid, not_supported, required
from everynode.core.types import Obj

ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_PORTS = 20000
MAX_TOPOLOGY_LABELS = 16
MAX_ZONE_HINTS = 8
_SUBSET_FIELDS = ("addresses", "notReadyAddresses", "ports")
_PORT_SHAPE = {"name": "string", "protocol": "string", "appProtocol": "string", "port": "integer"}


def _protocol(port: Obj, path: str) -> Errors:
    protocol = port.get("protocol")
    if not protocol:
        return [required(child(path, "protocol"))]
    if protocol not in PROTOCOLS:
        return [not_supported(child(path, "protocol"), as_str(protocol), PROTOCOLS)]
    return []


def _app_protocol(port: Obj, path: str) -> Errors:
    value = port.get("appProtocol")
    return qualified_name(value, child(path, "appProtocol")) if isinstance(value, str) else []


def _address(address: Obj, path: str) -> Errors:
    ip = as_str(address.get("ip"))
    errs = validate_ip(ip, child(path, "ip"))
    hostname = as_str(address.get("hostname"))
    if hostname:
        errs.extend(dns_label(hostname, child(path, "hostname")))
    if isinstance(address.get("nodeName"), str):
        errs.extend(dns_subdomain(address["nodeName"], child(path, "nodeName")))
    errs.extend(validate_endpoint_ip(ip, child(path, "ip")))
    return errs


def _endpoint_port(port: Obj, require_name: bool, path: str) -> Errors:
    errs: Errors = []
    name = as_str(port.get("name"))
    if require_name and not name:
        errs.append(required(child(path, "name")))
    elif name:
        errs.extend(dns_label(name, child(path, "name")))
    errs.extend(port_number(port.get("port"), child(path, "port")))
    errs.extend(_protocol(port, path))
    errs.extend(_app_protocol(port, path))
    return errs


def _subsets(subsets: Any) -> Errors:
    errs = expect_items(subsets, "object", "subsets")
    for i, subset in enumerate(dicts(subsets)):
        path = index("subsets", i)
        errs.extend(expect(subset, dict.fromkeys(_SUBSET_FIELDS, "array"), path))
        for field in _SUBSET_FIELDS:
            errs.extend(expect_items(subset.get(field), "object", child(path, field)))
        if not as_list(subset.get("addresses")) and not as_list(subset.get("notReadyAddresses")):
            errs.append(required(path, "must specify `addresses` or `notReadyAddresses`"))
        for field in ("addresses", "notReadyAddresses"):
            for j, address in enumerate(dicts(subset.get(field))):
                errs.extend(_address(address, index(child(path, field), j)))
        ports = dicts(subset.get("ports"))
        for j, port in enumerate(ports):
            item = index(child(path, "ports"), j)
            errs.extend(expect(port, _PORT_SHAPE, item))
            errs.extend(_endpoint_port(port, len(ports) > 1, item))
    return errs


def _validate_endpoints(obj: Obj, old: Obj | None) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(expect(obj, {"subsets": "array"}, ""))
    subset_errs = _subsets(obj.get("subsets"))
    # Subsets an older server stored stay acceptable while an update leaves them as they are.
    if subset_errs and old is not None and semantic_equal(obj.get("subsets"), old.get("subsets")):
        subset_errs = []
    return errs + subset_errs


def validate_endpoints(obj: Obj) -> Errors:
    return _validate_endpoints(obj, None)


def validate_endpoints_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(_validate_endpoints(new, old))
    return errs


def _fqdn(name: str, path: str) -> Errors:
    """``IsFullyQualifiedDomainName``: a subdomain of at least two labels, a trailing dot allowed."""
    if not name:
        return [required(path)]
    name = name.removesuffix(".")
    problems = names.is_dns1123_subdomain(name)
    if problems:
        return [invalid(path, name, ",".join(problems))]
    labels = name.split(".")
    if len(labels) < 2:
        return [invalid(path, name, "should be a domain with at least two segments separated by dots")]
    for label in labels:
        problems = names.is_dns1123_label(label)
        if problems:
            return [invalid(path, label, ",".join(problems))]
    return []


def _slice_address(address: str, address_type: str, path: str) -> Errors:
    if address_type == "FQDN":
        return _fqdn(address, path)
    if address_type not in ("IPv4", "IPv6"):
        return []
    ip = parse_ip(address)
    version = 4 if isinstance(ip, ipaddress.IPv4Address) else 6
    if ip is None or f"IPv{version}" != address_type:
        errs = [invalid(path, address, f"must be a valid {address_type} address")]
    else:
        errs = []
    return errs + validate_endpoint_ip(address, path)


def _hints(hints: Obj, path: str) -> Errors:
    zones = dicts(hints.get("forZones"))
    path = child(path, "forZones")
    if len(zones) > MAX_ZONE_HINTS:
        return [too_many(path, len(zones), MAX_ZONE_HINTS)]
    errs: Errors = []
    seen: set[str] = set()
    for i, zone in enumerate(zones):
        item = child(index(path, i), "name")
        name = as_str(zone.get("name"))
        if name in seen:
            errs.append(duplicate(item, name))
        seen.add(name)
        errs.extend(invalid(item, name, msg) for msg in names.is_valid_label_value(name))
    return errs


def _slice_endpoint(endpoint: Obj, address_type: str, path: str) -> Errors:
    errs: Errors = []
    addresses, addresses_path = strings(endpoint.get("addresses")), child(path, "addresses")
    if not addresses:
        errs.append(required(addresses_path, "must contain at least 1 address"))
    elif len(addresses) > MAX_ADDRESSES:
        errs.append(too_many(addresses_path, len(addresses), MAX_ADDRESSES))
    for i, address in enumerate(addresses):
        errs.extend(_slice_address(address, address_type, index(addresses_path, i)))
    if isinstance(endpoint.get("nodeName"), str):
        errs.extend(dns_subdomain(endpoint["nodeName"], child(path, "nodeName")))
    topology = str_map(endpoint.get("deprecatedTopology"))
    if len(topology) > MAX_TOPOLOGY_LABELS:
        errs.append(too_many(child(path, "deprecatedTopology"), len(topology), MAX_TOPOLOGY_LABELS))
    errs.extend(validate_labels(topology, child(path, "deprecatedTopology")))
    if isinstance(endpoint.get("hostname"), str):
        errs.extend(dns_label(endpoint["hostname"], child(path, "hostname")))
    if isinstance(endpoint.get("hints"), dict):
        errs.extend(_hints(endpoint["hints"], child(path, "hints")))
    return errs


def _slice_ports(ports: list[Obj]) -> Errors:
    if len(ports) > MAX_PORTS:
        return [too_many("ports", len(ports), MAX_PORTS)]
    errs: Errors = []
    seen: set[str] = set()
    for i, port in enumerate(ports):
        path = index("ports", i)
        errs.extend(expect(port, _PORT_SHAPE, path))
        name = as_str(port.get("name"))
        if name:
            errs.extend(dns_label(name, child(path, "name")))
        if name in seen:
            errs.append(duplicate(child(path, "name"), name))
        seen.add(name)
        errs.extend(_protocol(port, path))
        errs.extend(_app_protocol(port, path))
    return errs


_SLICE_SHAPE = {"addressType": "string", "endpoints": "array", "ports": "array"}
_ENDPOINT_SHAPE = {
    "addresses": "array",
    "conditions": "object",
    "hostname": "string",
    "nodeName": "string",
    "zone": "string",
    "deprecatedTopology": "object",
    "hints": "object",
}


def validate_endpoint_slice(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(expect(obj, _SLICE_SHAPE, ""))
    for field in ("endpoints", "ports"):
        errs.extend(expect_items(obj.get(field), "object", field))
    address_type = as_str(obj.get("addressType"))
    if not address_type:
        errs.append(required("addressType"))
    elif address_type not in ADDRESS_TYPES:
        errs.append(not_supported("addressType", address_type, ADDRESS_TYPES))
    endpoints = dicts(obj.get("endpoints"))
    if len(endpoints) > MAX_ENDPOINTS:
        errs.append(too_many("endpoints", len(endpoints), MAX_ENDPOINTS))
    else:
        for i, endpoint in enumerate(endpoints):
            path = index("endpoints", i)
            errs.extend(expect(endpoint, _ENDPOINT_SHAPE, path))
            errs.extend(expect_items(endpoint.get("addresses"), "string", child(path, "addresses")))
            errs.extend(_slice_endpoint(endpoint, address_type, path))
    errs.extend(_slice_ports(dicts(obj.get("ports"))))
    return errs


def validate_endpoint_slice_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_endpoint_slice(new))
    errs.extend(immutable(as_str(new.get("addressType")), as_str(old.get("addressType")), "addressType"))
    return errs
