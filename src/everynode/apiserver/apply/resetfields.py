"""The fields a write through one endpoint never owns: upstream's ``GetResetFields`` per strategy.

A strategy resets what its endpoint may not change (the main resource keeps the old ``status``, the
``status`` subresource the old ``spec``), and server-side apply leaves those fields out of the writer's
ownership and out of conflicts (``pkg/registry/*/strategy.go``). Upstream's rule for kinds with a status
subresource, plus the kinds whose status strategy resets more than ``spec``.
"""

from __future__ import annotations

from everynode.apiserver.apply.fieldset import FieldSet, from_paths

_STATUS_EXTRAS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("apps", "Deployment"): (("f:metadata", "f:labels"),),
    ("", "Pod"): (("f:metadata", "f:deletionTimestamp"), ("f:metadata", "f:ownerReferences")),
}


def reset_fields(group: str, kind: str, subresource: str, *, has_status: bool) -> FieldSet | None:
    """The reset fields of a write to ``kind`` (``subresource`` ``""`` for the main resource); None
    when nothing is reset (a kind without a status subresource, any other subresource)."""
    if subresource == "status":
        return from_paths(("f:spec",), *_STATUS_EXTRAS.get((group, kind), ()))
    if subresource == "" and has_status:
        return from_paths(("f:status",))
    return None
