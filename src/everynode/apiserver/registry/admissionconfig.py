"""What the registry does to admission configuration beyond the generic rules: a webhook
configuration's generation follows its ``webhooks`` (it has no spec), and a new
ValidatingAdmissionPolicy's status starts empty (``PrepareForUpdate`` / ``PrepareForCreate`` of
upstream's strategies in ``pkg/registry/admissionregistration``)."""

from __future__ import annotations

from everynode.core.types import Obj

__all__ = ["policy_created", "webhooks_updated"]


def webhooks_updated(new: Obj, old: Obj) -> None:
    """Generation moves when the webhooks change, and only then (create sets it to 1)."""
    generation = int(old["metadata"].get("generation") or 0)
    changed = new.get("webhooks") != old.get("webhooks")
    new["metadata"]["generation"] = generation + 1 if changed else generation


def policy_created(policy: Obj) -> None:
    """Whatever status a new policy is sent with is dropped: its type checking is a controller's to
    write (none runs here, so it stays empty)."""
    policy["status"] = {}
