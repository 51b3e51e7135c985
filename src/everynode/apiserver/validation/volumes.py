"""Pod ``volumes``: names, exactly one source each, and the rules of the common sources.

Sources a simulated cluster never mounts (cloud disks, iSCSI, …) are counted for the one-source rule
but their own fields are not checked.
"""

from __future__ import annotations

import posixpath
from typing import Any

from everynode.apiserver.validation.containers import validate_local_descending_path, validate_no_backsteps
from everynode.apiserver.validation.env import (
    VOLUME_FIELD_PATHS,
    validate_object_field_selector,
    validate_resource_field_selector,
)
from everynode.apiserver.validation.fields import Errors, as_int, as_str, child, dicts, index
from everynode.core import names
from everynode.core.fielderrors import duplicate, forbidden, invalid, not_supported, required
from everynode.core.quantity import QuantityError, parse_quantity
from everynode.core.types import Obj

FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"
HOST_PATH_TYPES = (
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
)
# (JSON field, name upstream uses in the "more than 1 volume type" path), in upstream's order.
SOURCES = (
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
)
SOURCE_FIELDS = tuple(field for field, _ in SOURCES)


def _file_mode(mode: Any, path: str) -> Errors:
    value = as_int(mode)
    if value is not None and not 0 <= value <= 0o777:
        return [invalid(path, value, FILE_MODE_MSG)]
    return []


def validate_local_non_reserved_path(target: str, path: str) -> Errors:
    errs = validate_local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        errs.append(invalid(path, target, "must not start with '..'"))
    return errs


def _key_to_paths(items: Any, path: str) -> Errors:
    errs: Errors = []
    for i, item in enumerate(dicts(items)):
        item_path = index(path, i)
        if not as_str(item.get("key")):
            errs.append(required(child(item_path, "key")))
        target = as_str(item.get("path"))
        if not target:
            errs.append(required(child(item_path, "path")))
        errs.extend(validate_local_non_reserved_path(target, child(item_path, "path")))
        errs.extend(_file_mode(item.get("mode"), child(item_path, "mode")))
    return errs


def _downward_api_files(items: Any, path: str) -> Errors:
    # Upstream reports each file's problems at the ``downwardAPI`` path, without the item index.
    errs: Errors = []
    for item in dicts(items):
        target = as_str(item.get("path"))
        if not target:
            errs.append(required(child(path, "path")))
        errs.extend(validate_local_non_reserved_path(target, child(path, "path")))
        field_ref, resource_ref = item.get("fieldRef"), item.get("resourceFieldRef")
        if isinstance(field_ref, dict):
            errs.extend(
                validate_object_field_selector(field_ref, VOLUME_FIELD_PATHS, child(path, "fieldRef"))
            )
            if isinstance(resource_ref, dict):
                detail = "fieldRef and resourceFieldRef can not be specified simultaneously"
                errs.append(invalid(path, "resource", detail))
        elif isinstance(resource_ref, dict):
            errs.extend(
                validate_resource_field_selector(resource_ref, child(path, "resourceFieldRef"), volume=True)
            )
        else:
            errs.append(required(path, "one of fieldRef and resourceFieldRef is required"))
        errs.extend(_file_mode(item.get("mode"), child(path, "mode")))
    return errs


