"""Where a pod may run: tolerations, taint effects, node affinity and pod (anti-)affinity."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_str,
    child,
    dicts,
    index,
    strings,
)
from everynode.apiserver.validation.meta import validate_label_name
from everynode.apiserver.validation.selectors import (
    SET_OPERATORS,
    set_operator_errors,
    validate_label_selector,
)
from everynode.core import names
from everynode.core.fielderrors import invalid, not_supported, required
from everynode.core.types import Obj

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TOLERATION_OPERATORS = ("Equal", "Exists")


def validate_taint_effect(effect: str, path: str, *, allow_empty: bool) -> Errors:
    if not effect and not allow_empty:
        return [required(path)]
    if effect not in TAINT_EFFECTS:
        return [not_supported(path, effect, TAINT_EFFECTS)]
    return []


def validate_tolerations(tolerations: Any, path: str) -> Errors:
    # Upstream reports a bad ``value`` at the ``operator`` path; kept for fidelity.
    errs: Errors = []
    for i, tol in enumerate(dicts(tolerations)):
        item = index(path, i)
        k, operator = as_str(tol.get("key")), as_str(tol.get("operator"))
        value, effect = as_str(tol.get("value")), as_str(tol.get("effect"))
        if k:
            errs.extend(validate_label_name(k, child(item, "key")))
        if not k and operator != "Exists":
            detail = (
                'operator must be Exists when `key` is empty, which means "match all values and all keys"'
            )
            errs.append(invalid(child(item, "operator"), operator, detail))
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            detail = "effect must be 'NoExecute' when `tolerationSeconds` is set"
            errs.append(invalid(child(item, "effect"), effect, detail))
        if operator in ("Equal", ""):
            msgs = names.is_valid_label_value(value)
            if msgs:
                errs.append(invalid(child(item, "operator"), value, ";".join(msgs)))
        elif operator == "Exists":
            if value:
                detail = "value must be empty when `operator` is 'Exists'"
                errs.append(invalid(child(item, "operator"), value, detail))
        else:
            errs.append(not_supported(child(item, "operator"), operator, TOLERATION_OPERATORS))
        if effect:
            errs.extend(validate_taint_effect(effect, child(item, "effect"), allow_empty=True))
    return errs


def _node_selector_requirement(req: Obj, path: str, *, allow_invalid_values: bool) -> Errors:
    errs: Errors = []
    operator, values = as_str(req.get("operator")), strings(req.get("values"))
    if operator in SET_OPERATORS:
        errs.extend(set_operator_errors(operator, values, path))
    elif operator in ("Gt", "Lt"):
        if len(values) != 1:
            detail = "must be specified single value when `operator` is 'Lt' or 'Gt'"
            errs.append(required(child(path, "values"), detail))
    else:
        errs.append(invalid(child(path, "operator"), operator, "not a valid selector operator"))
    errs.extend(validate_label_name(as_str(req.get("key")), child(path, "key")))
    if not allow_invalid_values:
        for i, value in enumerate(values):
            errs.extend(
                invalid(index(child(path, "values"), i), value, m) for m in names.is_valid_label_value(value)
            )
    return errs


def _node_field_requirement(req: Obj, path: str) -> Errors:
    errs: Errors = []
    operator, values = as_str(req.get("operator")), strings(req.get("values"))
    if operator in ("In", "NotIn"):
        if len(values) != 1:
            detail = "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"
            errs.append(required(child(path, "values"), detail))
    else:
        errs.append(invalid(child(path, "operator"), operator, "not a valid selector operator"))
    k = as_str(req.get("key"))
    if k != "metadata.name":
        errs.append(invalid(child(path, "key"), k, "not a valid field selector key"))
    else:
        for i, value in enumerate(values):
            msgs = names.name_is_dns_subdomain(value, False)
            errs.extend(invalid(index(child(path, "values"), i), value, m) for m in msgs)
    return errs


def validate_node_selector_term(term: Obj, path: str, *, allow_invalid_values: bool) -> Errors:
    errs: Errors = []
    for i, req in enumerate(dicts(term.get("matchExpressions"))):
        errs.extend(
            _node_selector_requirement(
                req, index(child(path, "matchExpressions"), i), allow_invalid_values=allow_invalid_values
            )
        )
    for i, req in enumerate(dicts(term.get("matchFields"))):
        errs.extend(_node_field_requirement(req, index(child(path, "matchFields"), i)))
    return errs


def validate_node_selector(selector: Obj, path: str) -> Errors:
    terms = dicts(selector.get("nodeSelectorTerms"))
    terms_path = child(path, "nodeSelectorTerms")
    if not terms:
        return [required(terms_path, "must have at least one node selector term")]
    errs: Errors = []
    for i, term in enumerate(terms):
        errs.extend(validate_node_selector_term(term, index(terms_path, i), allow_invalid_values=False))
    return errs


def _weight(term: Obj, path: str) -> Errors:
    weight = as_int(term.get("weight")) or 0
    if not 1 <= weight <= 100:
        return [invalid(child(path, "weight"), weight, "must be in the range 1-100")]
    return []


def _pod_affinity_term(term: Obj, path: str) -> Errors:
    errs = validate_label_selector(term.get("labelSelector"), child(path, "labelSelector"))
    errs.extend(validate_label_selector(term.get("namespaceSelector"), child(path, "namespaceSelector")))
    for namespace in strings(term.get("namespaces")):
        errs.extend(
            invalid(child(path, "namespace"), namespace, m) for m in names.is_dns1123_label(namespace)
        )
    topology_key = as_str(term.get("topologyKey"))
    if not topology_key:
        errs.append(required(child(path, "topologyKey"), "can not be empty"))
    errs.extend(validate_label_name(topology_key, child(path, "topologyKey")))
    return errs


def _pod_affinity(affinity: Obj, path: str) -> Errors:
    errs: Errors = []
    required_path = child(path, "requiredDuringSchedulingIgnoredDuringExecution")
    for i, term in enumerate(dicts(affinity.get("requiredDuringSchedulingIgnoredDuringExecution"))):
        errs.extend(_pod_affinity_term(term, index(required_path, i)))
    preferred_path = child(path, "preferredDuringSchedulingIgnoredDuringExecution")
    for i, weighted in enumerate(dicts(affinity.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        item = index(preferred_path, i)
        errs.extend(_weight(weighted, item))
        errs.extend(
            _pod_affinity_term(as_dict(weighted.get("podAffinityTerm")), child(item, "podAffinityTerm"))
        )
    return errs


def validate_affinity(affinity: Any, path: str) -> Errors:
    if not isinstance(affinity, dict):
        return []
    errs: Errors = []
    node = affinity.get("nodeAffinity")
    if isinstance(node, dict):
        node_path = child(path, "nodeAffinity")
        hard = node.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(hard, dict):
            errs.extend(
                validate_node_selector(
                    hard, child(node_path, "requiredDuringSchedulingIgnoredDuringExecution")
                )
            )
        soft_path = child(node_path, "preferredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(dicts(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            item = index(soft_path, i)
            errs.extend(_weight(term, item))
            preference = as_dict(term.get("preference"))
            errs.extend(
                validate_node_selector_term(preference, child(item, "preference"), allow_invalid_values=True)
            )
    for kind in ("podAffinity", "podAntiAffinity"):
        if isinstance(affinity.get(kind), dict):
            errs.extend(_pod_affinity(affinity[kind], child(path, kind)))
    return errs
