"""Rules on the parts of a CustomResourceDefinition other than its schemas
(``pkg/apis/apiextensions/validation/validation.go``): names, subresources, printer columns,
deprecation warnings, selectable fields, stored versions and the API-approval annotation of
Kubernetes-owned groups.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from everynode.apiserver.crd.fieldpath import FieldPathError, resolve
from everynode.apiserver.crd.structural import Structural
from everynode.apiserver.validation.fields import Errors, as_dict, as_list, as_str, child, index, key
from everynode.apiserver.validation.values import too_many
from everynode.core import names
from everynode.core.fielderrors import duplicate, invalid, required
from everynode.core.types import Obj

COLUMN_TYPES = ("boolean", "date", "integer", "number", "string")
COLUMN_FORMATS = ("byte", "date", "date-time", "double", "float", "int32", "int64", "password")
MAX_SELECTABLE_FIELDS = 8
APPROVAL_ANNOTATION = "api-approved.kubernetes.io"
_KEP = "https://github.com/kubernetes/enhancements/pull/1111"
_PRINTABLE = "must only contain printable UTF-8 characters"
_MIXED_CASE = "may have mixed case, but should otherwise match: "


def _label(value: str, path: str) -> Errors:
    problems = names.is_dns1035_label(value)
    return [invalid(path, value, ",".join(problems))] if value and problems else []


def validate_names(spec_names: Any, path: str) -> Errors:
    """``ValidateCustomResourceDefinitionNames``: DNS-1035 labels; kind and listKind but for case."""
    given = as_dict(spec_names)
    errs = _label(as_str(given.get("plural")), child(path, "plural"))
    errs.extend(_label(as_str(given.get("singular")), child(path, "singular")))
    for field in ("kind", "listKind"):
        value = as_str(given.get(field))
        problems = names.is_dns1035_label(value.lower())
        if value and problems:
            errs.append(invalid(child(path, field), value, _MIXED_CASE + ",".join(problems)))
    for i, short in enumerate(as_list(given.get("shortNames"))):
        errs.extend(_label(as_str(short), index(child(path, "shortNames"), i)))
    kind, list_kind = as_str(given.get("kind")), as_str(given.get("listKind"))
    if kind and kind == list_kind:
        errs.append(invalid(child(path, "listKind"), list_kind, "kind and listKind may not be the same"))
    for i, category in enumerate(as_list(given.get("categories"))):
        errs.extend(_label(as_str(category), index(child(path, "categories"), i)))
    return errs


def simple_json_path(text: str, path: str) -> Errors:
    """``validateSimpleJSONPath``: a path starting with a dot."""
    if not text:
        return [invalid(path, text, "must not be empty")]
    if text[0] != ".":
        return [invalid(path, text, "must be a simple json path starting with .")]
    return []


def validate_subresources(subresources: Any, path: str) -> Errors:
    """``ValidateCustomResourceDefinitionSubresources``: the scale paths under ``.spec``/``.status``."""
    scale = as_dict(subresources).get("scale")
    if not isinstance(scale, dict):
        return []
    errs: Errors = []
    for field, prefix in (("specReplicasPath", ".spec."), ("statusReplicasPath", ".status.")):
        value, field_path = as_str(scale.get(field)), f"{path}.scale.{field}"
        if not value:
            errs.append(required(field_path, ""))
        elif problems := simple_json_path(value, field_path):
            errs.extend(problems)
        elif not value.startswith(prefix):
            errs.append(invalid(field_path, value, f"should be a json path under {prefix.rstrip('.')}"))
    selector = as_str(scale.get("labelSelectorPath"))
    if selector:
        field_path = f"{path}.scale.labelSelectorPath"
        if problems := simple_json_path(selector, field_path):
            errs.extend(problems)
        elif not selector.startswith((".spec.", ".status.")):
            errs.append(invalid(field_path, selector, "should be a json path under either .spec or .status"))
    return errs


def validate_column(column: Any, path: str) -> Errors:
    """``ValidateCustomResourceColumnDefinition`` (the JSON path is reported as ``JSONPath``)."""
    column = as_dict(column)
    errs: Errors = []
    if not as_str(column.get("name")):
        errs.append(required(child(path, "name"), ""))
    kind = as_str(column.get("type"))
    types = "must be one of " + ",".join(COLUMN_TYPES)
    if not kind:
        errs.append(required(child(path, "type"), types))
    elif kind not in COLUMN_TYPES:
        errs.append(invalid(child(path, "type"), kind, types))
    fmt = as_str(column.get("format"))
    if fmt and fmt not in COLUMN_FORMATS:
        errs.append(invalid(child(path, "format"), fmt, "must be one of " + ",".join(COLUMN_FORMATS)))
    json_path = as_str(column.get("jsonPath"))
    if not json_path:
        errs.append(required(child(path, "JSONPath"), ""))
    else:
        errs.extend(simple_json_path(json_path, child(path, "JSONPath")))
    return errs


def deprecation_warning_problems(deprecated: bool, warning: Any) -> list[str]:
    """``validateDeprecationWarning``."""
    if not deprecated and warning is not None:
        return ["can only be set for deprecated versions"]
    if warning is None:
        return []
    text = as_str(warning)
    problems: list[str] = []
    if len(text.encode()) > 256:
        problems.append("must be <= 256 characters long")
    if not text:
        problems.append("must not be an empty string")
    offset = 0
    for char in text:
        if not char.isprintable() or unicodedata.category(char) == "Cc":
            which = "control" if unicodedata.category(char) == "Cc" else "non-printable"
            problems.append(f"{_PRINTABLE}; {which} character found at index {offset}")
            break
        offset += len(char.encode())
    return problems


def validate_selectable_fields(fields: Any, schema: Structural, path: str, *, allow_too_many: bool) -> Errors:
    """``ValidateCustomResourceSelectableFields``: up to eight distinct paths to string, boolean or
    integer fields outside metadata."""
    errs: Errors = []
    unique: set[str] = set()
    for i, entry in enumerate(fields if isinstance(fields, list) else []):
        entry_path = child(index(path, i), "jsonPath")
        json_path = as_str(as_dict(entry).get("jsonPath"))
        if not json_path:
            errs.append(required(entry_path, ""))
            continue
        try:
            steps, found = resolve(json_path, schema, array_notation=False)
        except FieldPathError as error:
            errs.append(invalid(entry_path, json_path, f"is an invalid path: {error}"))
            continue
        if steps and steps[0] == "metadata":
            errs.append(invalid(entry_path, json_path, "must not point to fields in metadata"))
        if found.type not in ("string", "boolean", "integer"):
            detail = (
                "must point to a field of type string, boolean or integer. "
                "Enum string fields and strings with formats are allowed."
            )
            errs.append(invalid(entry_path, json_path, detail))
        mark = ".".join(steps)
        if mark in unique:
            errs.append(duplicate(entry_path, json_path))
        unique.add(mark)
    if len(unique) > MAX_SELECTABLE_FIELDS and not allow_too_many:
        errs.append(too_many(path, len(unique), MAX_SELECTABLE_FIELDS))
    return errs


def validate_stored_versions(stored: Any, versions: list[Obj], path: str) -> Errors:
    """``ValidateCustomResourceDefinitionStoredVersions``."""
    stored_list = [as_str(v) for v in stored] if isinstance(stored, list) else []
    if not stored_list:
        return [invalid(path, stored_list, "must have at least one stored version")]
    errs: Errors = []
    remaining = {name: i for i, name in enumerate(stored_list)}
    for version in versions:
        name = as_str(version.get("name"))
        if version.get("storage") is True and name not in remaining:
            errs.append(invalid(path, stored_list, f"must have the storage version {name}"))
        remaining.pop(name, None)
    for name, i in sorted(remaining.items(), key=lambda item: item[1]):
        detail = (
            f"missing from spec.versions; {name} was previously a storage version, and must remain in "
            f"spec.versions until a storage migration ensures no data remains persisted in {name} and "
            f"removes {name} from status.storedVersions"
        )
        errs.append(invalid(index(path, i), name, detail))
    return errs


def protected_group(group: str) -> bool:
    """``IsProtectedCommunityGroup``: ``k8s.io`` and ``kubernetes.io`` and their subdomains."""
    return any(group == g or group.endswith("." + g) for g in ("k8s.io", "kubernetes.io"))


def _approval(annotations: Any) -> tuple[str, str]:
    value = as_str(as_dict(annotations).get(APPROVAL_ANNOTATION))
    if not value:
        return (
            "missing",
            f'protected groups must have approval annotation "{APPROVAL_ANNOTATION}", see {_KEP}',
        )
    if value.startswith("unapproved"):
        return "bypassed", f'not approved: "{value}"'
    try:
        parts = urlsplit(value)
        approved = bool(parts.scheme) and bool(parts.netloc)
    except ValueError:
        approved = False
    if approved:
        return "approved", f"approved in {value}"
    text = (
        f'protected groups must have approval annotation "{APPROVAL_ANNOTATION}" with either a URL or a '
        f'reason starting with "unapproved", see {_KEP}'
    )
    return "invalid", text


def validate_api_approval(crd: Obj, old: Obj | None) -> Errors:
    """``validateAPIApproval``: a Kubernetes-owned group needs an approval annotation (checked only
    when its state changes)."""
    group = as_str(as_dict(crd.get("spec")).get("group"))
    if not protected_group(group):
        return []
    annotations = as_dict(crd.get("metadata")).get("annotations")
    state, reason = _approval(annotations)
    if old is not None and _approval(as_dict(old.get("metadata")).get("annotations"))[0] == state:
        return []
    path = key("metadata.annotations", APPROVAL_ANNOTATION)
    if state == "missing":
        return [required(path, reason)]
    if state == "invalid":
        return [invalid(path, as_str(as_dict(annotations).get(APPROVAL_ANNOTATION)), reason)]
    return []
