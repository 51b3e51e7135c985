"""Objects embedded in a custom resource (``x-kubernetes-embedded-resource``): their ``apiVersion``,
``kind`` and ``metadata`` are checked and cleaned as a resource's own would be
(``pkg/apiserver/schema/objectmeta``). The resource's own root metadata is the API server's business.

- :func:`clean` (on decoding): unknown ``metadata`` fields of embedded objects are dropped and
  reported (``spec.template.metadata.foo``), empty ones dropped as Go's ``ObjectMeta`` omits them;
- :func:`validate`: an embedded object names its ``apiVersion`` (a group/version) and ``kind`` (a
  DNS-1035 label but for case), and its metadata passes ObjectMeta validation with URL-path-segment
  names (a missing name is fine).
"""

from __future__ import annotations

from typing import Any

from everynode.apiserver.crd.structural import Structural
from everynode.apiserver.validation.fields import Errors, child, index, key
from everynode.apiserver.validation.meta import validate_metadata_shape, validate_object_meta
from everynode.core import names
from everynode.core.fielderrors import FieldError, invalid, required
from everynode.core.types import Obj

OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_OMITTED: tuple[Any, ...] = (None, "", {}, [])


def _walk(value: Any, schema: Structural | None, path: str, visit: Any) -> None:
    """Call ``visit(obj, path)`` on every object at an embedded-resource node, outermost first."""
    if schema is None:
        return
    if isinstance(value, dict):
        if schema.embedded:
            visit(value, path)
        for name, item in value.items():
            found = schema.properties.get(name)
            if found is not None:
                _walk(item, found, child(path, name), visit)
            elif schema.has_additional:
                _walk(item, schema.additional, key(path, name), visit)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, schema.items, index(path, i), visit)


def clean(obj: Any, schema: Structural | None) -> list[str]:
    """Drop unknown and empty metadata fields of embedded objects; the unknown ones' paths."""
    unknown: list[str] = []

    def visit(embedded: Obj, path: str) -> None:
        metadata = embedded.get("metadata")
        if not isinstance(metadata, dict):
            return
        for name in list(metadata):
            if name not in OBJECT_META_FIELDS:
                unknown.append(f"{child(path, 'metadata')}.{name}")
                del metadata[name]
            elif metadata[name] in _OMITTED or (name == "generation" and metadata[name] == 0):
                del metadata[name]

    _walk(obj, schema, "", visit)
    return sorted(unknown)


def _group_version_error(api_version: str) -> str | None:
    """``schema.ParseGroupVersion``: at most one ``/``."""
    if api_version.count("/") > 1:
        return f"unexpected GroupVersion string: {api_version}"
    return None


def validate_embedded(embedded: Obj, path: str) -> Errors:
    """``validateEmbeddedResource`` for one embedded object at ``path``."""
    errs: Errors = []
    for field in ("apiVersion", "kind"):
        if field not in embedded:
            errs.append(required(child(path, field), ""))
    if "apiVersion" in embedded:
        api_version = embedded["apiVersion"]
        if not isinstance(api_version, str):
            errs.append(invalid(child(path, "apiVersion"), api_version, "must be a string"))
        elif not api_version:
            errs.append(invalid(child(path, "apiVersion"), api_version, "must not be empty"))
        elif (problem := _group_version_error(api_version)) is not None:
            errs.append(invalid(child(path, "apiVersion"), api_version, problem))
    if "kind" in embedded:
        kind = embedded["kind"]
        if not isinstance(kind, str):
            errs.append(invalid(child(path, "kind"), kind, "must be a string"))
        elif not kind:
            errs.append(invalid(child(path, "kind"), kind, "must not be empty"))
        elif problems := names.is_dns1035_label(kind.lower()):
            detail = "may have mixed case, but should otherwise match: " + ",".join(problems)
            errs.append(invalid(child(path, "kind"), kind, detail))
    if "metadata" in embedded:
        errs.extend(_metadata(embedded["metadata"], child(path, "metadata")))
    return errs


def _metadata(metadata: Any, path: str) -> Errors:
    shape = validate_metadata_shape(metadata, path)
    if shape or not isinstance(metadata, dict):
        return shape
    named = dict(metadata)
    if not named.get("name"):
        named["name"] = "fakename"  # upstream's stand-in: a missing name is not an error here
    namespaced = bool(named.get("namespace"))
    return validate_object_meta(
        named,
        namespaced=namespaced,
        name_fn=_path_segment,
        path=path,
        kube_finalizers=False,
    )


def _path_segment(name: str, prefix: bool) -> list[str]:
    """``IsPathSegmentName`` (``IsPathSegmentPrefix`` for a generateName)."""
    if prefix:
        return [f"may not contain '{c}'" for c in ("/", "%") if c in name]
    return names.is_valid_path_segment_name(name)


def validate(obj: Any, schema: Structural | None, path: str = "", *, resource_root: bool = False) -> Errors:
    """``objectmeta.Validate``: every embedded object in ``obj`` (and ``obj`` itself when it is a
    ``resource_root``)."""
    if resource_root:
        schema = (schema or Structural({})).as_resource_root()
    errs: Errors = []

    def visit(embedded: Obj, where: str) -> None:
        errs.extend(validate_embedded(embedded, where))

    _walk(obj, schema, path, visit)
    return errs


def coerce_error(
    obj: Any, schema: Structural | None, path: str = "", *, resource_root: bool = False
) -> FieldError | None:
    """``objectmeta.Coerce``'s refusal: the first embedded object whose ``apiVersion`` or ``kind`` is
    not a string, or whose ``metadata`` is not an ObjectMeta."""
    if resource_root:
        schema = (schema or Structural({})).as_resource_root()
    found: list[FieldError] = []

    def visit(embedded: Obj, where: str) -> None:
        for name in ("apiVersion", "kind"):
            if name in embedded and not isinstance(embedded[name], str):
                found.append(invalid(child(where, name), embedded[name], "must be a string"))
        if "metadata" in embedded:
            shape = validate_metadata_shape(embedded["metadata"], child(where, "metadata"))
            if shape:
                found.append(invalid(child(where, "metadata"), embedded["metadata"], shape[0].message))

    _walk(obj, schema, path, visit)
    return found[0] if found else None
