"""Service, Endpoints, EndpointSlice and NetworkPolicy tables.

A Service row shows its cluster IP, an EXTERNAL-IP worked out per type (``<pending>`` for a load
balancer with no ingress yet, the DNS name for ExternalName) and its ports as ``80/TCP`` or
``80:30080/TCP``. Endpoints and EndpointSlice rows list at most three items, then `` + N more...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.tables.columns import (
    AGE,
    NAME,
    NONE,
    Cells,
    Column,
    Printer,
    format_labels,
    integer,
    items,
    mapping,
    metadata,
    name_of,
    text,
    wide,
)
from everynode.apiserver.tables.timefmt import UNKNOWN, since
from everynode.core.labelselector import format_label_selector

PENDING = "<pending>"
UNSET = "<unset>"
MAX_LISTED = 3  # Endpoints and EndpointSlice cells show this many items, then " + N more..."


def strings(value: Any) -> list[str]:
    """The strings of a list, skipping anything else."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def with_more(listed: list[str], total: int) -> str:
    """``a,b,c + 2 more...`` when ``total`` exceeds what was listed."""
    joined = ",".join(listed)
    return f"{joined} + {total - MAX_LISTED} more..." if total > MAX_LISTED else joined


def join_host_port(host: str, port: int) -> str:
    """``net.JoinHostPort``: brackets around a host holding a colon (an IPv6 address)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- Service ---


def cluster_ip(spec: Mapping[str, Any]) -> str:
    """The first of ``clusterIPs`` (``None`` for a headless service), else ``<none>``.

    Falls back to the singular ``clusterIP`` should ``clusterIPs`` be missing; upstream always has both
    filled in by the time an object is stored."""
    ips = strings(spec.get("clusterIPs"))
    return (ips[0] if ips else text(spec.get("clusterIP"))) or NONE


def load_balancer_ips(status: Mapping[str, Any]) -> list[str]:
    """Distinct ingress IPs (or hostnames, for ingress points without an IP), sorted."""
    found: set[str] = set()
    for ingress in items(mapping(status.get("loadBalancer")).get("ingress")):
        if point := text(ingress.get("ip")) or text(ingress.get("hostname")):
            found.add(point)
    return sorted(found)


def external_ip(service: Mapping[str, Any]) -> str:
    spec = mapping(service.get("spec"))
    kind = spec.get("type")
    external_ips = strings(spec.get("externalIPs"))
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) or NONE
    if kind == "LoadBalancer":
        # The server prints wide rows, so upstream's 16-character truncation never applies here.
        return ",".join(load_balancer_ips(mapping(service.get("status"))) + external_ips) or PENDING
    if kind == "ExternalName":
        return text(spec.get("externalName"))
    return UNKNOWN


def service_ports(spec: Mapping[str, Any]) -> str:
    """``port/protocol`` per port, ``port:nodePort/protocol`` when a node port is set; ``<none>``."""
    pieces: list[str] = []
    for port in items(spec.get("ports")):
        node_port = integer(port.get("nodePort"))
        via_node = f":{node_port}" if node_port > 0 else ""
        pieces.append(f"{integer(port.get('port'))}{via_node}/{text(port.get('protocol'))}")
    return ",".join(pieces) or NONE


def service_cells(service: Mapping[str, Any], now: datetime) -> Cells:
    spec = mapping(service.get("spec"))
    return [
        name_of(service),
        text(spec.get("type")),
        cluster_ip(spec),
        external_ip(service),
        service_ports(spec),
        since(metadata(service).get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


SERVICES = Printer(
    (
        NAME,
        Column("Type", description="How the service is exposed: ClusterIP, NodePort, LoadBalancer…"),
        Column("Cluster-IP", description="The virtual IP inside the cluster (None when headless)."),
        Column("External-IP", description="Addresses that reach the service from outside the cluster."),
        Column("Port(s)", description="The ports the service exposes, with node ports."),
        AGE,
        wide("Selector", "Labels of the pods that back the service."),
    ),
    service_cells,
)


# --- Endpoints ---


def format_endpoints(endpoints: Mapping[str, Any]) -> str:
    """``ip:port`` for every port and ready address of every subset (just ``ip`` in a subset without
    ports), at most three, then `` + N more...``; ``<none>`` when there are no subsets."""
    subsets = items(endpoints.get("subsets"))
    if not subsets:
        return NONE
    listed: list[str] = []
    total = 0
    for subset in subsets:
        ips = [text(address.get("ip")) for address in items(subset.get("addresses"))]
        ports = items(subset.get("ports"))
        if not ports:
            total += len(ips)
            listed.extend(ips[: MAX_LISTED - len(listed)])
            continue
        for port in ports:
            number = integer(port.get("port"))
            total += len(ips)
            listed.extend(join_host_port(ip, number) for ip in ips[: MAX_LISTED - len(listed)])
    return with_more(listed, total)


def endpoints_cells(endpoints: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(endpoints),
        format_endpoints(endpoints),
        since(metadata(endpoints).get("creationTimestamp"), now),
    ]


ENDPOINTS = Printer(
    (NAME, Column("Endpoints", description="Ready addresses and ports that back the service."), AGE),
    endpoints_cells,
)


# --- EndpointSlice ---


def slice_port(port: Mapping[str, Any]) -> str:
    """The port number, else its name, else ``*`` (a slice port without a number means all ports)."""
    number = port.get("port")
    if isinstance(number, int) and not isinstance(number, bool):
        return str(number)
    name = port.get("name")
    return name if isinstance(name, str) else "*"


def _listed_or_unset(values: list[str]) -> str:
    return with_more(values[:MAX_LISTED], len(values)) or UNSET


def endpointslice_cells(eps: Mapping[str, Any], now: datetime) -> Cells:
    addresses = [a for endpoint in items(eps.get("endpoints")) for a in strings(endpoint.get("addresses"))]
    return [
        name_of(eps),
        text(eps.get("addressType")),
        _listed_or_unset([slice_port(port) for port in items(eps.get("ports"))]),
        _listed_or_unset(addresses),
        since(metadata(eps).get("creationTimestamp"), now),
    ]


ENDPOINT_SLICES = Printer(
    (
        NAME,
        Column("AddressType", description="The kind of address in the slice: IPv4, IPv6 or FQDN."),
        Column("Ports", description="The ports of the slice, by number or name."),
        Column("Endpoints", description="Addresses of the endpoints in the slice."),
        AGE,
    ),
    endpointslice_cells,
)


# --- NetworkPolicy ---


def pod_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector`` of ``spec.podSelector``: ``<none>`` when empty (every pod),
    ``<error>`` when it does not parse or has the wrong shape."""
    if selector is None:
        return NONE  # a value, not a pointer, upstream: absent is the empty selector
    if not isinstance(selector, Mapping):
        return "<error>"
    try:
        return format_label_selector(selector)
    except (AttributeError, TypeError):  # e.g. matchLabels a list, or an expression's values a number
        return "<error>"


def networkpolicy_cells(policy: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(policy),
        pod_selector(mapping(policy.get("spec")).get("podSelector")),
        since(metadata(policy).get("creationTimestamp"), now),
    ]


NETWORK_POLICIES = Printer(
    (NAME, Column("Pod-Selector", description="Labels of the pods the policy applies to."), AGE),
    networkpolicy_cells,
)
