"""The status apiextensions-apiserver's controllers give a CustomResourceDefinition, as one pure step
(``pkg/controller/status/naming_controller.go``, ``pkg/controller/establish``,
``apihelpers.SetCRDCondition``):

- naming: each requested name (plural, singular, short names; kind, list kind) is accepted unless
  another definition of the same group already accepted it; ``NamesAccepted`` is ``True`` /
  ``NoConflicts`` / "no conflicts found", or ``False`` with the last conflict found
  (``PluralConflict``, ``SingularConflict``, ``ShortNamesConflict``, ``KindConflict``,
  ``ListKindConflict``) and its message (``"foos" is already in use``);
- establishing: once the names are accepted the definition is ``Established`` (``True`` /
  ``InitialNamesAccepted`` / "the initial names have been accepted"), and stays so; before that it
  is ``False`` / ``NotAccepted`` / "not all names are accepted";
- ``storedVersions`` keeps every version ever stored, then the current storage version.

A condition's ``lastTransitionTime`` moves only when its status does. Other conditions (such as
``Terminating``) are kept.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from everynode.apiserver.crd.definition import storage_version
from everynode.apiserver.validation.fields import as_dict, as_str, dicts, strings
from everynode.core.types import Obj

NAMES_ACCEPTED, ESTABLISHED = "NamesAccepted", "Established"


def _in_use(requested: str, accepted: str, used: set[str]) -> str | None:
    """``equalToAcceptedOrFresh``: the conflict message, if any."""
    if requested == accepted or requested not in used:
        return None
    return f'"{requested}" is already in use'


def _used_names(group: str, others: Iterable[Obj]) -> tuple[set[str], set[str]]:
    resources: set[str] = set()
    kinds: set[str] = set()
    for other in others:
        if as_str(as_dict(other.get("spec")).get("group")) != group:
            continue
        accepted = as_dict(as_dict(other.get("status")).get("acceptedNames"))
        resources.update(as_str(accepted.get(k)) for k in ("plural", "singular"))
        resources.update(strings(accepted.get("shortNames")))
        kinds.update(as_str(accepted.get(k)) for k in ("kind", "listKind"))
    return resources, kinds


def accepted_names(crd: Obj, others: Iterable[Obj]) -> tuple[Obj, Obj]:
    """``calculateNamesAndConditions``: the names accepted and the ``NamesAccepted`` condition (without
    its time). ``others``: the other definitions (their accepted names are taken)."""
    spec = as_dict(crd.get("spec"))
    name = as_str(as_dict(crd.get("metadata")).get("name"))
    others = [o for o in others if as_str(as_dict(o.get("metadata")).get("name")) != name]
    resources, kinds = _used_names(as_str(spec.get("group")), others)
    requested = as_dict(spec.get("names"))
    accepted = as_dict(as_dict(crd.get("status")).get("acceptedNames"))
    names: Obj = copy.deepcopy(accepted)
    conflict: tuple[str, str] | None = None
    for field, reason, used in (
        ("plural", "PluralConflict", resources),
        ("singular", "SingularConflict", resources),
    ):
        problem = _in_use(as_str(requested.get(field)), as_str(accepted.get(field)), used)
        if problem is None:
            _set(names, field, requested.get(field))
        else:
            conflict = (reason, problem)
    wanted_short, accepted_short = strings(requested.get("shortNames")), strings(accepted.get("shortNames"))
    if wanted_short != accepted_short:
        problems = [p for s in wanted_short if s not in accepted_short and (p := _in_use(s, "", resources))]
        if problems:
            conflict = (
                "ShortNamesConflict",
                problems[0] if len(problems) == 1 else f"[{', '.join(problems)}]",
            )
        else:
            _set(names, "shortNames", requested.get("shortNames"))
    for field, reason in (("kind", "KindConflict"), ("listKind", "ListKindConflict")):
        problem = _in_use(as_str(requested.get(field)), as_str(accepted.get(field)), kinds)
        if problem is None:
            _set(names, field, requested.get(field))
        else:
            conflict = (reason, problem)
    _set(names, "categories", requested.get("categories"))
    names.setdefault("plural", "")
    names.setdefault("kind", "")
    if conflict is None:
        return names, {
            "type": NAMES_ACCEPTED,
            "status": "True",
            "reason": "NoConflicts",
            "message": "no conflicts found",
        }
    reason, message = conflict
    return names, {"type": NAMES_ACCEPTED, "status": "False", "reason": reason, "message": message}


def _set(names: Obj, field: str, value: Any) -> None:
    if value in (None, "", []):
        names.pop(field, None)
    else:
        names[field] = copy.deepcopy(value)


def set_condition(conditions: list[Obj], condition: Obj, now: str) -> None:
    """``SetCRDCondition``: replace the condition of that type (its time moves only with its status)."""
    for existing in conditions:
        if existing.get("type") == condition["type"]:
            if existing.get("status") != condition["status"] or not existing.get("lastTransitionTime"):
                existing["lastTransitionTime"] = now
            existing.update({k: condition[k] for k in ("status", "reason", "message")})
            return
    conditions.append({**condition, "lastTransitionTime": now})


def find_condition(crd: Obj, kind: str) -> Obj | None:
    for condition in dicts(as_dict(crd.get("status")).get("conditions")):
        if condition.get("type") == kind:
            return condition
    return None


def desired_status(crd: Obj, others: Iterable[Obj], now: str) -> Obj:
    """The status ``crd`` should have once its names are checked against ``others`` (the group's
    other definitions) and, if accepted, it is established. ``now`` is an RFC 3339 time."""
    status = copy.deepcopy(as_dict(crd.get("status")))
    names, naming = accepted_names(crd, others)
    established = find_condition(crd, ESTABLISHED)
    if naming["status"] == "True":
        establishing = {
            "type": ESTABLISHED,
            "status": "True",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
        }
    elif established is not None and established.get("status") == "True":
        establishing = {
            k: established[k] for k in ("type", "status", "reason", "message") if k in established
        }
    else:
        establishing = {
            "type": ESTABLISHED,
            "status": "False",
            "reason": "NotAccepted",
            "message": "not all names are accepted",
        }
    conditions = [dict(c) for c in dicts(status.get("conditions"))]
    set_condition(conditions, naming, now)
    set_condition(conditions, establishing, now)
    stored = strings(status.get("storedVersions"))
    current = storage_version(crd)
    if current and current not in stored:
        stored.append(current)
    status.update(acceptedNames=names, conditions=conditions, storedVersions=stored)
    return status
