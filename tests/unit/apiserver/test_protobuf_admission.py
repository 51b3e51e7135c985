"""Protobuf bodies of the admission configuration kinds and APIService, as client-go's typed clients
send them: a rule's fields inline in its RuleWithOperations (and that inline in a policy's named rule),
a pointer ``sideEffects``, a ``caBundle`` in bytes, an APIService's always-written priorities."""

from __future__ import annotations

import copy

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.request.protobuf import decode_kubernetes_protobuf
from everynode.core.resources import RESOURCES
from everynode.core.types import Obj
from tests.builders import admission_policy, api_service, policy_binding, webhook, webhook_configuration
from tests.unit.apiserver.protobuf_encoding import T_2024, body, encode_object, ld, meta, msg, num, ts

ADMISSION = "admissionregistration.k8s.io/v1"
RESOURCE_OF = {info.kind: info.resource for info in RESOURCES}


def test_a_validating_webhook_configuration_body() -> None:
    service = msg(1, ld(1, "system"), ld(2, "webhook"), ld(3, "/validate"), num(4, 443))
    rule = msg(3, ld(1, "CREATE"), ld(1, "UPDATE"), msg(2, ld(1, ""), ld(2, "v1"), ld(3, "pods"), ld(4, "*")))
    hook = msg(
        2,
        ld(1, "pods.example.com"),
        msg(2, service, ld(2, b"\x00\x01")),
        rule,
        ld(4, "Fail"),
        ld(6, "None"),
        num(7, 10),
        ld(8, "v1"),
        msg(10),  # objectSelector {}
    )
    assert decode_kubernetes_protobuf(
        body(ADMISSION, "ValidatingWebhookConfiguration", meta("cni"), hook)
    ) == {
        "apiVersion": ADMISSION,
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "cni"},
        "webhooks": [
            {
                "name": "pods.example.com",
                "clientConfig": {
                    "service": {"namespace": "system", "name": "webhook", "path": "/validate", "port": 443},
                    "caBundle": "AAE=",
                },
                "rules": [
                    {
                        "operations": ["CREATE", "UPDATE"],
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                        "scope": "*",
                    }
                ],
                "failurePolicy": "Fail",
                "sideEffects": "None",
                "timeoutSeconds": 10,
                "admissionReviewVersions": ["v1"],
                "objectSelector": {},
            }
        ],
    }


def test_a_policy_named_rule_nests_two_inline_messages() -> None:
    named = msg(
        3, ld(1, "special"), msg(2, ld(1, "CREATE"), msg(2, ld(1, "apps"), ld(2, "v1"), ld(3, "deployments")))
    )
    spec = msg(2, msg(2, named, ld(7, "Equivalent")), msg(3, ld(1, "true")), ld(4, "Fail"))
    decoded = decode_kubernetes_protobuf(body(ADMISSION, "ValidatingAdmissionPolicy", meta("limit"), spec))
    assert decoded["spec"] == {
        "matchConstraints": {
            "resourceRules": [
                {
                    "resourceNames": ["special"],
                    "operations": ["CREATE"],
                    "apiGroups": ["apps"],
                    "apiVersions": ["v1"],
                    "resources": ["deployments"],
                }
            ],
            "matchPolicy": "Equivalent",
        },
        "validations": [{"expression": "true"}],
        "failurePolicy": "Fail",
    }


def test_an_api_service_body() -> None:
    spec = msg(
        2,
        msg(1, ld(1, "monitoring"), ld(2, "prometheus-adapter"), num(3, 443)),
        ld(2, "metrics.k8s.io"),
        ld(3, "v1beta1"),
        num(4, 1),
        num(7, 100),
        num(8, 100),
    )
    status = msg(3, msg(1, ld(1, "Available"), ld(2, "False"), ts(3, T_2024), ld(4, "ServiceNotFound")))
    raw = body("apiregistration.k8s.io/v1", "APIService", meta("v1beta1.metrics.k8s.io"), spec, status)
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": "v1beta1.metrics.k8s.io"},
        "spec": {
            "service": {"namespace": "monitoring", "name": "prometheus-adapter", "port": 443},
            "group": "metrics.k8s.io",
            "version": "v1beta1",
            "insecureSkipTLSVerify": True,
            "groupPriorityMinimum": 100,
            "versionPriority": 100,
        },
        "status": {
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "lastTransitionTime": "2024-01-01T00:00:00Z",
                    "reason": "ServiceNotFound",
                }
            ]
        },
    }


def test_defaulted_objects_round_trip() -> None:
    objects: list[Obj] = [
        webhook_configuration(
            "v", [webhook("a.example.com", matchConditions=[{"name": "c", "expression": "true"}])]
        ),
        webhook_configuration("m", [webhook("b.example.com", url="https://x.example.com/m")], mutating=True),
        admission_policy(
            "p",
            paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
            variables=[{"name": "r", "expression": "1"}],
            auditAnnotations=[{"key": "k", "valueExpression": "'v'"}],
        ),
        policy_binding(
            "b", "p", paramRef={"selector": {"matchLabels": {"a": "b"}}, "parameterNotFoundAction": "Allow"}
        ),
        api_service("v1beta1", "metrics.k8s.io", service="metrics-server"),
        api_service("v1", "apps"),
    ]
    for obj in objects:
        stored = copy.deepcopy(obj)
        kind_of(RESOURCE_OF[obj["kind"]]).apply_defaults(stored)
        assert decode_kubernetes_protobuf(encode_object(stored)) == stored, obj["kind"]
