"""The Kubernetes objects the tests use, as plain dicts: what a manifest holds or the API server stores.

This module is the one place that knows each object's shape. Every builder returns a fresh dict with
the API's camelCase field names: ``apiVersion``, ``kind``, ``metadata.name`` and whatever it is given.
A field whose argument is left at ``None`` is left out (``labels={}`` gives empty labels, ``labels=None``
none at all), and a namespaced object has no ``metadata.namespace`` unless one is given, as when a
manifest is posted to a namespace's URL. A pod, and a DaemonSet's pod template, get one container so
that they are valid.

Snake_case keyword arguments are the builders' conveniences; the camelCase ones gathered in ``**spec``
(``**fields`` for a container) are raw fields set last, replacing what the builder would have put
there; ``metadata`` and ``status`` add raw fields to those parts. Tests adapt these builders with keyword
arguments, or with a one-line wrapper that fixes their own file's defaults, rather than define their own.
"""

from __future__ import annotations

from typing import Any

from everynode.core.types import Obj

IMAGE = "nginx:1.25"  # a tagged image: its default pull policy is IfNotPresent


def present(**fields: Any) -> Obj:
    """``fields`` without the ones that are ``None``: each a field to set only where it is given."""
    return {key: value for key, value in fields.items() if value is not None}


def _meta(
    name: str,
    *,
    namespace: str | None = None,
    uid: str | None = None,
    resource_version: str | None = None,
    generation: int | None = None,
    created: str | None = None,
    deleted: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owners: list[Obj] | None = None,
    finalizers: list[str] | None = None,
    extra: Obj | None = None,
) -> Obj:
    """An object's ``metadata``: ``created``/``deleted`` are its creation/deletion timestamps, ``owners``
    its ownerReferences, ``extra`` raw fields added last."""
    return {
        **present(
            name=name,
            namespace=namespace,
            uid=uid,
            resourceVersion=resource_version,
            generation=generation,
            creationTimestamp=created,
            deletionTimestamp=deleted,
            labels=labels,
            annotations=annotations,
            ownerReferences=owners,
            finalizers=finalizers,
        ),
        **(extra or {}),
    }


def owner_ref(owner: Obj, *, controller: bool = True, block: bool = True) -> Obj:
    """An ownerReference to ``owner`` (which has its uid); ``block`` is ``blockOwnerDeletion``."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": block,
    }


def container(
    name: str = "main",
    *,
    image: str = IMAGE,
    cpu: str | None = None,
    memory: str | None = None,
    **fields: Any,
) -> Obj:
    """A container; ``cpu`` and ``memory`` are its resource requests."""
    body: Obj = {"name": name, "image": image, **fields}
    requests = present(cpu=cpu, memory=memory)
    if requests:
        body["resources"] = {"requests": requests}
    return body


def condition(kind: str, status: bool | str = True, **fields: Any) -> Obj:
    """A status condition of type ``kind``; a bool ``status`` is written "True" or "False"."""
    if isinstance(status, bool):
        status = "True" if status else "False"
    return {"type": kind, "status": status, **fields}


def node(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
    unschedulable: bool | None = None,
    conditions: list[Obj] | None = None,
    allocatable: Obj | None = None,
    capacity: Obj | None = None,
    uid: str | None = None,
    resource_version: str | None = None,
    created: str | None = None,
    metadata: Obj | None = None,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A Node. ``allocatable`` is also its capacity unless ``capacity`` is given; ``status`` is there if
    any of ``conditions``, ``allocatable``, ``capacity`` or ``status`` is."""
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(
            name,
            uid=uid,
            resource_version=resource_version,
            created=created,
            labels=labels,
            annotations=annotations,
            extra=metadata,
        ),
        "spec": {**present(taints=taints, unschedulable=unschedulable), **spec},
    }
    if allocatable is not None and capacity is None:
        capacity = dict(allocatable)
    body = present(conditions=conditions, allocatable=allocatable, capacity=capacity)
    if body or status is not None:
        obj["status"] = {**body, **(status or {})}
    return obj


