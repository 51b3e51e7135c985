"""ValidatingWebhookConfiguration and MutatingWebhookConfiguration: upstream's defaults
(``TestDefaultAdmissionWebhook`` in pkg/apis/admissionregistration/v1/defaults_test.go) and validation
(``TestValidateValidatingWebhookConfiguration[Update]``, ``TestValidateMutatingWebhookConfiguration`` in
pkg/apis/admissionregistration/validation/validation_test.go), through the kinds' declarations."""

from __future__ import annotations

import copy

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.registry.admissionconfig import webhooks_updated
from everynode.core.types import Obj
from tests.builders import webhook, webhook_configuration, webhook_rule

VWC = kind_of("validatingwebhookconfigurations")
MWC = kind_of("mutatingwebhookconfigurations")
STORED_META = {"uid": "u-1", "resourceVersion": "7", "creationTimestamp": "2025-03-01T08:00:00Z"}


def defaulted(obj: Obj) -> Obj:
    kind = MWC if obj["kind"] == "MutatingWebhookConfiguration" else VWC
    out = copy.deepcopy(obj)
    kind.apply_defaults(out)
    return out


def create_errors(*hooks: Obj, mutating: bool = False) -> list[str]:
    obj = defaulted(webhook_configuration("config", list(hooks), mutating=mutating))
    return [str(e) for e in (MWC if mutating else VWC).validate_create(obj)]


def stored(*hooks: Obj) -> Obj:
    obj = defaulted(webhook_configuration("config", list(hooks)))
    obj["metadata"].update(STORED_META, generation=1)
    return obj


def update_errors(old: Obj, *hooks: Obj) -> list[str]:
    new = defaulted(webhook_configuration("config", list(hooks)))
    new["metadata"].update(STORED_META, generation=1)
    return [str(e) for e in VWC.validate_update(new, old)]


# --- defaults ---


def test_validating_webhook_configuration_defaults() -> None:
    # TestDefaultAdmissionWebhook "ValidatingWebhookConfiguration", "scope=*" and "port=443"
    hook = defaulted(webhook_configuration("c", [webhook("a.example.com")]))["webhooks"][0]
    assert {k: hook[k] for k in ("failurePolicy", "matchPolicy", "timeoutSeconds")} == {
        "failurePolicy": "Fail",
        "matchPolicy": "Equivalent",
        "timeoutSeconds": 10,
    }
    assert (hook["namespaceSelector"], hook["objectSelector"]) == ({}, {})
    assert hook["rules"][0]["scope"] == "*"
    assert hook["clientConfig"]["service"]["port"] == 443
    assert "reinvocationPolicy" not in hook
    # v1 defaults neither of these (v1beta1 did): validation requires them
    bare = defaulted(webhook_configuration("c", [{"name": "a.example.com"}]))["webhooks"][0]
    assert "sideEffects" not in bare
    assert "admissionReviewVersions" not in bare


def test_mutating_webhook_configuration_defaults_reinvocation_never() -> None:
    # TestDefaultAdmissionWebhook "MutatingWebhookConfiguration"
    hook = defaulted(webhook_configuration("c", [webhook("a.example.com")], mutating=True))["webhooks"][0]
    assert hook["reinvocationPolicy"] == "Never"
    assert hook["failurePolicy"] == "Fail"


def test_defaults_keep_what_is_given() -> None:
    given = webhook(
        "a.example.com",
        failurePolicy="Ignore",
        matchPolicy="Exact",
        timeoutSeconds=5,
        namespaceSelector={"matchLabels": {"team": "a"}},
        rules=[webhook_rule(["pods"], scope="Namespaced")],
    )
    given["clientConfig"]["service"]["port"] = 8443
    hook = defaulted(webhook_configuration("c", [given]))["webhooks"][0]
    assert (hook["failurePolicy"], hook["matchPolicy"], hook["timeoutSeconds"]) == ("Ignore", "Exact", 5)
    assert hook["namespaceSelector"] == {"matchLabels": {"team": "a"}}
    assert hook["rules"][0]["scope"] == "Namespaced"
    assert hook["clientConfig"]["service"]["port"] == 8443
    assert defaulted(webhook_configuration("c", [hook])) == defaulted(webhook_configuration("c", [given]))


# --- create ---


