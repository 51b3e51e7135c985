"""Node selection by a pod: ``spec.nodeSelector`` and required node affinity.

The DaemonSet controller decides with these which nodes should run a daemon pod, groups pods by the
node they target, and pins each pod it creates to one node; the scheduler asks the same questions
when it binds. Upstream's rules (``component-helpers/scheduling/corev1/nodeaffinity``) are kept,
including that a malformed term is simply a term that matches no node: stored pods are read, never
rejected, here. Objects are plain JSON dicts with the API's camelCase keys.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from everynode.core.labels import Operator, Requirement, SelectorError, new_requirement

NODE_NAME_FIELD = "metadata.name"

# NodeSelectorOperator → the label requirement that implements it (labels.NewRequirement checks the
# key, the number of values and, for Gt/Lt, that the value is an integer).
_LABEL_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
    "Gt": Operator.GREATER_THAN,
    "Lt": Operator.LESS_THAN,
}


def node_selector_matches(node_selector: Mapping[str, str] | None, labels: Mapping[str, str]) -> bool:
    """``spec.nodeSelector``: every ``key=value`` pair is among the node's labels (empty → true)."""
    if not node_selector:
        return True
    return all(key in labels and labels[key] == value for key, value in node_selector.items())


def _strings(values: Any) -> tuple[str, ...] | None:
    """The ``values`` of a requirement as a tuple, or ``None`` if it is not a list of strings."""
    if values is None:
        return ()
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        return None
    return tuple(values)


@lru_cache(maxsize=1024)
def _label_requirement(key: str, operator: str, values: tuple[str, ...]) -> Requirement | None:
    # Cached: every node of every DaemonSet sync parses the same few expressions.
    op = _LABEL_OPERATORS.get(operator)
    if op is None:
        return None
    try:
        return new_requirement(key, op, values)
    except SelectorError:
        return None


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, operator = expression.get("key"), expression.get("operator")
    values = _strings(expression.get("values"))
    if not isinstance(key, str) or not isinstance(operator, str) or values is None:
        return False
    requirement = _label_requirement(key, operator, values)
    return requirement is not None and requirement.matches(labels)


def _field_matches(requirement: Mapping[str, Any], node_name: str) -> bool:
    # Only metadata.name is a node field; In and NotIn take exactly one value.
    values = _strings(requirement.get("values"))
    if requirement.get("key") != NODE_NAME_FIELD or values is None or len(values) != 1:
        return False
    operator = requirement.get("operator")
    if operator == "In":
        return node_name == values[0]
    if operator == "NotIn":
        return node_name != values[0]
    return False


def _term_matches(term: Mapping[str, Any], labels: Mapping[str, str], node_name: str) -> bool:
    expressions = term.get("matchExpressions") or ()
    fields = term.get("matchFields") or ()
    if not expressions and not fields:
        return False  # an empty term selects nothing
    return all(isinstance(e, Mapping) and _expression_matches(e, labels) for e in expressions) and all(
        isinstance(f, Mapping) and _field_matches(f, node_name) for f in fields
    )


def _labels(node: Mapping[str, Any]) -> Mapping[str, str]:
    labels = (node.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, Mapping) else {}


def _name(node: Mapping[str, Any]) -> str:
    name = (node.get("metadata") or {}).get("name")
    return name if isinstance(name, str) else ""


def node_selector_terms_match(terms: Sequence[Mapping[str, Any]], node: Mapping[str, Any]) -> bool:
    """``nodeSelectorTerms`` against a node: the terms are ORed, so an empty list matches nothing.

    Within a term every ``matchExpressions`` entry (on labels) and every ``matchFields`` entry (on
    ``metadata.name``) must hold. A malformed requirement (unknown operator, wrong number of values,
    invalid key, a non-integer for Gt/Lt, a field other than ``metadata.name``) fails its term.
    """
    labels, name = _labels(node), _name(node)
    return any(isinstance(term, Mapping) and _term_matches(term, labels, name) for term in terms)


def _required_node_affinity(pod_spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    affinity = pod_spec.get("affinity") or {}
    node_affinity = affinity.get("nodeAffinity") or {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    return required if isinstance(required, Mapping) else None


def pod_matches_node_affinity(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """``nodeSelector`` and, when present, required node affinity both accept the node.

    Preferred affinity, pod (anti-)affinity and everything else the scheduler scores are ignored.
    A required section with no terms matches no node.
    """
    if not node_selector_matches(pod_spec.get("nodeSelector"), _labels(node)):
        return False
    required = _required_node_affinity(pod_spec)
    if required is None:
        return True
    return node_selector_terms_match(required.get("nodeSelectorTerms") or (), node)


def pinned_node_name(pod: Mapping[str, Any]) -> str | None:
    """The node a pod is bound or pinned to (``GetTargetNodeName``), ``None`` if it targets none.

    ``spec.nodeName`` wins; otherwise the first ``metadata.name In [x]`` field requirement across the
    required terms, in order. Raises ``ValueError`` if that requirement does not hold exactly one name.
    """
    spec = pod.get("spec") or {}
    node_name = spec.get("nodeName")
    if isinstance(node_name, str) and node_name:
        return node_name
    required = _required_node_affinity(spec)
    if required is None:
        return None
    for term in required.get("nodeSelectorTerms") or ():
        for requirement in (term or {}).get("matchFields") or ():
            if requirement.get("key") != NODE_NAME_FIELD or requirement.get("operator") != "In":
                continue
            values = requirement.get("values") or []
            if len(values) != 1:
                meta = pod.get("metadata") or {}
                raise ValueError(
                    f"the matchFields value of {NODE_NAME_FIELD!r} is not unique for pod "
                    f"{meta.get('namespace', '')}/{meta.get('name', '')}: {values!r}"
                )
            return str(values[0])
    return None


def pin_to_node(affinity: Mapping[str, Any] | None, node_name: str) -> dict[str, Any]:
    """A copy of ``affinity`` whose required node affinity selects exactly ``node_name``.

    ``ReplaceDaemonSetPodNodeNameNodeAffinity``: the required ``nodeSelectorTerms`` are replaced by a
    single ``metadata.name In [node_name]`` term (the user's terms were already checked against the
    node); preferred node affinity, pod affinity and pod anti-affinity are kept. ``affinity`` is not
    modified.
    """
    pinned: dict[str, Any] = copy.deepcopy(dict(affinity)) if affinity else {}
    term = {"matchFields": [{"key": NODE_NAME_FIELD, "operator": "In", "values": [node_name]}]}
    node_affinity = pinned.get("nodeAffinity")
    if not isinstance(node_affinity, dict):
        node_affinity = pinned["nodeAffinity"] = {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, dict):
        required = node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {}
    required["nodeSelectorTerms"] = [term]
    return pinned
