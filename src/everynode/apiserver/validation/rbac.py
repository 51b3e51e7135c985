"""RBAC validation (upstream ``ValidateRole``, ``ValidateClusterRole``, ``ValidateRoleBinding``, ...)."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    expect_object,
    go_string_slice,
    index,
    strings,
)
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.apiserver.validation.selectors import converts, validate_label_selector
from everynode.apiserver.validation.values import path_segment_name
from everynode.core import names
from everynode.core.fielderrors import go_quote, invalid, not_supported, required
from everynode.core.types import Obj

GROUP = "rbac.authorization.k8s.io"
SUBJECT_KINDS = ("ServiceAccount", "User", "Group")  # upstream's order, not sorted
_RULE_FIELDS = ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")
_REF_SHAPE = {"apiGroup": "string", "kind": "string", "name": "string"}
_SUBJECT_SHAPE = {**_REF_SHAPE, "namespace": "string"}


def _rule(rule: Obj, namespaced: bool, path: str) -> Errors:
    """``ValidatePolicyRule``: verbs always; then either non-resource URLs (cluster roles only, and on
    their own) or resource rules with groups and resources."""
    errs = expect(rule, dict.fromkeys(_RULE_FIELDS, "array"), path)
    for field in _RULE_FIELDS:
        errs.extend(expect_items(rule.get(field), "string", child(path, field)))
    if not as_list(rule.get("verbs")):
        errs.append(required(child(path, "verbs"), "verbs must contain at least one value"))
    urls = strings(rule.get("nonResourceURLs"))
    if urls:
        text = go_string_slice(urls)
        if namespaced:
            detail = "namespaced rules cannot apply to non-resource URLs"
            errs.append(invalid(child(path, "nonResourceURLs"), urls, detail, value_text=text))
        if any(as_list(rule.get(f)) for f in ("apiGroups", "resources", "resourceNames")):
            detail = "rules cannot apply to both regular resources and non-resource URLs"
            errs.append(invalid(child(path, "nonResourceURLs"), urls, detail, value_text=text))
        return errs
    if not as_list(rule.get("apiGroups")):
        errs.append(required(child(path, "apiGroups"), "resource rules must supply at least one api group"))
    if not as_list(rule.get("resources")):
        errs.append(required(child(path, "resources"), "resource rules must supply at least one resource"))
    return errs


def _rules(obj: Obj, namespaced: bool) -> Errors:
    errs = expect(obj, {"rules": "array"}, "")
    errs.extend(expect_items(obj.get("rules"), "object", "rules"))
    for i, rule in enumerate(dicts(obj.get("rules"))):
        errs.extend(_rule(rule, namespaced, index("rules", i)))
    return errs


def validate_role(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=path_segment_name)
    errs.extend(_rules(obj, namespaced=True))
    return errs


def validate_role_update(new: Obj, old: Obj) -> Errors:
    errs = validate_role(new)
    errs.extend(validate_object_meta_update(new.get("metadata"), old.get("metadata")))
    return errs


def _aggregation_rule(rule: Any, allow_invalid_values: bool) -> Errors:
    errs = expect_object(rule, "aggregationRule")
    if not isinstance(rule, dict):
        return errs
    path = "aggregationRule.clusterRoleSelectors"
    errs.extend(expect(rule, {"clusterRoleSelectors": "array"}, "aggregationRule"))
    selectors = dicts(rule.get("clusterRoleSelectors"))
    if not selectors:
        errs.append(required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
    for i, selector in enumerate(selectors):
        item = index(path, i)
        errs.extend(validate_label_selector(selector, item, allow_invalid_values=allow_invalid_values))
        if not converts(selector):
            errs.append(invalid(item, None, "invalid label selector.", value_text='"null"'))
    return errs


def _has_invalid_selector_values(obj: Obj) -> bool:
    rule = as_dict(obj.get("aggregationRule"))
    for selector in dicts(rule.get("clusterRoleSelectors")):
        for expr in dicts(selector.get("matchExpressions")):
            if any(names.is_valid_label_value(v) for v in strings(expr.get("values"))):
                return True
    return False


def validate_cluster_role(obj: Obj, *, allow_invalid_selector_values: bool = False) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=False, name_fn=path_segment_name)
    errs.extend(_rules(obj, namespaced=False))
    errs.extend(_aggregation_rule(obj.get("aggregationRule"), allow_invalid_selector_values))
    return errs


def validate_cluster_role_update(new: Obj, old: Obj) -> Errors:
    """Selector values the old aggregation rule already held stay allowed."""
    errs = validate_cluster_role(new, allow_invalid_selector_values=_has_invalid_selector_values(old))
    errs.extend(validate_object_meta_update(new.get("metadata"), old.get("metadata")))
    return errs


def _role_ref(ref: Any, kinds: tuple[str, ...]) -> Errors:
    errs = expect_object(ref, "roleRef") or expect(ref, _REF_SHAPE, "roleRef")
    ref = as_dict(ref)
    group, kind, name = (as_str(ref.get(f)) for f in ("apiGroup", "kind", "name"))
    if group != GROUP:
        errs.append(not_supported("roleRef.apiGroup", group, (GROUP,)))
    if kind not in kinds:
        errs.append(not_supported("roleRef.kind", kind, kinds))
    if not name:
        errs.append(required("roleRef.name"))
    else:
        errs.extend(invalid("roleRef.name", name, msg) for msg in names.is_valid_path_segment_name(name))
    return errs


def _subject(subject: Obj, namespaced: bool, path: str) -> Errors:
    """``ValidateRoleBindingSubject``; a ServiceAccount bound cluster-wide needs its namespace."""
    errs = expect(subject, _SUBJECT_SHAPE, path)
    kind, name, group = (as_str(subject.get(f)) for f in ("kind", "name", "apiGroup"))
    if not name:
        errs.append(required(child(path, "name")))
    if kind == "ServiceAccount":
        if name:
            errs.extend(
                invalid(child(path, "name"), name, m) for m in names.name_is_dns_subdomain(name, False)
            )
        if group:
            errs.append(not_supported(child(path, "apiGroup"), group, ("",)))
        if not namespaced and not as_str(subject.get("namespace")):
            errs.append(required(child(path, "namespace")))
    elif kind in ("User", "Group"):
        if group != GROUP:
            errs.append(not_supported(child(path, "apiGroup"), group, (GROUP,)))
    else:
        errs.append(not_supported(child(path, "kind"), kind, SUBJECT_KINDS))
    return errs


def _binding(obj: Obj, *, namespaced: bool) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=namespaced, name_fn=path_segment_name)
    errs.extend(_role_ref(obj.get("roleRef"), ("Role", "ClusterRole") if namespaced else ("ClusterRole",)))
    errs.extend(expect(obj, {"subjects": "array"}, ""))
    errs.extend(expect_items(obj.get("subjects"), "object", "subjects"))
    for i, subject in enumerate(dicts(obj.get("subjects"))):
        errs.extend(_subject(subject, namespaced, index("subjects", i)))
    return errs


def _role_ref_text(ref: Obj) -> str:
    """``rbac.RoleRef`` as Go's ``%#v`` prints it."""
    group, kind, name = (as_str(ref.get(f)) for f in ("apiGroup", "kind", "name"))
    return f"rbac.RoleRef{{APIGroup:{go_quote(group)}, Kind:{go_quote(kind)}, Name:{go_quote(name)}}}"


def _role_ref_update(new: Obj, old: Obj) -> Errors:
    new_ref, old_ref = as_dict(new.get("roleRef")), as_dict(old.get("roleRef"))
    fields = ("apiGroup", "kind", "name")
    if all(as_str(new_ref.get(f)) == as_str(old_ref.get(f)) for f in fields):
        return []
    return [invalid("roleRef", new_ref, "cannot change roleRef", value_text=_role_ref_text(new_ref))]


def validate_role_binding(obj: Obj) -> Errors:
    return _binding(obj, namespaced=True)


def validate_role_binding_update(new: Obj, old: Obj) -> Errors:
    errs = validate_role_binding(new)
    errs.extend(validate_object_meta_update(new.get("metadata"), old.get("metadata")))
    errs.extend(_role_ref_update(new, old))
    return errs


def validate_cluster_role_binding(obj: Obj) -> Errors:
    return _binding(obj, namespaced=False)


def validate_cluster_role_binding_update(new: Obj, old: Obj) -> Errors:
    errs = validate_cluster_role_binding(new)
    errs.extend(validate_object_meta_update(new.get("metadata"), old.get("metadata")))
    errs.extend(_role_ref_update(new, old))
    return errs
