"""Field selectors as apimachinery defines them (``k8s.io/apimachinery/pkg/fields``), and the fields
each resource exposes to them, as kube-apiserver's registries do.

A field selector is an AND of ``field=value`` / ``field==value`` / ``field!=value`` terms. There is no
set syntax; a value escapes ``\\``, ``,`` and ``=`` with a backslash. A field the object does not have
reads as ``""``, so ``spec.nodeName=`` selects unscheduled pods.

Which fields a resource accepts comes from the field-label conversion functions
(``pkg/apis/core/v1/conversion.go``; everything else gets ``runtime.DefaultMetaV1FieldSelectorConversion``),
and their values from the registries' ``GetAttrs`` (``pkg/registry/core/{pod,event,node,namespace}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from everynode.core.fielderrors import go_quote
from everynode.core.labels import SelectorError

__all__ = [
    "EVERYTHING",
    "FieldRequirement",
    "FieldSelector",
    "SelectorError",
    "check_supported",
    "escape_value",
    "object_fields",
    "parse_field_selector",
    "supported_fields",
    "unescape_value",
]

FieldOperator = Literal["=", "!="]


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """One term. ``==`` is kept as ``=``: upstream does not remember which spelling was used."""

    field: str
    operator: FieldOperator
    value: str

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_value(self.value)}"


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """An AND of requirements, in the order the parser produced them (terms sorted as text)."""

    requirements: tuple[FieldRequirement, ...] = ()
    _terms: tuple[tuple[str, str, bool], ...] = field(init=False, repr=False, compare=False)
    # Per resource, the getter of each term's field: built on first use (a cache, not state).
    _plans: dict[str, tuple[tuple[Getter, str, bool], ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        terms = tuple((r.field, r.value, r.operator == "=") for r in self.requirements)
        object.__setattr__(self, "_terms", terms)

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Do these field values (see ``object_fields``) satisfy every term? Absent fields read as ``""``."""
        for name, value, equal in self._terms:  # noqa: SIM110 (a loop is faster than all())
            if (fields.get(name, "") == value) is not equal:
                return False
        return True

    def matches_object(self, resource: str, obj: Mapping[str, Any]) -> bool:
        """``matches(object_fields(resource, obj))`` without building the whole dict: only used fields."""
        plan = self._plans.get(resource)
        if plan is None:
            getters = _getters(resource)
            plan = tuple((getters.get(name, _absent), value, equal) for name, value, equal in self._terms)
            self._plans[resource] = plan
        for getter, value, equal in plan:  # noqa: SIM110 (a loop is faster than all())
            if (getter(obj) == value) is not equal:
                return False
        return True

    def is_empty(self) -> bool:
        return not self.requirements

    def fields_used(self) -> set[str]:
        return {r.field for r in self.requirements}

    def value_for(self, name: str) -> str | None:
        """The value an ``=`` term requires of ``name`` (``RequiresExactMatch``), e.g. to use an index."""
        for r in self.requirements:
            if r.field == name and r.operator == "=":
                return r.value
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = FieldSelector()

# --- parsing (fields.ParseSelector) ---


def escape_value(value: str) -> str:
    """``fields.EscapeValue``: the form of ``value`` that parses back to itself."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_value(text: str) -> str:
    """``fields.UnescapeValue``: undoes ``escape_value``; other escapes and bare ``,`` ``=`` are errors."""
    if "\\" not in text and "," not in text and "=" not in text:
        return text
    out: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            if ch not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            # Go prints the rune with %v, i.e. as its number.
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped; the escapes stay in the terms."""
    terms: list[str] = []
    start = 0
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """``(field, operator, raw value)`` at the first operator; the field part has no escapes."""
    for i, ch in enumerate(term):
        if ch == "!" and term.startswith("!=", i):
            return term[:i], "!=", term[i + 2 :]
        if ch == "=":
            size = 2 if term.startswith("==", i) else 1
            return term[:i], "=", term[i + size :]
    return None


@lru_cache(maxsize=512)
def parse_field_selector(text: str) -> FieldSelector:
    """``fields.ParseSelector``: the ``fieldSelector`` query string; ``""`` selects everything.

    Terms are sorted as text first (upstream does, for a deterministic result); empty terms are
    skipped, and so is a term with neither field nor value (``=``), as upstream's transform does.
    """
    requirements: list[FieldRequirement] = []
    for term in sorted(_split_terms(text)) if text else ():
        if not term:
            continue
        parts = _split_term(term)
        if parts is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        name, op, raw = parts
        value = unescape_value(raw)
        if name or value:
            requirements.append(FieldRequirement(name, "!=" if op == "!=" else "=", value))
    return FieldSelector(tuple(requirements))


# --- what each resource exposes ---

Getter = Callable[[Mapping[str, Any]], str]


