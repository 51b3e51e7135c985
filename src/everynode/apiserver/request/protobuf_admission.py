"""The admission configuration and API registration messages, in the table language of
:mod:`~everynode.apiserver.request.protobuf_layout`: admissionregistration.k8s.io/v1 (k8s.io/api
``admissionregistration/v1``: webhook configurations, ValidatingAdmissionPolicy and its binding) and
apiregistration.k8s.io/v1 (kube-aggregator's ``apiregistration/v1``: APIService), from their
``generated.proto`` and ``types.go`` at v1.33.

Notes on the Go side: a rule's fields are inline in ``RuleWithOperations`` (``Rule``), which is inline
in ``NamedRuleWithOperations``; ``sideEffects`` is a pointer without ``omitempty``; the strings of
``Validation``, ``Variable``, ``AuditAnnotation``, ``MatchCondition``, ``ExpressionWarning`` and a
webhook's ``name`` and service reference's ``namespace``/``name`` are written even when empty; an
APIService's priorities are always written.
"""

from __future__ import annotations

__all__ = ["ADMISSIONREGISTRATION", "APIREGISTRATION"]

# package admissionregistration (k8s.io/api/admissionregistration/v1)
ADMISSIONREGISTRATION: dict[str, dict[int, str]] = {
    "AuditAnnotation": {
        1: "key string always",
        2: "valueExpression string always",
    },
    "ExpressionWarning": {
        2: "fieldRef string always",
        3: "warning string always",
    },
    "MatchCondition": {
        1: "name string always",
        2: "expression string always",
    },
    "MatchResources": {
        1: "namespaceSelector *meta.LabelSelector",
        2: "objectSelector *meta.LabelSelector",
        3: "resourceRules []NamedRuleWithOperations",
        4: "excludeResourceRules []NamedRuleWithOperations",
        7: "matchPolicy *string",
    },
    "MutatingWebhook": {
        1: "name string always",
        2: "clientConfig WebhookClientConfig",
        3: "rules []RuleWithOperations",
        4: "failurePolicy *string",
        9: "matchPolicy *string",
        5: "namespaceSelector *meta.LabelSelector",
        11: "objectSelector *meta.LabelSelector",
        6: "sideEffects *string",
        7: "timeoutSeconds *int32",
        8: "admissionReviewVersions []string",
        10: "reinvocationPolicy *string",
        12: "matchConditions []MatchCondition",
    },
    "MutatingWebhookConfiguration": {
        1: "metadata meta.ObjectMeta",
        2: "webhooks []MutatingWebhook",
    },
    "NamedRuleWithOperations": {
        1: "resourceNames []string",
        2: "... RuleWithOperations",
    },
    "ParamKind": {
        1: "apiVersion string",
        2: "kind string",
    },
    "ParamRef": {
        1: "name string",
        2: "namespace string",
        3: "selector *meta.LabelSelector",
        4: "parameterNotFoundAction *string",
    },
    "Rule": {
        1: "apiGroups []string",
        2: "apiVersions []string",
        3: "resources []string",
        4: "scope *string",
    },
    "RuleWithOperations": {
        1: "operations []string",
        2: "... Rule",
    },
    "ServiceReference": {
        1: "namespace string always",
        2: "name string always",
        3: "path *string",
        4: "port *int32",
    },
    "TypeChecking": {
        1: "expressionWarnings []ExpressionWarning",
    },
    "ValidatingAdmissionPolicy": {
        1: "metadata meta.ObjectMeta",
        2: "spec ValidatingAdmissionPolicySpec",
        3: "status ValidatingAdmissionPolicyStatus",
    },
    "ValidatingAdmissionPolicyBinding": {
        1: "metadata meta.ObjectMeta",
        2: "spec ValidatingAdmissionPolicyBindingSpec",
    },
    "ValidatingAdmissionPolicyBindingSpec": {
        1: "policyName string",
        2: "paramRef *ParamRef",
        3: "matchResources *MatchResources",
        4: "validationActions []string",
    },
    "ValidatingAdmissionPolicySpec": {
        1: "paramKind *ParamKind",
        2: "matchConstraints *MatchResources",
        3: "validations []Validation",
        4: "failurePolicy *string",
        5: "auditAnnotations []AuditAnnotation",
        6: "matchConditions []MatchCondition",
        7: "variables []Variable",
    },
    "ValidatingAdmissionPolicyStatus": {
        1: "observedGeneration int64",
        2: "typeChecking *TypeChecking",
        3: "conditions []meta.Condition",
    },
    "ValidatingWebhook": {
        1: "name string always",
        2: "clientConfig WebhookClientConfig",
        3: "rules []RuleWithOperations",
        4: "failurePolicy *string",
        9: "matchPolicy *string",
        5: "namespaceSelector *meta.LabelSelector",
        10: "objectSelector *meta.LabelSelector",
        6: "sideEffects *string",
        7: "timeoutSeconds *int32",
        8: "admissionReviewVersions []string",
        11: "matchConditions []MatchCondition",
    },
    "ValidatingWebhookConfiguration": {
        1: "metadata meta.ObjectMeta",
        2: "webhooks []ValidatingWebhook",
    },
    "Validation": {
        1: "expression string always",
        2: "message string",
        3: "reason *string",
        4: "messageExpression string",
    },
    "Variable": {
        1: "name string always",
        2: "expression string always",
    },
    "WebhookClientConfig": {
        3: "url *string",
        1: "service *ServiceReference",
        2: "caBundle bytes",
    },
}


# package apiregistration (k8s.io/kube-aggregator/pkg/apis/apiregistration/v1)
APIREGISTRATION: dict[str, dict[int, str]] = {
    "APIService": {
        1: "metadata meta.ObjectMeta",
        2: "spec APIServiceSpec",
        3: "status APIServiceStatus",
    },
    "APIServiceCondition": {
        1: "type string always",
        2: "status string always",
        3: "lastTransitionTime Time",
        4: "reason string",
        5: "message string",
    },
    "APIServiceSpec": {
        1: "service *ServiceReference",
        2: "group string",
        3: "version string",
        4: "insecureSkipTLSVerify bool",
        5: "caBundle bytes",
        7: "groupPriorityMinimum int32 always",
        8: "versionPriority int32 always",
    },
    "APIServiceStatus": {
        1: "conditions []APIServiceCondition",
    },
    "ServiceReference": {
        1: "namespace string",
        2: "name string",
        3: "port *int32",
    },
}
