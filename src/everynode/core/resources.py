"""The resources everynode serves: group, version, names, scope and verbs of each.

One table drives URL routing, storage keys, discovery documents and error messages.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    group: str  # "" for the core group
    version: str
    resource: str  # plural, lowercase: "daemonsets"
    kind: str  # "DaemonSet"
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # "status", "binding", "eviction"
    verbs: tuple[str, ...] = ALL_VERBS
    has_status: bool = True  # the main resource ignores status changes (a /status subresource owns them)
    custom: bool = False  # served from a CustomResourceDefinition (apiextensions.k8s.io), not built in

    @property
    def cache_name(self) -> str:
        """The name the API server's watch cache of this resource goes by: the plural for a built-in
        kind (``daemonsets``), ``<plural>.<group>`` for a custom one (two groups may share a plural),
        the same for every version of it (they share one storage)."""
        return f"{self.resource}.{self.group}" if self.custom else self.resource

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def qualified(self) -> str:
        """``daemonsets.apps``; ``pods`` for the core group (as in error messages)."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def key_prefix(self, namespace: str | None = None) -> str:
        """Storage prefix: ``/registry/<group>/<resource>/[<namespace>/]``."""
        base = f"/registry/{self.group or 'core'}/{self.resource}/"
        return base + f"{namespace}/" if namespace else base

    def key(self, namespace: str | None, name: str) -> str:
        return self.key_prefix(namespace if self.namespaced else None) + name


# Namespaces are deleted one at a time, as upstream serves them (no deletecollection).
NAMESPACE_VERBS = tuple(verb for verb in ALL_VERBS if verb != "deletecollection")
NAMESPACES = ResourceInfo(
    "", "v1", "namespaces", "Namespace", False, ("ns",), subresources=("status",), verbs=NAMESPACE_VERBS
)
NODES = ResourceInfo("", "v1", "nodes", "Node", False, ("no",), subresources=("status",))
PODS = ResourceInfo(
    "",
    "v1",
    "pods",
    "Pod",
    True,
    ("po",),
    ("all",),
    subresources=("status", "binding", "eviction", "log", "exec", "attach", "portforward"),
)
# Subresources that stream or upgrade rather than hold an object: no OpenAPI body, their own verbs.
CONNECT_SUBRESOURCES = {
    "log": ("Pod", ("get",)),
    "exec": ("PodExecOptions", ("create", "get")),
    "attach": ("PodAttachOptions", ("create", "get")),
    "portforward": ("PodPortForwardOptions", ("create", "get")),
}
EVENTS = ResourceInfo("", "v1", "events", "Event", True, ("ev",), has_status=False)
DAEMONSETS = ResourceInfo("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("all",), ("status",))
CONTROLLER_REVISIONS = ResourceInfo(
    "apps", "v1", "controllerrevisions", "ControllerRevision", True, has_status=False
)
LEASES = ResourceInfo("coordination.k8s.io", "v1", "leases", "Lease", True, has_status=False)

# The kinds a DaemonSet's bundle brings along (ServiceAccounts, RBAC, configuration, Services, …):
# stored and served as upstream serves them; which of them a controller here reconciles is said in
# the README.
CONFIGMAPS = ResourceInfo("", "v1", "configmaps", "ConfigMap", True, ("cm",), has_status=False)
SECRETS = ResourceInfo("", "v1", "secrets", "Secret", True, has_status=False)
SERVICE_ACCOUNTS = ResourceInfo(
    "", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), has_status=False
)
SERVICES = ResourceInfo("", "v1", "services", "Service", True, ("svc",), ("all",), ("status",))
ENDPOINTS = ResourceInfo("", "v1", "endpoints", "Endpoints", True, ("ep",), has_status=False)
ENDPOINT_SLICES = ResourceInfo(
    "discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, has_status=False
)
_RBAC = "rbac.authorization.k8s.io"
ROLES = ResourceInfo(_RBAC, "v1", "roles", "Role", True, has_status=False)
CLUSTER_ROLES = ResourceInfo(_RBAC, "v1", "clusterroles", "ClusterRole", False, has_status=False)
ROLE_BINDINGS = ResourceInfo(_RBAC, "v1", "rolebindings", "RoleBinding", True, has_status=False)
CLUSTER_ROLE_BINDINGS = ResourceInfo(
    _RBAC, "v1", "clusterrolebindings", "ClusterRoleBinding", False, has_status=False
)
STATEFULSETS = ResourceInfo(
    "apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("all",), ("status", "scale")
)
DEPLOYMENTS = ResourceInfo(
    "apps", "v1", "deployments", "Deployment", True, ("deploy",), ("all",), ("status", "scale")
)
REPLICASETS = ResourceInfo(
    "apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("all",), ("status", "scale")
)
POD_DISRUPTION_BUDGETS = ResourceInfo(
    "policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",), subresources=("status",)
)
NETWORK_POLICIES = ResourceInfo(
    "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",), has_status=False
)
PRIORITY_CLASSES = ResourceInfo(
    "scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, ("pc",), has_status=False
)
STORAGE_CLASSES = ResourceInfo(
    "storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",), has_status=False
)
CSI_DRIVERS = ResourceInfo("storage.k8s.io", "v1", "csidrivers", "CSIDriver", False, has_status=False)
# Admission configuration and API registration that real bundles (CNI, Gateway API, monitoring
# stacks) carry: stored and served; no webhook is called, no policy evaluated, no API aggregated.
_ADMISSION = "admissionregistration.k8s.io"
_EXTENSIONS = ("api-extensions",)
VALIDATING_WEBHOOK_CONFIGURATIONS = ResourceInfo(
    _ADMISSION,
    "v1",
    "validatingwebhookconfigurations",
    "ValidatingWebhookConfiguration",
    False,
    categories=_EXTENSIONS,
    has_status=False,
)
MUTATING_WEBHOOK_CONFIGURATIONS = ResourceInfo(
    _ADMISSION,
    "v1",
    "mutatingwebhookconfigurations",
    "MutatingWebhookConfiguration",
    False,
    categories=_EXTENSIONS,
    has_status=False,
)
VALIDATING_ADMISSION_POLICIES = ResourceInfo(
    _ADMISSION,
    "v1",
    "validatingadmissionpolicies",
    "ValidatingAdmissionPolicy",
    False,
    categories=_EXTENSIONS,
    subresources=("status",),
)
VALIDATING_ADMISSION_POLICY_BINDINGS = ResourceInfo(
    _ADMISSION,
    "v1",
    "validatingadmissionpolicybindings",
    "ValidatingAdmissionPolicyBinding",
    False,
    categories=_EXTENSIONS,
    has_status=False,
)
API_SERVICES = ResourceInfo(
    "apiregistration.k8s.io",
    "v1",
    "apiservices",
    "APIService",
    False,
    categories=_EXTENSIONS,
    subresources=("status",),
)
CUSTOM_RESOURCE_DEFINITIONS = ResourceInfo(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    False,
    ("crd", "crds"),
    ("api-extensions",),
    ("status",),
)

