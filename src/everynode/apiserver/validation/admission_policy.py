"""ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding validation
(``ValidateValidatingAdmissionPolicy[Update|StatusUpdate]``, ``ValidateValidatingAdmissionPolicyBinding
[Update]`` in ``pkg/apis/admissionregistration/validation/validation.go``).

The structure is checked as upstream checks it; the CEL it holds (validations, message expressions,
variables, audit annotations, match conditions) is checked for presence only, since everynode
compiles and evaluates no CEL. Upstream's extra authorization of ``paramKind`` / ``paramRef`` (the
writer may read the parameter kind) is not done: everynode has no authorizer yet.
"""

from __future__ import annotations

import re
from typing import Any

from everynode.apiserver.validation.admission_rules import (
    FAILURE_POLICIES,
    validate_match_conditions,
    validate_match_resources,
    validate_selector,
)
from everynode.apiserver.validation.fields import Errors, as_dict, as_str, child, dicts, index, strings
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.apiserver.validation.values import go_typed_slice, qualified_name, validate_conditions
from everynode.core import names
from everynode.core.fielderrors import duplicate, forbidden, go_quote, invalid, not_supported, required
from everynode.core.types import Obj

__all__ = [
    "validate_policy",
    "validate_policy_binding",
    "validate_policy_binding_update",
    "validate_policy_status_update",
    "validate_policy_update",
]

MAX_AUDIT_ANNOTATIONS = 20
MAX_VALUE_EXPRESSION_BYTES = 5 * 1024
VALIDATION_REASONS = ("Forbidden", "Invalid", "RequestEntityTooLarge")
VALIDATION_ACTIONS = ("Audit", "Deny", "Warn")
NOT_FOUND_ACTIONS = ("Deny", "Allow")  # upstream lists these two unsorted
_NEWLINES = re.compile(r"[\n\r]+")
_CEL_IDENTIFIER = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_CEL_RESERVED = frozenset(
    (
        *("true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function"),
        *("if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"),
    )
)


def _meta(policy: Obj) -> Errors:
    return validate_object_meta(
        policy.get("metadata"), namespaced=False, name_fn=names.name_is_dns_subdomain, kube_finalizers=False
    )


def _group_version(api_version: str) -> tuple[str, str] | None:
    """``parseGroupVersion``: ``group/version`` or ``version``; None for more than one slash."""
    if api_version in ("", "/"):
        return "", ""
    if api_version.count("/") > 1:
        return None
    group, _, version = api_version.rpartition("/")
    return group, version


def _param_kind(param_kind: Obj, path: str) -> Errors:
    """``validateParamKind``: an apiVersion whose group and version would name an APIService, and a
    kind that is a DNS-1035 label once lower-cased."""
    errs: Errors = []
    api_version, version_path = as_str(param_kind.get("apiVersion")), child(path, "apiVersion")
    parsed = _group_version(api_version)
    if not api_version:
        errs.append(required(version_path))
    elif parsed is None:
        errs.append(invalid(version_path, api_version, f"unexpected GroupVersion string: {api_version}"))
    else:
        group, version = parsed
        if group and (problems := names.is_dns1123_subdomain(group)):
            errs.append(invalid(version_path, group, ",".join(problems)))
        if not version:
            errs.append(invalid(version_path, api_version, "version must be specified"))
        elif problems := names.is_dns1035_label(version):
            errs.append(invalid(version_path, version, ",".join(problems)))
    kind = as_str(param_kind.get("kind"))
    if not kind:
        errs.append(required(child(path, "kind")))
    elif problems := names.is_dns1035_label(kind.lower()):
        detail = "may have mixed case, but should otherwise match: " + ",".join(problems)
        errs.append(invalid(child(path, "kind"), kind, detail))
    return errs


def _variable(variable: Obj, path: str) -> Errors:
    """``validateVariable``: a CEL identifier and an expression."""
    errs: Errors = []
    name = as_str(variable.get("name"))
    if not name.strip():
        errs.append(required(child(path, "name"), "name is not specified"))
    elif not _CEL_IDENTIFIER.fullmatch(name) or name in _CEL_RESERVED:
        errs.append(invalid(child(path, "name"), name, "name is not a valid CEL identifier"))
    if not as_str(variable.get("expression")).strip():
        errs.append(required(child(path, "expression"), "expression is not specified"))
    return errs


