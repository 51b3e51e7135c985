"""Webhook configuration, ValidatingAdmissionPolicy[Binding] and APIService rows (upstream's
``printValidatingWebhook``, ``printValidatingAdmissionPolicy[Binding]`` and kube-aggregator's APIService
``ConvertToTable``)."""

from __future__ import annotations

import pytest

from everynode.apiserver.tables.admission import (
    API_SERVICES,
    MUTATING_WEBHOOK_CONFIGURATIONS,
    VALIDATING_ADMISSION_POLICIES,
    VALIDATING_ADMISSION_POLICY_BINDINGS,
    VALIDATING_WEBHOOK_CONFIGURATIONS,
)
from everynode.core.types import Obj
from tests.builders import admission_policy, api_service, policy_binding, webhook, webhook_configuration
from tests.unit.apiserver.tablerows import ago, cells, columns

CREATED = {"creationTimestamp": ago(days=3)}


def test_webhook_configuration_columns_and_rows() -> None:
    for printer in (VALIDATING_WEBHOOK_CONFIGURATIONS, MUTATING_WEBHOOK_CONFIGURATIONS):
        assert columns(printer) == [
            ("Name", "string", "name", 0),
            ("Webhooks", "integer", "", 0),
            ("Age", "string", "", 0),
        ]
    two = webhook_configuration("cni", [webhook("a.example.com"), webhook("b.example.com")], metadata=CREATED)
    assert cells(VALIDATING_WEBHOOK_CONFIGURATIONS, two) == ["cni", 2, "3d"]
    empty = webhook_configuration("none", [], mutating=True, metadata=CREATED)
    del empty["webhooks"]
    assert cells(MUTATING_WEBHOOK_CONFIGURATIONS, empty) == ["none", 0, "3d"]


def test_policy_columns_and_rows() -> None:
    assert columns(VALIDATING_ADMISSION_POLICIES) == [
        ("Name", "string", "name", 0),
        ("Validations", "integer", "", 0),
        ("ParamKind", "string", "", 0),
        ("Age", "string", "", 0),
    ]
    plain = admission_policy("limit", metadata=CREATED)
    assert cells(VALIDATING_ADMISSION_POLICIES, plain) == ["limit", 1, "<unset>", "3d"]
    with_params = admission_policy(
        "limit", metadata=CREATED, validations=[], paramKind={"apiVersion": "v1", "kind": "ConfigMap"}
    )
    assert cells(VALIDATING_ADMISSION_POLICIES, with_params) == ["limit", 0, "v1/ConfigMap", "3d"]


@pytest.mark.parametrize(
    ("param_ref", "shown"),
    [
        pytest.param(None, "<unset>", id="no-param"),
        pytest.param({"name": "limits", "namespace": "default"}, "default/limits", id="namespaced-name"),
        pytest.param({"name": "limits"}, "*/limits", id="name-any-namespace"),
        pytest.param(
            {"selector": {"matchLabels": {"tier": "gold"}}},
            "&LabelSelector{MatchLabels:map[string]string{tier: gold,},"
            "MatchExpressions:[]LabelSelectorRequirement{},}",
            id="selector",
        ),
        pytest.param({"parameterNotFoundAction": "Allow"}, "<unset>", id="neither"),
    ],
)
def test_binding_rows(param_ref: Obj | None, shown: str) -> None:
    assert columns(VALIDATING_ADMISSION_POLICY_BINDINGS) == [
        ("Name", "string", "name", 0),
        ("PolicyName", "string", "", 0),
        ("ParamRef", "string", "", 0),
        ("Age", "string", "", 0),
    ]
    extra = {} if param_ref is None else {"paramRef": param_ref}
    binding = policy_binding("limit-binding", "limit", metadata=CREATED, **extra)
    assert cells(VALIDATING_ADMISSION_POLICY_BINDINGS, binding) == ["limit-binding", "limit", shown, "3d"]


@pytest.mark.parametrize(
    ("obj", "service", "available"),
    [
        pytest.param(api_service("v1", "apps"), "Local", "Unknown", id="no-condition"),
        pytest.param(
            api_service(
                "v1",
                "apps",
                status={"conditions": [{"type": "Available", "status": "True", "reason": "Local"}]},
            ),
            "Local",
            "True",
            id="true-hides-reason",
        ),
        pytest.param(
            api_service(
                "v1beta1",
                "metrics.k8s.io",
                service="metrics-server",
                status={
                    "conditions": [{"type": "Available", "status": "False", "reason": "ServiceNotFound"}]
                },
            ),
            "kube-system/metrics-server",
            "False (ServiceNotFound)",
            id="false-with-reason",
        ),
        pytest.param(
            api_service(
                "v1beta1",
                "metrics.k8s.io",
                service="metrics-server",
                status={"conditions": [{"type": "Available", "status": "Unknown"}]},
            ),
            "kube-system/metrics-server",
            "Unknown",
            id="no-reason",
        ),
    ],
)
def test_api_service_rows(obj: Obj, service: str, available: str) -> None:
    assert columns(API_SERVICES) == [
        ("Name", "string", "name", 0),
        ("Service", "string", "", 0),
        ("Available", "string", "", 0),
        ("Age", "string", "", 0),
    ]
    obj["metadata"].update(CREATED)
    assert cells(API_SERVICES, obj) == [obj["metadata"]["name"], service, available, "3d"]
