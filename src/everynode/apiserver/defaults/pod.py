"""What a Pod gets beyond its template's defaults: ``SetDefaults_Pod``, the admission plugins that
touch every pod without reading other objects (DefaultTolerationSeconds), and the status the
registry fills in on create (phase and QoS class). Priority and the service account are admission's
(``apiserver.admission``): they depend on stored PriorityClasses and ServiceAccounts."""

from __future__ import annotations

import copy
from decimal import Decimal

from everynode.apiserver.defaults.podspec import child_obj, objects, pod_spec_defaults, set_if_absent
from everynode.core import wellknown
from everynode.core.quantity import QuantityError, add, parse_quantity
from everynode.core.types import Obj

DEFAULT_TOLERATION_SECONDS = 300
QOS_RESOURCES = ("cpu", "memory")


def _requests_from_limits(ctr: Obj) -> None:
    resources = ctr.get("resources")
    if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
        return
    requests = child_obj(resources, "requests")
    if requests is None:
        return
    for name, value in resources["limits"].items():
        if name not in requests:
            requests[name] = copy.deepcopy(value)


def _host_network_ports(spec: Obj) -> None:
    if spec.get("hostNetwork") is not True:
        return
    for kind in ("initContainers", "containers"):
        for ctr in objects(spec, kind):
            for port in objects(ctr, "ports"):
                if not port.get("hostPort"):
                    port["hostPort"] = port.get("containerPort")


def _default_toleration_seconds(spec: Obj) -> None:
    """Pods that do not tolerate ``not-ready``/``unreachable`` NoExecute taints get 300 s of grace."""
    tolerations = objects(spec, "tolerations")
    tolerated = {wellknown.TAINT_NOT_READY: False, wellknown.TAINT_UNREACHABLE: False}
    for tol in tolerations:
        for key in tolerated:
            if tol.get("key") in (key, "", None) and tol.get("effect") in ("NoExecute", "", None):
                tolerated[key] = True
    missing = [key for key, ok in tolerated.items() if not ok]
    if not missing:
        return
    added = [
        {
            "key": key,
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
        }
        for key in missing
    ]
    current = spec.get("tolerations")
    spec["tolerations"] = (current if isinstance(current, list) else []) + added


def _sum(totals: dict[str, Decimal], name: str, raw: object) -> bool:
    """Add a positive quantity of a QoS resource; True when one was added."""
    if name not in QOS_RESOURCES:
        return False
    try:
        value = parse_quantity(raw).value
    except QuantityError:
        return False
    if value <= 0:
        return False
    totals[name] = add(totals.get(name, Decimal(0)), value)
    return True


def qos_class(spec: Obj) -> str:
    """``ComputePodQOS``: BestEffort without cpu/memory requests or limits; Guaranteed when every
    container limits both and requests equal limits; Burstable otherwise."""
    requests: dict[str, Decimal] = {}
    limits: dict[str, Decimal] = {}
    guaranteed = True
    for ctr in [*objects(spec, "containers"), *objects(spec, "initContainers")]:
        resources = ctr.get("resources")
        resources = resources if isinstance(resources, dict) else {}
        ctr_requests, ctr_limits = resources.get("requests"), resources.get("limits")
        for name, raw in (ctr_requests if isinstance(ctr_requests, dict) else {}).items():
            _sum(requests, name, raw)
        ctr_limits = ctr_limits if isinstance(ctr_limits, dict) else {}
        limited = {name for name, raw in ctr_limits.items() if _sum(limits, name, raw)}
        if not set(QOS_RESOURCES) <= limited:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    matching = all(limits.get(name) == value for name, value in requests.items())
    return "Guaranteed" if guaranteed and matching and len(requests) == len(limits) else "Burstable"


def pod_defaults(pod: Obj) -> None:
    spec = child_obj(pod, "spec")
    if spec is None:
        return
    for kind in ("containers", "initContainers"):
        for ctr in objects(spec, kind):
            _requests_from_limits(ctr)
    set_if_absent(spec, "enableServiceLinks", True)
    _host_network_ports(spec)
    pod_spec_defaults(spec)
    _default_toleration_seconds(spec)
    status = child_obj(pod, "status")
    if status is not None:
        set_if_absent(status, "phase", "Pending", zero_counts=True)
        if not status.get("qosClass"):
            status["qosClass"] = qos_class(spec)
