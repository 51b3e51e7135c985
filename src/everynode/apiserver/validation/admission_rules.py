"""What webhooks and admission policies share in admissionregistration.k8s.io/v1: rules (which
requests they match), match conditions, match resources and label selectors.

From ``pkg/apis/admissionregistration/validation/validation.go``: ``validateRule``,
``validateResources``, ``validateRuleWithOperations``, ``validateNamedRuleWithOperations``,
``validateMatchResources`` and ``validateMatchConditions``. The CEL in a match condition is checked
for presence only: everynode compiles no CEL (it evaluates no policy and calls no webhook).
"""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_str,
    child,
    dicts,
    go_string_slice,
    index,
    strings,
)
from everynode.apiserver.validation.selectors import validate_label_selector
from everynode.apiserver.validation.values import go_typed_slice, qualified_name, too_many
from everynode.core import names
from everynode.core.fielderrors import duplicate, invalid, not_supported, required

__all__ = [
    "FAILURE_POLICIES",
    "MATCH_POLICIES",
    "conditions_of",
    "has_invalid_label_values",
    "validate_match_conditions",
    "validate_match_resources",
    "validate_rule_with_operations",
    "validate_selector",
]

# upstream's sets, listed sorted as ``sets.String.List()`` lists them in messages
FAILURE_POLICIES = ("Fail", "Ignore")
MATCH_POLICIES = ("Equivalent", "Exact")
OPERATIONS = ("*", "CONNECT", "CREATE", "DELETE", "UPDATE")
SCOPES = ("*", "Cluster", "Namespaced")
MAX_MATCH_CONDITIONS = 64


def _wildcard_among_others(values: list[str]) -> bool:
    return len(values) > 1 and "*" in values


def _resources(resources: list[str], path: str) -> Errors:
    """``validateResources``: ``res/sub`` entries may not repeat what a wildcard already covers.

    As upstream, whether a plain resource sits beside ``*`` is decided by the *last* entry without a
    subresource (``["pods", "*"]`` passes, ``["*", "pods"]`` does not)."""
    errs: Errors = []
    if not resources:
        errs.append(required(path))
    wildcard_subresources: set[str] = set()  # x/*
    wildcard_resources: set[str] = set()  # */x
    plain_after_wildcard = False
    for i, entry in enumerate(resources):
        if not entry:
            errs.append(required(index(path, i)))
            continue
        resource, slash, subresource = entry.partition("/")
        if not slash:
            plain_after_wildcard = entry != "*"
            continue
        if resource in wildcard_subresources:
            errs.append(
                invalid(index(path, i), entry, f"if '{resource}/*' is present, must not specify {entry}")
            )
        if subresource in wildcard_resources:
            detail = f"if '*/{subresource}' is present, must not specify {entry}"
            errs.append(invalid(index(path, i), entry, detail))
        if subresource == "*":
            wildcard_subresources.add(resource)
        if resource == "*":
            wildcard_resources.add(subresource)
    text = go_string_slice(resources)
    if len(resources) > 1 and "*/*" in resources:
        detail = "if '*/*' is present, must not specify other resources"
        errs.append(invalid(path, resources, detail, value_text=text))
    if "*" in resources and plain_after_wildcard:
        detail = "if '*' is present, must not specify other resources without subresources"
        errs.append(invalid(path, resources, detail, value_text=text))
    return errs


def _rule(rule: dict[str, Any], path: str) -> Errors:
    """``validateRule`` (subresources allowed, as every v1 rule allows them)."""
    errs: Errors = []
    groups, versions = strings(rule.get("apiGroups")), strings(rule.get("apiVersions"))
    groups_path, versions_path = child(path, "apiGroups"), child(path, "apiVersions")
    if not groups:
        errs.append(required(groups_path))
    if _wildcard_among_others(groups):
        detail = "if '*' is present, must not specify other API groups"
        errs.append(invalid(groups_path, groups, detail, value_text=go_string_slice(groups)))
    if not versions:  # the core group's name is empty, so groups may be; versions may not
        errs.append(required(versions_path))
    if _wildcard_among_others(versions):
        detail = "if '*' is present, must not specify other API versions"
        errs.append(invalid(versions_path, versions, detail, value_text=go_string_slice(versions)))
    errs.extend(required(index(versions_path, i)) for i, version in enumerate(versions) if not version)
    errs.extend(_resources(strings(rule.get("resources")), child(path, "resources")))
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        errs.append(not_supported(child(path, "scope"), as_str(scope), SCOPES))
    return errs


