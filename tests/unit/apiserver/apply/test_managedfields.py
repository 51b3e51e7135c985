"""``managedFields`` entries and conflict errors: apimachinery's internal/managedfields_test.go and
conflict_test.go, and the helpers of the patch handler."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.apiserver.apply import manager_or_user_agent
from everynode.apiserver.apply.conflicts import ApplyConflict, describe
from everynode.apiserver.apply.fieldpath import field
from everynode.apiserver.apply.managedfields import ManagedFieldsError, ManagerKey, decode, encode, is_reset
from everynode.apiserver.apply.updater import Conflict


def entry(manager: str, operation: str, time: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": "v1"}
    if time is not None:
        out["time"] = time
    out["fieldsType"] = "FieldsV1"
    out["fieldsV1"] = {f"f:{manager}{operation}{time}": {}}
    out.update(extra)
    return out


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # TestSortEncodedManagedFields: appliers first, then oldest first (no time is oldest), then by name
        (
            [entry("a", "Apply"), entry("a", "Update", "2001-01-01T01:00:00Z")],
            [entry("a", "Apply"), entry("a", "Update", "2001-01-01T01:00:00Z")],
        ),
        (
            [entry("a", "Apply", "2001-01-01T01:00:00Z"), entry("b", "Apply"), entry("c", "Apply")],
            [entry("b", "Apply"), entry("c", "Apply"), entry("a", "Apply", "2001-01-01T01:00:00Z")],
        ),
        (
            [entry("a", "Update", "2001-01-01T01:00:00Z"), entry("a", "Apply")],
            [entry("a", "Apply"), entry("a", "Update", "2001-01-01T01:00:00Z")],
        ),
        (
            [
                entry("c", "Update", "2001-01-01T01:00:00Z"),
                entry("a", "Apply"),
                entry("d", "Update", "2002-01-01T01:00:00Z"),
                entry("b", "Apply"),
            ],
            [
                entry("a", "Apply"),
                entry("b", "Apply"),
                entry("c", "Update", "2001-01-01T01:00:00Z"),
                entry("d", "Update", "2002-01-01T01:00:00Z"),
            ],
        ),
    ],
)
def test_entries_sorted_as_upstream(given: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert encode(decode(given)) == expected


def test_round_trip_keeps_subresource_and_drops_nothing() -> None:
    # TestRoundTripManagedFields
    given = [
        {
            "manager": "foo",
            "operation": "Apply",
            "apiVersion": "v1",
            "time": "2001-02-03T04:05:06Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:replicas": {}}},
            "subresource": "scale",
        },
        {
            "manager": "foo",
            "operation": "Update",
            "apiVersion": "apps/v1",
            "time": "2001-02-03T04:05:07Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}},
        },
    ]
    assert encode(decode(given)) == given
    assert encode(decode(given, trusted=True)) == given
    assert encode(decode([])) is None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"manager": "a", "operation": "Patch", "apiVersion": "v1", "fieldsType": "FieldsV1"},
            "operation must be `Apply` or `Update`",
        ),
        ({"manager": "a", "operation": "Apply", "fieldsType": "FieldsV1"}, "apiVersion must not be empty"),
        (
            {"manager": "a", "operation": "Apply", "apiVersion": "v1"},
            "missing fieldsType in managed fields entry 0",
        ),
        (
            {"manager": "a", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV2"},
            'invalid fieldsType "FieldsV2" in managed fields entry 0',
        ),
    ],
)
def test_invalid_entries(bad: dict[str, Any], message: str) -> None:
    # TestHasOperation, TestHasAPIVersion, TestHasFieldsType
    with pytest.raises(ManagedFieldsError, match=message):
        decode([bad])


def test_reset_requests() -> None:
    assert is_reset([])
    assert is_reset([{}])
    assert not is_reset(None)
    assert not is_reset([{"manager": "a"}])


def test_manager_identifiers() -> None:
    # TestBuildManagerIdentifier
    assert (
        ManagerKey.of("foo", "Update", "v1").identifier()
        == '{"manager":"foo","operation":"Update","apiVersion":"v1"}'
    )
    assert ManagerKey.of("foo", "Apply", "v1").identifier() == '{"manager":"foo","operation":"Apply"}'
    assert ManagerKey.of("foo", "Apply", "v1", "scale").identifier() == (
        '{"manager":"foo","operation":"Apply","subresource":"scale"}'
    )


def test_conflict_errors() -> None:
    # TestNewConflictError (managers printed with their time when one is given)
    foo = ManagerKey.of("foo", "Update", "v1")
    assert describe(foo, "2001-02-03T04:05:06Z") == '"foo" using v1 at 2001-02-03T04:05:06Z'
    assert (
        describe(ManagerKey.of("foo", "Update", "v1", "scale")) == '"foo" with subresource "scale" using v1'
    )
    assert describe(ManagerKey.of("bar", "Apply", "")) == '"bar"'
    replicas = (field("spec"), field("replicas"))
    label = (field("metadata"), field("labels"), field("app"))
    error = ApplyConflict([Conflict(foo, replicas), Conflict(ManagerKey.of("bar", "Apply", ""), label)])
    assert error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": (
            'Apply failed with 2 conflicts: conflicts with "bar":\n- .metadata.labels.app\n'
            'conflicts with "foo" using v1:\n- .spec.replicas'
        ),
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "bar"',
                    "field": ".metadata.labels.app",
                },
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "foo" using v1',
                    "field": ".spec.replicas",
                },
            ]
        },
        "code": 409,
    }


@pytest.mark.parametrize(
    ("field_manager", "user_agent", "expected"),
    [
        ("kubectl-edit", "kubectl/v1.33.0 (linux/amd64) kubernetes/abc", "kubectl-edit"),
        (
            "",
            "kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/abc/system:serviceaccount",
            "kube-controller-manager",
        ),
        ("", "Python-urllib/3.11", "Python-urllib"),
        ("", "tab\there", "tabhere"),
        ("", "x" * 200, "x" * 128),
    ],
)
def test_manager_from_user_agent(field_manager: str, user_agent: str, expected: str) -> None:
    assert manager_or_user_agent(field_manager, user_agent) == expected
