"""DaemonSet validation (reference §1.2): messages, paths and order, on create, update and status."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.core.types import Obj
from tests import builders

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
    "regex used for validation is '[0-9]+%')"
)
MISMATCH = "`selector` does not match template `labels`"


def daemonset(**spec: Any) -> Obj:
    """A defaulted, valid DaemonSet as the server holds it (metadata the server sets included)."""
    ds = builders.daemonset(
        "node-agent",
        namespace="kube-system",
        uid="6f1c0d1e-0000-4000-8000-000000000001",
        resource_version="17",
        created="2025-03-01T08:00:00Z",
        generation=1,
        match_labels={"app": "agent"},
        pod_labels={"app": "agent", "tier": "node"},
        containers=[builders.container("agent", image="registry.local/agent:2.1")],
        **spec,
    )
    kind_of("daemonsets").apply_defaults(ds)
    return ds


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in errs]


def with_changes(ds: Obj, path: str, value: Any) -> Obj:
    """A copy with ``value`` at a dotted ``path`` (``None`` removes the field)."""
    changed = copy.deepcopy(ds)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return changed


def test_a_defaulted_daemonset_is_valid() -> None:
    assert kind_of("daemonsets").validate_create(daemonset()) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("metadata.name", "Agent", [f'metadata.name: Invalid value: "Agent": {SUBDOMAIN_MSG}']),
        ("metadata.name", None, ["metadata.name: Required value: name or generateName is required"]),
        ("metadata.namespace", None, ["metadata.namespace: Required value"]),
        (
            "spec.selector",
            None,
            [
                "spec.template.metadata.labels: Invalid value: "
                'map[string]string{"app":"agent", "tier":"node"}: ' + MISMATCH
            ],
        ),
        (
            "spec.selector",
            {"matchLabels": {"app": "collector"}},
            [
                "spec.template.metadata.labels: Invalid value: "
                'map[string]string{"app":"agent", "tier":"node"}: ' + MISMATCH
            ],
        ),
        (
            "spec.selector",
            {},
            [
                "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
                "MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for daemonset"
            ],
        ),
        (
            "spec.selector",
            {"matchExpressions": [{"key": "app", "operator": "In"}]},
            [
                "spec.selector.matchExpressions[0].values: Required value: "
                "must be specified when `operator` is 'In' or 'NotIn'"
            ],
        ),
        (
            "spec.selector",
            {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["agent"]}]},
            [
                "spec.selector.matchExpressions[0].values: Forbidden: "
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            ],
        ),
        (
            "spec.selector",
            {"matchExpressions": [{"key": "app", "operator": "Near", "values": ["agent"]}]},
            [
                'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector '
                "operator"
            ],
        ),
        ("spec.template.spec.containers", [], ["spec.template.spec.containers: Required value"]),
        (
            "spec.template.spec.restartPolicy",
            "OnFailure",
            ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
        ),
        (
            "spec.template.spec.restartPolicy",
            "Never",
            ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
        ),
        (
            "spec.template.spec.activeDeadlineSeconds",
            600,
            [
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet "
                "is not Supported"
            ],
        ),
        (
            "spec.minReadySeconds",
            -1,
            ["spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            "spec.revisionHistoryLimit",
            -1,
            ["spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            "spec.template.spec.ephemeralContainers",
            [
                {
                    "name": "debug",
                    "image": "busybox",
                    "imagePullPolicy": "Always",
                    "terminationMessagePolicy": "File",
                }
            ],
            [
                "spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in "
                "pod template"
            ],
        ),
    ],
)
def test_create_rejects(path: str, value: Any, expected: list[str]) -> None:
    assert messages(kind_of("daemonsets").validate_create(with_changes(daemonset(), path, value))) == expected


def test_a_selector_that_does_not_convert_is_not_also_reported_as_a_mismatch() -> None:
    ds = with_changes(daemonset(), "spec.selector", {"matchLabels": {"Bad=Key": "agent"}})
    errs = kind_of("daemonsets").validate_create(ds)
    assert [e.field for e in errs] == ["spec.selector.matchLabels"]


def test_template_label_problems_are_reported_at_spec_template_labels() -> None:
    ds = with_changes(daemonset(), "spec.template.metadata.labels", {"app": "agent", "bad key": "x"})
    assert [e.field for e in kind_of("daemonsets").validate_create(ds)] == ["spec.template.labels"]


RU = "spec.updateStrategy.rollingUpdate"


@pytest.mark.parametrize(
    ("rolling_update", "expected"),
    [
        ({"maxUnavailable": 1, "maxSurge": 0}, []),
        ({"maxUnavailable": "25%", "maxSurge": 0}, []),
        ({"maxUnavailable": 0, "maxSurge": 2}, []),
        ({"maxUnavailable": 0, "maxSurge": "100%"}, []),
        (
            {"maxUnavailable": -1, "maxSurge": 0},
            [f"{RU}.maxUnavailable: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            {"maxUnavailable": "abc", "maxSurge": 0},
            [
                f'{RU}.maxUnavailable: Invalid value: "abc": {PERCENT_MSG}',
                f"{RU}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
            ],
        ),
        (
            {"maxUnavailable": "101%", "maxSurge": 0},
            [f"{RU}.maxUnavailable: Invalid value: 101%: must not be greater than 100%"],
        ),
        (
            {"maxUnavailable": 0, "maxSurge": "150%"},
            [f"{RU}.maxSurge: Invalid value: 150%: must not be greater than 100%"],
        ),
        (
            {"maxUnavailable": 1, "maxSurge": 1},
            [f"{RU}.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"],
        ),
        (
            {"maxUnavailable": "10%", "maxSurge": "20%"},
            [f"{RU}.maxSurge: Invalid value: 20%: may not be set when maxUnavailable is non-zero"],
        ),
        (
            {"maxUnavailable": 0, "maxSurge": 0},
            [f"{RU}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"],
        ),
        (
            {"maxUnavailable": "0%", "maxSurge": 0},
            [f"{RU}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"],
        ),
    ],
)
def test_rolling_update_rules(rolling_update: Obj, expected: list[str]) -> None:
    ds = daemonset(updateStrategy={"type": "RollingUpdate", "rollingUpdate": rolling_update})
    assert messages(kind_of("daemonsets").validate_create(ds)) == expected


def test_writing_only_max_surge_is_rejected_because_max_unavailable_defaults_to_one() -> None:
    ds = daemonset(updateStrategy={"rollingUpdate": {"maxSurge": 1}})
    assert messages(kind_of("daemonsets").validate_create(ds)) == [
        f"{RU}.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"
    ]


def test_on_delete_ignores_rolling_update() -> None:
    ds = daemonset(
        updateStrategy={"type": "OnDelete", "rollingUpdate": {"maxUnavailable": -5, "maxSurge": 3}}
    )
    assert kind_of("daemonsets").validate_create(ds) == []


def test_an_unknown_strategy_is_reported_whole_at_update_strategy() -> None:
    ds = with_changes(daemonset(), "spec.updateStrategy", {"type": "Random"})
    (err,) = kind_of("daemonsets").validate_create(ds)
    assert err.field == "spec.updateStrategy"
    assert err.reason == "FieldValueNotSupported"
    assert err.message == (
        'Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Random", '
        'RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"'
    )


def test_rolling_update_without_its_parameters_is_required() -> None:
    ds = with_changes(daemonset(), "spec.updateStrategy", {"type": "RollingUpdate"})
    assert messages(kind_of("daemonsets").validate_create(ds)) == [f"{RU}: Required value"]


def test_revision_history_limit_zero_is_valid() -> None:
    assert kind_of("daemonsets").validate_create(daemonset(revisionHistoryLimit=0)) == []


def test_host_network_templates_may_leave_host_ports_unset_but_not_mismatch_them() -> None:
    ports = [{"containerPort": 9100, "protocol": "TCP"}]
    ds = daemonset()
    ds["spec"]["template"]["spec"]["hostNetwork"] = True
    ds["spec"]["template"]["spec"]["containers"][0]["ports"] = ports
    assert kind_of("daemonsets").validate_create(ds) == []
    ports[0]["hostPort"] = 9200
    assert messages(kind_of("daemonsets").validate_create(ds)) == [
        "spec.template.spec.containers[0].ports[0].hostPort: Invalid value: 9200: "
        "must match `containerPort` when `hostNetwork` is true"
    ]


def test_errors_come_in_upstream_order() -> None:
    ds = daemonset(minReadySeconds=-1, revisionHistoryLimit=-2)
    ds["metadata"]["name"] = "Agent"
    ds["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    ds["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    ds["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 10
    ds["spec"]["updateStrategy"]["rollingUpdate"] = {"maxUnavailable": 0, "maxSurge": 0}
    assert [e.field for e in kind_of("daemonsets").validate_create(ds)] == [
        "metadata.name",
        "spec.template.metadata.labels",
        "spec.template.spec.restartPolicy",
        "spec.template.spec.activeDeadlineSeconds",
        "spec.minReadySeconds",
        f"{RU}.maxUnavailable",
        "spec.revisionHistoryLimit",
    ]


def test_cause_reasons_match_the_error_types() -> None:
    ds = with_changes(daemonset(), "spec.template.spec.restartPolicy", "Never")
    (err,) = kind_of("daemonsets").validate_create(ds)
    assert err.cause() == {
        "reason": "FieldValueNotSupported",
        "field": "spec.template.spec.restartPolicy",
        "message": 'Unsupported value: "Never": supported values: "Always"',
    }


# -- update ---------------------------------------------------------------------------------------


def test_update_may_change_the_template_and_the_strategy() -> None:
    old = daemonset()
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.local/agent:2.2"
    new["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
    new["spec"]["updateStrategy"] = {"type": "OnDelete"}
    assert kind_of("daemonsets").validate_update(new, old) == []


def test_update_accepts_a_semantically_equal_template() -> None:
    old = daemonset()
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["imagePullSecrets"] = []
    assert kind_of("daemonsets").validate_update(new, old) == []


def test_selector_is_immutable() -> None:
    old = daemonset()
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "agent", "tier": "node"}}
    assert messages(kind_of("daemonsets").validate_update(new, old)) == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: agent,tier: node,},"
        "MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable"
    ]


def test_a_selector_spelled_differently_but_equal_is_not_a_change() -> None:
    old = daemonset()
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchExpressions"] = []
    assert kind_of("daemonsets").validate_update(new, old) == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "node-agent-2", 'metadata.name: Invalid value: "node-agent-2": field is immutable'),
        ("namespace", "default", 'metadata.namespace: Invalid value: "default": field is immutable'),
        ("uid", "other", 'metadata.uid: Invalid value: "other": field is immutable'),
        (
            "creationTimestamp",
            "2025-03-02T08:00:00Z",
            "metadata.creationTimestamp: Invalid value: 2025-03-02 08:00:00 +0000 UTC: field is immutable",
        ),
        (
            "resourceVersion",
            "",
            'metadata.resourceVersion: Invalid value: "": must be specified for an update',
        ),
        ("generation", 0, "metadata.generation: Invalid value: 0: must not be decremented"),
    ],
)
def test_update_protects_identity_metadata(field: str, value: Any, expected: str) -> None:
    old = daemonset()
    new = copy.deepcopy(old)
    new["metadata"][field] = value
    assert expected in messages(kind_of("daemonsets").validate_update(new, old))


def test_update_reports_each_problem_once() -> None:
    old = daemonset()
    new = with_changes(old, "spec.template.spec.containers", [])
    assert messages(kind_of("daemonsets").validate_update(new, old)) == [
        "spec.template.spec.containers: Required value"
    ]


def test_update_keeps_invalid_selector_values_the_old_object_already_had() -> None:
    selector = {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["not a label value"]}]}
    old = daemonset(selector=selector)
    new = copy.deepcopy(old)
    new["spec"]["minReadySeconds"] = 5
    assert kind_of("daemonsets").validate_update(new, old) == []
    assert [e.field for e in kind_of("daemonsets").validate_create(old)] == [
        "spec.selector.matchExpressions[0].values[0]"
    ]


# -- status ---------------------------------------------------------------------------------------


def with_status(**status: Any) -> Obj:
    ds = daemonset()
    ds["status"] = {
        "currentNumberScheduled": 2,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 2,
        "numberReady": 1,
    }
    ds["status"].update(status)
    return ds


def test_status_update_accepts_progress() -> None:
    old = with_status()
    new = with_status(numberReady=2, numberAvailable=2, updatedNumberScheduled=2, observedGeneration=1)
    assert kind_of("daemonsets").validate_status_update(new, old) == []


@pytest.mark.parametrize(
    "counter",
    [
        "currentNumberScheduled",
        "numberMisscheduled",
        "desiredNumberScheduled",
        "numberReady",
        "observedGeneration",
        "updatedNumberScheduled",
        "numberAvailable",
        "numberUnavailable",
        "collisionCount",
    ],
)
def test_status_counters_may_not_be_negative(counter: str) -> None:
    errs = kind_of("daemonsets").validate_status_update(with_status(**{counter: -3}), with_status())
    assert messages(errs) == [f"status.{counter}: Invalid value: -3: must be greater than or equal to 0"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, 1, []),
        (2, 2, []),
        (2, 3, []),
        (2, 1, ["status.collisionCount: Invalid value: 1: cannot be decremented"]),
        (2, None, ["status.collisionCount: Invalid value: 0: cannot be decremented"]),
    ],
)
def test_collision_count_cannot_be_decremented(old: int | None, new: int | None, expected: list[str]) -> None:
    before, after = with_status(), with_status()
    if old is not None:
        before["status"]["collisionCount"] = old
    if new is not None:
        after["status"]["collisionCount"] = new
    assert messages(kind_of("daemonsets").validate_status_update(after, before)) == expected


def test_status_update_checks_metadata_too() -> None:
    old = with_status()
    new = with_status()
    new["metadata"]["name"] = "renamed"
    assert messages(kind_of("daemonsets").validate_status_update(new, old)) == [
        'metadata.name: Invalid value: "renamed": field is immutable'
    ]
