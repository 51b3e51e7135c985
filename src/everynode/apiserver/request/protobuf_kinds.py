"""Which protobuf message each kind's body is: the built-in kinds everynode serves (core/resources.py),
the subresource bodies typed clients send (Binding, Eviction, Scale, TokenRequest), and DeleteOptions.

The layouts are compiled from the tables once, on first use.
"""

from __future__ import annotations

import functools

from everynode.apiserver.request.protobuf_admission import ADMISSIONREGISTRATION, APIREGISTRATION
from everynode.apiserver.request.protobuf_apps import APPS
from everynode.apiserver.request.protobuf_core import CORE
from everynode.apiserver.request.protobuf_groups import (
    AUTHENTICATION,
    AUTOSCALING,
    COORDINATION,
    DISCOVERY,
    NETWORKING,
    POLICY,
    RBAC,
    SCHEDULING,
    STORAGE,
)
from everynode.apiserver.request.protobuf_layout import Layout, Tables, compile_tables
from everynode.apiserver.request.protobuf_meta import META

__all__ = ["ANY_VERSION", "KINDS", "TABLES", "layout_for", "layouts"]

TABLES: Tables = {
    "meta": META,
    "core": CORE,
    "apps": APPS,
    "coordination": COORDINATION,
    "rbac": RBAC,
    "discovery": DISCOVERY,
    "policy": POLICY,
    "networking": NETWORKING,
    "scheduling": SCHEDULING,
    "storage": STORAGE,
    "autoscaling": AUTOSCALING,
    "authentication": AUTHENTICATION,
    "admissionregistration": ADMISSIONREGISTRATION,
    "apiregistration": APIREGISTRATION,
}

_RBAC = "rbac.authorization.k8s.io/v1"
_ADMISSION = "admissionregistration.k8s.io/v1"
_ADMISSION_KINDS = (
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
)

# (apiVersion, kind) -> qualified message
KINDS: dict[tuple[str, str], str] = {
    ("v1", "Pod"): "core.Pod",
    ("v1", "Node"): "core.Node",
    ("v1", "Event"): "core.Event",
    ("v1", "Namespace"): "core.Namespace",
    ("v1", "ConfigMap"): "core.ConfigMap",
    ("v1", "Secret"): "core.Secret",
    ("v1", "ServiceAccount"): "core.ServiceAccount",
    ("v1", "Service"): "core.Service",
    ("v1", "Endpoints"): "core.Endpoints",
    ("v1", "Binding"): "core.Binding",
    ("apps/v1", "DaemonSet"): "apps.DaemonSet",
    ("apps/v1", "ControllerRevision"): "apps.ControllerRevision",
    ("apps/v1", "StatefulSet"): "apps.StatefulSet",
    ("apps/v1", "Deployment"): "apps.Deployment",
    ("apps/v1", "ReplicaSet"): "apps.ReplicaSet",
    ("coordination.k8s.io/v1", "Lease"): "coordination.Lease",
    (_RBAC, "Role"): "rbac.Role",
    (_RBAC, "ClusterRole"): "rbac.ClusterRole",
    (_RBAC, "RoleBinding"): "rbac.RoleBinding",
    (_RBAC, "ClusterRoleBinding"): "rbac.ClusterRoleBinding",
    ("discovery.k8s.io/v1", "EndpointSlice"): "discovery.EndpointSlice",
    ("policy/v1", "PodDisruptionBudget"): "policy.PodDisruptionBudget",
    ("policy/v1", "Eviction"): "policy.Eviction",
    ("policy/v1beta1", "Eviction"): "policy.Eviction",  # the same layout in both versions
    ("networking.k8s.io/v1", "NetworkPolicy"): "networking.NetworkPolicy",
    ("scheduling.k8s.io/v1", "PriorityClass"): "scheduling.PriorityClass",
    ("storage.k8s.io/v1", "StorageClass"): "storage.StorageClass",
    ("storage.k8s.io/v1", "CSIDriver"): "storage.CSIDriver",
    **{(_ADMISSION, kind): f"admissionregistration.{kind}" for kind in _ADMISSION_KINDS},
    ("apiregistration.k8s.io/v1", "APIService"): "apiregistration.APIService",
    ("autoscaling/v1", "Scale"): "autoscaling.Scale",
    ("authentication.k8s.io/v1", "TokenRequest"): "authentication.TokenRequest",
}

# Kinds registered in every group version: a typed delete sends its resource's own apiVersion.
ANY_VERSION: dict[str, str] = {"DeleteOptions": "meta.DeleteOptions"}


@functools.cache
def layouts() -> dict[str, Layout]:
    """Every declared message, compiled (once)."""
    return compile_tables(TABLES)


def layout_for(api_version: str, kind: str) -> Layout | None:
    """The layout of a kind's body in ``api_version``; None when this server does not decode it."""
    name = ANY_VERSION.get(kind) or KINDS.get((api_version, kind))
    return layouts()[name] if name is not None else None
