"""Ownership bookkeeping and the apply merge: structured-merge-diff's ``merge.Updater`` (``merge/update.go``).

``managers`` maps a manager's identity (any hashable: the field manager layer uses
``managedfields.ManagerKey``) to the fields it owns. Two operations:

- :func:`update` -- a write that is not an apply (create, update, patch) made ``new`` from ``live``:
  every field it added or modified becomes the writer's, and is taken from everyone else (an update
  always wins); fields it removed are dropped from everyone; the writer keeps what it had that is
  still there.
- :func:`apply` -- a manager applies ``config``: the configuration is merged over the live object; the
  manager now owns exactly the fields the configuration sets; a field it applied last time and no
  longer applies is removed from the object, unless another manager owns it too (then only the
  manager's ownership goes) (``prune``); a field the apply changes that another manager owns is a
  conflict, unless ``force``, which takes it from them. Applying a value equal to the live one is no
  change, so it is no conflict: both managers then own the field.

``ignore`` (upstream's ``IgnoreFilter``, fed with the strategy's reset fields: ``status`` on the main
resource, ``spec`` on ``/status``) is never owned and never conflicts: changes below it are left out of
every comparison and out of the fields an update or an apply gives its manager.

All API versions are taken as one (this server serves one version per kind), so upstream's conversions
between a manager's version and the request's are not needed.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

from everynode.apiserver.apply import fieldset, typed
from everynode.apiserver.apply.fieldpath import Path
from everynode.apiserver.apply.fieldset import FieldSet
from everynode.apiserver.apply.schema import Shape


class VersionedSet(NamedTuple):
    """The fields one manager owns, the API version it used, and whether it applied them."""

    fields: FieldSet
    api_version: str
    applied: bool


Managers = dict[Hashable, VersionedSet]


class Conflict(NamedTuple):
    manager: Hashable
    path: Path


class Conflicts(Exception):
    """An apply would change fields other managers own (``merge.Conflicts``)."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(f"{len(conflicts)} conflict(s)")
        self.conflicts = conflicts


def _filtered(fields: FieldSet, ignore: FieldSet | None) -> FieldSet:
    return fieldset.recursive_difference(fields, ignore) if ignore else fields


def _reconcile(
    live: dict[str, Any],
    new: dict[str, Any],
    managers: Managers,
    workflow: Hashable,
    *,
    force: bool,
    shape: Shape,
    ignore: FieldSet | None,
) -> tuple[Managers, typed.Comparison]:
    """``Updater.update``: what the change from ``live`` to ``new`` does to everyone but ``workflow``."""
    comparison = typed.compare(live, new, shape)
    if ignore:
        comparison = typed.Comparison(
            _filtered(comparison.added, ignore),
            _filtered(comparison.modified, ignore),
            _filtered(comparison.removed, ignore),
        )
    if comparison.same():
        return {m: owned for m, owned in managers.items() if owned.fields}, comparison
    changed = fieldset.union(comparison.modified, comparison.added)
    removed = comparison.removed
    taken: dict[Hashable, FieldSet] = {}
    for manager, owned in managers.items():
        if manager == workflow:
            continue
        overlap = fieldset.intersection(owned.fields, changed) if changed else {}
        if overlap:
            taken[manager] = overlap
    if taken and not force:
        raise Conflicts(
            [
                Conflict(manager, path)
                for manager, fields in taken.items()
                for path in fieldset.members(fields)
            ]
        )
    out: Managers = {}
    for manager, owned in managers.items():
        fields = owned.fields
        if manager != workflow:
            if manager in taken:
                fields = fieldset.difference(fields, taken[manager])
            if removed:
                fields = fieldset.difference(fields, removed)
        if fields:
            out[manager] = owned if fields is owned.fields else owned._replace(fields=fields)
    return out, comparison


def update(
    live: dict[str, Any],
    new: dict[str, Any],
    managers: Managers,
    manager: Hashable,
    *,
    version: str,
    shape: Shape,
    ignore: FieldSet | None = None,
) -> Managers:
    """``Updater.Update``: the managers after ``manager`` wrote ``new`` over ``live``."""
    out, comparison = _reconcile(live, new, managers, manager, force=True, shape=shape, ignore=ignore)
    previous = out.get(manager)
    fields = previous.fields if previous is not None else {}
    if not comparison.same():
        fields = fieldset.difference(fields, comparison.removed)
        fields = fieldset.union(fields, comparison.modified)
        fields = fieldset.union(fields, comparison.added)
    fields = _filtered(fields, ignore)
    if fields:
        out[manager] = VersionedSet(fields, version, False)
    else:
        out.pop(manager, None)
    return out


def apply(
    live: dict[str, Any],
    config: dict[str, Any],
    managers: Managers,
    manager: Hashable,
    *,
    version: str,
    force: bool,
    shape: Shape,
    ignore: FieldSet | None = None,
) -> tuple[dict[str, Any] | None, Managers]:
    """``Updater.Apply``: the merged object (None when the apply changes nothing) and the managers;
    raises :class:`Conflicts` unless ``force``, ``typed.InvalidValue`` for a configuration that repeats
    an associative-list item."""
    typed.check(config, shape)
    merged = typed.merge(live, config, shape)
    last = managers.get(manager)
    applied = _filtered(typed.to_field_set(config, shape), ignore)
    with_new = dict(managers)
    with_new[manager] = VersionedSet(applied, version, True)
    merged = _prune(merged, with_new, last, shape)
    out, _ = _reconcile(live, merged, with_new, manager, force=force, shape=shape, ignore=ignore)
    return (None if merged == live else merged), out


def _prune(
    merged: dict[str, Any], managers: Managers, last: VersionedSet | None, shape: Shape
) -> dict[str, Any]:
    """Remove what the applier applied last time and no longer does, unless someone else owns it
    (``prune`` with ``addBackOwnedItems`` and ``addBackDanglingItems``)."""
    if last is None or not last.fields:
        return merged

    def named(fields: FieldSet) -> FieldSet:
        return typed.ensure_named_fields_are_members(fields, shape)

    last_named = named(last.fields)
    pruned = _root(typed.remove_items(merged, last_named, shape))
    # add back what any manager (the applier's new configuration included) owns
    owned: FieldSet = {}
    for versioned in managers.values():
        owned = fieldset.union(owned, versioned.fields)
    merged_named = named(typed.to_field_set(merged, shape))
    keep = fieldset.union(named(typed.to_field_set(pruned, shape)), named(owned))
    pruned = _root(typed.remove_items(merged, fieldset.difference(merged_named, keep), shape))
    # add back what was pruned but never the applier's (dangling items)
    pruned_named = named(typed.to_field_set(pruned, shape))
    gone = fieldset.intersection(fieldset.difference(merged_named, pruned_named), last_named)
    return _root(typed.remove_items(merged, gone, shape))


def _root(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
