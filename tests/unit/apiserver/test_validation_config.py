"""ConfigMap, Secret and ServiceAccount validation: upstream's paths and messages on create and update."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from everynode.apiserver.validation import config, serviceaccount
from everynode.apiserver.validation.fields import dedupe
from everynode.core.types import Obj

SERVER_META = {"uid": "u-1", "resourceVersion": "9", "creationTimestamp": "2025-03-01T08:00:00Z"}
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
LONG_KEY = "k" * 254
IMMUTABLE_SET = "Forbidden: field is immutable when `immutable` is set"


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in dedupe(errs)]


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def meta(name: str, **extra: Any) -> Obj:
    return {"name": name, "namespace": "logging", **SERVER_META, **extra}


FLUENT_BIT_CONF = """[SERVICE]
    Flush        1
    Log_Level    info
    Parsers_File parsers.conf
[INPUT]
    Name              tail
    Path              /var/log/containers/*.log
    Tag               kube.*
[OUTPUT]
    Name  es
    Match *
"""


def fluent_bit_configmap(**fields: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta("fluent-bit-config", labels={"k8s-app": "fluent-bit"}),
        "data": {"fluent-bit.conf": FLUENT_BIT_CONF, "parsers.conf": "[PARSER]\n    Name docker\n"},
        **fields,
    }


def secret(secret_type: str = "Opaque", **fields: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta("es-credentials"),
        "type": secret_type,
        "data": {"username": b64("elastic"), "password": b64("s3cr3t")},
        **fields,
    }


# -- ConfigMap ------------------------------------------------------------------------------------


def test_a_fluent_bit_configmap_is_valid() -> None:
    cm = fluent_bit_configmap(binaryData={"ca.der": b64(b"\x30\x82\x01\x0a")})
    assert config.validate_configmap(cm) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"bad key": "x"}, [f'data[bad key]: Invalid value: "bad key": {KEY_MSG}']),
        ({".": "x"}, ["data[.]: Invalid value: \".\": must not be '.'"]),
        ({"..": "x"}, ["data[..]: Invalid value: \"..\": must not be '..'"]),
        ({"..data": "x"}, ["data[..data]: Invalid value: \"..data\": must not start with '..'"]),
        (
            {"k" * 254: "x"},
            [f'data[{"k" * 254}]: Invalid value: "{"k" * 254}": must be no more than 253 characters'],
        ),
    ],
)
def test_configmap_keys(data: dict[str, str], expected: list[str]) -> None:
    assert messages(config.validate_configmap(fluent_bit_configmap(data=data))) == expected


def test_binary_data_keys_are_checked_at_their_own_path() -> None:
    cm = fluent_bit_configmap(binaryData={"a/b": b64("x")})
    assert messages(config.validate_configmap(cm)) == [f'binaryData[a/b]: Invalid value: "a/b": {KEY_MSG}']


def test_a_key_in_both_maps_is_a_duplicate() -> None:
    cm = fluent_bit_configmap(binaryData={"parsers.conf": b64("x")})
    assert messages(config.validate_configmap(cm)) == [
        'data[parsers.conf]: Invalid value: "parsers.conf": duplicate of key present in binaryData'
    ]


def test_configmap_size_counts_both_maps_and_is_reported_at_the_root() -> None:
    cm = fluent_bit_configmap(data={"a": "x" * (512 * 1024)}, binaryData={"b": b64(b"\0" * (512 * 1024))})
    assert config.validate_configmap(cm) == []
    cm["data"]["c"] = "y"
    assert messages(config.validate_configmap(cm)) == ["[]: Too long: may not be more than 1048576 bytes"]


def test_binary_data_must_be_base64() -> None:
    cm = fluent_bit_configmap(binaryData={"blob": "not*base64"})
    assert messages(config.validate_configmap(cm)) == [
        'binaryData[blob]: Invalid value: "not*base64": illegal base64 data at input byte 3'
    ]


def test_configmap_name_and_namespace() -> None:
    cm = fluent_bit_configmap()
    cm["metadata"]["name"] = "Fluent_Bit"
    del cm["metadata"]["namespace"]
    assert messages(config.validate_configmap(cm)) == [
        f'metadata.name: Invalid value: "Fluent_Bit": {SUBDOMAIN_MSG}',
        "metadata.namespace: Required value",
    ]


def test_a_mutable_configmap_may_change_anything_but_identity() -> None:
    old = fluent_bit_configmap()
    new = copy.deepcopy(old)
    new["data"]["fluent-bit.conf"] = "[SERVICE]\n"
    new["immutable"] = True
    assert config.validate_configmap_update(new, old) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"immutable": False}, [f"immutable: {IMMUTABLE_SET}"]),
        ({"immutable": None}, [f"immutable: {IMMUTABLE_SET}"]),
        ({"data": {"x": "y"}}, [f"data: {IMMUTABLE_SET}"]),
        ({"binaryData": {"x": b64("y")}}, [f"binaryData: {IMMUTABLE_SET}"]),
        ({"metadata": meta("fluent-bit-config", labels={"rev": "2"})}, []),
    ],
)
def test_an_immutable_configmap_keeps_its_data(change: Obj, expected: list[str]) -> None:
    old = fluent_bit_configmap(immutable=True)
    new = copy.deepcopy(old)
    new.update(change)
    assert messages(config.validate_configmap_update(new, old)) == expected


def test_configmap_update_checks_identity_and_create_rules() -> None:
    old = fluent_bit_configmap()
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "u-2"
    new["data"]["bad key"] = "x"
    assert messages(config.validate_configmap_update(new, old)) == [
        'metadata.uid: Invalid value: "u-2": field is immutable',
        f'data[bad key]: Invalid value: "bad key": {KEY_MSG}',
    ]


# -- Secret ---------------------------------------------------------------------------------------


def test_an_opaque_secret_is_valid() -> None:
    assert config.validate_secret(secret()) == []


def test_secret_keys_include_string_data_keys() -> None:
    obj = secret(stringData={"api key": "abc"})
    assert messages(config.validate_secret(obj)) == [f'data[api key]: Invalid value: "api key": {KEY_MSG}']


def test_secret_size_is_reported_at_data() -> None:
    obj = secret(data={"blob": b64(b"\0" * (1024 * 1024))})
    assert config.validate_secret(obj) == []
    obj["stringData"] = {"more": "x"}
    assert messages(config.validate_secret(obj)) == ["data: Too long: may not be more than 1048576 bytes"]


@pytest.mark.parametrize(
    ("value", "byte"),
    [("abc", 0), ("abcde===", 5), ("ab=c", 2), ("ab=", 3), ("ab==cdef", 4), ("YWJj\nZA==x", 9), ("a!bc", 1)],
)
def test_secret_values_must_be_base64(value: str, byte: int) -> None:
    obj = secret(data={"token": value})
    assert messages(config.validate_secret(obj)) == [
        f'data[token]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte {byte}'
    ]


def test_base64_with_line_breaks_decodes() -> None:
    assert config.decode_base64("YWJj\r\nZA==") == (b"abcd", "")


@pytest.mark.parametrize(
    ("secret_type", "data", "annotations", "expected"),
    [
        (
            "kubernetes.io/service-account-token",
            {},
            {},
            ["metadata.annotations[kubernetes.io/service-account.name]: Required value"],
        ),
        ("kubernetes.io/service-account-token", {}, {"kubernetes.io/service-account.name": "fluent-bit"}, []),
        ("kubernetes.io/dockercfg", {}, {}, ["data[.dockercfg]: Required value"]),
        ("kubernetes.io/dockerconfigjson", {}, {}, ["data[.dockerconfigjson]: Required value"]),
        (
            "kubernetes.io/basic-auth",
            {},
            {},
            ["data[username]: Required value", "data[password]: Required value"],
        ),
        ("kubernetes.io/basic-auth", {"password": b64("")}, {}, []),
        ("kubernetes.io/ssh-auth", {"ssh-privatekey": ""}, {}, ["data[ssh-privatekey]: Required value"]),
        ("kubernetes.io/ssh-auth", {"ssh-privatekey": b64("KEY")}, {}, []),
        ("kubernetes.io/tls", {"tls.crt": b64("CERT")}, {}, ["data[tls.key]: Required value"]),
        ("kubernetes.io/tls", {}, {}, ["data[tls.crt]: Required value", "data[tls.key]: Required value"]),
        ("bootstrap.kubernetes.io/token", {}, {}, []),
        ("example.com/custom", {}, {}, []),
    ],
)
def test_secret_types_require_their_keys(
    secret_type: str, data: dict[str, str], annotations: dict[str, str], expected: list[str]
) -> None:
    obj = secret(secret_type, data=data)
    obj["metadata"]["annotations"] = annotations
    assert messages(config.validate_secret(obj)) == expected


DOCKER_CONFIG = {"auths": {"registry.local": {"auth": b64("u:p")}}}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (json.dumps(DOCKER_CONFIG), None),
        ("null", None),
        ("", "unexpected end of JSON input"),
        ('{"auths": ', "unexpected end of JSON input"),
        ("{auths}", "invalid character 'a' looking for beginning of object key string"),
        ("xyz", "invalid character 'x' looking for beginning of value"),
        ("{} {}", "invalid character '{' after top-level value"),
        ("[1]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ('"x"', "json: cannot unmarshal string into Go value of type map[string]interface {}"),
    ],
)
def test_docker_config_must_be_a_json_object(content: str, expected: str | None) -> None:
    obj = secret("kubernetes.io/dockerconfigjson", data={".dockerconfigjson": b64(content)})
    wanted = (
        []
        if expected is None
        else [f'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": {expected}']
    )
    assert messages(config.validate_secret(obj)) == wanted


def test_docker_config_in_string_data_counts() -> None:
    obj = secret("kubernetes.io/dockercfg", data={}, stringData={".dockercfg": json.dumps(DOCKER_CONFIG)})
    assert config.validate_secret(obj) == []


def test_secret_type_is_immutable() -> None:
    old = secret()
    new = secret("kubernetes.io/basic-auth")
    assert messages(config.validate_secret_update(new, old)) == [
        'type: Invalid value: "kubernetes.io/basic-auth": field is immutable'
    ]


def test_an_immutable_secret_keeps_its_data_including_string_data_writes() -> None:
    old = secret(immutable=True)
    new = copy.deepcopy(old)
    assert config.validate_secret_update(new, old) == []
    new["stringData"] = {"password": "changed"}
    assert messages(config.validate_secret_update(new, old)) == [f"data: {IMMUTABLE_SET}"]
    new = copy.deepcopy(old)
    new["immutable"] = False
    assert messages(config.validate_secret_update(new, old)) == [f"immutable: {IMMUTABLE_SET}"]


def test_secret_wrong_shapes_are_errors_not_crashes() -> None:
    obj = secret(data=["x"], type=3)
    assert messages(config.validate_secret(obj)) == [
        'data: Invalid value: ["x"]: must be of type object',
        "type: Invalid value: 3: must be of type string",
    ]


# -- ServiceAccount -------------------------------------------------------------------------------


def fluent_bit_service_account() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta("fluent-bit", labels={"k8s-app": "fluent-bit"}),
        "automountServiceAccountToken": True,
        "imagePullSecrets": [{"name": "registry-pull"}],
    }


def test_a_service_account_is_valid() -> None:
    assert serviceaccount.validate_service_account(fluent_bit_service_account()) == []


def test_service_account_name_is_a_subdomain() -> None:
    obj = fluent_bit_service_account()
    obj["metadata"]["name"] = "fluent_bit"
    assert messages(serviceaccount.validate_service_account(obj)) == [
        f'metadata.name: Invalid value: "fluent_bit": {SUBDOMAIN_MSG}'
    ]


def test_service_account_update_checks_identity_and_shape() -> None:
    old = fluent_bit_service_account()
    new = copy.deepcopy(old)
    new["metadata"]["namespace"] = "kube-system"
    new["secrets"] = "none"
    assert messages(serviceaccount.validate_service_account_update(new, old)) == [
        'metadata.namespace: Invalid value: "kube-system": field is immutable',
        'secrets: Invalid value: "none": must be of type array',
    ]