def _validation(rule: Obj, path: str) -> Errors:
    """``validateValidation``: an expression, a message on one line, a known reason."""
    errs: Errors = []
    if not as_str(rule.get("expression")).strip():
        errs.append(required(child(path, "expression"), "expression is not specified"))
    message_expression = as_str(rule.get("messageExpression"))
    if message_expression and not message_expression.strip():
        errs.append(
            invalid(child(path, "messageExpression"), message_expression, "must be non-empty if specified")
        )
    message = as_str(rule.get("message"))
    if message and not message.strip():
        errs.append(invalid(child(path, "message"), message, "message must be non-empty if specified"))
    elif _NEWLINES.search(message.strip()):
        errs.append(invalid(child(path, "message"), message, "message must not contain line breaks"))
    reason = rule.get("reason")
    if reason is not None and reason not in VALIDATION_REASONS:
        errs.append(not_supported(child(path, "reason"), as_str(reason), VALIDATION_REASONS))
    return errs


def _audit_annotation(annotation: Obj, policy_name: str, path: str) -> Errors:
    """``validateAuditAnnotation``: ``<policy name>/<key>`` is a qualified name (the annotation the
    audit event would carry), and the value expression is given and at most 5 KiB."""
    key = as_str(annotation.get("key"))
    if policy_name:
        errs = qualified_name(f"{policy_name}/{key}", child(path, "key"))
    else:
        errs = [invalid(child(path, "key"), key, "requires metadata.name be non-empty")]
    expression = as_str(annotation.get("valueExpression")).strip()
    if not expression:
        errs.append(required(child(path, "valueExpression"), "valueExpression is not specified"))
    elif len(expression.encode()) > MAX_VALUE_EXPRESSION_BYTES:
        detail = f"must not exceed {MAX_VALUE_EXPRESSION_BYTES} bytes in length"
        errs.append(required(child(path, "valueExpression"), detail))
    return errs


def _audit_annotations_text(annotations: list[Obj]) -> str:
    """``%#v`` of the list, as the too-many message shows it."""
    inner = ", ".join(
        "admissionregistration.AuditAnnotation{"
        f"Key:{go_quote(as_str(a.get('key')))}, ValueExpression:{go_quote(as_str(a.get('valueExpression')))}"
        "}"
        for a in annotations
    )
    return "[]admissionregistration.AuditAnnotation{" + inner + "}"


def _policy_spec(policy: Obj, check_match_conditions: bool) -> Errors:
    """``validateValidatingAdmissionPolicySpec``."""
    spec, path = as_dict(policy.get("spec")), "spec"
    errs: Errors = []
    failure = spec.get("failurePolicy")
    if failure is None:
        errs.append(required(child(path, "failurePolicy")))
    elif failure not in FAILURE_POLICIES:
        errs.append(not_supported(child(path, "failurePolicy"), as_str(failure), FAILURE_POLICIES))
    if isinstance(spec.get("paramKind"), dict):
        errs.extend(_param_kind(spec["paramKind"], child(path, "paramKind")))
    constraints = spec.get("matchConstraints")
    if constraints is None:
        errs.append(required(child(path, "matchConstraints")))
    else:
        errs.extend(validate_match_resources(constraints, child(path, "matchConstraints")))
        if not dicts(as_dict(constraints).get("resourceRules")):  # the rules give the policy its types
            errs.append(required(child(path, "matchConstraints", "resourceRules")))
    if check_match_conditions:
        errs.extend(validate_match_conditions(spec.get("matchConditions"), child(path, "matchConditions")))
    for i, variable in enumerate(dicts(spec.get("variables"))):
        errs.extend(_variable(variable, index(child(path, "variables"), i)))
    validations, annotations = dicts(spec.get("validations")), dicts(spec.get("auditAnnotations"))
    if not validations and not annotations:
        detail = "validations or auditAnnotations must contain at least one item"
        return [
            *errs,
            required(child(path, "validations"), detail),
            required(child(path, "auditAnnotations"), detail),
        ]
    for i, rule in enumerate(validations):
        errs.extend(_validation(rule, index(child(path, "validations"), i)))
    annotations_path = child(path, "auditAnnotations")
    if len(annotations) > MAX_AUDIT_ANNOTATIONS:
        detail = f"must not have more than {MAX_AUDIT_ANNOTATIONS} auditAnnotations"
        text = _audit_annotations_text(annotations)
        errs.append(invalid(annotations_path, annotations, detail, value_text=text))
    policy_name = as_str(as_dict(policy.get("metadata")).get("name"))
    keys: set[str] = set()
    for i, annotation in enumerate(annotations):
        item = index(annotations_path, i)
        errs.extend(_audit_annotation(annotation, policy_name, item))
        key = as_str(annotation.get("key"))
        if key in keys:
            errs.append(duplicate(child(item, "key"), key))
        keys.add(key)
    return errs


