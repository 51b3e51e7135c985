"""``ValidateDefaults``: every ``default`` in a structural schema must be a valid value of its node,
and must survive pruning unchanged (``pkg/apiserver/schema/defaulting/validation.go``).

A default inside an object's ``apiVersion``, ``kind`` or ``metadata`` (which upstream only allows in
embedded resources) is checked inside a stand-in object around it: it must make valid metadata. Other
defaults are checked as custom resource values are (:mod:`.valuevalidation`, with the structural
schema's own view: no int-or-string type, formats as written), embedded objects within them
included. ``additionalProperties`` are not entered: defaults there are not checked. CEL rules are not
evaluated.
"""

from __future__ import annotations

import copy
from typing import Any

from everynode.apiserver.crd import objectmeta, pruning, valuevalidation
from everynode.apiserver.crd.gofmt import go_deep_equal
from everynode.apiserver.crd.structural import META_FIELDS, Structural
from everynode.apiserver.validation.fields import Errors, child, key
from everynode.core.fielderrors import invalid
from everynode.core.types import Obj

_TYPE_META = {"apiVersion": "validation/v1", "kind": "Validation"}
Step = str | None  # a field name, or None for an array item


def validate_defaults(path: str, schema: Structural, *, require_pruned: bool) -> Errors:
    """The errors of every default in ``schema`` (a resource's root schema at ``path``)."""
    root = schema.as_resource_root()
    return _check(path, root, root, [], False, require_pruned=require_pruned)


def _check(
    path: str, s: Structural, root: Structural, steps: list[Step], inside_meta: bool, *, require_pruned: bool
) -> Errors:
    if s.embedded:
        root, steps, inside_meta = s, [], False
    errs: Errors = []
    if s.has_default:
        if inside_meta:
            errs.extend(_meta_default(path, s, root, steps))
        else:
            errs.extend(_default(path, s, require_pruned))
    if s.items is not None:
        errs.extend(
            _check(
                child(path, "items"),
                s.items,
                root,
                [*steps, None],
                inside_meta,
                require_pruned=require_pruned,
            )
        )
    for name in sorted(s.properties):
        sub_meta = inside_meta or (s.embedded and name in META_FIELDS)
        sub_path = key(child(path, "properties"), name)
        errs.extend(
            _check(
                sub_path, s.properties[name], root, [*steps, name], sub_meta, require_pruned=require_pruned
            )
        )
    return errs


def _values(s: Structural, value: Any, path: str) -> Errors:
    return valuevalidation.validate(
        valuevalidation.compile_value_schema(s.raw, converted=False), value, prefix=path
    )


def _default(path: str, s: Structural, require_pruned: bool) -> Errors:
    default_path = child(path, "default")
    errs: Errors = []
    if require_pruned:
        pruned = copy.deepcopy(s.default)
        pruning.prune(pruned, s, resource_root=s.embedded)
        if not go_deep_equal(pruned, s.default):
            errs.append(invalid(default_path, s.default, "must not have unknown fields"))
    problem = objectmeta.coerce_error(s.default, s, default_path, resource_root=s.embedded)
    if problem is not None:
        return [*errs, problem]
    meta = objectmeta.validate(s.default, s, default_path, resource_root=s.embedded)
    return errs + (meta or _values(s, s.default, default_path))


def _surround(value: Any, steps: list[Step]) -> Obj | None:
    """The default inside a stand-in object (``SurroundingObjectFunc``): None when the steps make the
    root something other than an object."""
    for step in reversed(steps):
        value = [value] if step is None else {step: value}
    if not isinstance(value, dict):
        return None
    for name, text in _TYPE_META.items():
        value.setdefault(name, text)
    return value


def _aggregate(errs: Errors) -> str:
    texts = [str(e) for e in errs]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def _meta_default(path: str, s: Structural, root: Structural, steps: list[Step]) -> Errors:
    default_path = child(path, "default")
    obj = _surround(copy.deepcopy(s.default), steps)
    if obj is None:
        return []
    problem = objectmeta.coerce_error(obj, root, resource_root=True)
    if problem is not None:
        return [invalid(default_path, s.default, f"must result in valid metadata: {problem}")]
    meta = objectmeta.validate(obj, root, resource_root=True)
    if meta:
        return [invalid(default_path, s.default, f"must result in valid metadata: {_aggregate(meta)}")]
    return _values(s, s.default, default_path)
