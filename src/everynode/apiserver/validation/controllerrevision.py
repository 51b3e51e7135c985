"""ControllerRevision validation: a DNS-subdomain name, mandatory immutable ``data``, ``revision`` ≥ 0."""

from __future__ import annotations

from everynode.apiserver.validation.fields import Errors, as_int, expect, immutable, nonnegative
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.fielderrors import required
from everynode.core.types import Obj


def validate_controller_revision(revision: Obj) -> Errors:
    errs = validate_object_meta(
        revision.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain
    )
    errs.extend(expect(revision, {"revision": "integer"}, ""))
    if revision.get("data") is None:
        errs.append(required("data", "data is mandatory"))
    errs.extend(nonnegative(as_int(revision.get("revision")), "revision"))
    return errs


def validate_controller_revision_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_controller_revision(new))
    errs.extend(immutable(new.get("data"), old.get("data"), "data"))
    return errs
