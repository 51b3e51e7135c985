"""Apply conflicts as kube-apiserver reports them: 409 Conflict (``internal/conflict.go``).

One conflict::

    Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas

Several: grouped by manager (managers sorted by their identifier)::

    Apply failed with 2 conflicts: conflicts with "bar":
    - .metadata.labels.app
    conflicts with "foo" using v1:
    - .spec.replicas

``details.causes`` has one ``FieldManagerConflict`` per field: ``message`` names the manager (``conflict
with "foo" using v1``), ``field`` is the path (``.spec.replicas``). An updater is named with the API
version it used; one that wrote through a subresource says so (``"foo" with subresource "scale"``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from everynode.apiserver.apply.fieldpath import render
from everynode.apiserver.apply.gojson import quote
from everynode.apiserver.apply.managedfields import UPDATE, ManagerKey
from everynode.apiserver.apply.updater import Conflict
from everynode.core.errors import Conflict as ConflictError

CAUSE = "FieldManagerConflict"


def describe(manager: Hashable, time: str | None = None) -> str:
    """How a message names a manager (``printManager``); ``time`` is never in an identity upstream
    builds, but is printed when given (``at 2001-02-03T04:05:06Z``)."""
    if not isinstance(manager, ManagerKey):
        return quote(str(manager))
    text = quote(manager.manager)
    if manager.subresource:
        text += f" with subresource {quote(manager.subresource)}"
    if manager.operation == UPDATE:
        text += f" using {manager.api_version}"
        if time:
            text += f" at {time}"
    return text


def _sort_key(manager: Hashable) -> str:
    return manager.identifier() if isinstance(manager, ManagerKey) else str(manager)


class ApplyConflict(ConflictError):
    """The 409 an apply with conflicts answers; ``conflicts`` lists each (manager, path)."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        ordered = sorted(conflicts, key=lambda c: _sort_key(c.manager))  # stable: paths keep their order
        causes = [
            {"reason": CAUSE, "message": f"conflict with {describe(c.manager)}", "field": render(c.path)}
            for c in ordered
        ]
        super().__init__(message(conflicts), details={"causes": causes})
        self.conflicts = list(conflicts)


def message(conflicts: Sequence[Conflict]) -> str:
    """``getConflictMessage``."""
    if len(conflicts) == 1:
        only = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {describe(only.manager)}: {render(only.path)}"
    by_manager: dict[Hashable, list[str]] = {}
    for conflict in conflicts:
        by_manager.setdefault(conflict.manager, []).append(render(conflict.path))
    lines: list[str] = []
    for manager in sorted(by_manager, key=_sort_key):
        lines.append(f"conflicts with {describe(manager)}:")
        lines.extend(f"- {path}" for path in by_manager[manager])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
