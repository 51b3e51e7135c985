"""Defaults of the admission configuration kinds (admissionregistration.k8s.io/v1) and of APIService
(apiregistration.k8s.io/v1), as upstream's ``SetObjectDefaults_*`` apply them.

From ``pkg/apis/admissionregistration/v1/defaults.go``: a webhook fails closed (``failurePolicy:
Fail``), matches equivalent requests (``matchPolicy: Equivalent``), selects every namespace and object
(``{}`` selectors) and waits 10 seconds; a mutating one is not re-invoked (``reinvocationPolicy:
Never``); a rule's scope is ``*``; a service reference's port is 443. In v1 ``sideEffects`` and
``admissionReviewVersions`` have no default: validation requires them. A policy fails closed; its
``matchConstraints`` and a binding's ``matchResources`` get the webhook's match defaults. From
kube-aggregator's ``apiregistration/v1/defaults.go``: an APIService's service port is 443.

Every defaulter is idempotent and leaves values of the wrong JSON type for validation to report.
"""

from __future__ import annotations

from everynode.apiserver.defaults.podspec import objects, set_if_absent
from everynode.core.types import Obj

__all__ = [
    "api_service_defaults",
    "mutating_webhook_configuration_defaults",
    "policy_binding_defaults",
    "validating_admission_policy_defaults",
    "validating_webhook_configuration_defaults",
]

DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_SERVICE_PORT = 443


def _child(parent: Obj, key: str) -> Obj | None:
    value = parent.get(key)
    return value if isinstance(value, dict) else None


def _rule(rule: Obj) -> None:
    """``SetDefaults_Rule``: a rule with no scope matches cluster-scoped and namespaced resources."""
    set_if_absent(rule, "scope", "*")


def _service_reference(holder: Obj | None) -> None:
    """The port of the ``service`` a webhook's client config or an APIService's spec names."""
    service = _child(holder, "service") if holder is not None else None
    if service is not None:
        set_if_absent(service, "port", DEFAULT_SERVICE_PORT)


def _webhook(webhook: Obj) -> None:
    """``SetDefaults_ValidatingWebhook`` (the fields both kinds of webhook share), its service
    reference's port and its rules' scope."""
    set_if_absent(webhook, "failurePolicy", "Fail")
    set_if_absent(webhook, "matchPolicy", "Equivalent")
    set_if_absent(webhook, "namespaceSelector", {})
    set_if_absent(webhook, "objectSelector", {})
    set_if_absent(webhook, "timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
    _service_reference(_child(webhook, "clientConfig"))
    for rule in objects(webhook, "rules"):
        _rule(rule)


def validating_webhook_configuration_defaults(config: Obj) -> None:
    for webhook in objects(config, "webhooks"):
        _webhook(webhook)


def mutating_webhook_configuration_defaults(config: Obj) -> None:
    """As a validating webhook's, and ``reinvocationPolicy: Never`` (``SetDefaults_MutatingWebhook``)."""
    for webhook in objects(config, "webhooks"):
        _webhook(webhook)
        set_if_absent(webhook, "reinvocationPolicy", "Never")


def _match_resources(match: Obj | None) -> None:
    """``SetDefaults_MatchResources``, and the scope of its included and excluded rules."""
    if match is None:
        return
    set_if_absent(match, "matchPolicy", "Equivalent")
    set_if_absent(match, "namespaceSelector", {})
    set_if_absent(match, "objectSelector", {})
    for key in ("resourceRules", "excludeResourceRules"):
        for rule in objects(match, key):
            _rule(rule)


def validating_admission_policy_defaults(policy: Obj) -> None:
    """``SetDefaults_ValidatingAdmissionPolicySpec``: the spec is a Go struct, not a pointer, so even a
    policy sent without one gets ``spec.failurePolicy``."""
    spec = policy.get("spec")
    if spec is None:
        spec = policy["spec"] = {}
    if not isinstance(spec, dict):
        return
    set_if_absent(spec, "failurePolicy", "Fail")
    _match_resources(_child(spec, "matchConstraints"))


def policy_binding_defaults(binding: Obj) -> None:
    """A binding's ``matchResources``, when it has one (v1 gives ``paramRef`` no default)."""
    spec = _child(binding, "spec")
    if spec is not None:
        _match_resources(_child(spec, "matchResources"))


def api_service_defaults(api_service: Obj) -> None:
    """``SetDefaults_ServiceReference``: an APIService backed by a service reaches it on port 443."""
    spec = _child(api_service, "spec")
    if spec is not None:
        _service_reference(spec)