def test_a_configuration_shaped_like_a_cni_bundle_is_valid() -> None:
    hooks = [
        webhook("validate.pods.example.com", path="/validate-pods"),
        webhook(
            "validate.policies.example.com",
            url="https://webhook.example.com:9443/validate",
            rules=[webhook_rule(["networkpolicies", "networkpolicies/status"], groups=["networking.k8s.io"])],
            namespaceSelector={"matchExpressions": [{"key": "control-plane", "operator": "DoesNotExist"}]},
            matchConditions=[
                {"name": "not-system", "expression": "!request.userInfo.username.startsWith('x')"}
            ],
            failurePolicy="Ignore",
            sideEffects="NoneOnDryRun",
            admissionReviewVersions=["v1", "v1beta1"],
        ),
    ]
    assert create_errors(*hooks) == []
    assert create_errors(*hooks, mutating=True) == []


@pytest.mark.parametrize(
    ("hook", "expected"),
    [
        pytest.param(
            webhook("a.example.com", admissionReviewVersions=[]),
            ["webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"],
            id="AdmissionReviewVersions are required",
        ),
        pytest.param(
            webhook("a.example.com", admissionReviewVersions=["invalid-v1"]),
            [
                'webhooks[0].admissionReviewVersions: Invalid value: []string{"invalid-v1"}: '
                "must include at least one of v1, v1beta1"
            ],
            id="should fail on bad AdmissionReviewVersion value",
        ),
        pytest.param(
            webhook("a.example.com", admissionReviewVersions=["v1", "v1"]),
            ['webhooks[0].admissionReviewVersions[1]: Invalid value: "v1": duplicate version'],
            id="duplicate AdmissionReviewVersion",
        ),
        pytest.param(
            webhook("webhook", service=None, url="https://example.com"),
            [
                'webhooks[0].name: Invalid value: "webhook": '
                "should be a domain with at least three segments separated by dots"
            ],
            id="webhook name must be fully qualified",
        ),
        pytest.param(
            webhook("a.example.com", sideEffects=None),
            ["webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"],
            id="SideEffects are required",
        ),
        pytest.param(
            webhook("a.example.com", sideEffects="Some"),
            [
                'webhooks[0].sideEffects: Unsupported value: "Some": '
                'supported values: "None", "NoneOnDryRun"',
            ],
            id="SideEffects can only be None or NoneOnDryRun when created",
        ),
        pytest.param(
            webhook("a.example.com", failurePolicy="other"),
            ['webhooks[0].failurePolicy: Unsupported value: "other": supported values: "Fail", "Ignore"'],
            id="FailurePolicy can only be Ignore or Fail",
        ),
        pytest.param(
            webhook("a.example.com", matchPolicy="other"),
            ['webhooks[0].matchPolicy: Unsupported value: "other": supported values: "Equivalent", "Exact"'],
            id="MatchPolicy can only be Exact or Equivalent",
        ),
        pytest.param(
            webhook("a.example.com", timeoutSeconds=31),
            [
                "webhooks[0].timeoutSeconds: Invalid value: 31: "
                "the timeout value must be between 1 and 30 seconds"
            ],
            id="timeout seconds cannot be greater than 30",
        ),
        pytest.param(
            webhook("a.example.com", timeoutSeconds=0),
            [
                "webhooks[0].timeoutSeconds: Invalid value: 0: "
                "the timeout value must be between 1 and 30 seconds"
            ],
            id="timeout seconds cannot be smaller than 1",
        ),
        pytest.param(
            webhook("a.example.com", service=None),
            ["webhooks[0].clientConfig: Required value: exactly one of url or service is required"],
            id="both service and URL missing",
        ),
        pytest.param(
            webhook("a.example.com", clientConfig={"url": "https://x.example.com", "service": {"name": "s"}}),
            ["webhooks[0].clientConfig: Required value: exactly one of url or service is required"],
            id="both service and URL provided",
        ),
        pytest.param(
            webhook("a.example.com", url=""),
            [
                'webhooks[0].clientConfig.url: Invalid value: "": '
                "'https' is the only allowed URL scheme; desired format: https://host[/path]",
                'webhooks[0].clientConfig.url: Invalid value: "": '
                "host must be provided; desired format: https://host[/path]",
            ],
            id="blank URL",
        ),
        pytest.param(
            webhook("a.example.com", url="http://example.com/hook"),
            [
                'webhooks[0].clientConfig.url: Invalid value: "http": '
                "'https' is the only allowed URL scheme; desired format: https://host[/path]"
            ],
            id="wrong scheme",
        ),
        pytest.param(
            webhook("a.example.com", url="https://user:pw@example.com/hook?x=1#frag"),
            [
                'webhooks[0].clientConfig.url: Invalid value: "user:pw": '
                "user information is not permitted in the URL",
                'webhooks[0].clientConfig.url: Invalid value: "frag": fragments are not permitted in the URL',
                'webhooks[0].clientConfig.url: Invalid value: "x=1": '
                "query parameters are not permitted in the URL",
            ],
            id="user information, fragments and query not allowed",
        ),
        pytest.param(
            webhook("a.example.com", service=None, url="https://example.com:port/hook"),
            [
                "webhooks[0].clientConfig.url: Required value: url must be a valid URL: parse "
                '"https://example.com:port/hook": invalid port ":port" after host; '
                "desired format: https://host[/path]"
            ],
            id="bad url",
        ),
        pytest.param(
            webhook("a.example.com", path="foo/"),
            ["webhooks[0].clientConfig.service.path: Invalid value: \"foo/\": must start with a '/'"],
            id="path must start with slash",
        ),
        pytest.param(
            webhook("a.example.com", path="//"),
            ['webhooks[0].clientConfig.service.path: Invalid value: "//": segment[0] may not be empty'],
            id="path fails //",
        ),
        pytest.param(
            webhook("a.example.com", path="/foo//bar/"),
            [
                'webhooks[0].clientConfig.service.path: Invalid value: "/foo//bar/": '
                "segment[1] may not be empty"
            ],
            id="path no empty step",
        ),
        pytest.param(
            webhook("a.example.com", path="/Foo"),
            [
                'webhooks[0].clientConfig.service.path: Invalid value: "/Foo": segment[0]: a lowercase RFC '
                "1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
                "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
                "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ],
            id="path no non-subdomain",
        ),
        pytest.param(
            webhook("a.example.com", namespace=""),
            ["webhooks[0].clientConfig.service.namespace: Required value: service namespace is required"],
            id="service namespace is required",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["pods"], operations=[])]),
            ["webhooks[0].rules[0].operations: Required value"],
            id="Operations must not be empty or nil",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["pods"], operations=["PATCH"])]),
            [
                'webhooks[0].rules[0].operations[0]: Unsupported value: "PATCH": supported values: "*", '
                '"CONNECT", "CREATE", "DELETE", "UPDATE"'
            ],
            id="operation must be either create/update/delete/connect",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["pods"], operations=["*", "CREATE"])]),
            [
                "webhooks[0].rules[0].operations: Invalid value: "
                '[]admissionregistration.OperationType{"*", "CREATE"}: '
                "if '*' is present, must not specify other operations"
            ],
            id="wildcard operation cannot be mixed with other strings",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["pods"], groups=[])]),
            ["webhooks[0].rules[0].apiGroups: Required value"],
            id="APIGroups must not be empty or nil",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["pods"], versions=["*", "v1"])]),
            [
                'webhooks[0].rules[0].apiVersions: Invalid value: []string{"*", "v1"}: '
                "if '*' is present, must not specify other API versions"
            ],
            id="wildcard API version cannot be mixed",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["*", "pods/status"])]),
            [],
            id='resource "*" can co-exist with resources that have subresources',
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["*", "pods"])]),
            [
                'webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods"}: '
                "if '*' is present, must not specify other resources without subresources"
            ],
            id='resource "*" cannot mix with resources that don\'t have subresources',
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["pods/*", "pods/exec"])]),
            [
                'webhooks[0].rules[0].resources[1]: Invalid value: "pods/exec": '
                "if 'pods/*' is present, must not specify pods/exec"
            ],
            id="resource a/* cannot mix with a/x",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["*/*", "pods"])]),
            [
                'webhooks[0].rules[0].resources: Invalid value: []string{"*/*", "pods"}: '
                "if '*/*' is present, must not specify other resources"
            ],
            id="resource */* cannot mix with other resources",
        ),
        pytest.param(
            webhook("a.example.com", rules=[webhook_rule(["pods"], scope="cluster")]),
            [
                'webhooks[0].rules[0].scope: Unsupported value: "cluster": supported values: "*", '
                '"Cluster", "Namespaced"'
            ],
            id="should fail on unsupported scope",
        ),
        pytest.param(
            webhook("a.example.com", objectSelector={"matchLabels": {"a": "b c"}}),
            [
                'webhooks[0].objectSelector.matchLabels: Invalid value: "b c": a valid label must be an '
                "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and "
                "end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
                "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
            ],
            id="invalid label value in selector",
        ),
        pytest.param(
            webhook("a.example.com", matchConditions=[{"name": "", "expression": " "}]),
            [
                "webhooks[0].matchConditions[0].expression: Required value",
                "webhooks[0].matchConditions[0].name: Required value",
            ],
            id="single match condition must have a name and an expression",
        ),
        pytest.param(
            webhook(
                "a.example.com",
                matchConditions=[{"name": "a", "expression": "true"}, {"name": "a", "expression": "false"}],
            ),
            ['webhooks[0].matchConditions[1].name: Duplicate value: "a"'],
            id="match conditions must have unique names",
        ),
    ],
)
def test_validating_webhook_configuration_create(hook: Obj, expected: list[str]) -> None:
    # TestValidateValidatingWebhookConfiguration, case by case (named as upstream's where one exists)
    assert create_errors(hook) == expected


