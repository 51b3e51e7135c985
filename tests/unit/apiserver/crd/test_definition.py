"""CustomResourceDefinition defaults and validation on create, update and /status.

Cases map to upstream's ``pkg/apis/apiextensions/validation/validation_test.go``
(``TestValidateCustomResourceDefinition``, ``TestValidateCustomResourceDefinitionUpdate``,
``TestValidateCustomResourceDefinitionValidation``, ``TestValidateCustomResourceDefinitionStoredVersions``,
``Test_validateDeprecationWarning``); messages are upstream's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from everynode.apiserver.crd.definition import (
    definition_defaults,
    validate_definition,
    validate_definition_status_update,
    validate_definition_update,
)
from everynode.core.types import Obj
from tests.unit.apiserver.crd import crds


def errors(crd: Obj) -> list[str]:
    definition_defaults(crd)
    return [str(e) for e in validate_definition(crd)]


def schema_of(crd: Obj, version: int = 0) -> Obj:
    schema: Obj = crd["spec"]["versions"][version]["schema"]["openAPIV3Schema"]
    return schema


def spec_properties(crd: Obj) -> Obj:
    properties: Obj = schema_of(crd)["properties"]["spec"]["properties"]
    return properties


ROOT = "spec.validation.openAPIV3Schema"
SPEC = f"{ROOT}.properties[spec]"


@pytest.mark.parametrize("build", [crds.ip_pool, crds.felix_configuration, crds.service_monitor])
def test_real_shaped_definitions_are_valid(build: Callable[[], Obj]) -> None:
    assert errors(build()) == []


def test_defaults_fill_names_conversion_and_stored_versions() -> None:
    # SetDefaults_CustomResourceDefinition / SetDefaults_CustomResourceDefinitionSpec
    crd = crds.ip_pool()
    del crd["spec"]["names"]["singular"], crd["spec"]["names"]["listKind"], crd["spec"]["conversion"]
    crd["status"] = {}
    definition_defaults(crd)
    assert crd["spec"]["names"]["singular"] == "ippool"
    assert crd["spec"]["names"]["listKind"] == "IPPoolList"
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert crd["status"]["storedVersions"] == ["v1"]


def test_defaults_give_a_webhook_service_port_443() -> None:
    crd = crds.ip_pool()
    service = {"name": "conv", "namespace": "kube-system"}
    crd["spec"]["conversion"] = {"strategy": "Webhook", "webhook": {"clientConfig": {"service": service}}}
    definition_defaults(crd)
    assert service["port"] == 443


def test_mismatched_name() -> None:
    # "mismatched name"
    crd = crds.ip_pool()
    crd["metadata"]["name"] = "pools.crd.example-networking.org"
    assert errors(crd) == [
        'metadata.name: Invalid value: "pools.crd.example-networking.org": must be '
        'spec.names.plural+"."+spec.group'
    ]


def test_missing_values() -> None:
    # "missing values": an empty spec
    crd = {"metadata": {"name": "plural.group.com"}, "spec": {}, "status": {}}
    assert errors(crd) == [
        'metadata.name: Invalid value: "plural.group.com": must be spec.names.plural+"."+spec.group',
        "spec.group: Required value",
        "spec.scope: Required value",
        "spec.versions: Invalid value: []: must have exactly one version marked as storage version",
        "spec.names.plural: Required value",
        "spec.names.singular: Required value",
        "spec.names.kind: Required value",
        "spec.names.listKind: Required value",
        "status.storedVersions: Invalid value: []: must have at least one stored version",
    ]


def test_bad_names() -> None:
    # "bad names 01" / "bad names 02"
    crd = crds.ip_pool()
    crd["spec"]["group"] = "group"
    crd["spec"]["scope"] = "foo"
    crd["spec"]["names"].update(
        plural="pl()*ural", singular="value()*a", kind="value()*a", listKind="value()*a"
    )
    crd["metadata"]["name"] = "pl()*ural.group"
    found = errors(crd)
    label = (
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic "
        "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
        "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    )
    assert 'spec.group: Invalid value: "group": should be a domain with at least one dot' in found
    assert 'spec.scope: Unsupported value: "foo": supported values: "Cluster", "Namespaced"' in found
    assert f'spec.names.plural: Invalid value: "pl()*ural": {label}' in found
    assert (
        f'spec.names.kind: Invalid value: "value()*a": may have mixed case, but should otherwise match: '
        f"{label}" in found
    )
    assert 'spec.names.listKind: Invalid value: "value()*a": kind and listKind may not be the same' in found


def test_short_names_and_categories_are_labels() -> None:
    crd = crds.service_monitor()
    crd["spec"]["names"].update(shortNames=["smon", "s_mon"], categories=["Prometheus"])
    found = errors(crd)
    assert [e.split(":")[0] for e in found] == ["spec.names.shortNames[1]", "spec.names.categories[0]"]


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ((False,), "must have exactly one version marked as storage version"),  # "no_storage_version"
        (
            (True, True),
            "must have exactly one version marked as storage version",
        ),  # "multiple_storage_version"
    ],
)
def test_storage_versions(storage: tuple[bool, ...], message: str) -> None:
    crd = crds.ip_pool()
    versions = [copy.deepcopy(crd["spec"]["versions"][0]) for _ in storage]
    for i, (version, flag) in enumerate(zip(versions, storage, strict=True)):
        version.update(name=f"v{i + 1}", storage=flag)
    crd["spec"]["versions"] = versions
    found = errors(crd)
    assert any(e.startswith("spec.versions: Invalid value: ") and e.endswith(message) for e in found)


def test_version_names_unique_and_dns1035() -> None:
    crd = crds.ip_pool()
    second = copy.deepcopy(crd["spec"]["versions"][0])
    second["storage"] = False
    crd["spec"]["versions"].append(second)
    crd["spec"]["versions"][0]["name"] = "V1"
    crd["status"]["storedVersions"] = ["V1"]
    found = errors(crd)
    assert found[0].startswith('spec.versions[0].name: Invalid value: "V1": a DNS-1035 label')
    assert found[1].startswith(
        'spec.version: Invalid value: "V1": a DNS-1035 label'
    )  # the internal spec.version
    unique = crds.ip_pool()
    unique["spec"]["versions"].append({**copy.deepcopy(unique["spec"]["versions"][0]), "storage": False})
    assert any(e.endswith("must contain unique version names") for e in errors(unique))


def test_schema_is_required() -> None:
    # "schema is required"
    crd = crds.ip_pool()
    del crd["spec"]["versions"][0]["schema"]
    assert errors(crd) == ["spec.versions[0].schema.openAPIV3Schema: Required value"]


def test_identical_per_version_parts_are_checked_at_the_top_level() -> None:
    # upstream validates its internal form: identical schemas, columns... move to spec.validation etc.
    crd = crds.definition(
        "example.com",
        "widgets",
        "Widget",
        {"type": "object", "properties": {"spec": {}}},
        versions=("v1", "v2"),
    )
    assert errors(crd) == [
        f"{ROOT}.properties[spec].type: Required value: must not be empty for specified object fields"
    ]
    crd["spec"]["versions"][1]["schema"]["openAPIV3Schema"]["properties"]["spec"]["type"] = "object"
    assert errors(crd) == [
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: "
        "Required value: must not be empty for specified object fields"
    ]


def test_additional_properties_and_properties_forbidden() -> None:
    # "additionalProperties and properties forbidden"
    crd = crds.ip_pool()
    spec_properties(crd)["foo"] = {
        "type": "object",
        "properties": {"bar": {"type": "object"}},
        "additionalProperties": False,
    }
    assert errors(crd) == [
        f"{SPEC}.properties[foo].additionalProperties: Forbidden: additionalProperties and properties are "
        "mutual exclusive"
    ]


def test_additional_properties_without_properties_allowed() -> None:
    # "additionalProperties without properties allowed (map[string]string)"
    crd = crds.ip_pool()
    spec_properties(crd)["foo"] = {"type": "object", "additionalProperties": {"type": "string"}}
    assert errors(crd) == []


def test_preserve_unknown_fields_false_in_a_schema() -> None:
    # "x-kubernetes-preserve-unknown-field: false"
    crd = crds.ip_pool()
    spec_properties(crd)["foo"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": False}
    assert errors(crd) == [
        f"{SPEC}.properties[foo].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or "
        "undefined"
    ]


def test_preserve_unknown_fields_true_in_the_spec() -> None:
    # "preserveUnknownFields: true"
    crd = crds.ip_pool()
    crd["spec"]["preserveUnknownFields"] = True
    assert errors(crd) == [
        "spec.preserveUnknownFields: Invalid value: true: must be false in order to use defaults in the "
        "schema",
        "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set "
        "x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
    ]


def test_label_selector_path_outside_spec_and_status() -> None:
    # "labelSelectorPath outside of .spec and .status"
    crd = crds.service_monitor()
    crd["spec"]["versions"][0]["subresources"] = {
        "scale": {
            "specReplicasPath": ".spec.replicas",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".labelSelector",
        }
    }
    assert errors(crd) == [
        'spec.subresources.scale.labelSelectorPath: Invalid value: ".labelSelector": '
        "should be a json path under either .spec or .status"
    ]


def test_scale_paths_under_spec_and_status() -> None:
    crd = crds.ip_pool()
    crd["spec"]["versions"][0]["subresources"] = {"scale": {"specReplicasPath": "spec.replicas"}}
    assert errors(crd) == [
        'spec.subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json '
        "path starting with .",
        "spec.subresources.scale.statusReplicasPath: Required value",
    ]


def test_printer_columns() -> None:
    # ValidateCustomResourceColumnDefinition ("valid name printer column formats" and friends)
    crd = crds.ip_pool()
    crd["spec"]["versions"][0]["additionalPrinterColumns"] = [
        {"name": "", "type": "str", "jsonPath": "spec.cidr"},
        {"name": "Size", "type": "integer", "format": "int8", "jsonPath": ".spec.blockSize"},
        {"name": "Ready", "type": "", "jsonPath": ""},
    ]
    columns = "spec.additionalPrinterColumns"
    assert errors(crd) == [
        f"{columns}[0].name: Required value",
        f'{columns}[0].type: Invalid value: "str": must be one of boolean,date,integer,number,string',
        f'{columns}[0].JSONPath: Invalid value: "spec.cidr": must be a simple json path starting with .',
        f'{columns}[1].format: Invalid value: "int8": must be one of '
        "byte,date,date-time,double,float,int32,int64,password",
        f"{columns}[2].type: Required value: must be one of boolean,date,integer,number,string",
        f"{columns}[2].JSONPath: Required value",
    ]


def test_filter_json_paths_are_simple_enough() -> None:
    crd = crds.service_monitor()
    crd["spec"]["versions"][0]["additionalPrinterColumns"] = [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'}
    ]
    assert errors(crd) == []


def test_conversion_webhook_is_accepted() -> None:
    # "webhook conversion with preserveUnknownFields=false, conversionReviewVersions=[v1]"
    crd = crds.ip_pool()
    crd["spec"]["conversion"] = {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": {"service": {"name": "conv", "namespace": "ns", "path": "/convert"}},
            "conversionReviewVersions": ["v1"],
        },
    }
    assert errors(crd) == []


def test_conversion_webhook_rules() -> None:
    # "webhookconfig: both service and URL provided", "missing_webhookconfig",
    # "webhookconfig: invalid ConversionReviewVersion"
    crd = crds.ip_pool()
    crd["spec"]["conversion"] = {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": {"url": "https://x/y", "service": {}},
            "conversionReviewVersions": ["v9", "v9"],
        },
    }
    assert errors(crd) == [
        "spec.conversion.webhookClientConfig: Required value: exactly one of url or service is required",
        'spec.conversion.conversionReviewVersions[1]: Invalid value: "v9": duplicate version',
        'spec.conversion.conversionReviewVersions: Invalid value: ["v9","v9"]: must include at least one of '
        "v1, v1beta1",
    ]
    crd["spec"]["conversion"] = {"strategy": "Webhook"}
    assert errors(crd) == [
        "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook",
        "spec.conversion.conversionReviewVersions: Required value",
    ]


def test_conversion_webhook_url() -> None:
    # "webhookconfig: blank URL" and the URL rules of ValidateWebhookURL
    crd = crds.ip_pool()
    crd["spec"]["conversion"] = {
        "strategy": "Webhook",
        "webhook": {"clientConfig": {"url": "http://user@host/p?q=1#f"}, "conversionReviewVersions": ["v1"]},
    }
    url = "spec.conversion.webhookClientConfig.url"
    assert errors(crd) == [
        f"{url}: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: "
        "https://host[/path]",
        f'{url}: Invalid value: "user": user information is not permitted in the URL',
        f'{url}: Invalid value: "f": fragments are not permitted in the URL',
        f'{url}: Invalid value: "q=1": query parameters are not permitted in the URL',
    ]


def test_conversion_strategy_none_forbids_webhook_settings() -> None:
    # "webhookconfig_should_not_be_set", "ConversionReviewVersions_should_not_be_set",
    # "invalid_conversion_strategy"
    crd = crds.ip_pool()
    crd["spec"]["conversion"] = {
        "strategy": "None",
        "webhook": {"clientConfig": {"url": "https://x"}, "conversionReviewVersions": ["v1"]},
    }
    assert errors(crd) == [
        "spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to "
        "Webhook",
        "spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to "
        "Webhook",
    ]
    crd["spec"]["conversion"] = {"strategy": "non_existing_conversion"}
    assert errors(crd) == [
        'spec.conversion.strategy: Unsupported value: "non_existing_conversion": supported values: "None", '
        '"Webhook"'
    ]


def test_stored_versions() -> None:
    # TestValidateCustomResourceDefinitionStoredVersions
    crd = crds.ip_pool()
    crd["status"]["storedVersions"] = ["v1beta1"]
    detail = (
        "missing from spec.versions; v1beta1 was previously a storage version, and must remain in "
        "spec.versions "
        "until a storage migration ensures no data remains persisted in v1beta1 and removes v1beta1 from "
        "status.storedVersions"
    )
    assert errors(crd) == [
        'status.storedVersions: Invalid value: ["v1beta1"]: must have the storage version v1',
        f'status.storedVersions[0]: Invalid value: "v1beta1": {detail}',
    ]


def test_protected_groups_need_api_approval() -> None:
    # validateAPIApproval
    crd = crds.definition("gateway.x-k8s.io", "widgets", "Widget", crds.ip_pool_schema())
    assert errors(crd) == []
    crd = crds.definition("widgets.k8s.io", "widgets", "Widget", crds.ip_pool_schema())
    key = "metadata.annotations[api-approved.kubernetes.io]"
    assert errors(crd) == [
        f"{key}: Required value: protected groups must have approval annotation "
        '"api-approved.kubernetes.io", '
        "see https://github.com/kubernetes/enhancements/pull/1111"
    ]
    crd["metadata"]["annotations"] = {
        "api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/1"
    }
    assert errors(crd) == []
    crd["metadata"]["annotations"] = {"api-approved.kubernetes.io": "unapproved, experimental"}
    assert errors(crd) == []
    crd["metadata"]["annotations"] = {"api-approved.kubernetes.io": "yes"}
    assert errors(crd)[0].startswith(
        f'{key}: Invalid value: "yes": protected groups must have approval annotation'
    )


def test_deprecation_warning() -> None:
    # Test_validateDeprecationWarning
    crd = crds.ip_pool()
    crd["spec"]["versions"][0]["deprecationWarning"] = "old"
    path = "spec.versions[0].deprecationWarning"
    assert errors(crd) == [f'{path}: Invalid value: "old": can only be set for deprecated versions']
    crd["spec"]["versions"][0].update(deprecated=True, deprecationWarning="bad\tone")
    assert errors(crd) == [
        f'{path}: Invalid value: "bad\\tone": must only contain printable UTF-8 characters; '
        "control character found at index 3"
    ]
    crd["spec"]["versions"][0]["deprecationWarning"] = "x" * 257
    assert errors(crd)[0].endswith("must be <= 256 characters long")


# -- schemas: TestValidateCustomResourceDefinitionValidation -----------------------------------------


def schema_errors(schema: Obj, *, status: bool = False) -> list[str]:
    crd = crds.definition(
        "example.com", "widgets", "Widget", schema, subresources={"status": {}} if status else None
    )
    return errors(crd)


def test_root_type_with_status_subresource() -> None:
    # "root type having invalid value, with status"
    assert schema_errors({"type": "string"}, status=True)[0] == (
        f'{ROOT}.type: Invalid value: "string": only "object" is allowed as the type at the root of the '
        "schema if the status subresource is enabled"
    )


def test_non_allowed_root_field_with_status() -> None:
    # "non-allowed root field with status"
    found = schema_errors({"type": "object", "anyOf": [{"description": "x"}]}, status=True)
    assert found[0].startswith(f"{ROOT}: Invalid value: ")
    assert found[0].endswith(
        "only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength "
        "MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs "
        "Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the "
        "status subresource is enabled"
    )


def test_null_type_and_nullable_root() -> None:
    # "null type", "nullable at the root"
    found = schema_errors({"type": "object", "properties": {"foo": {"type": "null"}}})
    assert (
        f'{ROOT}.properties[foo].type: Unsupported value: "null": supported values: "array", "boolean", '
        '"integer", "number", "object", "string"' in found
    )
    assert (
        f"{ROOT}.properties[foo].type: Forbidden: type cannot be set to null, use nullable as an alternative"
        in found
    )
    assert schema_errors({"type": "object", "nullable": True}) == [
        f"{ROOT}.nullable: Forbidden: nullable cannot be true at the root"
    ]


def test_must_be_structural() -> None:
    # "must be structural, but isn't"
    assert schema_errors({"type": "object", "properties": {"foo": {"items": {"type": "string"}}}}) == [
        f"{ROOT}.properties[foo].type: Required value: must not be empty for specified object fields"
    ]


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        # "invalid type with list type extension set"
        (
            {"type": "object", "x-kubernetes-list-type": "set"},
            '.type: Invalid value: "object": must be array if x-kubernetes-list-type is specified',
        ),
        # "invalid list type extension"
        (
            {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "no-map"},
            '.x-kubernetes-list-type: Unsupported value: "no-map": supported values: "atomic", "set", "map"',
        ),
        # "unset list type extension with list map keys extension non-empty"
        (
            {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-map-keys": ["key"]},
            ".x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty",
        ),
        # "invalid list type extension with list map keys extension non-empty"
        (
            {
                "type": "array",
                "items": {"type": "string"},
                "x-kubernetes-list-type": "set",
                "x-kubernetes-list-map-keys": ["key"],
            },
            '.x-kubernetes-list-type: Invalid value: "set": must be map if x-kubernetes-list-map-keys is '
            "non-empty",
        ),
        # "empty list map keys extension with list type extension map"
        (
            {"type": "array", "items": {"type": "object", "properties": {}}, "x-kubernetes-list-type": "map"},
            ".x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
        ),
        # "non object item with list type extension map"
        (
            {
                "type": "array",
                "items": {"type": "string"},
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["k"],
            },
            '.items.type: Invalid value: "string": must be object if parent array\'s x-kubernetes-list-type '
            "is map",
        ),
        # "items with key missing from properties with list type extension map"
        (
            {
                "type": "array",
                "items": {"type": "object", "properties": {"a": {"type": "string", "default": "x"}}},
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["b"],
            },
            '.x-kubernetes-list-map-keys: Invalid value: ["b"]: entries must all be names of item properties',
        ),
        # "items with non scalar key property type with list type extension map"
        (
            {
                "type": "array",
                "items": {"type": "object", "required": ["a"], "properties": {"a": {"type": "object"}}},
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["a"],
            },
            '.items.properties[a].type: Invalid value: "object": must be a scalar type if parent array\'s '
            "x-kubernetes-list-type is map",
        ),
        # "reject non-required key with no default in list of type map if not pre-existing"
        (
            {
                "type": "array",
                "items": {"type": "object", "properties": {"a": {"type": "string"}}},
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["a"],
            },
            ".items.properties[a].default: Required value: this property is in x-kubernetes-list-map-keys, "
            "so it must have a default or be a required property",
        ),
        # "invalid list-type set with non-atomic map items"
        (
            {
                "type": "array",
                "items": {"type": "object", "x-kubernetes-map-type": "granular"},
                "x-kubernetes-list-type": "set",
            },
            ".items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with "
            "x-kubernetes-list-type=set",
        ),
        # "reject nullable items in list of type set if not pre-exisiting"
        (
            {"type": "array", "items": {"type": "string", "nullable": True}, "x-kubernetes-list-type": "set"},
            ".items.nullable: Forbidden: cannot be nullable when x-kubernetes-list-type is set",
        ),
        # x-kubernetes-map-type on a non-object
        (
            {"type": "string", "x-kubernetes-map-type": "atomic"},
            '.type: Invalid value: "string": must be object if x-kubernetes-map-type is specified',
        ),
    ],
)
def test_list_and_map_type_extensions(prop: Obj, expected: str) -> None:
    assert f"{ROOT}.properties[foo]{expected}" in schema_errors(
        {"type": "object", "properties": {"foo": prop}}
    )


def test_allowed_list_type_map() -> None:
    # "allowed schema with list type extension map"
    prop = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        },
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["a"],
    }
    assert schema_errors({"type": "object", "properties": {"foo": prop}}) == []


def test_metadata_at_the_root_only_name_and_generate_name() -> None:
    # "v1.15 era tests for metadata defaults" / TestValidateStructuralMetadataInvariants
    allowed = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^a"}}}
    assert schema_errors({"type": "object", "properties": {"metadata": allowed}}) == []
    more = {"type": "object", "properties": {"labels": {"type": "object"}}}
    assert schema_errors({"type": "object", "properties": {"metadata": more}}) == [
        f"{ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and "
        "generateName, "
        "but metadata is implicitly specified"
    ]


def test_top_level_metadata_default_forbidden() -> None:
    # "top-level metadata default"
    schema = {"type": "object", "properties": {"metadata": {"type": "object", "default": {"name": "x"}}}}
    assert schema_errors(schema) == [
        f"{ROOT}.properties[metadata].default: Forbidden: must not be set in top-level metadata"
    ]


def test_embedded_resource_rules() -> None:
    # "x-kubernetes-embedded-resource with pruning and empty properties", "... inside resource meta"
    embedded = {"type": "object", "x-kubernetes-embedded-resource": True}
    assert schema_errors({"type": "object", "properties": {"template": embedded}}) == [
        f"{ROOT}.properties[template].properties: Required value: must not be empty if "
        "x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"
    ]
    inside = {
        "type": "object",
        "properties": {"name": {**embedded, "x-kubernetes-preserve-unknown-fields": True}},
    }
    outer = {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"metadata": inside}}
    found = schema_errors({"type": "object", "properties": {"template": outer}})
    assert (
        f"{ROOT}.properties[template].properties[metadata].properties[name].x-kubernetes-embedded-resource: "
        "Forbidden: must not be used inside of resource meta"
    ) in found


def test_invalid_defaults() -> None:
    # "invalid defaults with enabled feature gate, structural schema"
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"x": {"type": "string"}}, "default": {"x": "ok", "y": 1}},
            "c": {"type": "object", "properties": {"foo": {"type": "string"}}, "default": {"foo": 42}},
            "d": {"type": "string", "pattern": "^abc$", "default": "bad"},
        },
    }
    assert schema_errors(schema) == [
        f'{ROOT}.properties[a].default: Invalid value: {{"x":"ok","y":1}}: must not have unknown fields',
        f'{ROOT}.properties[c].default.foo: Invalid value: "integer": foo in body must be of type string: '
        '"integer"',
        f"{ROOT}.properties[d].default: Invalid value: \"bad\":  in body should match '^abc$'",
    ]


def test_unique_items_forbidden_and_bad_patterns() -> None:
    schema = {
        "type": "object",
        "properties": {
            "u": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "p": {"type": "string", "pattern": "(?=a)"},
        },
    }
    assert schema_errors(schema) == [
        f'{ROOT}.properties[p].pattern: Invalid value: "(?=a)": must be a valid regular expression, but '
        "isn't: "
        "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
        f"{ROOT}.properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime "
        "complexity becomes quadratic",
    ]


def test_unsupported_keywords() -> None:
    # specStandardValidatorV3: $ref, definitions, patternProperties...
    schema = {
        "type": "object",
        "properties": {"a": {"type": "object", "$ref": "#/x", "patternProperties": {"^a": {}}}},
    }
    assert schema_errors(schema) == [
        f"{ROOT}.properties[a].patternProperties: Forbidden: patternProperties is not supported",
        f"{ROOT}.properties[a].$ref: Forbidden: $ref is not supported",
    ]


def test_validation_rules_are_shaped_not_compiled() -> None:
    # "x-kubernetes-validations should have valid reason and fieldPath"
    rules = [
        {"rule": "self.a > 0"},
        {"rule": " "},
        {"rule": "self.a > 0", "reason": "Wrong", "fieldPath": ".nope"},
    ]
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "x-kubernetes-validations": rules,
            }
        },
    }
    found = schema_errors(schema)
    rule = f"{SPEC}.x-kubernetes-validations"
    assert found == [
        f"{rule}[1].rule: Required value: rule is not specified",
        f'{rule}[2].reason: Unsupported value: "Wrong": supported values: "FieldValueDuplicate", '
        '"FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
        f'{rule}[2].fieldPath: Invalid value: ".nope": must be a valid path',
    ]


def test_selectable_fields() -> None:
    # TestSelectableFields
    crd = crds.ip_pool()
    crd["spec"]["versions"][0]["selectableFields"] = [
        {"jsonPath": ".spec.cidr"},
        {"jsonPath": ".spec.missing"},
        {"jsonPath": ".spec.allowedUses"},
        {"jsonPath": ".spec.cidr"},
    ]
    path = "spec.selectableFields"
    assert errors(crd) == [
        f'{path}[1].jsonPath: Invalid value: ".spec.missing": is an invalid path: does not refer to a valid '
        "field",
        f'{path}[2].jsonPath: Invalid value: ".spec.allowedUses": must point to a field of type string, '
        "boolean or "
        "integer. Enum string fields and strings with formats are allowed.",
        f'{path}[3].jsonPath: Duplicate value: ".spec.cidr"',
    ]


# -- updates: TestValidateCustomResourceDefinitionUpdate ---------------------------------------------


def established(crd: Obj) -> Obj:
    crd = copy.deepcopy(crd)
    crd["metadata"]["resourceVersion"] = "1"
    crd["status"]["conditions"] = [
        {
            "type": "Established",
            "status": "True",
            "reason": "InitialNamesAccepted",
            "lastTransitionTime": "2024-01-01T00:00:00Z",
        }
    ]
    definition_defaults(crd)
    return crd


def update_errors(new: Obj, old: Obj) -> list[str]:
    definition_defaults(new)
    return [str(e) for e in validate_definition_update(new, old)]


def test_group_and_plural_never_change() -> None:
    old = established(crds.ip_pool())
    new = copy.deepcopy(old)
    new["spec"]["group"] = "other.example.org"
    new["spec"]["names"]["plural"] = "pools"
    new["metadata"]["name"] = "pools.other.example.org"
    found = update_errors(new, old)
    assert 'spec.group: Invalid value: "other.example.org": field is immutable' in found
    assert 'spec.names.plural: Invalid value: "pools": field is immutable' in found


def test_scope_and_kind_fixed_once_established() -> None:
    # "changes-established" / "changes"
    old = established(crds.ip_pool())
    new = copy.deepcopy(old)
    new["spec"]["scope"] = "Namespaced"
    new["spec"]["names"].update(kind="Pool", listKind="PoolList")
    assert update_errors(new, old) == [
        'spec.scope: Invalid value: "Namespaced": field is immutable',
        'spec.names.kind: Invalid value: "Pool": field is immutable',
    ]
    old["status"]["conditions"] = []
    assert update_errors(copy.deepcopy(new), old) == []


def test_non_structural_schema_kept_when_already_stored() -> None:
    # "non-structural updates allowed if old object has non-structural schema" (a definition stored with
    # preserveUnknownFields, which v1 only keeps); "structural to non-structural updates not allowed"
    legacy = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"old": {"description": "x"}}}},
    }
    old = established(crds.definition("example.com", "widgets", "Widget", legacy))
    old["spec"]["preserveUnknownFields"] = True
    new = copy.deepcopy(old)
    schema_of(new)["properties"]["spec"]["properties"]["new"] = {"description": "no type either"}
    assert update_errors(new, old) == []
    structural = copy.deepcopy(old)
    schema_of(structural)["properties"]["spec"]["properties"]["old"]["type"] = "string"
    structural["spec"]["preserveUnknownFields"] = False
    new["spec"]["preserveUnknownFields"] = False
    assert update_errors(new, structural) == [
        f"{SPEC}.properties[new].type: Required value: must not be empty for specified object fields",
        f"{SPEC}.properties[old].type: Required value: must not be empty for specified object fields",
    ]


def test_status_update_checks_accepted_names() -> None:
    old = established(crds.ip_pool())
    new = copy.deepcopy(old)
    new["status"]["acceptedNames"] = {"plural": "IPPools", "kind": "IPPool"}
    found = [str(e) for e in validate_definition_status_update(new, old)]
    assert len(found) == 1
    assert found[0].startswith('status.acceptedNames.plural: Invalid value: "IPPools": a DNS-1035 label')