def _projected(source: Obj, path: str) -> Errors:
    errs = _file_mode(source.get("defaultMode"), child(path, "defaultMode"))
    for i, item in enumerate(dicts(source.get("sources"))):
        item_path = index(child(path, "sources"), i)
        kinds = [
            k
            for k in ("secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle")
            if isinstance(item.get(k), dict)
        ]
        for kind in ("secret", "configMap"):
            if kind in kinds:
                if not as_str(item[kind].get("name")):
                    errs.append(required(child(item_path, kind, "name")))
                errs.extend(_key_to_paths(item[kind].get("items"), child(item_path, kind, "items")))
        if "downwardAPI" in kinds:
            errs.extend(
                _downward_api_files(item["downwardAPI"].get("items"), child(item_path, "downwardAPI"))
            )
        if "serviceAccountToken" in kinds:
            token = item["serviceAccountToken"]
            seconds = as_int(token.get("expirationSeconds")) or 0
            if seconds < 600:
                detail = "may not specify a duration less than 10 minutes"
                errs.append(
                    invalid(child(item_path, "serviceAccountToken", "expirationSeconds"), seconds, detail)
                )
            if not as_str(token.get("path")):
                errs.append(required(child(path, "path")))
        if len(kinds) > 1:
            errs.append(forbidden(item_path, "may not specify more than 1 volume type per source"))
    return errs


def _validate_source(field: str, source: Obj, path: str) -> Errors:
    if field == "emptyDir":
        limit = source.get("sizeLimit")
        if limit is not None:
            try:
                negative = parse_quantity(limit).value < 0
            except QuantityError as err:
                return [invalid(child(path, "sizeLimit"), limit, str(err))]
            if negative:
                return [
                    forbidden(child(path, "sizeLimit"), "SizeLimit field must be a valid resource quantity")
                ]
        return []
    if field == "hostPath":
        target = as_str(source.get("path"))
        if not target:
            return [required(child(path, "path"))]
        errs = validate_no_backsteps(target, child(path, "path"))
        kind = source.get("type")
        if kind is not None and kind not in HOST_PATH_TYPES:
            errs.append(not_supported(child(path, "type"), kind, HOST_PATH_TYPES))
        return errs
    if field in ("secret", "configMap"):
        name_field = "secretName" if field == "secret" else "name"
        errs = [] if as_str(source.get(name_field)) else [required(child(path, name_field))]
        errs.extend(_file_mode(source.get("defaultMode"), child(path, "defaultMode")))
        errs.extend(_key_to_paths(source.get("items"), child(path, "items")))
        return errs
    if field == "downwardAPI":
        errs = _file_mode(source.get("defaultMode"), child(path, "defaultMode"))
        return errs + _downward_api_files(source.get("items"), path)
    if field == "projected":
        return _projected(source, path)
    if field == "persistentVolumeClaim":
        return [] if as_str(source.get("claimName")) else [required(child(path, "claimName"))]
    if field == "nfs":
        errs = [required(child(path, f)) for f in ("server", "path") if not as_str(source.get(f))]
        if not posixpath.isabs(as_str(source.get("path"))):
            errs.append(invalid(child(path, "path"), as_str(source.get("path")), "must be an absolute path"))
        return errs
    if field == "csi":
        return [] if as_str(source.get("driver")) else [required(child(path, "driver"))]
    return []


def validate_volume_source(volume: Obj, path: str) -> Errors:
    errs: Errors = []
    count = 0
    for field, forbidden_name in SOURCES:
        source = volume.get(field)
        if not isinstance(source, dict):
            continue
        if count > 0:
            errs.append(forbidden(child(path, forbidden_name), "may not specify more than 1 volume type"))
        else:
            count += 1
            errs.extend(_validate_source(field, source, child(path, field)))
    if count == 0:
        errs.append(required(path, "must specify a volume type"))
    return errs


def validate_volumes(volumes: Any, path: str) -> tuple[dict[str, Obj], Errors]:
    """Returns the volumes that passed (mounts may refer only to those) and the errors."""
    valid: dict[str, Obj] = {}
    errs: Errors = []
    for i, volume in enumerate(dicts(volumes)):
        item = index(path, i)
        name = as_str(volume.get("name"))
        own = validate_volume_source(volume, item)
        if not name:
            own.append(required(child(item, "name")))
        else:
            own.extend(invalid(child(item, "name"), name, m) for m in names.is_dns1123_label(name))
        if name in valid:
            own.append(duplicate(child(item, "name"), name))
        if own:
            errs.extend(own)
        else:
            valid[name] = volume
    return valid, errs
