"""ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding: upstream's defaults
(``SetObjectDefaults_ValidatingAdmissionPolicy[Binding]``) and validation
(``TestValidateValidatingAdmissionPolicy[Update|StatusUpdate]``,
``TestValidateValidatingAdmissionPolicyBinding`` in pkg/apis/admissionregistration/validation/
validation_test.go), through the kinds' declarations."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.registry.admissionconfig import policy_created
from everynode.core.types import Obj
from tests.builders import admission_policy, policy_binding, webhook_rule

POLICY = kind_of("validatingadmissionpolicies")
BINDING = kind_of("validatingadmissionpolicybindings")
STORED_META = {
    "uid": "u-1",
    "resourceVersion": "7",
    "creationTimestamp": "2025-03-01T08:00:00Z",
    "generation": 1,
}


def defaulted(obj: Obj) -> Obj:
    kind = BINDING if obj["kind"] == "ValidatingAdmissionPolicyBinding" else POLICY
    out = copy.deepcopy(obj)
    kind.apply_defaults(out)
    return out


def policy_errors(name: str = "replica-limit", **fields: Any) -> list[str]:
    return [str(e) for e in POLICY.validate_create(defaulted(admission_policy(name, **fields)))]


def binding_errors(**fields: Any) -> list[str]:
    obj = defaulted(policy_binding("replica-limit-binding", "replica-limit", **fields))
    return [str(e) for e in BINDING.validate_create(obj)]


# --- defaults ---


def test_policy_defaults_fail_closed_and_match_everything() -> None:
    # TestDefaultAdmissionPolicy "ValidatingAdmissionPolicy" and "scope=*"
    spec = defaulted(admission_policy("p", matchConstraints={"resourceRules": [webhook_rule(["pods"])]}))[
        "spec"
    ]
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConstraints"] == {
        "resourceRules": [{**webhook_rule(["pods"]), "scope": "*"}],
        "matchPolicy": "Equivalent",
        "namespaceSelector": {},
        "objectSelector": {},
    }


def test_a_policy_without_a_spec_still_gets_its_failure_policy() -> None:
    # the spec is a struct, not a pointer: upstream defaults it even when absent
    obj = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy"}
    assert defaulted(obj)["spec"] == {"failurePolicy": "Fail"}


def test_binding_defaults_its_match_resources_only() -> None:
    # TestDefaultAdmissionPolicy "ValidatingAdmissionPolicyBinding"; v1 gives paramRef no default
    bare = defaulted(policy_binding("b", "p", paramRef={"name": "limits"}))["spec"]
    assert bare["paramRef"] == {"name": "limits"}
    assert "matchResources" not in bare
    spec = defaulted(
        policy_binding("b", "p", matchResources={"excludeResourceRules": [webhook_rule(["pods"])]})
    )
    assert spec["spec"]["matchResources"]["matchPolicy"] == "Equivalent"
    assert spec["spec"]["matchResources"]["excludeResourceRules"][0]["scope"] == "*"


# --- policy ---


def test_a_policy_shaped_like_a_gateway_bundle_is_valid() -> None:
    assert (
        policy_errors(
            paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
            validations=[
                {"expression": "object.spec.replicas <= params.data.max", "reason": "Invalid"},
                {"expression": "true", "messageExpression": "'replicas: ' + string(object.spec.replicas)"},
            ],
            variables=[{"name": "replicas", "expression": "object.spec.replicas"}],
            auditAnnotations=[{"key": "high-replica-count", "valueExpression": "'high'"}],
            matchConditions=[{"name": "not-system", "expression": "true"}],
        )
        == []
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"failurePolicy": "other"},
            ['spec.failurePolicy: Unsupported value: "other": supported values: "Fail", "Ignore"'],
            id="failure policy validation",
        ),
        pytest.param(
            {"paramKind": {"kind": "ConfigMap"}},
            ["spec.paramKind.apiVersion: Required value"],
            id="API version is required in ParamKind",
        ),
        pytest.param(
            {"paramKind": {"apiVersion": "test.example.com/v1"}},
            ["spec.paramKind.kind: Required value"],
            id="API kind is required in ParamKind",
        ),
        pytest.param(
            {"paramKind": {"apiVersion": "test.example.com/v1/t", "kind": "ReplicaLimit"}},
            [
                'spec.paramKind.apiVersion: Invalid value: "test.example.com/v1/t": '
                "unexpected GroupVersion string: test.example.com/v1/t"
            ],
            id="API version format in ParamKind",
        ),
        pytest.param(
            {"paramKind": {"apiVersion": "test.example.com/", "kind": "ReplicaLimit"}},
            ['spec.paramKind.apiVersion: Invalid value: "test.example.com/": version must be specified'],
            id="API version format in ParamKind: no version",
        ),
        pytest.param(
            {"paramKind": {"apiVersion": "test.example.com/v1", "kind": "Replica_Limit"}},
            [
                'spec.paramKind.kind: Invalid value: "Replica_Limit": may have mixed case, but should '
                "otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or "
                "'-', start with an alphabetic character, and end with an alphanumeric character (e.g. "
                "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
            ],
            id="API kind format in ParamKind",
        ),
        pytest.param(
            {"validations": []},
            [
                "spec.validations: Required value: "
                "validations or auditAnnotations must contain at least one item",
                "spec.auditAnnotations: Required value: "
                "validations or auditAnnotations must contain at least one item",
            ],
            id="Validations is required",
        ),
        pytest.param(
            {"validations": [{"expression": "true", "reason": "other"}]},
            [
                'spec.validations[0].reason: Unsupported value: "other": supported values: "Forbidden", '
                '"Invalid", "RequestEntityTooLarge"'
            ],
            id="Invalid Validations Reason",
        ),
        pytest.param(
            {"validations": [{"expression": " "}]},
            ["spec.validations[0].expression: Required value: expression is not specified"],
            id="expression is required",
        ),
        pytest.param(
            {"validations": [{"expression": "true", "message": "two\nlines"}]},
            [
                'spec.validations[0].message: Invalid value: "two\\nlines": '
                "message must not contain line breaks"
            ],
            id="message must not contain line breaks",
        ),
        pytest.param(
            {"validations": [{"expression": "true", "messageExpression": " "}]},
            ['spec.validations[0].messageExpression: Invalid value: " ": must be non-empty if specified'],
            id="messageExpression must be non-empty if specified",
        ),
        pytest.param(
            {"matchConstraints": None},
            ["spec.matchConstraints: Required value"],
            id="MatchConstraints is required",
        ),
        pytest.param(
            {"matchConstraints": {"namespaceSelector": {}}},
            ["spec.matchConstraints.resourceRules: Required value"],
            id="matchConstraints.resourceRules is required",
        ),
        pytest.param(
            {"rules": [{**webhook_rule(["pods"]), "resourceNames": ["a/b", "x", "x"]}]},
            [
                'spec.matchConstraints.resourceRules[0].resourceNames[0]: Invalid value: "a/b": '
                "may not contain '/'",
                'spec.matchConstraints.resourceRules[0].resourceNames[2]: Duplicate value: "x"',
            ],
            id="matchResources resourceNames check and cannot duplicate",
        ),
        pytest.param(
            {"rules": [webhook_rule(["pods"], operations=[])]},
            ["spec.matchConstraints.resourceRules[0].operations: Required value"],
            id="Operations must not be empty or nil",
        ),
        pytest.param(
            {"matchConditions": [{"name": "a", "expression": "true"}, {"name": "a", "expression": "true"}]},
            ['spec.matchConditions[1].name: Duplicate value: "a"'],
            id="match conditions must have unique names",
        ),
        pytest.param(
            {"variables": [{"name": "1st", "expression": "true"}, {"name": "in", "expression": " "}]},
            [
                'spec.variables[0].name: Invalid value: "1st": name is not a valid CEL identifier',
                'spec.variables[1].name: Invalid value: "in": name is not a valid CEL identifier',
                "spec.variables[1].expression: Required value: expression is not specified",
            ],
            id="variables must be named by CEL identifiers",
        ),
        pytest.param(
            {
                "validations": [],
                "auditAnnotations": [
                    {"key": "a", "valueExpression": "'x'"},
                    {"key": "a", "valueExpression": " "},
                ],
            },
            [
                "spec.auditAnnotations[1].valueExpression: Required value: valueExpression is not specified",
                'spec.auditAnnotations[1].key: Duplicate value: "a"',
            ],
            id="audit annotations need a value and unique keys",
        ),
    ],
)
def test_validating_admission_policy_create(fields: dict[str, Any], expected: list[str]) -> None:
    assert policy_errors(**fields) == expected


def test_an_audit_annotation_key_is_qualified_by_the_policy_name() -> None:
    errs = policy_errors(
        "replica-limit", validations=[], auditAnnotations=[{"key": "a b", "valueExpression": "1"}]
    )
    assert len(errs) == 1
    assert errs[0].startswith('spec.auditAnnotations[0].key: Invalid value: "replica-limit/a b"')


def test_policy_update_checks_match_conditions_only_when_they_change() -> None:
    old = defaulted(admission_policy("p", matchConditions=[{"name": "", "expression": "true"}]))
    old["metadata"].update(STORED_META)
    same = copy.deepcopy(old)
    same["spec"]["validations"].append({"expression": "false"})
    assert [str(e) for e in POLICY.validate_update(same, old)] == []
    changed = copy.deepcopy(old)
    changed["spec"]["matchConditions"][0]["expression"] = "false"
    assert [str(e) for e in POLICY.validate_update(changed, old)] == [
        "spec.matchConditions[0].name: Required value"
    ]


def test_policy_status_update_checks_warnings_and_conditions() -> None:
    # TestValidateValidatingAdmissionPolicyStatus
    old = defaulted(admission_policy("p"))
    old["metadata"].update(STORED_META)
    new = copy.deepcopy(old)
    new["status"] = {
        "typeChecking": {
            "expressionWarnings": [{"fieldRef": "spec.validations[0].expression", "warning": ""}]
        },
        "conditions": [
            {"type": "Ready", "status": "Maybe", "lastTransitionTime": "2025-03-01T08:00:00Z", "reason": "R"}
        ],
    }
    assert [str(e) for e in POLICY.validate_status_update(new, old)] == [
        "status.typeChecking.expressionWarnings[0].warning: Required value",
        'status.conditions[0].status: Unsupported value: "Maybe": '
        'supported values: "False", "True", "Unknown"',
    ]


def test_a_new_policy_starts_without_status() -> None:
    obj = admission_policy("p")
    obj["status"] = {"observedGeneration": 3}
    policy_created(obj)
    assert obj["status"] == {}


# --- binding ---


def test_a_binding_with_parameters_and_match_resources_is_valid() -> None:
    assert (
        binding_errors(
            paramRef={"name": "limits", "namespace": "default", "parameterNotFoundAction": "Deny"},
            matchResources={"namespaceSelector": {"matchLabels": {"env": "test"}}},
            actions=["Warn", "Audit"],
        )
        == []
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"policyName": ""},
            ["spec.policyName: Required value"],
            id="PolicyName is required",
        ),
        pytest.param(
            {"paramRef": {"name": "a", "selector": {}, "parameterNotFoundAction": "Allow"}},
            [
                "spec.paramRef.name: Forbidden: name and selector are mutually exclusive",
                "spec.paramRef.selector: Forbidden: name and selector are mutually exclusive",
            ],
            id="paramRef selector and name are mutually exclusive",
        ),
        pytest.param(
            {"paramRef": {"parameterNotFoundAction": "Deny"}},
            ["spec.paramRef: Required value: one of name or selector must be specified"],
            id="paramRef needs a name or a selector",
        ),
        pytest.param(
            {"paramRef": {"name": "a"}},
            ["spec.paramRef.parameterNotFoundAction: Required value"],
            id="paramRef parameterNotFoundAction is required",
        ),
        pytest.param(
            {"paramRef": {"name": "a", "parameterNotFoundAction": "Ignore"}},
            [
                'spec.paramRef.parameterNotFoundAction: Unsupported value: "Ignore": '
                'supported values: "Deny", "Allow"'
            ],
            id="paramRef parameterNotFoundAction is Deny or Allow",
        ),
        pytest.param(
            {"matchResources": {"matchPolicy": "other"}},
            [
                'spec.matchResources.matchPolicy: Unsupported value: "other": '
                'supported values: "Equivalent", "Exact"'
            ],
            id="matchResources validation: matchPolicy",
        ),
        pytest.param(
            {"actions": ["Deny", "Warn", "Deny", "Block"]},
            [
                'spec.validationActions[2]: Duplicate value: "Deny"',
                'spec.validationActions[3]: Unsupported value: "Block": '
                'supported values: "Audit", "Deny", "Warn"',
                "spec.validationActions: Invalid value: "
                '[]admissionregistration.ValidationAction{"Deny", "Warn", "Deny", "Block"}: must not contain '
                "both Deny and Warn (repeating the same validation failure information in the API response "
                "and headers serves no purpose)",
            ],
            id="validationActions must be unique, supported, and not both Deny and Warn",
        ),
        pytest.param(
            {"actions": []},
            ["spec.validationActions: Required value: at least one validation action is required"],
            id="validationActions is required",
        ),
    ],
)
def test_validating_admission_policy_binding_create(fields: dict[str, Any], expected: list[str]) -> None:
    assert binding_errors(**fields) == expected