def validate_policy(policy: Obj) -> Errors:
    return _meta(policy) + _policy_spec(policy, check_match_conditions=True)


def validate_policy_update(new: Obj, old: Obj) -> Errors:
    """Create's rules, except that match conditions are not checked again while they and the
    parameter kind are unchanged."""
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    unchanged = all(new_spec.get(key) == old_spec.get(key) for key in ("paramKind", "matchConditions"))
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(_meta(new))
    errs.extend(_policy_spec(new, check_match_conditions=not unchanged))
    return errs


def validate_policy_status_update(new: Obj, old: Obj) -> Errors:
    """``validateValidatingAdmissionPolicyStatus``: each type-checking warning names its field and
    says something; conditions are valid ``metav1.Condition``s. (The field reference's JSONPath is not
    parsed here.)"""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    status = as_dict(new.get("status"))
    warnings_path = "status.typeChecking.expressionWarnings"
    for i, warning in enumerate(dicts(as_dict(status.get("typeChecking")).get("expressionWarnings"))):
        item = index(warnings_path, i)
        if not as_str(warning.get("warning")):
            errs.append(required(child(item, "warning")))
        if not as_str(warning.get("fieldRef")).strip():
            errs.append(required(child(item, "fieldRef")))
    errs.extend(validate_conditions(status.get("conditions"), "status.conditions"))
    return errs


def _param_ref(ref: Any, path: str) -> Errors:
    """``validateParamRef``: a name or a selector (not both), and what to do when the parameter is
    missing."""
    if not isinstance(ref, dict):
        return []
    errs: Errors = []
    name, selector = as_str(ref.get("name")), ref.get("selector")
    exclusive = "name and selector are mutually exclusive"
    if name:
        errs.extend(invalid(child(path, "name"), name, msg) for msg in names.is_valid_path_segment_name(name))
        if selector is not None:
            errs.append(forbidden(child(path, "name"), exclusive))
    if selector is not None:
        errs.extend(validate_selector(selector, child(path, "selector")))
        if name:
            errs.append(forbidden(child(path, "selector"), exclusive))
    if not name and selector is None:
        errs.append(required(path, "one of name or selector must be specified"))
    action = as_str(ref.get("parameterNotFoundAction"))
    if not action:
        errs.append(required(child(path, "parameterNotFoundAction")))
    elif action not in NOT_FOUND_ACTIONS:
        errs.append(not_supported(child(path, "parameterNotFoundAction"), action, NOT_FOUND_ACTIONS))
    return errs


def _validation_actions(actions: list[str], path: str) -> Errors:
    """``validateValidationActions``: known, not repeated, not both Deny and Warn, at least one."""
    errs: Errors = []
    seen: set[str] = set()
    for i, action in enumerate(actions):
        if action not in VALIDATION_ACTIONS:
            errs.append(not_supported(index(path, i), action, VALIDATION_ACTIONS))
        if action in seen:
            errs.append(duplicate(index(path, i), action))
        seen.add(action)
    if {"Deny", "Warn"} <= seen:
        detail = (
            "must not contain both Deny and Warn (repeating the same validation failure information in "
            "the API response and headers serves no purpose)"
        )
        text = go_typed_slice("admissionregistration.ValidationAction", actions)
        errs.append(invalid(path, actions, detail, value_text=text))
    if not seen:
        errs.append(required(path, "at least one validation action is required"))
    return errs


def validate_policy_binding(binding: Obj) -> Errors:
    """``validateValidatingAdmissionPolicyBindingSpec``: the policy it binds, its parameters, what it
    matches and what a failed validation does."""
    errs = _meta(binding)
    spec = as_dict(binding.get("spec"))
    policy_name = as_str(spec.get("policyName"))
    if not policy_name:
        errs.append(required("spec.policyName"))
    else:
        errs.extend(
            invalid("spec.policyName", policy_name, msg)
            for msg in names.name_is_dns_subdomain(policy_name, False)
        )
    errs.extend(_param_ref(spec.get("paramRef"), "spec.paramRef"))
    errs.extend(validate_match_resources(spec.get("matchResources"), "spec.matchResources"))
    errs.extend(_validation_actions(strings(spec.get("validationActions")), "spec.validationActions"))
    return errs


def validate_policy_binding_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(validate_policy_binding(new))
    return errs