RESOURCES: tuple[ResourceInfo, ...] = (
    NAMESPACES,
    NODES,
    PODS,
    EVENTS,
    DAEMONSETS,
    CONTROLLER_REVISIONS,
    LEASES,
    CONFIGMAPS,
    SECRETS,
    SERVICE_ACCOUNTS,
    SERVICES,
    ENDPOINTS,
    ENDPOINT_SLICES,
    ROLES,
    CLUSTER_ROLES,
    ROLE_BINDINGS,
    CLUSTER_ROLE_BINDINGS,
    STATEFULSETS,
    DEPLOYMENTS,
    REPLICASETS,
    POD_DISRUPTION_BUDGETS,
    NETWORK_POLICIES,
    PRIORITY_CLASSES,
    STORAGE_CLASSES,
    CSI_DRIVERS,
    VALIDATING_WEBHOOK_CONFIGURATIONS,
    MUTATING_WEBHOOK_CONFIGURATIONS,
    VALIDATING_ADMISSION_POLICIES,
    VALIDATING_ADMISSION_POLICY_BINDINGS,
    API_SERVICES,
    CUSTOM_RESOURCE_DEFINITIONS,
)

BY_PATH: dict[tuple[str, str, str], ResourceInfo] = {(r.group, r.version, r.resource): r for r in RESOURCES}
BY_RESOURCE: dict[str, ResourceInfo] = {r.resource: r for r in RESOURCES}


def lookup(group: str, version: str, resource: str) -> ResourceInfo | None:
    return BY_PATH.get((group, version, resource))


def group_versions() -> list[tuple[str, str]]:
    """Every (group, version) served, core first, in a stable order."""
    seen: list[tuple[str, str]] = []
    for r in RESOURCES:
        if (r.group, r.version) not in seen:
            seen.append((r.group, r.version))
    return seen
