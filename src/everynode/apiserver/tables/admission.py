"""Admission configuration and APIService tables.

Webhook configurations count their webhooks; a ValidatingAdmissionPolicy shows how many validations
it has and its parameter kind; a binding, the policy it binds and its parameter (``namespace/name``,
``*/name`` when no namespace is given, or the selector as Go's generated ``String()`` prints it).
Upstream's printers in ``pkg/printers/internalversion/printers.go``; the APIService table is
kube-aggregator's own (``registry/apiservice/etcd/etcd.go``): the backing service (``Local`` when
none) and the ``Available`` condition, with its reason unless it is True.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.tables.columns import (
    AGE,
    NAME,
    Cells,
    Column,
    Printer,
    items,
    mapping,
    metadata,
    name_of,
    text,
)
from everynode.apiserver.tables.timefmt import since
from everynode.apiserver.validation.selectors import selector_string

__all__ = [
    "API_SERVICES",
    "MUTATING_WEBHOOK_CONFIGURATIONS",
    "VALIDATING_ADMISSION_POLICIES",
    "VALIDATING_ADMISSION_POLICY_BINDINGS",
    "VALIDATING_WEBHOOK_CONFIGURATIONS",
]

UNSET = "<unset>"


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def _age(obj: Mapping[str, Any], now: datetime) -> str:
    return since(metadata(obj).get("creationTimestamp"), now)


# --- Validating/MutatingWebhookConfiguration ---


def webhook_configuration_cells(config: Mapping[str, Any], now: datetime) -> Cells:
    return [name_of(config), _count(config.get("webhooks")), _age(config, now)]


_WEBHOOK_COLUMNS = (
    NAME,
    Column("Webhooks", "integer", "How many webhooks the configuration registers."),
    AGE,
)
VALIDATING_WEBHOOK_CONFIGURATIONS = Printer(_WEBHOOK_COLUMNS, webhook_configuration_cells)
MUTATING_WEBHOOK_CONFIGURATIONS = Printer(_WEBHOOK_COLUMNS, webhook_configuration_cells)


# --- ValidatingAdmissionPolicy ---


def param_kind(spec: Mapping[str, Any]) -> str:
    """``apiVersion/kind`` of the policy's parameter kind; ``<unset>`` without one."""
    kind = spec.get("paramKind")
    if not isinstance(kind, Mapping):
        return UNSET
    return f"{text(kind.get('apiVersion'))}/{text(kind.get('kind'))}"


def policy_cells(policy: Mapping[str, Any], now: datetime) -> Cells:
    spec = mapping(policy.get("spec"))
    return [name_of(policy), _count(spec.get("validations")), param_kind(spec), _age(policy, now)]


VALIDATING_ADMISSION_POLICIES = Printer(
    (
        NAME,
        Column("Validations", "integer", "How many validation rules the policy has."),
        Column("ParamKind", description="The kind of resource that parameterizes the policy."),
        AGE,
    ),
    policy_cells,
)


# --- ValidatingAdmissionPolicyBinding ---


def param_ref(spec: Mapping[str, Any]) -> str:
    """The binding's parameter: by name (``*/`` for an unknown namespace, as the printer cannot tell
    whether the parameter kind is cluster-scoped), else by selector; ``<unset>`` without one."""
    ref = spec.get("paramRef")
    if not isinstance(ref, Mapping):
        return UNSET
    name = text(ref.get("name"))
    if name:
        return f"{text(ref.get('namespace')) or '*'}/{name}"
    selector = ref.get("selector")
    return selector_string(selector) if isinstance(selector, dict) else UNSET


def binding_cells(binding: Mapping[str, Any], now: datetime) -> Cells:
    spec = mapping(binding.get("spec"))
    return [name_of(binding), text(spec.get("policyName")), param_ref(spec), _age(binding, now)]


VALIDATING_ADMISSION_POLICY_BINDINGS = Printer(
    (
        NAME,
        Column("PolicyName", description="The policy the binding applies."),
        Column("ParamRef", description="The parameter resource the binding configures the policy with."),
        AGE,
    ),
    binding_cells,
)


# --- APIService ---


def service_of(spec: Mapping[str, Any]) -> str:
    service = spec.get("service")
    if not isinstance(service, Mapping):
        return "Local"
    return f"{text(service.get('namespace'))}/{text(service.get('name'))}"


def availability(status: Mapping[str, Any]) -> str:
    """``True``; ``False (Reason)`` (or the bare status without a reason); ``Unknown`` with no
    ``Available`` condition."""
    condition = next((c for c in items(status.get("conditions")) if c.get("type") == "Available"), None)
    if condition is None:
        return "Unknown"
    state, reason = text(condition.get("status")), text(condition.get("reason"))
    return f"{state} ({reason})" if state != "True" and reason else state


def api_service_cells(api_service: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(api_service),
        service_of(mapping(api_service.get("spec"))),
        availability(mapping(api_service.get("status"))),
        _age(api_service, now),
    ]


API_SERVICES = Printer(
    (
        NAME,
        Column("Service", description="The service that hosts the API, or Local."),
        Column("Available", description="Whether the API is available."),
        AGE,
    ),
    api_service_cells,
)
