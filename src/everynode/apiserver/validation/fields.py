"""Shared plumbing for the validators: field paths, tolerant accessors and value rendering.

Objects arrive as JSON-decoded dicts. The accessors never raise on a wrong type: a value of the wrong
shape reads as absent, so a validator reports what it can and the server never crashes on bad input.
"""

from __future__ import annotations

from typing import Any

from everynode.core.fielderrors import FieldError, go_quote, invalid
from everynode.core.types import Obj

Errors = list[FieldError]

NEGATIVE_MSG = "must be greater than or equal to 0"
IMMUTABLE_MSG = "field is immutable"


def child(path: str, *names: str) -> str:
    """``spec`` + ``template`` → ``spec.template`` (as ``field.Path.Child``)."""
    for name in names:
        path = f"{path}.{name}" if path else name
    return path


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, k: str) -> str:
    """``resources.limits`` + ``cpu`` → ``resources.limits[cpu]`` (as ``field.Path.Key``)."""
    return f"{path}[{k}]"


def as_dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dicts(value: Any) -> list[Obj]:
    """A list of objects; non-object items read as empty objects so indexes stay right."""
    return [item if isinstance(item, dict) else {} for item in as_list(value)]


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def strings(value: Any) -> list[str]:
    return [item if isinstance(item, str) else str(item) for item in as_list(value)]


def as_int(value: Any) -> int | None:
    """An integer, or ``None`` when absent or not an integer (``True`` is not an integer here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def str_map(value: Any) -> dict[str, str]:
    """A ``map[string]string`` (labels, annotations, nodeSelector)."""
    return {str(k): v if isinstance(v, str) else str(v) for k, v in as_dict(value).items()}


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "boolean": bool,
}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[kind])


def expect(obj: Any, fields: dict[str, str], path: str) -> Errors:
    """Fields of ``obj`` that hold a value of the wrong JSON type (``null`` counts as absent).

    Upstream's typed decoder rejects these before validation; here they become field errors so
    that a wrongly shaped optional field is never stored.
    """
    errs: Errors = []
    for field, kind in fields.items():
        value = as_dict(obj).get(field)
        if value is not None and not _is(value, kind):
            errs.append(invalid(child(path, field), value, f"must be of type {kind}"))
    return errs


def expect_object(value: Any, path: str) -> Errors:
    if value is not None and not isinstance(value, dict):
        return [invalid(path, value, "must be of type object")]
    return []


def expect_items(values: Any, kind: str, path: str, *, keyed: bool = False) -> Errors:
    """Items of a list (or, with ``keyed``, values of a map) that are not of type ``kind``."""
    if keyed:
        items = [(key(path, k), v) for k, v in as_dict(values).items()]
    else:
        items = [(index(path, i), v) for i, v in enumerate(as_list(values))]
    return [invalid(p, v, f"must be of type {kind}") for p, v in items if not _is(v, kind)]


def nonnegative(value: int | None, path: str) -> Errors:
    """apimachinery's ``ValidateNonnegativeField``; an absent value is not checked."""
    if value is not None and value < 0:
        return [invalid(path, value, NEGATIVE_MSG)]
    return []


def immutable(new: Any, old: Any, path: str, *, value_text: str | None = None) -> Errors:
    if semantic_equal(new, old):
        return []
    return [invalid(path, new, IMMUTABLE_MSG, value_text=value_text)]


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", False, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def semantic_equal(a: Any, b: Any) -> bool:
    """Upstream's semantic deep-equal on JSON: an absent field equals its zero value (``null``, ``""``,
    ``false``, ``[]``, ``{}``), so ``imagePullSecrets: []`` equals no ``imagePullSecrets`` at all."""
    return a == b or bool(_prune(a) == _prune(b))


def go_string_map(value: dict[str, str] | None) -> str:
    """A ``map[string]string`` as Go's ``%#v`` prints it: ``map[string]string{"a":"b", "c":"d"}``."""
    if value is None:
        return "map[string]string(nil)"
    inner = ", ".join(f"{go_quote(k)}:{go_quote(v)}" for k, v in sorted(value.items()))
    return "map[string]string{" + inner + "}"


def go_string_slice(value: list[str]) -> str:
    return "[]string{" + ", ".join(go_quote(v) for v in value) + "}"


def int_or_string_text(value: Any) -> str:
    """An IntOrString as its ``String()`` prints it: ``1`` or ``50%``."""
    return str(value)


def dedupe(errs: Errors) -> Errors:
    """Drop repeated errors (same field and message), keeping the first: the aggregate upstream prints
    never repeats a message, and update validation re-runs create validation."""
    seen: set[tuple[str, str]] = set()
    out: Errors = []
    for err in errs:
        mark = (err.field, err.message)
        if mark not in seen:
            seen.add(mark)
            out.append(err)
    return out
