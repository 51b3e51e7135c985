"""The kinds the API server serves, each declared once: its resource info, its registry strategy, its
defaults, its validation rules and its table columns. Everything else is generic: routing, the
handlers, the watch caches, discovery and OpenAPI (from upstream's schema for the kind's group,
version and kind) serve every kind declared here.

Adding a kind: its ``ResourceInfo`` in ``core.resources`` (and in ``RESOURCES``), then one ``Kind``
below, around its ``Strategy`` (its own create/update steps as hooks, ``registry.hooks``); defaults,
rules and printer where upstream has them (a kind without
defaults or rules has none, one without a printer gets the generic Name / Created At table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from everynode.apiserver import defaults
from everynode.apiserver.admission import Lookup, Plugin, priority, serviceaccount
from everynode.apiserver.crd import definition as crd_definition
from everynode.apiserver.defaults import admission as admission_defaults
from everynode.apiserver.defaults import cluster_config, deployment, network, statefulset
from everynode.apiserver.registry import admissionconfig, apiservices, hooks, servicenetwork
from everynode.apiserver.registry.scale import BUILT_IN as BUILT_IN_SCALE
from everynode.apiserver.registry.scale import ScalePaths
from everynode.apiserver.registry.strategy import Strategy
from everynode.apiserver.tables import admission as admission_tables
from everynode.apiserver.tables import cluster, config, rbac, replicated, services
from everynode.apiserver.tables.apps import CONTROLLER_REVISIONS, DAEMONSETS, STATEFULSETS
from everynode.apiserver.tables.columns import Printer
from everynode.apiserver.tables.core import DEFAULT, EVENTS, LEASES, NAMESPACES
from everynode.apiserver.tables.nodes import NODES
from everynode.apiserver.tables.pods import PODS
from everynode.apiserver.validation import (
    admission_policy,
    apiservice,
    controllerrevision,
    daemonset,
    endpoints,
    event,
    lease,
    namespace,
    networkpolicy,
    node,
    pod,
    policy,
    priorityclass,
    service,
    storage,
    webhooks,
)
from everynode.apiserver.validation import config as config_rules
from everynode.apiserver.validation import rbac as rbac_rules
from everynode.apiserver.validation import replicated as replicated_rules
from everynode.apiserver.validation import serviceaccount as serviceaccount_rules
from everynode.apiserver.validation import statefulset as statefulset_rules
from everynode.apiserver.validation.fields import Errors, dedupe
from everynode.core import resources as r
from everynode.core.fielderrors import FieldError
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"  # held while custom resources go

CreateRules = Callable[[Obj], Errors]
UpdateRules = Callable[[Obj, Obj], Errors]


@dataclass(frozen=True, slots=True)
class Kind:
    strategy: Strategy  # its ResourceInfo is the kind's
    printer: Printer = DEFAULT
    defaults: Callable[[Obj], None] | None = None
    create_rules: CreateRules | None = None
    update_rules: UpdateRules | None = None
    status_update_rules: UpdateRules | None = None  # None: the update rules
    admission: tuple[Plugin, ...] = ()  # upstream's admission plugins that act on the kind
    allocation: Plugin | None = None  # what the kind's storage assigns on write (a Service's addresses)
    scale_paths: ScalePaths = BUILT_IN_SCALE  # where its ``scale`` subresource reads and writes, if any
    custom_schema: Obj | None = None  # a custom kind's openAPIV3Schema (its types for server-side apply)
    unknown_fields: Callable[[Obj], list[str]] | None = None  # a custom kind's: what its schema prunes
    # a custom kind's stored apiVersion when it is served at another version too; None: this version's
    storage_api_version: str | None = None
    selectable_fields: tuple[str, ...] = ()  # a custom kind's selectableFields (``spec.color``)
    deprecation_warning: str | None = None  # a deprecated custom version's Warning, on every response

    def admit(self, obj: Obj, old: Obj | None, lookup: Lookup) -> None:
        """Assign what the kind's storage assigns, then run its admission plugins (``old`` is None on
        create); an address that cannot be had is a 422, an admission refusal a 403."""
        if self.allocation is not None:
            self.allocation(obj, old, lookup)
        for plugin in self.admission:
            plugin(obj, old, lookup)

    @property
    def info(self) -> ResourceInfo:
        return self.strategy.info

    @property
    def stored_api_version(self) -> str:
        """The apiVersion its objects are stored at (a custom resource's storage version)."""
        return self.storage_api_version or self.info.api_version

    def served(self, obj: Obj) -> Obj:
        """``obj`` as this version serves it: a custom resource stored at another version gets this
        version's apiVersion (conversion ``None``: the versions differ only in name), as a shallow
        copy; anything else is returned as it is."""
        api_version = self.info.api_version
        if self.storage_api_version is None or obj.get("apiVersion") == api_version:
            return obj
        return {**obj, "apiVersion": api_version}

    def apply_defaults(self, obj: Obj) -> None:
        """Fill in upstream's defaults, in place (before validation, on every create and update)."""
        if self.defaults is not None:
            self.defaults(obj)

    def validate_create(self, obj: Obj) -> list[FieldError]:
        """Errors in a new object (each reported once)."""
        return dedupe(self.create_rules(obj)) if self.create_rules else []

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        """Errors in ``new`` replacing ``old`` through the main resource."""
        return dedupe(self.update_rules(new, old)) if self.update_rules else []

    def validate_status_update(self, new: Obj, old: Obj) -> list[FieldError]:
        """Errors in ``new`` replacing ``old`` through ``/status``."""
        rules = self.status_update_rules or self.update_rules
        return dedupe(rules(new, old)) if rules else []


KINDS: tuple[Kind, ...] = (
    Kind(
        Strategy(r.NAMESPACES, on_create=hooks.namespace_created),
        NAMESPACES,
        defaults.namespace_defaults,
        namespace.validate_namespace,
        namespace.validate_namespace_update,
        namespace.validate_namespace_status_update,
    ),
    Kind(
        Strategy(r.NODES),
        NODES,
        defaults.node_defaults,
        node.validate_node,
        node.validate_node_update,
    ),
    Kind(
        Strategy(r.PODS, return_deleted_object=True, on_create=hooks.pod_created),
        PODS,
        defaults.pod_defaults,
        pod.validate_pod_create,
        pod.validate_pod_update,
        pod.validate_pod_status_update,
        admission=(serviceaccount.admit_pod, priority.admit_pod),
    ),
    Kind(
        Strategy(r.EVENTS, allow_create_on_update=True),
        EVENTS,
        None,
        event.validate_event,
        event.validate_event_update,
    ),
    Kind(
        Strategy(
            r.DAEMONSETS,
            tracks_generation=True,
            on_create=hooks.daemonset_created,
            on_update=hooks.daemonset_updated,
        ),
        DAEMONSETS,
        defaults.daemonset_defaults,
        daemonset.validate_daemonset,
        daemonset.validate_daemonset_update,
        daemonset.validate_daemonset_status_update,
    ),
    Kind(
        Strategy(r.CONTROLLER_REVISIONS),
        CONTROLLER_REVISIONS,
        None,
        controllerrevision.validate_controller_revision,
        controllerrevision.validate_controller_revision_update,
    ),
    Kind(
        Strategy(r.LEASES, allow_create_on_update=True),
        LEASES,
        None,
        lease.validate_lease,
        lease.validate_lease_update,
    ),
    # -- what a DaemonSet's bundle brings along ---------------------------------------------------
    Kind(
        Strategy(r.CONFIGMAPS),
        config.CONFIGMAPS,
        create_rules=config_rules.validate_configmap,
        update_rules=config_rules.validate_configmap_update,
    ),
    Kind(
        Strategy(r.SECRETS),
        config.SECRETS,
        cluster_config.secret_defaults,
        config_rules.validate_secret,
        config_rules.validate_secret_update,
    ),
    Kind(
        Strategy(r.SERVICE_ACCOUNTS),
        config.SERVICE_ACCOUNTS,
        create_rules=serviceaccount_rules.validate_service_account,
        update_rules=serviceaccount_rules.validate_service_account_update,
    ),
    Kind(
        Strategy(r.SERVICES, allow_create_on_update=True, on_create=hooks.service_created),
        services.SERVICES,
        network.service_defaults,
        service.validate_service,
        service.validate_service_update,
        service.validate_service_status_update,
        allocation=servicenetwork.assign_addresses,
    ),
    Kind(
        Strategy(r.ENDPOINTS, allow_create_on_update=True),
        services.ENDPOINTS,
        network.endpoints_defaults,
        endpoints.validate_endpoints,
        endpoints.validate_endpoints_update,
    ),
    Kind(
        Strategy(r.ENDPOINT_SLICES, on_create=hooks.first_generation, on_update=hooks.endpoint_slice_updated),
        services.ENDPOINT_SLICES,
        network.endpoint_slice_defaults,
        endpoints.validate_endpoint_slice,
        endpoints.validate_endpoint_slice_update,
    ),
    Kind(
        Strategy(r.ROLES, allow_create_on_update=True),
        rbac.ROLES,
        create_rules=rbac_rules.validate_role,
        update_rules=rbac_rules.validate_role_update,
    ),
    Kind(
        Strategy(r.CLUSTER_ROLES, allow_create_on_update=True),
        rbac.CLUSTER_ROLES,
        create_rules=rbac_rules.validate_cluster_role,
        update_rules=rbac_rules.validate_cluster_role_update,
    ),
    Kind(
        Strategy(r.ROLE_BINDINGS, allow_create_on_update=True),
        rbac.ROLE_BINDINGS,
        cluster_config.binding_defaults,
        rbac_rules.validate_role_binding,
        rbac_rules.validate_role_binding_update,
    ),
    Kind(
        Strategy(r.CLUSTER_ROLE_BINDINGS, allow_create_on_update=True),
        rbac.CLUSTER_ROLE_BINDINGS,
        cluster_config.binding_defaults,
        rbac_rules.validate_cluster_role_binding,
        rbac_rules.validate_cluster_role_binding_update,
    ),
    Kind(
        Strategy(r.STATEFULSETS, tracks_generation=True, on_create=hooks.statefulset_created),
        STATEFULSETS,
        statefulset.statefulset_defaults,
        statefulset_rules.validate_statefulset,
        statefulset_rules.validate_statefulset_update,
        statefulset_rules.validate_statefulset_status_update,
    ),
    Kind(
        Strategy(r.DEPLOYMENTS, tracks_generation=True, on_create=hooks.deployment_created),
        replicated.DEPLOYMENTS,
        deployment.deployment_defaults,
        replicated_rules.validate_deployment,
        replicated_rules.validate_deployment_update,
        replicated_rules.validate_status_update,
    ),
    Kind(
        Strategy(r.REPLICASETS, tracks_generation=True, on_create=hooks.replicaset_created),
        replicated.REPLICASETS,
        deployment.replicaset_defaults,
        replicated_rules.validate_replicaset,
        replicated_rules.validate_replicaset_update,
        replicated_rules.validate_status_update,
    ),
    Kind(
        Strategy(r.POD_DISRUPTION_BUDGETS, tracks_generation=True, on_create=hooks.disruption_budget_created),
        cluster.POD_DISRUPTION_BUDGETS,
        create_rules=policy.validate_pod_disruption_budget,
        update_rules=policy.validate_pod_disruption_budget_update,
        status_update_rules=policy.validate_pod_disruption_budget_status_update,
    ),
    Kind(
        Strategy(r.NETWORK_POLICIES, tracks_generation=True),
        services.NETWORK_POLICIES,
        network.network_policy_defaults,
        networkpolicy.validate_network_policy,
        networkpolicy.validate_network_policy_update,
    ),
    Kind(
        Strategy(r.PRIORITY_CLASSES, on_create=hooks.first_generation, on_update=hooks.generation_kept),
        cluster.PRIORITY_CLASSES,
        cluster_config.priority_class_defaults,
        priorityclass.validate_priority_class,
        priorityclass.validate_priority_class_update,
        admission=(priority.admit_priority_class,),
    ),
    Kind(
        Strategy(r.STORAGE_CLASSES),
        cluster.STORAGE_CLASSES,
        cluster_config.storage_class_defaults,
        storage.validate_storage_class,
        storage.validate_storage_class_update,
    ),
    Kind(
        Strategy(r.CSI_DRIVERS, on_update=hooks.spec_generation_updated),
        cluster.CSI_DRIVERS,
        cluster_config.csi_driver_defaults,
        storage.validate_csi_driver,
        storage.validate_csi_driver_update,
    ),
    # -- admission configuration and API registration: stored and served, never acted on ---------
    Kind(
        Strategy(
            r.VALIDATING_WEBHOOK_CONFIGURATIONS,
            on_create=hooks.first_generation,
            on_update=admissionconfig.webhooks_updated,
        ),
        admission_tables.VALIDATING_WEBHOOK_CONFIGURATIONS,
        admission_defaults.validating_webhook_configuration_defaults,
        webhooks.validate_validating_webhook_configuration,
        webhooks.validate_validating_webhook_configuration_update,
    ),
    Kind(
        Strategy(
            r.MUTATING_WEBHOOK_CONFIGURATIONS,
            on_create=hooks.first_generation,
            on_update=admissionconfig.webhooks_updated,
        ),
        admission_tables.MUTATING_WEBHOOK_CONFIGURATIONS,
        admission_defaults.mutating_webhook_configuration_defaults,
        webhooks.validate_mutating_webhook_configuration,
        webhooks.validate_mutating_webhook_configuration_update,
    ),
    Kind(
        Strategy(
            r.VALIDATING_ADMISSION_POLICIES, tracks_generation=True, on_create=admissionconfig.policy_created
        ),
        admission_tables.VALIDATING_ADMISSION_POLICIES,
        admission_defaults.validating_admission_policy_defaults,
        admission_policy.validate_policy,
        admission_policy.validate_policy_update,
        admission_policy.validate_policy_status_update,
    ),
    Kind(
        Strategy(r.VALIDATING_ADMISSION_POLICY_BINDINGS, tracks_generation=True),
        admission_tables.VALIDATING_ADMISSION_POLICY_BINDINGS,
        admission_defaults.policy_binding_defaults,
        admission_policy.validate_policy_binding,
        admission_policy.validate_policy_binding_update,
    ),
    Kind(
        Strategy(
            r.API_SERVICES,
            on_create=apiservices.api_service_created,
            on_update=apiservices.api_service_updated,
        ),
        admission_tables.API_SERVICES,
        admission_defaults.api_service_defaults,
        apiservice.validate_api_service,
        apiservice.validate_api_service_update,
        apiservice.validate_api_service_status_update,
    ),
    Kind(
        Strategy(
            r.CUSTOM_RESOURCE_DEFINITIONS,
            on_create=hooks.definition_created,
            on_update=hooks.definition_updated,
            deletion_finalizer=CLEANUP_FINALIZER,
        ),
        DEFAULT,
        crd_definition.definition_defaults,
        crd_definition.validate_definition,
        crd_definition.validate_definition_update,
        crd_definition.validate_definition_status_update,
    ),
)
_BY_RESOURCE = {kind.info.resource: kind for kind in KINDS}
assert set(_BY_RESOURCE) == {info.resource for info in r.RESOURCES}, "every served resource is a Kind"


def kind_of(resource: str | ResourceInfo) -> Kind:
    """The declaration of a served resource (``"daemonsets"``, or its ``ResourceInfo``)."""
    return _BY_RESOURCE[resource if isinstance(resource, str) else resource.resource]