def pod(
    name: str,
    *,
    namespace: str | None = None,
    node: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owners: list[Obj] | None = None,
    phase: str | None = None,
    conditions: list[Obj] | None = None,
    containers: list[Obj] | None = None,
    uid: str | None = None,
    resource_version: str | None = None,
    created: str | None = None,
    deleted: str | None = None,
    finalizers: list[str] | None = None,
    metadata: Obj | None = None,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A Pod, bound to ``node`` if given, with ``containers`` (one ``container()`` if not given);
    ``status`` is there if any of ``phase``, ``conditions`` or ``status`` is."""
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(
            name,
            namespace=namespace,
            uid=uid,
            resource_version=resource_version,
            created=created,
            deleted=deleted,
            labels=labels,
            annotations=annotations,
            owners=owners,
            finalizers=finalizers,
            extra=metadata,
        ),
        "spec": {
            **present(nodeName=node),
            "containers": [container()] if containers is None else containers,
            **spec,
        },
    }
    body = present(phase=phase, conditions=conditions)
    if body or status is not None:
        obj["status"] = {**body, **(status or {})}
    return obj


def daemonset(
    name: str,
    *,
    namespace: str | None = None,
    image: str = IMAGE,
    containers: list[Obj] | None = None,
    match_labels: dict[str, str] | None = None,
    pod_labels: dict[str, str] | None = None,
    pod_spec: Obj | None = None,
    strategy: Obj | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    uid: str | None = None,
    resource_version: str | None = None,
    generation: int | None = None,
    created: str | None = None,
    finalizers: list[str] | None = None,
    metadata: Obj | None = None,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A DaemonSet selecting ``match_labels`` (``app: <name>`` if not given), whose pod template has
    ``pod_labels`` (``match_labels`` if not given), ``containers`` (one ``container(image=image)`` if not
    given) and the raw fields of ``pod_spec``; ``strategy`` is its updateStrategy, ``labels`` and
    ``annotations`` the DaemonSet's own."""
    selected = {"app": name} if match_labels is None else match_labels
    template_spec = {"containers": [container(image=image)] if containers is None else containers}
    obj: Obj = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(
            name,
            namespace=namespace,
            uid=uid,
            resource_version=resource_version,
            generation=generation,
            created=created,
            labels=labels,
            annotations=annotations,
            finalizers=finalizers,
            extra=metadata,
        ),
        "spec": {
            "selector": {"matchLabels": dict(selected)},
            **present(updateStrategy=strategy),
            "template": {
                "metadata": {"labels": dict(selected if pod_labels is None else pod_labels)},
                "spec": {**template_spec, **(pod_spec or {})},
            },
            **spec,
        },
    }
    if status is not None:
        obj["status"] = status
    return obj


def revision(
    name: str,
    *,
    namespace: str | None = None,
    number: int = 1,
    data: Any = None,
    labels: dict[str, str] | None = None,
    owners: list[Obj] | None = None,
    uid: str | None = None,
    resource_version: str | None = None,
    created: str | None = None,
    metadata: Obj | None = None,
) -> Obj:
    """A ControllerRevision, number ``number``, holding ``data`` if given."""
    obj: Obj = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": _meta(
            name,
            namespace=namespace,
            uid=uid,
            resource_version=resource_version,
            created=created,
            labels=labels,
            owners=owners,
            extra=metadata,
        ),
    }
    if data is not None:
        obj["data"] = data
    obj["revision"] = number
    return obj


def lease(
    name: str,
    *,
    namespace: str | None = None,
    holder: str | None = None,
    duration: int | None = None,
    renewed: str | None = None,
    resource_version: str | None = None,
    metadata: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A Lease held by ``holder`` for ``duration`` seconds, last renewed at ``renewed``."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": _meta(name, namespace=namespace, resource_version=resource_version, extra=metadata),
        "spec": {**present(holderIdentity=holder, leaseDurationSeconds=duration, renewTime=renewed), **spec},
    }


def namespace(name: str, *, labels: dict[str, str] | None = None, metadata: Obj | None = None) -> Obj:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name, labels=labels, extra=metadata)}


