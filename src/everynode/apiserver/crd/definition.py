"""A CustomResourceDefinition's defaults and validation on create, update and ``/status``
(``pkg/apis/apiextensions/v1/defaults.go``, ``pkg/apis/apiextensions/validation/validation.go``).

Upstream validates its internal form of the v1 object, and the field paths show it: when every
version has the same ``schema`` (or ``subresources``, ``additionalPrinterColumns``,
``selectableFields``), that part is checked once, at ``spec.validation`` (``spec.subresources``,
``spec.additionalPrinterColumns``, ``spec.selectableFields``); otherwise at ``spec.versions[i].schema``
and so on. ``spec.version`` is the first version's name. Errors come in upstream's order: metadata,
spec (group, scope, schemas required, each version, names, the shared parts, conversion), accepted
names, stored versions, API approval, ``preserveUnknownFields``.

On an update, rules the stored definition already broke are relaxed (schemas not yet structural,
invalid types, non-atomic set items, unpruned defaults...), and once a definition is established its
scope and kind are fixed; group and plural never change.

Not checked here: ``x-kubernetes-validations`` CEL (compiled, costed: accepted as written), the
conversion webhook's ``caBundle``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from everynode.apiserver.crd import conversion, parts
from everynode.apiserver.crd.defaultcheck import validate_defaults
from everynode.apiserver.crd.schemarules import (
    OPENAPI_V3_TYPES,
    Options,
    map_list_keys_map_set,
    schema_rules,
    status_root_rules,
)
from everynode.apiserver.crd.structural import build, schema_has, type_of, unsupported
from everynode.apiserver.crd.structuralcheck import validate_structural
from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    dicts,
    immutable,
    index,
)
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, not_supported, required
from everynode.core.types import Obj

SCOPES = ("Cluster", "Namespaced")
_NAME_MISMATCH = 'must be spec.names.plural+"."+spec.group'


# -- defaults ---------------------------------------------------------------------------------------


def storage_version(crd: Obj) -> str | None:
    for version in dicts(as_dict(crd.get("spec")).get("versions")):
        if version.get("storage") is True:
            return as_str(version.get("name"))
    return None


def definition_defaults(crd: Obj) -> None:
    """``SetDefaults_CustomResourceDefinition``, in place: ``singular`` and ``listKind`` from the kind,
    conversion ``None``, a webhook service's port 443, and the storage version as the first stored
    version."""
    spec = crd.get("spec")
    if isinstance(spec, dict):
        spec_names = spec.get("names")
        if isinstance(spec_names, dict):
            kind = as_str(spec_names.get("kind"))
            if not spec_names.get("singular") and kind:
                spec_names["singular"] = kind.lower()
            if not spec_names.get("listKind") and kind:
                spec_names["listKind"] = kind + "List"
        if spec.get("conversion") is None:
            spec["conversion"] = {"strategy": "None"}
        webhook = as_dict(as_dict(spec.get("conversion")).get("webhook"))
        service = as_dict(webhook.get("clientConfig")).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443
    stored = storage_version(crd)
    status = crd.get("status")
    if stored and isinstance(status, dict) and not status.get("storedVersions"):
        status["storedVersions"] = [stored]


# -- the internal view ------------------------------------------------------------------------------

_PER_VERSION = ("schema", "subresources", "additionalPrinterColumns", "selectableFields")


def _same(a: Any, b: Any, field: str) -> bool:
    if field in ("additionalPrinterColumns", "selectableFields"):
        return (a or None) == (b or None)
    return bool(a == b)


@dataclass(frozen=True, slots=True)
class View:
    """The spec as upstream's internal type holds it: ``top`` has each per-version part that every
    version shares (else None); ``per_version[i]`` has the parts left on version ``i``."""

    versions: list[Obj]
    top: dict[str, Any]
    per_version: list[dict[str, Any]]

    def schemas(self) -> list[Obj]:
        """Every ``openAPIV3Schema`` (top-level and per version)."""
        found = [as_dict(self.top.get("schema")).get("openAPIV3Schema")]
        found += [as_dict(v.get("schema")).get("openAPIV3Schema") for v in self.per_version]
        return [s for s in found if isinstance(s, dict)]

    def subresources_of(self, i: int) -> Any:
        """``getSubresourcesForVersion``."""
        if any(v.get("subresources") is not None for v in self.per_version):
            return self.per_version[i].get("subresources")
        return self.top.get("subresources")


def view(spec: Obj) -> View:
    versions = dicts(spec.get("versions"))
    top: dict[str, Any] = dict.fromkeys(_PER_VERSION)
    per_version = [{field: version.get(field) for field in _PER_VERSION} for version in versions]
    if versions:
        for field in _PER_VERSION:
            first = per_version[0][field]
            if all(_same(v[field], first, field) for v in per_version):
                top[field] = first
                for v in per_version:
                    v[field] = None
    return View(versions, top, per_version)


def _status_enabled(subresources: Any) -> bool:
    return isinstance(subresources, dict) and subresources.get("status") is not None


# -- validation -------------------------------------------------------------------------------------


def _metadata_name_rule(spec: Obj) -> Any:
    wanted = f"{as_str(as_dict(spec.get('names')).get('plural'))}.{as_str(spec.get('group'))}"

    def check(name: str, prefix: bool) -> list[str]:
        problems = names.name_is_dns_subdomain(name, prefix)
        return [*problems, _NAME_MISMATCH] if name != wanted else problems

    return check


def _schema_validation(wrapper: Any, status_enabled: bool, opts: Options, path: str) -> Errors:
    """``validateCustomResourceDefinitionValidation`` of one ``schema`` (``{openAPIV3Schema: ...}``)."""
    schema = as_dict(wrapper).get("openAPIV3Schema")
    if not isinstance(schema, dict):
        return []
    root = f"{path}.openAPIV3Schema"
    errs: Errors = status_root_rules(schema, root) if status_enabled else []
    if schema.get("nullable") is True:
        errs.append(forbidden(f"{root}.nullable", "nullable cannot be true at the root"))
    conversion_errs: Errors = []
    if opts.require_structural_schema:
        problem = unsupported(schema)
        if problem is not None:
            conversion_errs.append(invalid(root, "", problem))
        elif structural := validate_structural(schema, root):
            errs.extend(structural)
        else:
            errs.extend(validate_defaults(root, build(schema), require_pruned=opts.require_pruned_defaults))
    errs.extend(schema_rules(schema, root, opts))
    return errs or conversion_errs


def _selectable(fields: Any, wrapper: Any, path: str, missing: str, *, opts: Options, version: str) -> Errors:
    if not fields:
        return []
    schema = as_dict(wrapper).get("openAPIV3Schema")
    if not isinstance(schema, dict):
        return [invalid(child(path, "selectableFields"), "", missing)]
    problem = unsupported(schema)
    if problem is not None:
        return [invalid(f"{path}.schema.openAPIV3Schema", "", problem)]
    allow = version in opts.allow_too_many_selectable_fields
    return parts.validate_selectable_fields(
        fields, build(schema), child(path, "selectableFields"), allow_too_many=allow
    )


def _version(v: View, i: int, path: str, opts: Options) -> Errors:
    version, own = v.versions[i], v.per_version[i]
    errs: Errors = []
    warning = version.get("deprecationWarning")
    for problem in parts.deprecation_warning_problems(version.get("deprecated") is True, warning):
        errs.append(invalid(child(path, "deprecationWarning"), warning, problem))
    status_enabled = _status_enabled(v.subresources_of(i))
    errs.extend(_schema_validation(own["schema"], status_enabled, opts, child(path, "schema")))
    errs.extend(parts.validate_subresources(own["subresources"], child(path, "subresources")))
    for j, column in enumerate(as_list(own["additionalPrinterColumns"])):
        errs.extend(parts.validate_column(column, index(child(path, "additionalPrinterColumns"), j)))
    missing = "may only be set when `version.schema.openAPIV3Schema` is not included"
    name = as_str(version.get("name"))
    errs.extend(_selectable(own["selectableFields"], own["schema"], path, missing, opts=opts, version=name))
    return errs


def _schemas_required(v: View, spec: Obj, opts: Options, preserve: bool) -> Errors:
    if as_dict(v.top.get("schema")).get("openAPIV3Schema") is not None:
        return []
    errs: Errors = []
    for i, version in enumerate(v.versions):
        if as_dict(v.per_version[i].get("schema")).get("openAPIV3Schema") is not None:
            continue
        path = f"spec.versions[{i}].schema.openAPIV3Schema"
        if opts.require_openapi_schema:
            errs.append(required(path, ""))
        elif not preserve and version.get("served") is True:
            errs.append(required(path, "because otherwise all fields are pruned"))
    return errs


def _has_extensions(raw: Obj) -> bool:
    return (
        raw.get("x-kubernetes-embedded-resource") is True
        or "x-kubernetes-preserve-unknown-fields" in raw
        or raw.get("x-kubernetes-int-or-string") is True
        or bool(raw.get("x-kubernetes-list-map-keys"))
        or "x-kubernetes-list-type" in raw
        or bool(raw.get("x-kubernetes-validations"))
    )


def _group(group: str) -> Errors:
    if not group:
        return [required("spec.group", "")]
    if problems := names.is_dns1123_subdomain(group):
        return [invalid("spec.group", group, ",".join(problems))]
    if "." not in group:
        return [invalid("spec.group", group, "should be a domain with at least one dot")]
    return []


def _versions(v: View, opts: Options) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    unique, storage = True, 0
    for i, version in enumerate(v.versions):
        name = as_str(version.get("name"))
        storage += version.get("storage") is True
        unique = unique and name not in seen
        seen.add(name)
        if problems := names.is_dns1035_label(name):
            errs.append(invalid(f"spec.versions[{i}].name", name, ",".join(problems)))
        errs.extend(_version(v, i, f"spec.versions[{i}]", opts))
    if not unique:
        errs.append(invalid("spec.versions", v.versions, "must contain unique version names"))
    if storage != 1:
        errs.append(
            invalid("spec.versions", v.versions, "must have exactly one version marked as storage version")
        )
    first = as_str(v.versions[0].get("name")) if v.versions else ""
    if first and (problems := names.is_dns1035_label(first)):
        errs.append(invalid("spec.version", first, ",".join(problems)))
    return errs


def validate_spec(spec: Obj, opts: Options) -> Errors:
    """``validateCustomResourceDefinitionSpec``."""
    v = view(spec)
    errs = _group(as_str(spec.get("group")))
    scope = as_str(spec.get("scope"))
    if not scope:
        errs.append(required("spec.scope", ""))
    elif scope not in SCOPES:
        errs.append(not_supported("spec.scope", scope, SCOPES))
    preserve = spec.get("preserveUnknownFields") is True
    if not preserve:
        opts = opts.replace(require_structural_schema=True)
    errs.extend(_schemas_required(v, spec, opts, preserve))
    if opts.allow_defaults and any(schema_has(s, lambda n: "default" in n) for s in v.schemas()):
        opts = opts.replace(require_structural_schema=True)
        if preserve:
            errs.append(
                invalid(
                    "spec.preserveUnknownFields", True, "must be false in order to use defaults in the schema"
                )
            )
    if any(schema_has(s, _has_extensions) for s in v.schemas()):
        opts = opts.replace(require_structural_schema=True)
    errs.extend(_versions(v, opts))
    spec_names = as_dict(spec.get("names"))
    for field in ("plural", "singular", "kind", "listKind"):
        if not as_str(spec_names.get(field)):
            errs.append(required(f"spec.names.{field}", ""))
    errs.extend(parts.validate_names(spec_names, "spec.names"))
    any_status = _status_enabled(v.top["subresources"]) or any(
        _status_enabled(p["subresources"]) for p in v.per_version
    )
    errs.extend(_schema_validation(v.top["schema"], any_status, opts, "spec.validation"))
    errs.extend(parts.validate_subresources(v.top["subresources"], "spec.subresources"))
    for i, column in enumerate(as_list(v.top["additionalPrinterColumns"])):
        errs.extend(parts.validate_column(column, f"spec.additionalPrinterColumns[{i}]"))
    missing = "may only be set when validations.schema is included"
    errs.extend(
        _selectable(v.top["selectableFields"], v.top["schema"], "spec", missing, opts=opts, version="")
    )
    strategy = as_str(as_dict(spec.get("conversion")).get("strategy"))
    if spec.get("conversion") is not None and strategy != "None" and preserve:
        detail = "must be None if spec.preserveUnknownFields is true"
        errs.append(invalid("spec.conversion.strategy", strategy, detail))
    errs.extend(
        conversion.validate_conversion(
            spec.get("conversion"),
            "spec.conversion",
            require_recognized=opts.require_recognized_conversion_review_version,
        )
    )
    return errs


def _preserve_unknown_fields(crd: Obj, old: Obj | None) -> Errors:
    if old is not None and as_dict(old.get("spec")).get("preserveUnknownFields") is True:
        return []
    if as_dict(crd.get("spec")).get("preserveUnknownFields") is True:
        detail = (
            "cannot set to true, set x-kubernetes-preserve-unknown-fields to true "
            "in spec.versions[*].schema instead"
        )
        return [invalid("spec.preserveUnknownFields", True, detail)]
    return []


def _status_and_tail(crd: Obj, old: Obj | None) -> Errors:
    status = as_dict(crd.get("status"))
    errs = parts.validate_names(status.get("acceptedNames"), "status.acceptedNames")
    versions = dicts(as_dict(crd.get("spec")).get("versions"))
    errs.extend(
        parts.validate_stored_versions(status.get("storedVersions"), versions, "status.storedVersions")
    )
    errs.extend(parts.validate_api_approval(crd, old))
    errs.extend(_preserve_unknown_fields(crd, old))
    return errs


def validate_definition(crd: Obj) -> Errors:
    """``ValidateCustomResourceDefinition``: a definition being created."""
    spec = as_dict(crd.get("spec"))
    errs = validate_object_meta(
        crd.get("metadata"), namespaced=False, name_fn=_metadata_name_rule(spec), kube_finalizers=False
    )
    errs.extend(validate_spec(spec, Options()))
    errs.extend(_status_and_tail(crd, None))
    return errs


# -- updates ----------------------------------------------------------------------------------------


def established(crd: Obj) -> bool:
    conditions = dicts(as_dict(crd.get("status")).get("conditions"))
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _invalid_type(node: Obj) -> bool:
    kind = type_of(node)
    return bool(kind) and kind not in OPENAPI_V3_TYPES


def _non_structural(schema: Obj) -> bool:
    return unsupported(schema) is not None or bool(validate_structural(schema, ""))


def _unpruned_defaults(schema: Obj) -> bool:
    if not schema_has(schema, lambda n: "default" in n) or _non_structural(schema):
        return False
    found = validate_defaults("", build(schema), require_pruned=True)
    return any(e.detail == "must not have unknown fields" for e in found)


def _non_atomic_set(node: Obj) -> bool:
    items = node.get("items")
    if node.get("x-kubernetes-list-type") != "set" or not isinstance(items, dict):
        return False
    if type_of(items) == "array":
        return items.get("x-kubernetes-list-type") not in (None, "atomic")
    return type_of(items) == "object" and items.get("x-kubernetes-map-type") != "atomic"


def _selectable_allowances(new_spec: Obj, old_spec: Obj) -> frozenset[str]:
    allowed: set[str] = set()
    new_view, old_view = view(new_spec), view(old_spec)
    old_top = as_list(old_view.top["selectableFields"])
    if len(old_top) > parts.MAX_SELECTABLE_FIELDS and old_top == as_list(new_view.top["selectableFields"]):
        allowed.add("")
    old_by_name = {as_str(v.get("name")): as_list(v.get("selectableFields")) for v in old_view.versions}
    for version in new_view.versions:
        name = as_str(version.get("name"))
        old_fields = old_by_name.get(name, [])
        if len(old_fields) > parts.MAX_SELECTABLE_FIELDS and old_fields == (
            as_list(version.get("selectableFields"))
        ):
            allowed.add(name)
    return frozenset(allowed)


def update_options(new: Obj, old: Obj) -> Options:
    """The options an update of ``old`` is validated with: what ``old`` already broke is allowed."""
    old_spec, new_spec = as_dict(old.get("spec")), as_dict(new.get("spec"))
    old_view = view(old_spec)
    schemas = old_view.schemas()
    every_version_has_schema = as_dict(old_view.top.get("schema")).get("openAPIV3Schema") is not None or all(
        isinstance(as_dict(v.get("schema")).get("openAPIV3Schema"), dict) for v in old_view.per_version
    )
    old_conversion = old_spec.get("conversion")
    return Options(
        require_recognized_conversion_review_version=old_conversion is None
        or conversion.has_accepted_review_version_or_empty(old_conversion),
        require_immutable_names=established(old),
        require_openapi_schema=every_version_has_schema,
        require_valid_property_type=not any(schema_has(s, _invalid_type) for s in schemas),
        require_structural_schema=not any(_non_structural(s) for s in schemas),
        require_pruned_defaults=not any(_unpruned_defaults(s) for s in schemas),
        require_atomic_set_type=not any(schema_has(s, _non_atomic_set) for s in schemas),
        require_map_list_keys_map_set_validation=not any(
            schema_has(s, lambda n: bool(map_list_keys_map_set(n, ""))) for s in schemas
        ),
        allow_too_many_selectable_fields=_selectable_allowances(new_spec, old_spec),
    )


def validate_definition_update(new: Obj, old: Obj) -> Errors:
    """``ValidateCustomResourceDefinitionUpdate``."""
    opts = update_options(new, old)
    spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(validate_spec(spec, opts))
    if opts.require_immutable_names:
        errs.extend(immutable(spec.get("scope"), old_spec.get("scope"), "spec.scope"))
        kind, old_kind = as_dict(spec.get("names")).get("kind"), as_dict(old_spec.get("names")).get("kind")
        errs.extend(immutable(kind, old_kind, "spec.names.kind"))
    errs.extend(immutable(spec.get("group"), old_spec.get("group"), "spec.group"))
    plural, old_plural = (
        as_dict(spec.get("names")).get("plural"),
        as_dict(old_spec.get("names")).get("plural"),
    )
    errs.extend(immutable(plural, old_plural, "spec.names.plural"))
    errs.extend(_status_and_tail(new, old))
    return errs


def validate_definition_status_update(new: Obj, old: Obj) -> Errors:
    """``ValidateUpdateCustomResourceDefinitionStatus``: metadata rules and the accepted names."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    status = as_dict(new.get("status"))
    errs.extend(parts.validate_names(status.get("acceptedNames"), "status.acceptedNames"))
    return errs
