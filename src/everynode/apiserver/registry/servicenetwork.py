"""Cluster IPs and node ports for Services, as upstream's Service storage assigns them on create and
update (``pkg/registry/core/service/storage/alloc.go``): from ``--service-cluster-ip-range``
(upstream's default 10.0.0.0/24) and ``--service-node-port-range`` (30000-32767).

What is taken is read from the stored Services (the watch cache) each time, so deleting a Service
frees its addresses with no bookkeeping; what this process handed out in the last ``HOLD`` seconds
is held besides, so that two creates racing each other's write into the cache cannot get the same
address. A requested address that is taken or out of range is upstream's 422; a full range its 500.

Single-stack (the range's family) only: a dual-stack request is refused by validation upstream
would also apply on a single-stack cluster.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Iterable
from typing import Any

from everynode.core import errors
from everynode.core import resources as r
from everynode.core.fielderrors import FieldError, invalid
from everynode.core.types import Obj

DEFAULT_CLUSTER_IP_RANGE = "10.0.0.0/24"
DEFAULT_NODE_PORT_RANGE = "30000-32767"
HOLD = 30.0  # seconds an address handed out stays taken even before its Service is seen stored
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def parse_port_range(text: str) -> range:
    """``30000-32767`` (or one port); ValueError for anything else."""
    low, _, high = text.partition("-")
    first, last = int(low), int(high or low)
    if not 0 < first <= last <= 65535:
        raise ValueError(f"invalid port range {text!r}")
    return range(first, last + 1)


class ServiceNetwork:
    def __init__(
        self, cluster_ip_range: str = DEFAULT_CLUSTER_IP_RANGE, node_port_range: str = DEFAULT_NODE_PORT_RANGE
    ) -> None:
        self.network = ipaddress.ip_network(cluster_ip_range, strict=True)
        self.family = "IPv4" if self.network.version == 4 else "IPv6"
        self.node_ports = parse_port_range(node_port_range)
        self._held_ips: dict[str, float] = {}
        self._held_ports: dict[int, float] = {}

    @property
    def first_ip(self) -> str:
        """The first usable address: the ``kubernetes`` Service's, as upstream gives it."""
        return str(self.network.network_address + 1)

    # -- what is taken ---------------------------------------------------------------------------

    def _taken(self, services: Iterable[Obj], own: Obj | None) -> tuple[set[str], set[int]]:
        now = time.monotonic()
        for held in (self._held_ips, self._held_ports):
            for key in [k for k, at in held.items() if now - at > HOLD]:
                del held[key]  # type: ignore[arg-type]
        own_uid = ((own or {}).get("metadata") or {}).get("uid")
        ips: set[str] = set(self._held_ips)
        ports: set[int] = set(self._held_ports)
        for service in services:
            if own_uid and (service.get("metadata") or {}).get("uid") == own_uid:
                continue
            service_ips, service_ports = _addresses(service)
            ips |= service_ips
            ports |= service_ports
        own_ips, own_ports = _addresses(own or {})  # an update keeps what the Service already has
        return ips - own_ips, ports - own_ports

    # -- assigning ---------------------------------------------------------------------------------

    def assign(self, service: Obj, old: Obj | None, services: Iterable[Obj]) -> None:
        """Fill in ``service``'s cluster IPs, IP families and node ports (in place), keeping what
        ``old`` had where the request left them out; 422 for a requested address that cannot be had."""
        spec = service.get("spec")
        if not isinstance(spec, dict):
            return
        kind = spec.get("type")
        old_spec = (old or {}).get("spec") or {}
        if old is not None:
            _keep_allocated(spec, old_spec)
        ips, ports = self._taken(services, old)
        name = str((service.get("metadata") or {}).get("name") or "")
        problems: list[FieldError] = []
        if kind != "ExternalName":
            problems += self._cluster_ips(spec, ips)
        if kind in NODE_PORT_TYPES and spec.get("allocateLoadBalancerNodePorts") is not False:
            problems += self._node_ports(spec, ports)
        if problems:
            raise errors.invalid("Service", "", name, problems)

    def _cluster_ips(self, spec: dict[str, Any], taken: set[str]) -> list[FieldError]:
        if spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        requested = spec.get("clusterIPs")
        headless = requested == ["None"]
        if headless and not spec.get("selector"):
            spec.setdefault("ipFamilyPolicy", "RequireDualStack")
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", [self.family])
        if headless:
            spec["clusterIP"] = "None"
            return []
        if not requested:
            spec["clusterIPs"] = [self._free_ip(taken)]
        elif isinstance(requested, list) and requested and isinstance(requested[0], str):
            problem = self._reserve_ip(requested[0], taken)
            if problem is not None:
                text = "[]string{" + ", ".join(f'"{ip}"' for ip in requested if isinstance(ip, str)) + "}"
                return [invalid("spec.clusterIPs", requested, problem, value_text=text)]
        spec["clusterIP"] = spec["clusterIPs"][0]
        return []

    def _reserve_ip(self, ip: str, taken: set[str]) -> str | None:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None  # validation reports the malformed address
        if address not in self.network or address in (
            self.network.network_address,
            self.network.broadcast_address,
        ):
            return (
                f"failed to allocate IP {ip}: provided IP is not in the valid range. "
                f"The range of valid IPs is {self.network}"
            )
        if ip in taken:
            return f"failed to allocate IP {ip}: provided IP is already allocated"
        self._held_ips[ip] = time.monotonic()
        return None

    def _free_ip(self, taken: set[str]) -> str:
        hosts = self.network.num_addresses - 2
        first = int(self.network.network_address) + 2  # the first is the kubernetes Service's
        for _ in range(64):  # random probes, then a scan: ranges are mostly empty
            candidate = str(ipaddress.ip_address(first + random.randrange(max(hosts - 1, 1))))
            if candidate not in taken:
                self._held_ips[candidate] = time.monotonic()
                return candidate
        for offset in range(max(hosts - 1, 0)):
            candidate = str(ipaddress.ip_address(first + offset))
            if candidate not in taken:
                self._held_ips[candidate] = time.monotonic()
                return candidate
        raise errors.InternalError("failed to allocate a serviceIP: range is full")

    def _node_ports(self, spec: dict[str, Any], taken: set[int]) -> list[FieldError]:
        problems: list[FieldError] = []
        by_port: dict[Any, int] = {}  # ports with the same number (TCP and UDP 53) share a node port
        ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
        for index, port in enumerate(ports):
            wanted = port.get("nodePort")
            if not wanted:
                continue
            if not isinstance(wanted, int) or isinstance(wanted, bool):
                continue  # validation reports the type
            if wanted not in self.node_ports:
                first, last = self.node_ports[0], self.node_ports[-1]
                detail = (
                    f"provided port is not in the valid range. The range of valid ports is {first}-{last}"
                )
                problems.append(invalid(f"spec.ports[{index}].nodePort", wanted, detail))
            elif wanted in taken:
                problems.append(
                    invalid(f"spec.ports[{index}].nodePort", wanted, "provided port is already allocated")
                )
            else:
                by_port.setdefault(port.get("port"), wanted)
                self._held_ports[wanted] = time.monotonic()
        for port in ports:
            if port.get("nodePort"):
                continue
            shared = by_port.get(port.get("port"))
            port["nodePort"] = (
                shared if shared is not None else self._free_port(taken | set(by_port.values()))
            )
            by_port.setdefault(port.get("port"), port["nodePort"])
        return problems

    def _free_port(self, taken: set[int]) -> int:
        free = [port for port in self.node_ports if port not in taken and port not in self._held_ports]
        if not free:
            raise errors.InternalError("failed to allocate a nodePort: range is full")
        port = random.choice(free)
        self._held_ports[port] = time.monotonic()
        return port


