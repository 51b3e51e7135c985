"""ConfigMap and Secret validation (upstream ``ValidateConfigMap[Update]``, ``ValidateSecret[Update]``)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    expect,
    expect_items,
    immutable,
    key,
    str_map,
)
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, required, too_long
from everynode.core.types import Obj

MAX_SIZE = 1024 * 1024  # core.MaxSecretSize, for ConfigMaps too
REDACTED = "<secret contents redacted>"
IMMUTABLE_SET_MSG = "field is immutable when `immutable` is set"
SERVICE_ACCOUNT_NAME_KEY = "kubernetes.io/service-account.name"
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_CONFIGMAP_SHAPE = {"data": "object", "binaryData": "object", "immutable": "boolean"}
_SECRET_SHAPE = {"data": "object", "stringData": "object", "immutable": "boolean", "type": "string"}


def _bad_base64_at(text: str) -> int | None:
    """Where Go's ``StdEncoding`` stops reading ``text`` (padding required, CR and LF skipped), or
    ``None`` when it decodes."""
    chars = [(i, c) for i, c in enumerate(text.encode()) if c not in b"\r\n"]
    q = 0
    while q < len(chars):
        quantum = chars[q : q + 4]
        for j, (i, c) in enumerate(quantum):
            if c in _B64:
                continue
            if c != ord("=") or j < 2:
                return i
            if j == 2 and (len(quantum) < 4 or quantum[3][1] != ord("=")):
                return quantum[3][0] - 1 if len(quantum) == 4 else len(text)
            rest = chars[q + 4 :]
            return rest[0][0] if rest else None
        if len(quantum) < 4:
            return chars[q][0]
        q += 4
    return None


def decode_base64(text: str) -> tuple[bytes | None, str]:
    """The bytes a ``[]byte`` field's base64 text holds, or ``None`` and Go's decode error."""
    at = _bad_base64_at(text)
    if at is not None:
        return None, f"illegal base64 data at input byte {at}"
    try:
        return base64.b64decode(text.replace("\r", "").replace("\n", "")), ""
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the scan above catches these
        return None, str(exc)


def _go_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    return "'" + json.dumps(c)[1:-1] + "'"


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def json_object_error(raw: bytes) -> str:
    """Why ``json.Unmarshal`` into a ``map[string]interface{}`` fails, in Go's words ("" when it works)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            return "unexpected end of JSON input"
        char = _go_char(text[exc.pos])
        if exc.msg == "Extra data":
            return f"invalid character {char} after top-level value"
        if exc.msg.startswith("Expecting property name"):
            return f"invalid character {char} looking for beginning of object key string"
        return f"invalid character {char} looking for beginning of value"
    except ValueError:
        return "invalid character 'N' looking for beginning of value"
    if value is None or isinstance(value, dict):
        return ""
    kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
    return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"


def _shape(obj: Obj, fields: dict[str, str]) -> Errors:
    errs = expect(obj, fields, "")
    for field, kind in fields.items():
        if kind == "object":
            errs.extend(expect_items(obj.get(field), "string", field, keyed=True))
    return errs


def _key_errors(name: str, path: str) -> Errors:
    return [invalid(key(path, name), name, msg) for msg in names.is_config_map_key(name)]


def validate_configmap(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(_shape(obj, _CONFIGMAP_SHAPE))
    data, binary = str_map(obj.get("data")), str_map(obj.get("binaryData"))
    total = 0
    for name, value in data.items():
        errs.extend(_key_errors(name, "data"))
        if name in binary:
            errs.append(invalid(key("data", name), name, "duplicate of key present in binaryData"))
        total += len(value.encode())
    for name, value in binary.items():
        errs.extend(_key_errors(name, "binaryData"))
        decoded, problem = decode_base64(value)
        if decoded is None:
            errs.append(invalid(key("binaryData", name), value, problem))
        else:
            total += len(decoded)
    if total > MAX_SIZE:
        errs.append(too_long("[]", MAX_SIZE))
    return errs


def _immutable_rules(new: Obj, old: Obj, changed: list[str]) -> Errors:
    """What an object stored with ``immutable: true`` may not do: unset it, or change ``changed``."""
    if old.get("immutable") is not True:
        return []
    errs: Errors = []
    if new.get("immutable") is not True:
        errs.append(forbidden("immutable", IMMUTABLE_SET_MSG))
    errs.extend(forbidden(field, IMMUTABLE_SET_MSG) for field in changed)
    return errs


def validate_configmap_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    changed = [f for f in ("data", "binaryData") if as_dict(new.get(f)) != as_dict(old.get(f))]
    errs.extend(_immutable_rules(new, old, changed))
    errs.extend(validate_configmap(new))
    return errs


def _secret_data(obj: Obj) -> tuple[dict[str, bytes], Errors]:
    """``data`` decoded, with ``stringData`` written over it as the conversion to the internal type
    does (so its keys are reported at ``data[<key>]`` too)."""
    values: dict[str, bytes] = {}
    errs: Errors = []
    for name, text in str_map(obj.get("data")).items():
        decoded, problem = decode_base64(text)
        if decoded is None:
            errs.append(invalid(key("data", name), REDACTED, problem))
        values[name] = decoded or b""
    for name, text in str_map(obj.get("stringData")).items():
        values[name] = text.encode()
    return values, errs


def _type_rules(secret_type: str, data: dict[str, bytes], annotations: dict[str, str]) -> Errors:
    """The keys each well-known Secret type must hold."""
    if secret_type == "kubernetes.io/service-account-token":
        if not annotations.get(SERVICE_ACCOUNT_NAME_KEY):
            return [required(key("metadata.annotations", SERVICE_ACCOUNT_NAME_KEY))]
    elif secret_type in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        name = ".dockercfg" if secret_type == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if name not in data:
            return [required(key("data", name))]
        problem = json_object_error(data[name])
        if problem:
            return [invalid(key("data", name), REDACTED, problem)]
    elif secret_type == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            return [required(key("data", "username")), required(key("data", "password"))]
    elif secret_type == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            return [required(key("data", "ssh-privatekey"))]
    elif secret_type == "kubernetes.io/tls":
        return [required(key("data", name)) for name in ("tls.crt", "tls.key") if name not in data]
    return []


def validate_secret(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(_shape(obj, _SECRET_SHAPE))
    data, decode_errs = _secret_data(obj)
    for name in data:
        errs.extend(_key_errors(name, "data"))
    errs.extend(decode_errs)
    if sum(len(value) for value in data.values()) > MAX_SIZE:
        errs.append(too_long("data", MAX_SIZE))
    secret_type = obj.get("type") if isinstance(obj.get("type"), str) else ""
    annotations = str_map(as_dict(obj.get("metadata")).get("annotations"))
    errs.extend(_type_rules(str(secret_type), data, annotations))
    return errs


def validate_secret_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(immutable(new.get("type") or "", old.get("type") or "", "type"))
    changed = ["data"] if _secret_data(new)[0] != _secret_data(old)[0] else []
    errs.extend(_immutable_rules(new, old, changed))
    errs.extend(validate_secret(new))
    return errs
