"""ServiceAccount validation (upstream ``ValidateServiceAccount[Update]``: metadata only)."""

from __future__ import annotations

from everynode.apiserver.validation.fields import Errors, as_dict, expect, expect_items
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.types import Obj

_SHAPE = {"secrets": "array", "imagePullSecrets": "array", "automountServiceAccountToken": "boolean"}


def _shape(obj: Obj) -> Errors:
    errs = expect(obj, _SHAPE, "")
    for field in ("secrets", "imagePullSecrets"):
        errs.extend(expect_items(as_dict(obj).get(field), "object", field))
    return errs


def validate_service_account(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(_shape(obj))
    return errs


def validate_service_account_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_service_account(new))
    return errs