def test_webhooks_must_have_unique_names_when_created() -> None:
    errs = create_errors(webhook("a.example.com"), webhook("a.example.com"))
    assert errs == ['webhooks[1].name: Duplicate value: "a.example.com"']


def test_a_mutating_webhook_checks_its_reinvocation_policy() -> None:
    hook = webhook("a.example.com", reinvocationPolicy="Always")
    assert create_errors(hook, mutating=True) == [
        'webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"'
    ]
    assert create_errors(webhook("a.example.com", reinvocationPolicy="IfNeeded"), mutating=True) == []


def test_metadata_name_must_be_a_dns_subdomain() -> None:
    obj = defaulted(webhook_configuration("Not_A_Name", [webhook("a.example.com")]))
    assert [e.field for e in VWC.validate_create(obj)] == ["metadata.name"]


# --- update ---


def test_update_keeps_rules_the_stored_configuration_already_broke() -> None:
    # TestValidateValidatingWebhookConfigurationUpdate: "should pass on invalid AdmissionReviewVersion
    # with invalid previous versions", "Webhooks can have duplicate names when old config has duplicate
    # names", and side effects allowed when the stored webhook had some
    odd = webhook("a.example.com", admissionReviewVersions=["invalid-v0"], sideEffects="Some")
    old = stored(odd, webhook("a.example.com"))
    assert update_errors(old, odd, webhook("a.example.com")) == []


