"""When a node was last seen alive: only changes observed locally count, never the times they carry."""

from __future__ import annotations

import copy

from everynode.controllers.nodelifecycle.health import HealthTracker, heartbeat_changed
from everynode.core.clock import FakeClock
from tests.unit.controllers.nodelifecycle.helpers import (
    EPOCH_CREATED,
    healthy_conditions,
    lease,
    node,
    ready,
)


def tracker(start: float = 1000.0, *, wall: float = EPOCH_CREATED + 30.0) -> tuple[FakeClock, HealthTracker]:
    clock = FakeClock(start, wall_offset=wall - start)
    return clock, HealthTracker(clock)


def updated(obj: dict, **ready_fields: str) -> dict:
    new = copy.deepcopy(obj)
    new["status"]["conditions"][0].update(ready_fields)
    new["metadata"]["resourceVersion"] = str(int(obj["metadata"]["resourceVersion"]) + 1)
    return new


async def test_first_sight_of_a_reporting_node_is_a_sign_of_life() -> None:
    _, health = tracker()
    assert health.last_seen("node-1") is None
    health.node_added(node(conditions=healthy_conditions()))
    assert health.last_seen("node-1") == 1000.0
    assert len(health) == 1


async def test_a_node_that_never_reported_is_dated_from_its_creation() -> None:
    _, health = tracker(wall=EPOCH_CREATED + 30.0)
    health.node_added(node())
    assert health.last_seen("node-1") == 970.0


async def test_a_creation_time_in_the_future_counts_as_now() -> None:
    _, health = tracker(wall=EPOCH_CREATED - 300.0)  # our clock is behind the server's
    health.node_added(node())
    assert health.last_seen("node-1") == 1000.0


async def test_the_times_inside_the_objects_are_never_compared_with_ours() -> None:
    clock, health = tracker(wall=EPOCH_CREATED + 86400.0 * 365)  # a year after the heartbeats it carries
    obj = node(conditions=healthy_conditions())
    health.node_added(obj)
    await clock.advance(5)
    health.lease_added(lease(renew="1999-01-01T00:00:00.000000Z"))
    assert health.last_seen("node-1") == 1005.0


async def test_lease_renewals_count_only_when_renew_time_changes() -> None:
    clock, health = tracker()
    health.node_added(node(conditions=healthy_conditions()))
    first = lease(renew="2024-01-01T00:00:10.000000Z")
    health.lease_added(first)
    await clock.advance(10)
    same = lease(renew="2024-01-01T00:00:10.000000Z", version="2")  # e.g. only holderIdentity rewritten
    health.lease_updated(first, same)
    assert health.last_seen("node-1") == 1000.0
    await clock.advance(10)
    renewed = lease(renew="2024-01-01T00:00:20.000000Z", version="3")
    health.lease_updated(same, renewed)
    assert health.last_seen("node-1") == 1020.0


async def test_a_lease_seen_before_its_node_still_counts() -> None:
    clock, health = tracker()
    health.lease_added(lease())
    await clock.advance(3)
    assert health.last_seen("node-1") == 1000.0
    health.node_added(node(conditions=healthy_conditions()))
    assert health.last_seen("node-1") == 1003.0


async def test_ready_heartbeat_or_status_changes_are_signs_of_life() -> None:
    clock, health = tracker()
    obj = node(conditions=healthy_conditions())
    health.node_added(obj)
    await clock.advance(10)
    beat = updated(obj, lastHeartbeatTime="2024-01-01T00:00:20Z")
    health.node_updated(obj, beat)
    assert health.last_seen("node-1") == 1010.0
    await clock.advance(10)
    not_ready = updated(beat, status="False")
    health.node_updated(beat, not_ready)
    assert health.last_seen("node-1") == 1020.0


async def test_other_node_changes_are_not() -> None:
    clock, health = tracker()
    obj = node(conditions=healthy_conditions())
    health.node_added(obj)
    await clock.advance(10)
    relabelled = copy.deepcopy(obj)
    relabelled["metadata"]["labels"] = {"zone": "a"}
    relabelled["spec"]["taints"] = [{"key": "k", "effect": "NoSchedule"}]
    health.node_updated(obj, relabelled)
    assert health.last_seen("node-1") == 1000.0


async def test_our_own_unknown_write_is_not_a_sign_of_life() -> None:
    clock, health = tracker()
    obj = node(conditions=healthy_conditions())
    health.node_added(obj)
    await clock.advance(50)
    marked = updated(obj, status="Unknown", reason="NodeStatusUnknown")
    health.node_updated(obj, marked)
    assert health.last_seen("node-1") == 1000.0
    silent = node()
    never = node(conditions=[ready("Unknown", reason="NodeStatusNeverUpdated")], version="2")
    assert not heartbeat_changed(silent, never)


async def test_the_agent_writing_ready_again_is_a_sign_of_life() -> None:
    clock, health = tracker()
    marked = node(conditions=[ready("Unknown")])
    health.node_added(marked)
    await clock.advance(100)
    back = updated(marked, status="True")  # same heartbeat time (a coarse clock), status changed
    health.node_updated(marked, back)
    assert health.last_seen("node-1") == 1100.0
    assert heartbeat_changed(node(), node(conditions=[ready()]))


async def test_deleted_node_is_forgotten_but_a_deleted_lease_still_counts() -> None:
    clock, health = tracker()
    health.node_added(node(conditions=healthy_conditions()))
    await clock.advance(10)
    health.lease_added(lease())
    await clock.advance(10)
    health.lease_deleted(lease())
    assert health.last_seen("node-1") == 1010.0
    health.node_deleted(node())
    assert health.last_seen("node-1") is None
    assert len(health) == 0


async def test_an_update_for_a_node_never_added_starts_tracking_it() -> None:
    _, health = tracker()
    obj = node(conditions=healthy_conditions())
    health.node_updated(obj, updated(obj, status="True"))
    assert health.last_seen("node-1") == 1000.0
