"""ObjectMeta validation on create and update (apimachinery's ``ValidateObjectMeta*`` plus the core
group's extra finalizer-name rule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    go_string_slice,
    immutable,
    index,
    nonnegative,
    str_map,
    strings,
)
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, required, too_long
from everynode.core.types import Obj

NameFn = Callable[[str, bool], list[str]]

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
_BANNED_OWNERS = frozenset({("", "v1", "Event")})
_META_TYPES = {
    "name": "string",
    "generateName": "string",
    "namespace": "string",
    "uid": "string",
    "resourceVersion": "string",
    "creationTimestamp": "string",
    "deletionTimestamp": "string",
    "generation": "integer",
    "deletionGracePeriodSeconds": "integer",
    "labels": "object",
    "annotations": "object",
    "finalizers": "array",
    "ownerReferences": "array",
    "managedFields": "array",
}
_OWNER_TYPES = {
    "apiVersion": "string",
    "kind": "string",
    "name": "string",
    "uid": "string",
    "controller": "boolean",
    "blockOwnerDeletion": "boolean",
}


def validate_metadata_shape(metadata: Any, path: str = "metadata") -> Errors:
    """Metadata fields of the wrong JSON type (a typed decoder would have refused them)."""
    if metadata is not None and not isinstance(metadata, dict):
        return [invalid(path, metadata, "must be of type object")]
    meta = as_dict(metadata)
    errs = expect(meta, _META_TYPES, path)
    for field in ("labels", "annotations"):
        errs.extend(expect_items(meta.get(field), "string", child(path, field), keyed=True))
    errs.extend(expect_items(meta.get("finalizers"), "string", child(path, "finalizers")))
    errs.extend(expect_items(meta.get("ownerReferences"), "object", child(path, "ownerReferences")))
    for i, ref in enumerate(dicts(meta.get("ownerReferences"))):
        errs.extend(expect(ref, _OWNER_TYPES, index(child(path, "ownerReferences"), i)))
    return errs


def validate_labels(labels: Any, path: str) -> Errors:
    """``metav1/validation.ValidateLabels``: every key a qualified name, every value a label value."""
    errs: Errors = []
    for k, v in str_map(labels).items():
        errs.extend(validate_label_name(k, path))
        errs.extend(invalid(path, v, msg) for msg in names.is_valid_label_value(v))
    return errs


def validate_label_name(name: str, path: str) -> Errors:
    return [invalid(path, name, msg) for msg in names.is_qualified_name(name)]


def validate_annotations(annotations: Any, path: str) -> Errors:
    """Keys are qualified names (case does not matter); keys and values together fit in 256 KiB."""
    errs: Errors = []
    values = str_map(annotations)
    for k in values:
        errs.extend(invalid(path, k, msg) for msg in names.is_qualified_name(k.lower()))
    size = sum(len(k.encode()) + len(v.encode()) for k, v in values.items())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def _group_version(api_version: str) -> tuple[str, str]:
    if not api_version:
        return "", ""
    parts = api_version.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    return "", ""


def validate_owner_references(refs: Any, path: str) -> Errors:
    # Upstream reports each reference's fields at ``ownerReferences.<field>``, without an index.
    errs: Errors = []
    first_controller = ""
    raw = dicts(refs)
    for ref in raw:
        api_version, kind = as_str(ref.get("apiVersion")), as_str(ref.get("kind"))
        group, version = _group_version(api_version)
        if not version:
            errs.append(invalid(child(path, "apiVersion"), api_version, "version must not be empty"))
        if not kind:
            errs.append(invalid(child(path, "kind"), kind, "must not be empty"))
        if not as_str(ref.get("name")):
            errs.append(invalid(child(path, "name"), as_str(ref.get("name")), "must not be empty"))
        if not as_str(ref.get("uid")):
            errs.append(invalid(child(path, "uid"), as_str(ref.get("uid")), "must not be empty"))
        if (group, version, kind) in _BANNED_OWNERS:
            errs.append(
                invalid(path, ref, f"{group}/{version}, Kind={kind} is disallowed from being an owner")
            )
        if ref.get("controller") is True:
            current = f"{kind}/{as_str(ref.get('name'))}"
            if first_controller:
                detail = (
                    'Only one reference can have Controller set to true. Found "true" in references for '
                    f"{first_controller} and {current}"
                )
                errs.append(invalid(path, raw, detail))
            else:
                first_controller = current
    return errs


def validate_finalizers(finalizers: Any, path: str) -> Errors:
    """apimachinery's rule: qualified names, and not both ``orphan`` and ``foregroundDeletion``."""
    values = strings(finalizers)
    errs: Errors = []
    for finalizer in values:
        errs.extend(invalid(path, finalizer, msg) for msg in names.is_qualified_name(finalizer))
    if "orphan" in values and "foregroundDeletion" in values:
        detail = "finalizer orphan and foregroundDeletion cannot be both set"
        errs.append(invalid(path, values, detail, value_text=go_string_slice(values)))
    return errs


