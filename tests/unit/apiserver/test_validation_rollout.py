"""everynode's rollout annotations on a DaemonSet: each value reads as its annotation says, or the
create (and update) is a 422 naming the annotation."""

from __future__ import annotations

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.core import rollout
from tests import builders


def daemonset_with(annotations: dict[str, str]) -> dict[str, object]:
    ds = builders.daemonset("agent", namespace="ns")
    ds["metadata"]["annotations"] = annotations
    kind_of("daemonsets").apply_defaults(ds)
    return ds


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (rollout.PARTITION, "3"),
        (rollout.PARTITION, "0"),
        (rollout.PARTITION, "30%"),
        (rollout.NODE_SELECTOR, "zone in (a,b),!canary"),
        (rollout.PAUSED, "true"),
        (rollout.PROGRESS_DEADLINE_SECONDS, "600"),
        (rollout.MAX_FAILED, "10%"),
        (rollout.AUTO_ROLLBACK, "false"),
        (rollout.WAVES, "topology.kubernetes.io/zone"),
        (rollout.WAVE_PAUSE_SECONDS, "0"),
        (rollout.READINESS_GATE, "true"),
    ],
)
def test_good_values_pass(annotation: str, value: str) -> None:
    assert kind_of("daemonsets").validate_create(daemonset_with({annotation: value})) == []


@pytest.mark.parametrize(
    ("annotation", "value", "reason"),
    [
        (rollout.PARTITION, "-1", "must be a non-negative integer or a percentage from 0% to 100%"),
        (rollout.PARTITION, "101%", "must be a non-negative integer or a percentage from 0% to 100%"),
        (rollout.PARTITION, "three", "must be a non-negative integer or a percentage from 0% to 100%"),
        (rollout.NODE_SELECTOR, "zone in (a", "must be a label selector"),
        (rollout.PAUSED, "yes", 'must be "true" or "false"'),
        (rollout.PROGRESS_DEADLINE_SECONDS, "0", "must be a positive whole number of seconds"),
        (rollout.MAX_FAILED, "1.5", "must be a non-negative integer or a percentage"),
        (rollout.AUTO_ROLLBACK, "True", 'must be "true" or "false"'),
        (rollout.WAVES, "not a key!", "must be a node label key"),
        (rollout.WAVE_PAUSE_SECONDS, "-5", "must be a non-negative whole number of seconds"),
        (rollout.READINESS_GATE, "1", 'must be "true" or "false"'),
    ],
)
def test_bad_values_are_refused_naming_the_annotation(annotation: str, value: str, reason: str) -> None:
    (error,) = kind_of("daemonsets").validate_create(daemonset_with({annotation: value}))
    assert error.field == f"metadata.annotations[{annotation}]"
    assert reason in str(error)
    assert f'Invalid value: "{value}"' in str(error)


def test_an_update_is_held_to_the_same_rules() -> None:
    old = daemonset_with({})
    old["metadata"] |= {"resourceVersion": "1", "uid": "u"}
    new = daemonset_with({rollout.PAUSED: "maybe"})
    new["metadata"] |= {"resourceVersion": "1", "uid": "u"}
    fields = [e.field for e in kind_of("daemonsets").validate_update(new, old)]
    assert fields == [f"metadata.annotations[{rollout.PAUSED}]"]


def test_other_annotations_are_not_read() -> None:
    assert kind_of("daemonsets").validate_create(daemonset_with({"rollout.example.com/paused": "x"})) == []