def validate_rule_with_operations(rule: dict[str, Any], path: str) -> Errors:
    """``validateRuleWithOperations``: known operations, ``*`` alone, then the rule itself (whose fields
    are inline, at the same path)."""
    errs: Errors = []
    operations = strings(rule.get("operations"))
    operations_path = child(path, "operations")
    if not operations:
        errs.append(required(operations_path))
    if _wildcard_among_others(operations):
        text = go_typed_slice("admissionregistration.OperationType", operations)
        detail = "if '*' is present, must not specify other operations"
        errs.append(invalid(operations_path, operations, detail, value_text=text))
    errs.extend(
        not_supported(index(operations_path, i), operation, OPERATIONS)
        for i, operation in enumerate(operations)
        if operation not in OPERATIONS
    )
    errs.extend(_rule(rule, path))
    return errs


def _named_rule(rule: dict[str, Any], path: str) -> Errors:
    """``validateNamedRuleWithOperations``: resource names fit in a URL path and do not repeat."""
    errs: Errors = []
    seen: set[str] = set()
    for i, name in enumerate(strings(rule.get("resourceNames"))):
        name_path = index(child(path, "resourceNames"), i)
        errs.extend(invalid(name_path, name, msg) for msg in names.is_valid_path_segment_name(name))
        if name in seen:
            errs.append(duplicate(name_path, name))
        seen.add(name)
    errs.extend(validate_rule_with_operations(rule, path))
    return errs


def validate_selector(selector: Any, path: str, *, allow_invalid_values: bool = False) -> Errors:
    """``metav1validation.ValidateLabelSelector`` on a selector that is present."""
    return validate_label_selector(selector, path, allow_invalid_values=allow_invalid_values)


def has_invalid_label_values(selectors: list[Any]) -> bool:
    """Whether a stored selector already holds a label value the strict rules refuse (upstream then
    lets an update keep such values: ``AllowInvalidLabelValueInSelector``)."""
    return any(isinstance(s, dict) and validate_label_selector(s, "") for s in selectors)


def validate_match_resources(match: Any, path: str) -> Errors:
    """``validateMatchResources``: the defaulted match policy and selectors are required, then every
    included and excluded rule (a missing ``match`` is not an error here)."""
    if not isinstance(match, dict):
        return []
    errs: Errors = []
    policy = match.get("matchPolicy")
    if policy is None:
        errs.append(required(child(path, "matchPolicy")))
    elif policy not in MATCH_POLICIES:
        errs.append(not_supported(child(path, "matchPolicy"), as_str(policy), MATCH_POLICIES))
    for key in ("namespaceSelector", "objectSelector"):
        if match.get(key) is None:
            errs.append(required(child(path, key)))
        else:  # strict: these types came after label values were first validated
            errs.extend(validate_selector(match.get(key), child(path, key)))
    for key in ("resourceRules", "excludeResourceRules"):
        for i, rule in enumerate(dicts(match.get(key))):
            errs.extend(_named_rule(rule, index(child(path, key), i)))
    return errs


def validate_match_conditions(conditions: Any, path: str) -> Errors:
    """``validateMatchConditions``: at most 64, each named (a qualified name, not repeated) and with a
    non-blank expression."""
    listed = dicts(conditions)
    errs: Errors = []
    if len(listed) > MAX_MATCH_CONDITIONS:
        errs.append(too_many(path, len(listed), MAX_MATCH_CONDITIONS))
    seen: set[str] = set()
    for i, condition in enumerate(listed):
        item = index(path, i)
        if not as_str(condition.get("expression")).strip():
            errs.append(required(child(item, "expression")))
        name = as_str(condition.get("name"))
        if not name:
            errs.append(required(child(item, "name")))
            continue
        errs.extend(qualified_name(name, child(item, "name")))
        if name in seen:
            errs.append(duplicate(child(item, "name"), name))
        seen.add(name)
    return errs


def conditions_of(items: list[dict[str, Any]]) -> list[Any]:
    """The match conditions of each item (webhook), for comparing an update with what is stored."""
    return [as_dict(item).get("matchConditions") for item in items]