def test_update_holds_rules_the_stored_configuration_kept() -> None:
    # "should fail on invalid AdmissionReviewVersion with valid previous versions", "Webhooks must have
    # unique names when old config has unique names"
    old = stored(webhook("a.example.com"), webhook("b.example.com"))
    errs = update_errors(
        old, webhook("a.example.com", admissionReviewVersions=["invalid-v0"]), webhook("a.example.com")
    )
    assert errs == [
        'webhooks[0].admissionReviewVersions: Invalid value: []string{"invalid-v0"}: '
        "must include at least one of v1, v1beta1",
        'webhooks[1].name: Duplicate value: "a.example.com"',
    ]


def test_update_allows_invalid_label_values_the_stored_selector_had() -> None:
    # the option covers expression values only: matchLabels are always held to the rules
    expression = {"key": "a", "operator": "In", "values": ["b c"]}
    odd = webhook("a.example.com", namespaceSelector={"matchExpressions": [expression]})
    assert update_errors(stored(odd), odd) == []
    assert update_errors(stored(webhook("a.example.com")), odd) != []


def test_generation_moves_with_the_webhooks_only() -> None:
    old = stored(webhook("a.example.com"))
    same = copy.deepcopy(old)
    same["metadata"]["labels"] = {"x": "y"}
    webhooks_updated(same, old)
    assert same["metadata"]["generation"] == 1
    changed = copy.deepcopy(old)
    changed["webhooks"][0]["timeoutSeconds"] = 5
    webhooks_updated(changed, old)
    assert changed["metadata"]["generation"] == 2
