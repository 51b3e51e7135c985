"""What the scheduler knows about each node: the Node, what it can hold, and what its pods request.

Pure: no I/O. A pod's request follows upstream's ``PodRequests``: regular containers run together
(their requests add up), init containers run one after another (the largest counts), sidecars
(init containers with ``restartPolicy: Always``) keep running beside everything started after them,
and ``spec.overhead`` is added on top. So, without sidecars, a pod requests
``max(sum(containers), max(initContainers)) + overhead`` of each resource.

Two sums are kept per node: ``requested`` (what fits is checked against) and ``nonzero`` (for
spreading), in which a container that requests no cpu or memory counts as ``100m`` / ``200Mi``, as
upstream scores it, so pods without requests still spread instead of piling onto one node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from everynode.core import quantity
from everynode.core.pods import is_terminal
from everynode.core.types import Obj

DEFAULT_MILLI_CPU = 100  # upstream's DefaultMilliCPURequest, for spreading only
DEFAULT_MEMORY = 200 * 1024 * 1024  # DefaultMemoryRequest, 200Mi
DEFAULT_MAX_PODS = 110  # the kubelet's default maxPods: used when a node reports no allocatable pods


@dataclass(frozen=True, slots=True)
class Resources:
    """Cpu in millicores and memory in bytes."""

    milli_cpu: int = 0
    memory: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.milli_cpu + other.milli_cpu, self.memory + other.memory)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.milli_cpu - other.milli_cpu, self.memory - other.memory)

    def max(self, other: Resources) -> Resources:
        return Resources(max(self.milli_cpu, other.milli_cpu), max(self.memory, other.memory))

    def is_zero(self) -> bool:
        return self.milli_cpu == 0 and self.memory == 0


ZERO = Resources()


@dataclass(frozen=True, slots=True)
class PodRequest:
    """One pod's demand: ``requested`` as written, ``nonzero`` with the spreading defaults filled in."""

    requested: Resources = ZERO
    nonzero: Resources = ZERO


def _amount(resources: Mapping[str, Any], name: str, *, milli: bool) -> int | None:
    raw = resources.get(name)
    if raw is None:
        return None
    try:
        return quantity.milli_value(raw) if milli else quantity.value(raw)
    except ValueError:
        return 0  # validated on the way in; an unreadable amount requests nothing


def _container_requests(container: Any) -> tuple[Resources, Resources]:
    resources = (container.get("resources") if isinstance(container, Mapping) else None) or {}
    requests = resources.get("requests") if isinstance(resources, Mapping) else None
    requests = requests if isinstance(requests, Mapping) else {}
    cpu = _amount(requests, "cpu", milli=True)
    memory = _amount(requests, "memory", milli=False)
    requested = Resources(cpu or 0, memory or 0)
    nonzero = Resources(
        DEFAULT_MILLI_CPU if cpu is None else cpu, DEFAULT_MEMORY if memory is None else memory
    )
    return requested, nonzero


def _aggregate(spec: Mapping[str, Any], index: int) -> Resources:
    """``PodRequests`` for one of the two views (0: as written, 1: with spreading defaults)."""
    total = ZERO
    for container in spec.get("containers") or ():
        total += _container_requests(container)[index]
    sidecars = ZERO
    largest_init = ZERO
    for container in spec.get("initContainers") or ():
        own = _container_requests(container)[index]
        if isinstance(container, Mapping) and container.get("restartPolicy") == "Always":
            total += own  # a sidecar runs beside the regular containers
            sidecars += own
            during = sidecars
        else:
            during = own + sidecars  # a plain init container runs beside the sidecars started before it
        largest_init = largest_init.max(during)
    total = total.max(largest_init)
    overhead = spec.get("overhead")
    if isinstance(overhead, Mapping):
        total += Resources(
            _amount(overhead, "cpu", milli=True) or 0, _amount(overhead, "memory", milli=False) or 0
        )
    return total


def pod_request(pod: Mapping[str, Any]) -> PodRequest:
    """What ``pod`` requests of a node (cpu and memory; other resources are not checked)."""
    spec = pod.get("spec") or {}
    return PodRequest(_aggregate(spec, 0), _aggregate(spec, 1))


def pod_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


class NodeInfo:
    """A node and the pods counted on it (bound and not terminal, or assumed by the scheduler).

    ``node`` is ``None`` while pods name a node the scheduler has not seen (yet, or any more).
    ``allocatable`` comes from ``status.allocatable``; a missing cpu or memory entry is zero, as
    upstream reads it, so only pods that request none of it fit. A missing ``pods`` entry is read as
    the kubelet's default of 110 (upstream would read zero and admit nothing; hand-written and
    simulated nodes often leave ``status`` out).
    """

    __slots__ = ("allocatable", "allowed_pods", "name", "node", "nonzero", "pods", "requested")

    def __init__(self, name: str, node: Obj | None = None) -> None:
        self.name = name
        self.node: Obj | None = None
        self.allocatable = ZERO
        self.allowed_pods = 0
        self.requested = ZERO
        self.nonzero = ZERO
        self.pods: dict[str, PodRequest] = {}
        if node is not None:
            self.set_node(node)

    def set_node(self, node: Obj | None) -> None:
        self.node = node
        if node is None:
            self.allocatable, self.allowed_pods = ZERO, 0
            return
        allocatable = (node.get("status") or {}).get("allocatable")
        allocatable = allocatable if isinstance(allocatable, Mapping) else {}
        self.allocatable = Resources(
            _amount(allocatable, "cpu", milli=True) or 0, _amount(allocatable, "memory", milli=False) or 0
        )
        pods = _amount(allocatable, "pods", milli=False)
        self.allowed_pods = DEFAULT_MAX_PODS if pods is None else pods

    def add(self, key: str, request: PodRequest) -> None:
        self.remove(key)
        self.pods[key] = request
        self.requested += request.requested
        self.nonzero += request.nonzero

    def remove(self, key: str) -> bool:
        request = self.pods.pop(key, None)
        if request is None:
            return False
        self.requested -= request.requested
        self.nonzero -= request.nonzero
        return True

    def __repr__(self) -> str:
        return f"NodeInfo({self.name!r}, pods={len(self.pods)}, requested={self.requested})"


class Snapshot:
    """The nodes a decision looks at: ``NodeInfo`` by name, and the names in a stable (sorted) order.

    Only infos that hold a Node count; the rest (pods on unknown nodes) are invisible here.
    """

    __slots__ = ("_infos", "order")

    def __init__(self, infos: Mapping[str, NodeInfo], order: Sequence[str] | None = None) -> None:
        self._infos = infos
        self.order: Sequence[str] = (
            order if order is not None else sorted(n for n, i in infos.items() if i.node is not None)
        )

    def get(self, name: str) -> NodeInfo | None:
        info = self._infos.get(name)
        return info if info is not None and info.node is not None else None

    def __len__(self) -> int:
        return len(self.order)


def snapshot_of(nodes: Iterable[Obj], pods: Iterable[Obj] = ()) -> Snapshot:
    """A snapshot built from Node objects and the pods bound to them (terminal pods do not count)."""
    infos = {str(node["metadata"]["name"]): NodeInfo(str(node["metadata"]["name"]), node) for node in nodes}
    for pod in pods:
        name = (pod.get("spec") or {}).get("nodeName")
        if not name or is_terminal(pod):
            continue
        info = infos.get(name)
        if info is None:
            info = infos[name] = NodeInfo(name)
        info.add(pod_key(pod), pod_request(pod))
    return Snapshot(infos)
