"""How a request body becomes the object to store: the kind's strategy hooks, defaults and validation.

Pure rules, no storage: ``prepare_create`` for a new object (after the registry has set the
server-owned metadata), ``prepare_update`` for a replacement of ``old`` — metadata the client may not
change is carried over, the status subresource changes only the status. Empty maps are dropped, as
upstream's ``omitempty`` drops them. A body whose shape is wrong fails with 400, one that admission
refuses with 403, one that breaks a rule with 422.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from everynode.apiserver.admission import Lookup
from everynode.apiserver.description.omitempty import drop_empty_maps
from everynode.apiserver.kinds import Kind
from everynode.apiserver.registry.objects import meta
from everynode.core import errors
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

_CARRIED_META = ("name", "namespace", "creationTimestamp", "generateName")
_DELETION_META = ("deletionTimestamp", "deletionGracePeriodSeconds")


def prepare_create(kind: Kind, obj: Obj, lookup: Lookup) -> None:
    """Make ``obj`` (in place) what a create stores, or raise 400/403/422."""
    info = kind.info
    obj["apiVersion"], obj["kind"] = kind.stored_api_version, info.kind
    with malformed(info):
        kind.strategy.prepare_for_create(obj)
        drop_empty_maps(obj, info.group, info.version, info.kind)  # before defaults: {} is absent
        kind.apply_defaults(obj)
        kind.admit(obj, None, lookup)
        problems = kind.validate_create(obj)
    check(info, obj, problems)


def prepare_update(kind: Kind, old: Obj, new: Obj, subresource: str | None, lookup: Lookup) -> Obj:
    """The object an update of ``old`` to ``new`` stores (``new``, changed in place, unless the status
    strategy builds another), or raise 400/403/422."""
    info, strategy = kind.info, kind.strategy
    with malformed(info):
        old_meta, new_meta = old["metadata"], meta(new)
        new["apiVersion"], new["kind"] = kind.stored_api_version, info.kind
        if subresource == "status":
            new = strategy.prepare_for_status_update(new, old)
            new_meta = new["metadata"]
            drop_empty_maps(new, info.group, info.version, info.kind)
        else:
            if not new_meta.get("uid") and "uid" in old_meta:
                new_meta["uid"] = old_meta["uid"]  # a uid given must match (validated as immutable)
            for field in (*_CARRIED_META, *_DELETION_META):
                if field in old_meta:
                    new_meta[field] = old_meta[field]
                else:
                    new_meta.pop(field, None)
            drop_empty_maps(new, info.group, info.version, info.kind)  # before defaults: {} is absent
            kind.apply_defaults(new)
            # after defaults, as upstream's decoder defaults before the strategy runs: what moves the
            # generation is a change of the defaulted spec, not a default a client left out
            strategy.prepare_for_update(new, old)
            kind.admit(new, old, lookup)
        new_meta["resourceVersion"] = old_meta["resourceVersion"]
        rules = kind.validate_status_update if subresource == "status" else kind.validate_update
        problems = rules(new, old)
    check(info, new, problems)
    return new


def check(info: ResourceInfo, obj: Obj, problems: list[Any]) -> None:
    """422 with every problem found, if any."""
    if problems:
        name = obj.get("metadata", {}).get("name") or obj.get("metadata", {}).get("generateName") or ""
        raise errors.invalid(info.kind, info.group, name, problems)


@contextlib.contextmanager
def malformed(info: ResourceInfo) -> Iterator[None]:
    """A body whose shape is wrong (a string where an object belongs, …) is the client's error.

    Go's typed decoder would reject it before any logic ran; here the logic meets it first, so its
    TypeError/AttributeError/KeyError becomes a 400 rather than a crash.
    """
    try:
        yield
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        raise errors.BadRequest(
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
            f"the object has a field of the wrong type ({type(exc).__name__}: {exc})"
        ) from None