def _at(obj: Any, *path: str) -> Any:
    """The value at ``path`` in nested JSON objects; ``None`` where there is none.

    Subscripting and catching the miss is the fast way: this runs per object per watch event.
    """
    try:
        for key in path:
            obj = obj[key]
    except (KeyError, TypeError, IndexError):
        return None
    return obj


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _path(*path: str) -> Getter:
    if len(path) == 2:  # the common case, without the loop
        first, second = path

        def get_nested(obj: Mapping[str, Any]) -> str:
            try:
                value = obj[first][second]
            except (KeyError, TypeError, IndexError):
                return ""
            return value if value.__class__ is str else _text(value)

        return get_nested

    def get(obj: Mapping[str, Any]) -> str:
        value = _at(obj, *path)
        return value if value.__class__ is str else _text(value)

    return get


def _absent(obj: Mapping[str, Any]) -> str:
    return ""


def _flag(*path: str) -> Getter:
    # A Go bool printed with fmt.Sprint / strconv.FormatBool: absent means false.
    return lambda obj: "true" if _at(obj, *path) is True else "false"


def _pod_service_account(obj: Mapping[str, Any]) -> str:
    # v1 → internal conversion falls back to the deprecated spec.serviceAccount.
    return _text(_at(obj, "spec", "serviceAccountName") or _at(obj, "spec", "serviceAccount"))


def _pod_ip(obj: Mapping[str, Any]) -> str:
    # v1 → internal conversion: status.podIP wins when set, else the first of status.podIPs.
    status = _at(obj, "status")
    ip = _at(status, "podIP")
    if not ip:
        ips = _at(status, "podIPs")
        ip = _at(ips[0], "ip") if isinstance(ips, list) and ips else None
    return _text(ip)


def _event_source(obj: Mapping[str, Any]) -> str:
    return _text(_at(obj, "source", "component") or obj.get("reportingComponent"))


_META: dict[str, Getter] = {"metadata.name": _path("metadata", "name")}
_META["metadata.namespace"] = _path("metadata", "namespace")

_INVOLVED_OBJECT = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
_GETTERS: dict[str, dict[str, Getter]] = {
    "pods": {
        **_META,
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _pod_service_account,
        "spec.hostNetwork": _flag("spec", "hostNetwork"),
        "status.phase": _path("status", "phase"),
        "status.podIP": _pod_ip,
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "events": {
        **_META,
        **{f"involvedObject.{key}": _path("involvedObject", key) for key in _INVOLVED_OBJECT},
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _event_source,
        "type": _path("type"),
    },
    "nodes": {**_META, "spec.unschedulable": _flag("spec", "unschedulable")},
    "namespaces": {**_META, "status.phase": _path("status", "phase")},
}

# Fields the API accepts in a selector (the conversion functions). Accepted but not exposed
# (status.podIPs) reads as "" for every object, as upstream; spec.host is an old name of spec.nodeName.
_SUPPORTED: dict[str, frozenset[str]] = {
    "pods": frozenset({*_GETTERS["pods"], "status.podIPs", "spec.host"}),
    "events": frozenset(_GETTERS["events"]),
    "nodes": frozenset({"metadata.name", "spec.unschedulable"}),
    "namespaces": frozenset({"metadata.name", "status.phase"}),
}
_DEFAULT_SUPPORTED = frozenset(_META)
_RENAMED: dict[str, dict[str, str]] = {"pods": {"spec.host": "spec.nodeName"}}


def _getters(resource: str) -> dict[str, Getter]:
    return _GETTERS.get(resource, _META)


def object_fields(resource: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The field-selector values of ``obj`` (a JSON object of ``resource``, e.g. ``"pods"``).

    Cluster-scoped objects have ``metadata.namespace`` ``""``. Resources without their own set
    (daemonsets, controllerrevisions, leases, …) expose ``metadata.name`` and ``metadata.namespace``.
    """
    return {name: getter(obj) for name, getter in _getters(resource).items()}


def supported_fields(resource: str) -> frozenset[str]:
    """The fields a selector on ``resource`` may name (anything else is a 400)."""
    return _SUPPORTED.get(resource, _DEFAULT_SUPPORTED)


def check_supported(resource: str, selector: FieldSelector) -> FieldSelector:
    """Reject a field ``resource`` does not support, with upstream's message; return the selector
    with legacy names translated (``spec.host`` → ``spec.nodeName``), which callers should match with.
    """
    supported = supported_fields(resource)
    renamed = _RENAMED.get(resource, {})
    changed = False
    requirements: list[FieldRequirement] = []
    for r in selector.requirements:
        if r.field not in supported:
            if resource in _SUPPORTED:
                raise SelectorError(f"field label not supported: {r.field}")
            only = '"metadata.name", "metadata.namespace"'
            raise SelectorError(f"{go_quote(r.field)} is not a known field selector: only {only}")
        if r.field in renamed:
            r = FieldRequirement(renamed[r.field], r.operator, r.value)  # noqa: PLW2901
            changed = True
        requirements.append(r)
    return FieldSelector(tuple(requirements)) if changed else selector