def replicaset(
    name: str,
    *,
    namespace: str | None = None,
    replicas: int | None = None,
    image: str = IMAGE,
    containers: list[Obj] | None = None,
    match_labels: dict[str, str] | None = None,
    pod_labels: dict[str, str] | None = None,
    pod_annotations: dict[str, str] | None = None,
    pod_spec: Obj | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    uid: str | None = None,
    resource_version: str | None = None,
    generation: int | None = None,
    created: str | None = None,
    deleted: str | None = None,
    owners: list[Obj] | None = None,
    metadata: Obj | None = None,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A ReplicaSet of ``replicas`` pods selecting ``match_labels`` (``app: <name>`` if not given), whose
    pod template has ``pod_labels`` (``match_labels`` if not given), ``pod_annotations``, ``containers``
    (one ``container(image=image)`` if not given) and the raw fields of ``pod_spec``."""
    selected = {"app": name} if match_labels is None else match_labels
    template_meta: Obj = {"labels": dict(selected if pod_labels is None else pod_labels)}
    if pod_annotations is not None:
        template_meta["annotations"] = dict(pod_annotations)
    template_spec = {"containers": [container(image=image)] if containers is None else containers}
    obj: Obj = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": _meta(
            name,
            namespace=namespace,
            uid=uid,
            resource_version=resource_version,
            generation=generation,
            created=created,
            deleted=deleted,
            labels=labels,
            annotations=annotations,
            owners=owners,
            extra=metadata,
        ),
        "spec": {
            **present(replicas=replicas),
            "selector": {"matchLabels": dict(selected)},
            "template": {"metadata": template_meta, "spec": {**template_spec, **(pod_spec or {})}},
            **spec,
        },
    }
    if status is not None:
        obj["status"] = status
    return obj


def deployment(name: str, *, strategy: Obj | None = None, **fields: Any) -> Obj:
    """A Deployment: ``replicaset``'s fields (``replicas``, ``match_labels``, ``pod_labels``,
    ``containers``, ``pod_spec``, metadata…), and ``strategy`` as its ``spec.strategy``."""
    obj = replicaset(name, **fields)
    obj["kind"] = "Deployment"
    if strategy is not None:
        obj["spec"]["strategy"] = strategy
    return obj


# --- admission configuration and API registration -------------------------------------------------

ADMISSION_V1 = "admissionregistration.k8s.io/v1"


def webhook_rule(
    resources: list[str], *, groups: list[str] | None = None, versions: list[str] | None = None, **fields: Any
) -> Obj:
    """A webhook or policy rule matching CREATE and UPDATE of ``resources`` in ``groups`` (the core group
    if not given) at ``versions`` (``v1``); ``fields`` add raw ones (``scope``, ``operations``…)."""
    return {
        "operations": ["CREATE", "UPDATE"],
        "apiGroups": [""] if groups is None else groups,
        "apiVersions": ["v1"] if versions is None else versions,
        "resources": resources,
        **fields,
    }


def webhook(
    name: str,
    *,
    service: str | None = "webhook-service",
    namespace: str = "system",
    path: str | None = None,
    url: str | None = None,
    rules: list[Obj] | None = None,
    **fields: Any,
) -> Obj:
    """One webhook of a configuration, called at ``namespace/service`` (``path`` on it) or at ``url``
    (which replaces the service), with ``sideEffects: None`` and AdmissionReview ``v1`` as v1 requires;
    ``fields`` add or replace raw ones."""
    client: Obj = {"url": url} if url is not None else {}
    if url is None and service is not None:
        client["service"] = present(name=service, namespace=namespace, path=path)
    return {
        "name": name,
        "clientConfig": client,
        "rules": [webhook_rule(["pods"])] if rules is None else rules,
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        **fields,
    }


def webhook_configuration(
    name: str, webhooks: list[Obj], *, mutating: bool = False, metadata: Obj | None = None
) -> Obj:
    """A ValidatingWebhookConfiguration (or, ``mutating``, a MutatingWebhookConfiguration)."""
    kind = "MutatingWebhookConfiguration" if mutating else "ValidatingWebhookConfiguration"
    return {
        "apiVersion": ADMISSION_V1,
        "kind": kind,
        "metadata": _meta(name, extra=metadata),
        "webhooks": webhooks,
    }


def admission_policy(
    name: str,
    *,
    rules: list[Obj] | None = None,
    validations: list[Obj] | None = None,
    metadata: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A ValidatingAdmissionPolicy constraining ``rules`` (CREATE/UPDATE of apps/v1 deployments if not
    given) with ``validations`` (one CEL rule if not given); ``spec`` adds raw fields."""
    constraints = {
        "resourceRules": [webhook_rule(["deployments"], groups=["apps"])] if rules is None else rules
    }
    checks = [{"expression": "object.spec.replicas <= 5"}] if validations is None else validations
    return {
        "apiVersion": ADMISSION_V1,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": _meta(name, extra=metadata),
        "spec": {"matchConstraints": constraints, "validations": checks, **spec},
    }


def policy_binding(
    name: str, policy: str, *, actions: list[str] | None = None, metadata: Obj | None = None, **spec: Any
) -> Obj:
    """A ValidatingAdmissionPolicyBinding of ``policy`` with ``actions`` (``Deny`` if not given)."""
    return {
        "apiVersion": ADMISSION_V1,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": _meta(name, extra=metadata),
        "spec": {"policyName": policy, "validationActions": ["Deny"] if actions is None else actions, **spec},
    }


def api_service(
    version: str,
    group: str,
    *,
    service: str | None = None,
    namespace: str = "kube-system",
    name: str | None = None,
    metadata: Obj | None = None,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """An APIService for ``group/version``, named ``<version>.<group>`` unless ``name`` is given, backed by
    ``namespace/service`` (local when ``service`` is None), with priorities 100; ``spec`` adds raw fields."""
    obj: Obj = {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": _meta(name or f"{version}.{group}", extra=metadata),
        "spec": {
            **({"service": {"name": service, "namespace": namespace}} if service is not None else {}),
            "group": group,
            "version": version,
            "groupPriorityMinimum": 100,
            "versionPriority": 100,
            **spec,
        },
    }
    if status is not None:
        obj["status"] = status
    return obj
