"""APIService: kube-aggregator's defaults (service port 443), validation (``ValidateAPIService[Update|
StatusUpdate]``) and the ``Available`` condition everynode keeps (it aggregates nothing)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.registry.apiservices import api_service_created, api_service_updated
from everynode.core.types import Obj
from tests.builders import api_service

KIND = kind_of("apiservices")
CREATED = "2025-03-01T08:00:00Z"
STORED_META = {"uid": "u-1", "resourceVersion": "7", "creationTimestamp": CREATED}


def defaulted(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    KIND.apply_defaults(out)
    return out


def errors(obj: Obj) -> list[str]:
    return [str(e) for e in KIND.validate_create(defaulted(obj))]


def metrics(**fields: Any) -> Obj:
    return api_service("v1beta1", "metrics.k8s.io", service="metrics-server", **fields)


def created(obj: Obj) -> Obj:
    out = defaulted(obj)
    out["metadata"].update(STORED_META)
    KIND.strategy.prepare_for_create(out)
    return out


def test_a_service_reference_defaults_to_port_443() -> None:
    assert defaulted(metrics())["spec"]["service"] == {
        "name": "metrics-server",
        "namespace": "kube-system",
        "port": 443,
    }
    assert "service" not in defaulted(api_service("v1", "apps"))["spec"]


def test_a_metrics_api_service_and_a_local_one_are_valid() -> None:
    assert errors(metrics(insecureSkipTLSVerify=True)) == []
    assert errors(api_service("v1", "apps")) == []
    assert errors(api_service("v1", "")) == []  # the legacy core group


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(
            metrics(name="metrics"),
            [
                'metadata.name: Invalid value: "metrics": '
                'must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"'
            ],
            id="name must be version.group",
        ),
        pytest.param(
            api_service("v1beta1", "", name="v1beta1."),
            ["spec.group: Required value: only v1 may have an empty group and it better be legacy kube"],
            id="only v1 may have an empty group",
        ),
        pytest.param(
            metrics(groupPriorityMinimum=0, versionPriority=1001),
            [
                "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
                "spec.versionPriority: Invalid value: 1001: must be positive and less than 1000",
            ],
            id="priorities are positive and bounded",
        ),
        pytest.param(
            api_service("v1", "apps", caBundle="AAEC", insecureSkipTLSVerify=True),
            [
                'spec.caBundle: Invalid value: "3 bytes": local APIServices may not have a caBundle',
                "spec.insecureSkipTLSVerify: Invalid value: true: "
                "local APIServices may not have insecureSkipTLSVerify",
            ],
            id="local APIServices have no TLS settings",
        ),
        pytest.param(
            metrics(caBundle="AAEC", insecureSkipTLSVerify=True),
            ["spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"],
            id="insecureSkipTLSVerify excludes caBundle",
        ),
        pytest.param(
            api_service("v1beta1", "metrics.k8s.io", service="", namespace=""),
            ["spec.service.namespace: Required value", "spec.service.name: Required value"],
            id="a service reference names a service",
        ),
    ],
)
def test_api_service_create(obj: Obj, expected: list[str]) -> None:
    assert errors(obj) == expected


def test_status_update_accepts_only_true_false_unknown() -> None:
    old = created(metrics())
    new = copy.deepcopy(old)
    new["status"] = {"conditions": [{"type": "Available", "status": "Yes"}]}
    assert [str(e) for e in KIND.validate_status_update(new, old)] == [
        'status.conditions[0].status: Unsupported value: "Yes": supported values: "True", "False", "Unknown"'
    ]


def test_a_local_api_service_is_available_at_once() -> None:
    obj = created(
        api_service("v1", "apps", status={"conditions": [{"type": "Available", "status": "False"}]})
    )
    assert obj["status"] == {
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "lastTransitionTime": CREATED,
                "reason": "Local",
                "message": "Local APIServices are always available",
            }
        ]
    }


def test_a_service_backed_api_service_says_it_is_not_aggregated() -> None:
    obj = created(metrics(status={"conditions": [{"type": "Available", "status": "True"}]}))
    (condition,) = obj["status"]["conditions"]
    assert (condition["status"], condition["reason"], condition["lastTransitionTime"]) == (
        "False",
        "ServiceNotFound",
        CREATED,
    )
    assert condition["message"] == (
        "everynode does not aggregate APIs: requests for metrics.k8s.io/v1beta1 are not proxied to "
        "service kube-system/metrics-server"
    )


def test_an_update_rederives_availability_and_keeps_the_transition_time_while_it_holds() -> None:
    old = created(metrics())
    moved = copy.deepcopy(old)
    moved["spec"]["service"]["name"] = "prometheus-adapter"
    moved["status"]["conditions"].append({"type": "Other", "status": "True"})
    api_service_updated(moved, old)
    available, other = moved["status"]["conditions"]
    assert (available["status"], available["lastTransitionTime"]) == ("False", CREATED)
    assert "service kube-system/prometheus-adapter" in available["message"]
    assert other == {"type": "Other", "status": "True"}

    local = copy.deepcopy(old)
    del local["spec"]["service"]
    api_service_updated(local, old)
    (condition,) = local["status"]["conditions"]
    assert (condition["status"], condition["reason"]) == ("True", "Local")
    assert condition["lastTransitionTime"] != CREATED


def test_created_without_a_creation_time_uses_now() -> None:
    obj = metrics()
    api_service_created(obj)
    assert obj["status"]["conditions"][0]["lastTransitionTime"].endswith("Z")