def _external(spec: dict[str, Any]) -> bool:
    """Reachable from outside the cluster: NodePort, LoadBalancer, or with external IPs."""
    return spec.get("type") in NODE_PORT_TYPES or bool(spec.get("externalIPs"))


def _addresses(service: Obj) -> tuple[set[str], set[int]]:
    spec = service.get("spec") or {}
    ips = {ip for ip in spec.get("clusterIPs") or [] if isinstance(ip, str)}
    ports = {p["nodePort"] for p in spec.get("ports") or [] if isinstance(p, dict) and p.get("nodePort")}
    return ips, ports


def _keep_allocated(spec: dict[str, Any], old_spec: dict[str, Any]) -> None:
    """Upstream's ``patchAllocatedValues`` and ``dropTypeDependentFields``: an update that leaves out
    the addresses the Service has keeps them; a Service leaving NodePort/LoadBalancer drops its node
    ports (and what only a load balancer or outside traffic uses), one becoming ExternalName its
    cluster IPs — each only where the request left the old value as it was."""
    kind, old_kind = spec.get("type"), old_spec.get("type")
    if kind != "ExternalName" and old_kind != "ExternalName":
        for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if not spec.get(field) and old_spec.get(field):
                spec[field] = old_spec[field]
    elif kind == "ExternalName" and old_kind != "ExternalName":
        for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if spec.get(field) == old_spec.get(field):
                spec.pop(field, None)
    old_ports = {
        p.get("name", ""): p.get("nodePort") for p in old_spec.get("ports") or [] if isinstance(p, dict)
    }
    if old_kind == "LoadBalancer" and kind != "LoadBalancer":
        for field in ("allocateLoadBalancerNodePorts", "loadBalancerClass", "healthCheckNodePort"):
            if spec.get(field) == old_spec.get(field):
                spec.pop(field, None)
    if (
        _external(old_spec)
        and not _external(spec)
        and spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy")
    ):
        spec.pop("externalTrafficPolicy", None)
    for port in [p for p in spec.get("ports") or [] if isinstance(p, dict)]:
        previous = old_ports.get(port.get("name", ""))
        if kind in NODE_PORT_TYPES and not port.get("nodePort") and previous:
            port["nodePort"] = previous
        elif kind not in NODE_PORT_TYPES and old_kind in NODE_PORT_TYPES and port.get("nodePort") == previous:
            port.pop("nodePort", None)


def assign_addresses(service: Obj, old: Obj | None, lookup: Any) -> None:
    """The Service kind's allocation step (a ``Kind.allocation``): its network is the lookup's."""
    lookup.service_network.assign(service, old, lookup.list(r.SERVICES))
