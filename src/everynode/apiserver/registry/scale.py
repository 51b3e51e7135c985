"""The ``scale`` subresource: a workload seen and changed as an ``autoscaling/v1`` Scale (pure).

Upstream serves it for Deployments, ReplicaSets and StatefulSets (``pkg/registry/apps/*/storage``:
``ScaleREST``) and for custom resources whose definition declares ``subresources.scale``, where the
three paths say where the numbers live (``specReplicasPath``, ``statusReplicasPath``,
``labelSelectorPath``). Reading builds the Scale from the object; writing sets the desired replica
count on the object and stores the object through its own update rules, so a Scale can never store
what an update of the object could not.

- ``status.selector`` is the label selector as a string (the form ``kubectl get --selector`` takes);
  for a custom resource it is whatever string sits at ``labelSelectorPath``, if anything.
- ``spec.replicas`` must be a non-negative integer (422, ``Scale.autoscaling``); a Scale carrying a
  ``resourceVersion`` that is not the object's is a 409, as an update of the object would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from everynode.apiserver.registry.objects import deep_copy
from everynode.core import errors
from everynode.core.fielderrors import invalid
from everynode.core.labels import SelectorError
from everynode.core.labelselector import from_label_selector
from everynode.core.types import Obj

SCALE_API_VERSION = "autoscaling/v1"
_META_FIELDS = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


@dataclass(frozen=True, slots=True)
class ScalePaths:
    """Where a workload keeps its replica counts and selector, as simple JSON paths (``.spec.replicas``).
    ``label_selector`` None: the object's ``spec.selector`` (a LabelSelector) printed as a string."""

    spec_replicas: str = ".spec.replicas"
    status_replicas: str = ".status.replicas"
    label_selector: str | None = None


BUILT_IN = ScalePaths()


def paths_of(subresource: Obj) -> ScalePaths:
    """A CRD version's ``subresources.scale``."""
    return ScalePaths(
        str(subresource.get("specReplicasPath") or ".spec.replicas"),
        str(subresource.get("statusReplicasPath") or ".status.replicas"),
        str(subresource["labelSelectorPath"]) if subresource.get("labelSelectorPath") else None,
    )


def _steps(path: str) -> list[str]:
    return [step for step in path.split(".") if step]


def _read(obj: Obj, path: str) -> Any:
    value: Any = obj
    for step in _steps(path):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _write(obj: Obj, path: str, value: Any) -> None:
    *parents, last = _steps(path)
    node = obj
    for step in parents:
        child = node.get(step)
        if not isinstance(child, dict):
            child = node[step] = {}
        node = child
    node[last] = value


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def scale_of(obj: Obj, paths: ScalePaths = BUILT_IN) -> Obj:
    """The Scale of ``obj``."""
    metadata = obj.get("metadata") or {}
    status: Obj = {"replicas": _count(_read(obj, paths.status_replicas))}
    if paths.label_selector is None:
        try:
            selector = str(from_label_selector((obj.get("spec") or {}).get("selector")))
        except SelectorError:
            selector = ""
    else:
        found = _read(obj, paths.label_selector)
        selector = found if isinstance(found, str) else ""
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": SCALE_API_VERSION,
        "metadata": {field: metadata[field] for field in _META_FIELDS if field in metadata},
        "spec": {"replicas": _count(_read(obj, paths.spec_replicas))},
        "status": status,
    }


def scaled(obj: Obj, scale: Any, paths: ScalePaths = BUILT_IN) -> Obj:
    """``obj`` (not changed) with the replica count ``scale`` asks for; 400 for a body that is not a
    Scale, 422 for a bad count, 409 for a stale ``resourceVersion``."""
    if not isinstance(scale, dict):
        raise errors.BadRequest("the body of a scale request must be a Scale object")
    metadata = scale.get("metadata") or {}
    name = str(metadata.get("name") or (obj.get("metadata") or {}).get("name") or "")
    spec = scale.get("spec")
    replicas = spec.get("replicas") if isinstance(spec, dict) else None
    if replicas is None:
        replicas = 0  # upstream: an omitted spec.replicas decodes as 0
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise errors.invalid(
            "Scale", "autoscaling", name, [invalid("spec.replicas", replicas, "must be an integer")]
        )
    if replicas < 0:
        problem = invalid("spec.replicas", replicas, "must be greater than or equal to 0")
        raise errors.invalid("Scale", "autoscaling", name, [problem])
    if isinstance(metadata, dict) and metadata.get("name") not in (
        None,
        "",
        (obj.get("metadata") or {}).get("name"),
    ):
        raise errors.BadRequest("the name of the Scale does not match the name of the object it scales")
    wanted = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
    current = (obj.get("metadata") or {}).get("resourceVersion")
    result = deep_copy(obj)
    if wanted:
        result["metadata"]["resourceVersion"] = str(wanted)
    elif current:
        result["metadata"]["resourceVersion"] = current
    _write(result, paths.spec_replicas, replicas)
    return result
