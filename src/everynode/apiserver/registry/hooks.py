"""What a kind's registry does beyond the generic rules (upstream's per-kind ``PrepareForCreate`` and
``PrepareForUpdate``), named by kind and declared on its ``Strategy`` in ``apiserver.kinds``."""

from __future__ import annotations

from everynode.core import wellknown
from everynode.core.types import Obj


def daemonset_created(ds: Obj) -> None:
    """A new DaemonSet's status counters start at zero and its template generation at 1."""
    ds["status"] = {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    }
    annotations = ds["metadata"].setdefault("annotations", {})
    annotations[wellknown.ANNOTATION_DS_TEMPLATE_GENERATION] = "1"


def daemonset_updated(new: Obj, old: Obj) -> None:
    """The template generation annotation moves when the template changes (kept when it does not)."""
    old_generation = int(
        old["metadata"].get("annotations", {}).get(wellknown.ANNOTATION_DS_TEMPLATE_GENERATION, "1")
    )
    changed = new.get("spec", {}).get("template") != old.get("spec", {}).get("template")
    annotations = new["metadata"].setdefault("annotations", {})
    annotations[wellknown.ANNOTATION_DS_TEMPLATE_GENERATION] = str(old_generation + int(changed))


def pod_created(pod: Obj) -> None:
    """A new pod is Pending, whatever status it was sent with."""
    pod["status"] = {"phase": "Pending"}


def namespace_created(namespace: Obj) -> None:
    """A new namespace is Active, with the ``kubernetes`` finalizer unless it names its own."""
    namespace["status"] = {"phase": "Active"}
    namespace.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])


def service_created(service: Obj) -> None:
    """A new Service's status is empty (a load balancer's ingress is written by its controller)."""
    service["status"] = {"loadBalancer": {}}


def statefulset_created(sts: Obj) -> None:
    """A new StatefulSet's status counts nothing yet."""
    sts["status"] = {"replicas": 0, "availableReplicas": 0}


def disruption_budget_created(pdb: Obj) -> None:
    """A new PodDisruptionBudget allows no disruption until its status is computed."""
    pdb["status"] = {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}


def first_generation(obj: Obj) -> None:
    """Generation 1 on create (a PriorityClass's, which no update moves)."""
    obj["metadata"]["generation"] = 1


def _generation_after(new: Obj, old: Obj, changed: bool) -> None:
    generation = int(old["metadata"].get("generation") or 0)
    new["metadata"]["generation"] = generation + 1 if changed else generation


def endpoint_slice_updated(new: Obj, old: Obj) -> None:
    """An EndpointSlice's generation moves when anything but its metadata changes, or its labels."""
    body = {key: value for key, value in new.items() if key != "metadata"}
    old_body = {key: value for key, value in old.items() if key != "metadata"}
    labels_changed = new["metadata"].get("labels") != old["metadata"].get("labels")
    _generation_after(new, old, body != old_body or labels_changed)


def spec_generation_updated(new: Obj, old: Obj) -> None:
    """Generation moves when the spec changes (a CSIDriver's, which starts without one)."""
    _generation_after(new, old, new.get("spec") != old.get("spec"))


def generation_kept(new: Obj, old: Obj) -> None:
    """An update never moves the generation (a PriorityClass's)."""
    _generation_after(new, old, False)


def deployment_created(deployment: Obj) -> None:
    """A new Deployment's status is empty (every counter is omitted when zero)."""
    deployment["status"] = {}


def replicaset_created(replicaset: Obj) -> None:
    """A new ReplicaSet runs no pod yet."""
    replicaset["status"] = {"replicas": 0}


def _storage_version(crd: Obj) -> str | None:
    versions = (crd.get("spec") or {}).get("versions") or []
    return next((str(v.get("name")) for v in versions if isinstance(v, dict) and v.get("storage")), None)


def definition_created(crd: Obj) -> None:
    """A new CustomResourceDefinition: generation 1; its status records only the storage version (the
    API server's definition serving fills in names and conditions once it serves it)."""
    crd["metadata"]["generation"] = 1
    stored = _storage_version(crd)
    crd["status"] = {"storedVersions": [stored] if stored else []}


def definition_updated(new: Obj, old: Obj) -> None:
    """Generation follows the spec; a new storage version joins ``status.storedVersions``."""
    _generation_after(new, old, new.get("spec") != old.get("spec"))
    stored = _storage_version(new)
    status = new.setdefault("status", {})
    versions = list(status.get("storedVersions") or [])
    if stored and stored not in versions:
        status["storedVersions"] = [*versions, stored]