def validate_kube_finalizer_name(finalizer: str, path: str) -> Errors:
    """The core group's rule: a finalizer without a ``/`` must be one of the standard names."""
    if "/" not in finalizer and finalizer not in STANDARD_FINALIZERS:
        return [
            invalid(path, finalizer, "name is neither a standard finalizer name nor is it fully qualified")
        ]
    return []


def _kube_finalizers(metadata: Obj, path: str) -> Errors:
    errs: Errors = []
    for i, finalizer in enumerate(strings(metadata.get("finalizers"))):
        errs.extend(validate_kube_finalizer_name(finalizer, index(child(path, "finalizers"), i)))
    return errs


def validate_object_meta(
    metadata: Any,
    *,
    namespaced: bool,
    name_fn: NameFn,
    path: str = "metadata",
    kube_finalizers: bool = True,
) -> Errors:
    """Metadata of a new object. Name generation has already happened when this runs."""
    meta = as_dict(metadata)
    errs = validate_metadata_shape(metadata, path)
    generate_name = as_str(meta.get("generateName"))
    if generate_name:
        errs.extend(
            invalid(child(path, "generateName"), generate_name, m) for m in name_fn(generate_name, True)
        )
    name = as_str(meta.get("name"))
    if not name:
        errs.append(required(child(path, "name"), "name or generateName is required"))
    else:
        errs.extend(invalid(child(path, "name"), name, msg) for msg in name_fn(name, False))
    namespace = as_str(meta.get("namespace"))
    if namespaced:
        if not namespace:
            errs.append(required(child(path, "namespace")))
        else:
            errs.extend(
                invalid(child(path, "namespace"), namespace, m)
                for m in names.name_is_dns_label(namespace, False)
            )
    elif namespace:
        errs.append(forbidden(child(path, "namespace"), "not allowed on this type"))
    errs.extend(nonnegative(as_int(meta.get("generation")), child(path, "generation")))
    errs.extend(_common(meta, path))
    errs.extend(validate_finalizers(meta.get("finalizers"), child(path, "finalizers")))
    if kube_finalizers:
        errs.extend(_kube_finalizers(meta, path))
    return errs


def _common(meta: Obj, path: str) -> Errors:
    errs = validate_labels(meta.get("labels"), child(path, "labels"))
    errs.extend(validate_annotations(meta.get("annotations"), child(path, "annotations")))
    errs.extend(validate_owner_references(meta.get("ownerReferences"), child(path, "ownerReferences")))
    return errs


def _go_time(value: Any) -> str | None:
    """An RFC 3339 UTC timestamp as Go prints a ``metav1.Time``: ``2024-05-01 10:00:00 +0000 UTC``."""
    text = as_str(value)
    if len(text) == 20 and text.endswith("Z") and text[10] == "T":
        return f"{text[:10]} {text[11:19]} +0000 UTC"
    return None


def validate_object_meta_update(
    new_metadata: Any, old_metadata: Any, *, path: str = "metadata", kube_finalizers: bool = True
) -> Errors:
    """What an update may not do to metadata: rename, move, re-identify, or add finalizers while the
    object is being deleted.

    Metadata equal to what is stored (every status write, most spec writes) passed these checks
    when it was stored and changes nothing an update rule looks at, so it is not walked again."""
    unchanged = isinstance(new_metadata, dict) and new_metadata == old_metadata
    if unchanged and new_metadata.get("resourceVersion"):
        return []
    new, old = as_dict(new_metadata), as_dict(old_metadata)
    errs = validate_metadata_shape(new_metadata, path)
    if old.get("deletionTimestamp"):
        extra = sorted(set(strings(new.get("finalizers"))) - set(strings(old.get("finalizers"))))
        if extra:
            detail = (
                "no new finalizers can be added if the object is being deleted, "
                f"found new finalizers {go_string_slice(extra)}"
            )
            errs.append(forbidden(child(path, "finalizers"), detail))
    if not as_str(new.get("resourceVersion")):
        errs.append(invalid(child(path, "resourceVersion"), "", "must be specified for an update"))
    new_generation, old_generation = as_int(new.get("generation")) or 0, as_int(old.get("generation")) or 0
    if new_generation < old_generation:
        errs.append(invalid(child(path, "generation"), new_generation, "must not be decremented"))
    for field in ("name", "namespace", "uid"):
        errs.extend(immutable(as_str(new.get(field)), as_str(old.get(field)), child(path, field)))
    for field in ("creationTimestamp", "deletionTimestamp"):
        errs.extend(
            immutable(new.get(field), old.get(field), child(path, field), value_text=_go_time(new.get(field)))
        )
    errs.extend(
        immutable(
            new.get("deletionGracePeriodSeconds"),
            old.get("deletionGracePeriodSeconds"),
            child(path, "deletionGracePeriodSeconds"),
        )
    )
    errs.extend(_common(new, path))
    if kube_finalizers:
        errs.extend(_kube_finalizers(new, path))
    return errs
