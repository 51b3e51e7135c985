"""Scaling and history cleanup, case by case from upstream's ``sync_test.go`` (TestScale,
TestDeploymentController_cleanupDeployment, TestDeploymentController_cleanupDeploymentOrder)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.annotations import set_replicas_annotations
from everynode.controllers.deployment.controller import Sync
from everynode.controllers.deployment.fenceposts import max_surge
from everynode.controllers.deployment.history import to_delete
from everynode.controllers.deployment.scaling import is_scaling_event, proportion, round_half_away, scale
from everynode.core.types import Obj
from tests.unit.controllers.deployment.harness import Harness, at, new_deployment, rs, rs_with_status

NEW, OLD, OLDER = at(7200), at(3600), at(0)


def updated_template(replicas: int) -> Obj:
    deployment = new_deployment("foo", replicas, selector={"foo": "bar"})
    deployment["spec"]["template"]["metadata"]["labels"]["another"] = "label"
    return deployment


def with_available(made: Obj, available: int) -> Obj:
    made["status"] = {"availableReplicas": available}
    return made


@dataclass
class ScaleCase:
    name: str
    deployment: Obj
    old_deployment: Obj
    new_rs: Obj | None
    old_rss: list[Obj]
    expected_new: int | None
    expected_old: list[int]
    wasnt_updated: set[str] = field(default_factory=set)
    desired_annotations: dict[str, int] = field(default_factory=dict)


def d(replicas: int, surge: int | None = None, unavailable: int | None = None) -> Obj:
    return new_deployment("foo", replicas, max_surge=surge, max_unavailable=unavailable)


SCALE_CASES = [
    ScaleCase("normal scaling event: 10 -> 12", d(12), d(10), rs("foo-v1", 10, None, NEW), [], 12, []),
    ScaleCase("normal scaling event: 10 -> 5", d(5), d(10), rs("foo-v1", 10, None, NEW), [], 5, []),
    ScaleCase(
        "proportional scaling: 5 -> 10",
        d(10),
        d(5),
        rs("foo-v2", 2, None, NEW),
        [rs("foo-v1", 3, None, OLD)],
        4,
        [6],
    ),
    ScaleCase(
        "proportional scaling: 5 -> 3",
        d(3),
        d(5),
        rs("foo-v2", 2, None, NEW),
        [rs("foo-v1", 3, None, OLD)],
        1,
        [2],
    ),
    ScaleCase(
        "proportional scaling: 9 -> 4",
        d(4),
        d(9),
        rs("foo-v2", 8, None, NEW),
        [rs("foo-v1", 1, None, OLD)],
        4,
        [0],
    ),
    ScaleCase(
        "proportional scaling: 7 -> 10",
        d(10),
        d(7),
        rs("foo-v3", 2, None, NEW),
        [rs("foo-v2", 3, None, OLD), rs("foo-v1", 2, None, OLDER)],
        3,
        [4, 3],
    ),
    ScaleCase(
        "proportional scaling: 13 -> 8",
        d(8),
        d(13),
        rs("foo-v3", 2, None, NEW),
        [rs("foo-v2", 8, None, OLD), rs("foo-v1", 3, None, OLDER)],
        1,
        [5, 2],
    ),
    ScaleCase(  # scales up the new replica set
        "leftover distribution: 3 -> 4",
        d(4),
        d(3),
        rs("foo-v3", 1, None, NEW),
        [rs("foo-v2", 1, None, OLD), rs("foo-v1", 1, None, OLDER)],
        2,
        [1, 1],
    ),
    ScaleCase(  # scales down the older replica set
        "leftover distribution: 3 -> 2",
        d(2),
        d(3),
        rs("foo-v3", 1, None, NEW),
        [rs("foo-v2", 1, None, OLD), rs("foo-v1", 1, None, OLDER)],
        1,
        [1, 0],
    ),
    ScaleCase(  # scales up the latest replica set first
        "proportional scaling (no new rs): 4 -> 5",
        d(5),
        d(4),
        None,
        [rs("foo-v2", 2, None, OLD), rs("foo-v1", 2, None, OLDER)],
        None,
        [3, 2],
    ),
    ScaleCase(  # scales down to zero
        "proportional scaling: 6 -> 0",
        d(0),
        d(6),
        rs("foo-v3", 3, None, NEW),
        [rs("foo-v2", 2, None, OLD), rs("foo-v1", 1, None, OLDER)],
        0,
        [0, 0],
    ),
    ScaleCase(  # scales up from zero
        "proportional scaling: 0 -> 6",
        d(6),
        d(6),
        rs("foo-v3", 0, None, NEW),
        [rs("foo-v2", 0, None, OLD), rs("foo-v1", 0, None, OLDER)],
        6,
        [0, 0],
        {"foo-v2", "foo-v1"},
    ),
    # deployment.spec.replicas == 3 (1 each), scaled to 5: foo-v3 and foo-v2 should grow by one but
    # foo-v2 failed to update (its desired-replicas annotation still says 3)
    ScaleCase(
        "failed rs update",
        d(5),
        d(5),
        rs("foo-v3", 2, None, NEW),
        [rs("foo-v2", 1, None, OLD), rs("foo-v1", 1, None, OLDER)],
        2,
        [2, 1],
        {"foo-v3", "foo-v1"},
        {"foo-v2": 3},
    ),
    ScaleCase(
        "deployment with surge pods",
        d(20, 2),
        d(10, 2),
        rs("foo-v2", 6, None, NEW),
        [rs("foo-v1", 6, None, OLD)],
        11,
        [11],
    ),
    ScaleCase(
        "change both surge and size",
        d(50, 6),
        d(10, 3),
        rs("foo-v2", 5, None, NEW),
        [rs("foo-v1", 8, None, OLD)],
        22,
        [34],
    ),
    ScaleCase(
        "change both size and template",
        updated_template(14),
        new_deployment("foo", 10, selector={"foo": "bar"}),
        None,
        [rs("foo-v2", 7, None, NEW), rs("foo-v1", 3, None, OLD)],
        None,
        [10, 4],
    ),
    ScaleCase(
        "saturated but broken new replica set does not affect old pods",
        d(2, 1, 1),
        d(2, 1, 1),
        with_available(rs("foo-v2", 2, None, NEW), 0),
        [rs("foo-v1", 1, None, OLD)],
        2,
        [1],
    ),
]


@pytest.mark.parametrize("case", SCALE_CASES, ids=[c.name for c in SCALE_CASES])
async def test_scale(case: ScaleCase) -> None:
    """TestScale: the sizes the update actions carry, ignoring those of ``wasnt_updated``."""
    old_replicas = case.old_deployment["spec"]["replicas"]
    for made in [case.new_rs, *case.old_rss]:
        if made is None:
            continue
        desired = case.desired_annotations.get(made["metadata"]["name"], old_replicas)
        set_replicas_annotations(made, desired, desired + max_surge(case.old_deployment))
    harness = Harness()
    harness.add(case.deployment)
    await Sync(harness.controller, case.deployment).carry_out(
        scale(case.deployment, case.new_rs, case.old_rss)
    )
    sizes = {
        made["metadata"]["name"]: made["spec"]["replicas"] for made in [case.new_rs, *case.old_rss] if made
    }
    for action in harness.api.of("update"):
        if action.obj["metadata"]["name"] not in case.wasnt_updated:
            sizes[action.obj["metadata"]["name"]] = action.obj["spec"]["replicas"]
    if case.new_rs is not None and case.expected_new is not None:
        assert sizes[case.new_rs["metadata"]["name"]] == case.expected_new
    assert [sizes[made["metadata"]["name"]] for made in case.old_rss] == case.expected_old


def test_scaling_event_is_a_desired_replicas_annotation_that_differs() -> None:
    """isScalingEvent: only active ReplicaSets with a readable annotation count."""
    deployment = d(5)
    annotated = rs("a", 2, annotations={keys.DESIRED_REPLICAS: "5"})
    assert not is_scaling_event(deployment, [annotated, None])
    assert is_scaling_event(deployment, [rs("b", 1, annotations={keys.DESIRED_REPLICAS: "4"})])
    assert not is_scaling_event(deployment, [rs("c", 0, annotations={keys.DESIRED_REPLICAS: "4"})])
    assert not is_scaling_event(deployment, [rs("e", 1, annotations={keys.DESIRED_REPLICAS: "many"})])


def test_proportion_stays_within_what_is_left() -> None:
    """GetProportion: never more than is left to add (or remove); rounding halves away from zero."""
    deployment = d(10)
    made = rs("a", 5, annotations={keys.MAX_REPLICAS: "5"})
    assert proportion(made, deployment, 5, 0) == 5
    assert proportion(made, deployment, 5, 3) == 2
    assert proportion(None, deployment, 5, 0) == 0
    assert proportion(made, deployment, 5, 5) == 0
    assert (round_half_away(2.5), round_half_away(-2.5), round_half_away(2.4)) == (3, -3, 2)


CLEANUP_CASES = [
    ([rs_with_status("foo-1", 0, 0), rs_with_status("foo-2", 0, 0), rs_with_status("foo-3", 0, 0)], 1, 2),
    # only the replica set with spec.replicas = status.replicas = 0 goes
    (
        [
            rs_with_status("foo-1", 0, 0),
            rs_with_status("foo-2", 0, 1),
            rs_with_status("foo-3", 1, 0),
            rs_with_status("foo-4", 1, 1),
        ],
        0,
        1,
    ),
    ([rs_with_status("foo-1", 0, 0), rs_with_status("foo-2", 0, 0)], 0, 2),
    ([rs_with_status("foo-1", 1, 1), rs_with_status("foo-2", 1, 1)], 0, 0),
    ([{**rs_with_status("foo-1", 0, 0), "metadata": {"name": "foo-1", "deletionTimestamp": at(0)}}], 0, 0),
    # with unlimited revisionHistoryLimit
    (
        [rs_with_status("foo-1", 0, 0), rs_with_status("foo-2", 0, 0), rs_with_status("foo-3", 0, 0)],
        keys.MAX_INT32,
        0,
    ),
]


@pytest.mark.parametrize(("old", "limit", "deletions"), CLEANUP_CASES)
async def test_cleanup_deployment(old: list[Obj], limit: int, deletions: int) -> None:
    """TestDeploymentController_cleanupDeployment."""
    harness = Harness()
    deployment = new_deployment("foo", 1, revision_history_limit=limit)
    harness.add(deployment)
    await Sync(harness.controller, deployment).cleanup(old)
    assert len(harness.api.of("delete")) == deletions


def by_revision(name: str, replicas: int, created: str, revision: str) -> Obj:
    return rs(
        name,
        replicas,
        None,
        created,
        annotations={keys.REVISION: revision} if revision else None,
        status={"replicas": replicas},
    )


@pytest.mark.parametrize(
    ("old", "limit", "deleted"),
    [
        # revision order: rs1 < rs2, delete rs1
        ([by_revision("foo-1", 0, at(-60), "1"), by_revision("foo-2", 0, at(0), "2")], 1, {"foo-1"}),
        # revision order: rs2 < rs1, delete rs2
        ([by_revision("foo-1", 0, at(-60), "2"), by_revision("foo-2", 0, at(0), "1")], 1, {"foo-2"}),
        # rs1 has a revision but rs2 doesn't: delete rs2
        ([by_revision("foo-1", 0, at(-60), "1"), by_revision("foo-2", 0, at(0), "")], 1, {"foo-2"}),
        # rs1 doesn't have a revision while rs2 has: delete rs1
        ([by_revision("foo-1", 0, at(-60), ""), by_revision("foo-2", 0, at(0), "2")], 1, {"foo-1"}),
        # revision order rs1 < rs2 < rs3, but rs1 has replicas: delete rs2
        (
            [
                by_revision("foo-1", 1, at(-60), "1"),
                by_revision("foo-2", 0, at(0), "2"),
                by_revision("foo-3", 0, at(60), "3"),
            ],
            1,
            {"foo-2"},
        ),
        # both rs1 and rs2 have replicas: nothing
        (
            [
                by_revision("foo-1", 1, at(-60), "1"),
                by_revision("foo-2", 1, at(0), "2"),
                by_revision("foo-3", 0, at(60), "3"),
            ],
            1,
            set(),
        ),
        # revision order rs2 < rs4 < rs1 < rs3: delete rs2 and rs4
        (
            [
                by_revision("foo-1", 0, at(-60), "3"),
                by_revision("foo-2", 0, at(0), "1"),
                by_revision("foo-3", 0, at(60), "4"),
                by_revision("foo-4", 0, at(120), "2"),
            ],
            2,
            {"foo-2", "foo-4"},
        ),
    ],
)
def test_cleanup_deployment_order(old: list[Obj], limit: int, deleted: set[str]) -> None:
    """TestDeploymentController_cleanupDeploymentOrder."""
    deployment = new_deployment("foo", 1, revision_history_limit=limit)
    assert {made["metadata"]["name"] for made in to_delete(old, deployment)} == deleted


def test_cleanup_waits_for_the_replica_set_controller_to_observe_the_spec() -> None:
    stale = rs("foo-1", 0, status={"replicas": 0, "observedGeneration": 1}, generation=2)
    assert to_delete([stale], new_deployment("foo", 1, revision_history_limit=0)) == []
