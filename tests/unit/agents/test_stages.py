"""The stage model and loader: the shipped file, durations, selectors, and clear errors for bad files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from everynode.agents.paths import parse_path
from everynode.agents.stages import (
    Expression,
    StageError,
    default_stages,
    load_stages,
    parse_duration,
    parse_stages,
)

HEADER = "apiVersion: everynode.io/v1alpha1\nkind: StageSet\n"


def stage_file(stages: str) -> str:
    return HEADER + "stages:\n" + textwrap.dedent(stages).strip("\n") + "\n"


def problems(text: str) -> str:
    with pytest.raises(StageError) as caught:
        parse_stages(text, source="test.yaml")
    return str(caught.value)


def test_the_shipped_stage_set_loads_in_order() -> None:
    stages = default_stages()
    assert stages.name == "fast"
    assert stages.names() == [
        "node-initialize",
        "node-complete",
        "node-labels",
        "node-heartbeat",
        "pod-delete",
        "pod-stop",
        "pod-image-pull-backoff",
        "pod-image-pull-error",
        "pod-start-ready",
        "pod-start",
        "pod-ready",
        "pod-unready",
        "pod-fail",
    ]
    assert [s.name for s in stages.for_resource("Node")] == stages.names()[:4]
    heartbeat = stages.stages[3]
    assert (heartbeat.delay.duration, heartbeat.delay.jitter) == (300.0, 30.0)
    assert str(heartbeat.delay.since) == "status.conditions[type=Ready].lastHeartbeatTime"


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("500ms", 0.5),
        ("2s", 2.0),
        ("1m30s", 90.0),
        ("1.5h", 5400.0),
        ("0", 0.0),
        (" 3s ", 3.0),
        (7, 7.0),
        (0.25, 0.25),
        ("", None),
        ("3", None),  # a string needs a unit
        ("-1s", None),
        (-1, None),
        ("1x", None),
        ("s", None),
        (True, None),
        (None, None),
    ],
)
def test_durations(raw: object, seconds: float | None) -> None:
    assert parse_duration(raw) == seconds


def test_a_minimal_file_gets_defaults(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(stage_file("- {name: go, resource: Pod, next: {status: ready}}"))
    stages = load_stages(path)
    assert stages.name == "mine"  # from the file name when metadata.name is absent
    [stage] = stages.stages
    assert stage.selector == ()
    assert (stage.delay.duration, stage.delay.jitter, stage.delay.since) == (0.0, 0.0, None)
    assert stage.selects({})


def test_a_missing_file_is_a_stage_error(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="cannot read stage file"):
        load_stages(tmp_path / "absent.yaml")


def test_yaml_errors_name_the_source() -> None:
    assert problems("stages: [").startswith("test.yaml: not valid YAML")


def test_the_document_is_checked() -> None:
    text = problems("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nspec: {}\n")
    assert "document: spec: unknown field (allowed: apiVersion, kind, metadata, stages)" in text
    assert "document: stages: is required" in text
    assert "must be a non-empty list" in problems(HEADER + "stages: []\n")
    text = problems("apiVersion: v1\nkind: Stage\nstages: [{name: a, resource: Pod, next: {delete: true}}]\n")
    assert "document: apiVersion: must be everynode.io/v1alpha1 (got 'v1')" in text
    assert "document: kind: must be StageSet (got 'Stage')" in text


def test_every_problem_is_listed_with_its_place() -> None:
    text = problems(
        stage_file(
            """
            - name: a
              resource: Pod
              selector:
                matchExpressions:
                - {key: 'status..phase', operator: In, values: [Running]}
                - {key: status.phase, operator: Near, values: [Running]}
                - {key: status.phase, operator: In}
                - {key: status.phase, operator: Exists, values: [x]}
                - {key: 'status.conditions[type=Ready].status', operator: In, values: [True]}
                - {key: 'spec.containers[*].image', operator: Matches, values: ['(']}
              delay: {duration: 1x, jitter: soon, since: 'a[', later: 1s}
              next: {status: ready}
            - name: a
              resource: Service
              next: {status: ready}
            - name: c
              resource: Pod
              next: {status: node-ready}
            - name: d
              resource: Node
              next: {delete: true}
            - name: e
              resource: Pod
              next: {status: teleport}
            - name: f
              resource: Pod
              next: {status: ready, delete: true}
            - name: g
              resource: Pod
              next: {}
            - name: h
              resource: Node
              next: {status: node-ready, with: {capacity: {cpu: lots, pods: 110}, colour: blue}}
            - name: i
              resource: Pod
              next: {status: image-pull-error, with: {reason: Oops, images: '['}}
            - {resource: Pod}
            """
        )
    )
    lines = text.splitlines()
    assert all(line.startswith("test.yaml: ") for line in lines)
    expected = [
        "stages[0] (a): selector.matchExpressions[0].key: path 'status..phase': unexpected '.' at 7",
        "stages[0] (a): selector.matchExpressions[1].operator: must be one of In, NotIn, Exists,",
        "stages[0] (a): selector.matchExpressions[2].values: In needs a non-empty list of values",
        "stages[0] (a): selector.matchExpressions[3].values: must not be set for Exists",
        'stages[0] (a): selector.matchExpressions[4].values: must all be strings (quote YAML scalars: "True"',
        "stages[0] (a): selector.matchExpressions[5].values: '(' is not a regular expression",
        "stages[0] (a): delay.later: unknown field (allowed: duration, jitter, durationFrom, since)",
        "stages[1] (a): resource: must be one of Pod, Node (got 'Service')",
        "stages[2] (c): next.status: node-ready renders a Node, not a Pod",
        "stages[3] (d): next.delete: only pods can be deleted by a stage",
        "stages[4] (e): next.status: unknown renderer 'teleport' for Pod (known: running, ready,",
        "stages[5] (f): next: delete: true cannot be combined with status or with",
        "stages[6] (g): next: must set status (a renderer) or delete: true",
        "stages[7] (h): next.with: capacity: must be a mapping of strings to strings",
        "stages[7] (h): next.with: colour: unknown parameter of node-ready",
        "stages[8] (i): next.with: reason: must be one of ErrImagePull, ImagePullBackOff",
        "stages[8] (i): next.with: images: '[' is not a regular expression",
        "stages[9]: name: is required",
    ]
    for fragment in expected:
        assert any(fragment in line for line in lines), f"missing {fragment!r} in:\n{text}"


def test_delay_fields_are_checked_when_the_mapping_is_otherwise_right() -> None:
    text = problems(
        stage_file(
            "- {name: a, resource: Pod, next: {delete: true},"
            " delay: {duration: 1x, jitter: soon, since: 'a['}}"
        )
    )
    assert "delay.duration: '1x' is not a duration (e.g. 500ms, 2s, 1m30s, or seconds)" in text
    assert "delay.jitter: 'soon' is not a duration" in text
    assert "delay.since: path 'a[': '[' at 1 is never closed" in text


def test_duplicate_names_are_refused() -> None:
    text = problems(
        stage_file(
            """
            - {name: a, resource: Pod, next: {delete: true}}
            - {name: a, resource: Pod, next: {delete: true}}
            """
        )
    )
    assert "stages[1] (a): name: 'a' is used by an earlier stage" in text


def test_quantities_are_checked() -> None:
    text = problems(
        stage_file("- {name: n, resource: Node, next: {status: node-ready, with: {capacity: {cpu: lots}}}}")
    )
    assert "capacity: cpu: 'lots' is not a quantity" in text


@pytest.mark.parametrize(
    ("operator", "values", "on_present", "on_absent"),
    [
        ("In", ("Running",), True, False),
        ("In", ("Failed",), False, False),
        ("NotIn", ("Running",), False, True),
        ("NotIn", ("Failed",), True, True),
        ("Exists", (), True, False),
        ("DoesNotExist", (), False, True),
        ("Matches", ("^Run",), True, False),
        ("DoesNotMatch", ("^Run",), False, True),
    ],
)
def test_operators_on_a_value_and_on_nothing(
    operator: str, values: tuple[str, ...], on_present: bool, on_absent: bool
) -> None:
    expression = Expression(
        parse_path("status.phase"), operator, values, tuple(re.compile(v) for v in values)
    )
    assert expression.matches({"status": {"phase": "Running"}}) is on_present
    assert expression.matches({"status": {}}) is on_absent


def test_any_reached_value_counts() -> None:
    images = parse_path("spec.containers[*].image")
    pod = {"spec": {"containers": [{"image": "nginx"}, {"image": "foo:non-existent"}]}}
    assert Expression(images, "Matches", ("non-existent",), (re.compile("non-existent"),)).matches(pod)
    assert not Expression(images, "DoesNotMatch", ("non-existent",), (re.compile("non-existent"),)).matches(
        pod
    )
    assert Expression(images, "In", ("nginx",)).matches(pod)
    assert not Expression(images, "NotIn", ("nginx",)).matches(pod)
