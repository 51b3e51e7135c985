"""Pruning: removing from a custom resource every field its schema does not specify
(``pkg/apiserver/schema/pruning/algorithm.go``), and the paths of what was removed.

- an object node keeps its ``properties``; with ``additionalProperties`` (``true``, ``false`` or a
  schema) it keeps every key, each value pruned against the value schema (none: objects inside lose
  all their fields);
- under ``x-kubernetes-preserve-unknown-fields`` unknown fields stay, but fields the schema does
  specify are pruned as usual below them;
- an embedded resource (and the resource root) keeps ``apiVersion``, ``kind`` and ``metadata``; at the
  root these are never reported.

Reported paths are dotted with indexes (``spec.ports[1].foo``), sorted; the API server turns them
into ``unknown field "spec.foo"`` warnings or, with ``fieldValidation=Strict``, errors.
"""

from __future__ import annotations

from typing import Any

from everynode.apiserver.crd.structural import META_FIELDS, Structural


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def prune(obj: Any, schema: Structural | None, *, resource_root: bool = True) -> list[str]:
    """Remove, in place, what ``schema`` does not specify; the removed fields' paths, sorted.

    ``resource_root``: ``obj`` is a whole resource (its type and object metadata are kept)."""
    if resource_root:
        schema = (schema or Structural({})).as_resource_root()
    removed: list[str] = []
    _prune(obj, schema, "", removed)
    return sorted(removed)


def _prune(value: Any, schema: Structural | None, path: str, removed: list[str]) -> None:
    if schema is not None and schema.preserve_unknown:
        _keep_unknown(value, schema, path, removed)
        return
    if isinstance(value, dict):
        for name in list(value):
            if schema is not None and schema.embedded and name in META_FIELDS:
                continue
            found = schema.properties.get(name) if schema is not None else None
            if found is not None:
                _prune(value[name], found, _join(path, name), removed)
            elif schema is not None and schema.has_additional:
                _prune(value[name], schema.additional, _join(path, name), removed)
            else:
                if name not in META_FIELDS or path:
                    removed.append(_join(path, name))
                del value[name]
    elif isinstance(value, list):
        items = schema.items if schema is not None else None
        for i, item in enumerate(value):
            _prune(item, items, f"{path}[{i}]", removed)


def _keep_unknown(value: Any, schema: Structural | None, path: str, removed: list[str]) -> None:
    if schema is None:
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if schema.embedded and name in META_FIELDS:
                continue
            found = schema.properties.get(name)
            if found is not None:
                _prune(item, found, _join(path, name), removed)
            elif schema.has_additional:
                _prune(item, schema.additional, _join(path, name), removed)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _keep_unknown(item, schema.items, f"{path}[{i}]", removed)
