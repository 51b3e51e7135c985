"""ObjectMeta and LabelSelector validation."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.apiserver.validation.selectors import converts, matches, validate_label_selector
from everynode.core import names
from everynode.core.types import Obj


def meta(**fields: Any) -> Obj:
    base: Obj = {"name": "web", "namespace": "shop", "uid": "u-1", "resourceVersion": "5", "generation": 1}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def create_errors(metadata: Obj, *, namespaced: bool = True) -> list[str]:
    return [
        str(e)
        for e in validate_object_meta(metadata, namespaced=namespaced, name_fn=names.name_is_dns_subdomain)
    ]


def test_valid_metadata() -> None:
    assert create_errors(meta(labels={"app": "web"}, annotations={"Example.com/Note": "x"})) == []


def test_generate_name_is_checked_as_a_prefix() -> None:
    assert create_errors(meta(name="web-x2b9z", generateName="web-")) == []
    (err,) = create_errors(meta(generateName="Web-"))
    assert err.startswith('metadata.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain')


def test_namespace_must_be_a_dns_label() -> None:
    (err,) = create_errors(meta(namespace="a.b"))
    assert err == 'metadata.namespace: Invalid value: "a.b": must not contain dots'


def test_cluster_scoped_objects_have_no_namespace() -> None:
    assert create_errors(meta(namespace="shop"), namespaced=False) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]


def test_negative_generation() -> None:
    assert create_errors(meta(generation=-1)) == [
        "metadata.generation: Invalid value: -1: must be greater than or equal to 0"
    ]


def test_labels_keys_and_values_are_reported_at_the_map() -> None:
    errs = create_errors(meta(labels={"ok": "-bad", "bad key": "ok"}))
    assert [e.split(": Invalid value: ")[0] for e in errs] == ["metadata.labels", "metadata.labels"]
    assert errs[0].startswith('metadata.labels: Invalid value: "-bad": a valid label must be an empty string')
    assert errs[1].startswith('metadata.labels: Invalid value: "bad key": name part must consist of')


def test_annotation_keys_ignore_case_and_report_the_original_key() -> None:
    assert create_errors(meta(annotations={"MyCompany.COM/Owner": "me"})) == []
    (err,) = create_errors(meta(annotations={"a b": "x"}))
    assert err.startswith('metadata.annotations: Invalid value: "a b": name part must consist of')


def test_annotations_may_total_256_kib() -> None:
    assert create_errors(meta(annotations={"k": "x" * (256 * 1024 - 1)})) == []
    assert create_errors(meta(annotations={"k": "x" * (256 * 1024)})) == [
        "metadata.annotations: Too long: may not be more than 262144 bytes"
    ]


def test_owner_reference_fields_are_reported_without_an_index() -> None:
    refs = [{"apiVersion": "apps/", "kind": "", "name": "", "uid": ""}]
    assert create_errors(meta(ownerReferences=refs)) == [
        'metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ]


def test_events_cannot_own_objects() -> None:
    refs = [{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "1"}]
    (err,) = create_errors(meta(ownerReferences=refs))
    assert err.startswith("metadata.ownerReferences: Invalid value: ")
    assert err.endswith(": /v1, Kind=Event is disallowed from being an owner")


def test_only_one_controller_reference() -> None:
    refs = [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "a", "uid": "1", "controller": True},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "b", "uid": "2", "controller": True},
    ]
    (err,) = create_errors(meta(ownerReferences=refs))
    assert err.endswith(
        ': Only one reference can have Controller set to true. Found "true" in references for '
        "DaemonSet/a and DaemonSet/b"
    )


@pytest.mark.parametrize(
    ("finalizers", "expected"),
    [
        (["kubernetes", "orphan", "example.com/cleanup"], []),
        (
            ["cleanup"],
            [
                'metadata.finalizers[0]: Invalid value: "cleanup": '
                "name is neither a standard finalizer name nor is it fully qualified"
            ],
        ),
        (
            ["orphan", "foregroundDeletion"],
            [
                'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: '
                "finalizer orphan and foregroundDeletion cannot be both set"
            ],
        ),
    ],
)
def test_finalizers(finalizers: list[str], expected: list[str]) -> None:
    assert create_errors(meta(finalizers=finalizers)) == expected


def update_errors(new: Obj, old: Obj) -> list[str]:
    return [str(e) for e in validate_object_meta_update(new, old)]


def test_metadata_update_may_change_labels_and_annotations() -> None:
    assert update_errors(meta(labels={"v": "2"}, annotations={"a": "b"}), meta()) == []


def test_no_new_finalizers_while_deleting() -> None:
    old = meta(deletionTimestamp="2025-01-01T00:00:00Z", finalizers=["example.com/a"])
    new = meta(deletionTimestamp="2025-01-01T00:00:00Z", finalizers=["example.com/a", "example.com/b"])
    assert update_errors(new, old) == [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, "
        'found new finalizers []string{"example.com/b"}'
    ]
    assert update_errors(meta(deletionTimestamp="2025-01-01T00:00:00Z"), old) == []


def test_deletion_fields_are_immutable_through_updates() -> None:
    errs = update_errors(
        meta(deletionTimestamp="2025-01-01T00:00:00Z", deletionGracePeriodSeconds=30), meta()
    )
    assert errs == [
        "metadata.deletionTimestamp: Invalid value: 2025-01-01 00:00:00 +0000 UTC: field is immutable",
        "metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable",
    ]


# -- selectors ------------------------------------------------------------------------------------


def selector_errors(selector: Any) -> list[str]:
    return [str(e) for e in validate_label_selector(selector, "spec.selector")]


def test_selector_values_must_be_label_values() -> None:
    selector = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front end"]}]}
    (err,) = selector_errors(selector)
    assert err.startswith(
        'spec.selector.matchExpressions[0].values[0]: Invalid value: "front end": a valid label'
    )
    assert not converts(selector)


def test_selector_keys_must_be_qualified_names() -> None:
    first, second = selector_errors({"matchExpressions": [{"key": "", "operator": "Exists"}]})
    assert first == 'spec.selector.matchExpressions[0].key: Invalid value: "": name part must be non-empty'
    assert second.startswith(
        'spec.selector.matchExpressions[0].key: Invalid value: "": name part must consist'
    )


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (None, {"app": "a"}, False),
        ({}, {}, True),
        ({"matchLabels": {"app": "a"}}, {"app": "a", "x": "y"}, True),
        ({"matchLabels": {"app": "a"}}, {"app": "b"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]}, {"app": "b"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {"app": "a"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {"app": ""}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {"app": ""}, False),
    ],
)
def test_matching(selector: Any, labels: dict[str, str], expected: bool) -> None:
    assert matches(selector, labels) is expected
