"""What a Service's Endpoints and EndpointSlice hold, from the pods it selects (upstream's endpoints
and endpointslice controllers, ``pkg/controller/endpoint[slice]``): pure, no I/O.

A pod counts once it has an IP and is neither finished nor being deleted: Ready pods are addresses,
the others ``notReadyAddresses`` (``ready: false`` in a slice), unless the Service publishes
not-ready addresses. A Service port reaches a pod at its ``targetPort``: a number, or the pod's
container port of that name (a pod without it is left out of that port's subset). Services without
a selector are not managed: their Endpoints are the user's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.core.labelselector import selector_from_set
from everynode.core.pods import is_deleting, is_ready, is_terminal
from everynode.core.types import Obj

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
MAX_ENDPOINTS_PER_SLICE = 100  # upstream's --max-endpoints-per-slice default


def selected_pods(service: Mapping[str, Any], pods: list[Obj]) -> list[Obj]:
    """The pods of the Service's namespace it selects and that can receive traffic (sorted by IP)."""
    selector = (service.get("spec") or {}).get("selector")
    if not isinstance(selector, dict) or not selector:
        return []
    chosen = selector_from_set({str(k): str(v) for k, v in selector.items()})
    found = [
        p
        for p in pods
        if chosen.matches((p.get("metadata") or {}).get("labels") or {})
        and (p.get("status") or {}).get("podIP")
        and not is_terminal(p)
        and not is_deleting(p)
    ]
    return sorted(found, key=lambda p: (p["status"]["podIP"], p["metadata"].get("name", "")))


def _target_port(port: Mapping[str, Any], pod: Mapping[str, Any]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in (container or {}).get("ports") or []:
            if isinstance(declared, dict) and declared.get("name") == target:
                protocol = declared.get("protocol", "TCP")
                if protocol == port.get("protocol", "TCP"):
                    return int(declared.get("containerPort") or 0) or None
    return None


def _ready(service: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    return is_ready(pod) or bool((service.get("spec") or {}).get("publishNotReadyAddresses"))


def _address(pod: Mapping[str, Any]) -> Obj:
    meta = pod.get("metadata") or {}
    address: Obj = {"ip": pod["status"]["podIP"]}
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        address["nodeName"] = node
    address["targetRef"] = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
    }
    return address


def _labels(service: Mapping[str, Any]) -> dict[str, str]:
    labels = dict((service.get("metadata") or {}).get("labels") or {})
    if (service.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    return labels


def endpoints(service: Mapping[str, Any], pods: list[Obj]) -> Obj:
    """The Service's Endpoints: addresses grouped into subsets by the ports they serve."""
    meta = service.get("metadata") or {}
    ports = [p for p in (service.get("spec") or {}).get("ports") or [] if isinstance(p, dict)]
    subsets: dict[tuple[tuple[str, int, str], ...], dict[str, list[Obj]]] = {}
    for pod in selected_pods(service, pods):
        served = tuple(
            (str(port.get("name", "")), target, str(port.get("protocol", "TCP")))
            for port in ports
            if (target := _target_port(port, pod)) is not None
        )
        if ports and not served:
            continue
        group = subsets.setdefault(served, {"addresses": [], "notReadyAddresses": []})
        group["addresses" if _ready(service, pod) else "notReadyAddresses"].append(_address(pod))
    body: Obj = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": meta.get("name", ""), "namespace": meta.get("namespace", "")},
    }
    if _labels(service):
        body["metadata"]["labels"] = _labels(service)
    listed = []
    for served, group in sorted(subsets.items()):
        subset: Obj = {key: value for key, value in group.items() if value}
        if served:
            subset["ports"] = [
                ({"name": name} if name else {}) | {"port": port, "protocol": protocol}
                for name, port, protocol in served
            ]
        listed.append(subset)
    if listed:
        body["subsets"] = listed
    return body


def slice_endpoints(service: Mapping[str, Any], pods: list[Obj]) -> tuple[list[Obj], list[Obj]]:
    """(endpoints, ports) of the Service's EndpointSlice (the pods serving its first port's target)."""
    spec = service.get("spec") or {}
    ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
    chosen = selected_pods(service, pods)
    entries = []
    for pod in chosen[:MAX_ENDPOINTS_PER_SLICE]:
        address = _address(pod)
        ready = _ready(service, pod)
        entry: Obj = {
            "addresses": [address["ip"]],
            "conditions": {"ready": ready, "serving": ready, "terminating": False},
            "targetRef": address["targetRef"],
        }
        if "nodeName" in address:
            entry["nodeName"] = address["nodeName"]
        entries.append(entry)
    slice_ports = []
    for port in ports:
        target = next((t for p in chosen if (t := _target_port(port, p)) is not None), None)
        if target is not None:
            slice_ports.append(
                {"name": str(port.get("name", "")), "port": target, "protocol": port.get("protocol", "TCP")}
            )
    return entries, slice_ports


def slice_labels(service: Mapping[str, Any]) -> dict[str, str]:
    name = str((service.get("metadata") or {}).get("name", ""))
    return _labels(service) | {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY}
