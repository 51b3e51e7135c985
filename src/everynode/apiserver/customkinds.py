"""The kinds a CustomResourceDefinition declares, as the catalog serves them (pure).

One ``Kind`` per served version, built the way upstream's apiextensions-apiserver serves a custom
resource (``pkg/registry/customresource/strategy.go``, ``validator.go``):

- create: ``metadata.generation`` 1; with a status subresource the status a client sends is dropped;
- update: with a status subresource the status is kept from the stored object, and only
  ``/status`` changes it (which changes nothing else); ``generation`` moves when anything but the
  metadata (and the status, when it is a subresource) changes;
- on every write the object is pruned to its schema, defaulted from it, and validated: metadata as
  any object's (a DNS-subdomain name), then the schema's rules (``apiserver.crd.schema``);
- a table of the version's ``additionalPrinterColumns`` (``apiserver.crd.printer``), or Name and
  Created At when it has none.

Served versions are listed in upstream's version priority (``v2`` > ``v1`` > ``v1beta2`` > ``v1beta1`` >
``v1alpha1`` > anything else, by name): the first is the group's preferred version in discovery.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from everynode.apiserver.catalog import CustomKinds, version_priority
from everynode.apiserver.crd import printer as crd_printer
from everynode.apiserver.crd import schema as crd_schema
from everynode.apiserver.kinds import Kind
from everynode.apiserver.registry import hooks, scale
from everynode.apiserver.registry.strategy import Strategy
from everynode.apiserver.validation.fields import Errors
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.fielderrors import FieldError
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj


def served_versions(crd: Obj) -> list[Obj]:
    versions = [v for v in crd.get("spec", {}).get("versions") or [] if v.get("served")]
    return sorted(versions, key=lambda v: version_priority(str(v.get("name", ""))))


def storage_version(crd: Obj) -> str:
    for version in crd.get("spec", {}).get("versions") or []:
        if version.get("storage"):
            return str(version.get("name", ""))
    return ""


def custom_kinds(crd: Obj) -> CustomKinds:
    """What ``crd`` (created and valid) serves."""
    spec = crd["spec"]
    stored = storage_version(crd)
    kinds = tuple(_kind(spec, version, stored) for version in served_versions(crd))
    terminating = bool(crd["metadata"].get("deletionTimestamp"))
    return CustomKinds(crd["metadata"]["name"], kinds, storage_version(crd), copy.deepcopy(crd), terminating)


def _schema_of(spec: Obj, version: Obj) -> Any:
    return (version.get("schema") or {}).get("openAPIV3Schema")


def _kind(spec: Obj, version: Obj, stored: str) -> Kind:
    names_ = spec["names"]
    subresources = version.get("subresources") or {}
    has_status = "status" in subresources
    info = ResourceInfo(
        spec["group"],
        str(version["name"]),
        names_["plural"],
        names_["kind"],
        spec.get("scope", "Namespaced") == "Namespaced",
        tuple(names_.get("shortNames") or ()),
        tuple(names_.get("categories") or ()),
        subresources=tuple(sub for sub in ("status", "scale") if sub in subresources),
        has_status=has_status,
        custom=True,
    )
    compiled = crd_schema.compile_schema(_schema_of(spec, version))
    strategy = Strategy(
        info,
        on_create=hooks.first_generation,
        on_update=_generation_hook(has_status),
    )
    scale_rules = subresources.get("scale") if isinstance(subresources.get("scale"), dict) else None
    raw = _schema_of(spec, version)
    return Kind(
        strategy,
        crd_printer.printer_for(version.get("additionalPrinterColumns") or []),
        _defaulter(compiled),
        _validator(info, compiled, scale_rules),
        _update_validator(compiled, scale_rules),
        _status_validator(compiled, scale_rules),
        scale_paths=scale.paths_of(subresources["scale"]) if "scale" in subresources else scale.BUILT_IN,
        custom_schema=raw if isinstance(raw, dict) else None,
        unknown_fields=_unknown_fields(compiled),
        storage_api_version=f"{spec['group']}/{stored}" if stored and stored != version["name"] else None,
        deprecation_warning=_deprecation(spec, version, names_["kind"]),
        selectable_fields=tuple(
            str(field.get("jsonPath", "")).lstrip(".")
            for field in version.get("selectableFields") or []
            if isinstance(field, dict) and field.get("jsonPath")
        ),
    )


def _deprecation(spec: Obj, version: Obj, kind: str) -> str | None:
    """A deprecated version's warning: its own, or upstream's ``<group>/<version> <Kind> is deprecated``."""
    if not version.get("deprecated"):
        return None
    own = version.get("deprecationWarning")
    return str(own) if own else f"{spec['group']}/{version['name']} {kind} is deprecated"


def _generation_hook(status_is_subresource: bool) -> Callable[[Obj, Obj], None]:
    skipped = ("metadata", "status") if status_is_subresource else ("metadata",)

    def updated(new: Obj, old: Obj) -> None:
        body = {k: v for k, v in new.items() if k not in skipped}
        old_body = {k: v for k, v in old.items() if k not in skipped}
        generation = int(old["metadata"].get("generation") or 1)
        new["metadata"]["generation"] = generation + 1 if body != old_body else generation

    return updated


def _defaulter(compiled: crd_schema.Schema | None) -> Callable[[Obj], None]:
    """Pruning then defaulting, as upstream's decoder does for a custom resource (the unknown fields a
    request carried were reported to it by field validation before; see ``unknown_fields``)."""

    def defaults(obj: Obj) -> None:
        crd_schema.prune(obj, compiled)
        crd_schema.apply_defaults(obj, compiled)

    return defaults


def _unknown_fields(compiled: crd_schema.Schema | None) -> Callable[[Obj], list[str]]:
    """The fields of an object its schema would prune (for ``fieldValidation``), the object untouched."""

    def unknown(obj: Obj) -> list[str]:
        return crd_schema.prune(copy.deepcopy(obj), compiled) if compiled is not None else []

    return unknown


def _validator(
    info: ResourceInfo, compiled: crd_schema.Schema | None, scale: Obj | None
) -> Callable[[Obj], Errors]:
    def validate(obj: Obj) -> Errors:
        errs: list[FieldError] = validate_object_meta(
            obj.get("metadata"), namespaced=info.namespaced, name_fn=names.name_is_dns_subdomain
        )
        errs.extend(crd_schema.validate(obj, compiled))
        if scale is not None:
            errs.extend(crd_schema.validate_scale(obj, scale))
        return errs

    return validate


def _update_validator(compiled: crd_schema.Schema | None, scale: Obj | None) -> Callable[[Obj, Obj], Errors]:
    def validate(new: Obj, old: Obj) -> Errors:
        errs: list[FieldError] = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
        errs.extend(crd_schema.validate(new, compiled, old))  # unchanged invalid parts ratchet
        if scale is not None:
            errs.extend(crd_schema.validate_scale(new, scale))
        return errs

    return validate


def _status_validator(compiled: crd_schema.Schema | None, scale: Obj | None) -> Callable[[Obj, Obj], Errors]:
    def validate(new: Obj, old: Obj) -> Errors:
        errs: list[FieldError] = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
        errs.extend(crd_schema.validate_status(new, compiled, old))
        if scale is not None:
            errs.extend(crd_schema.validate_scale(new, scale, spec=False))
        return errs

    return validate
