"""The pure decisions: staleness, which conditions become Unknown, which taints a node carries."""

from __future__ import annotations

from everynode.controllers.nodelifecycle import decisions as d
from everynode.core.timestamps import format_time
from tests.unit.controllers.nodelifecycle.helpers import (
    CREATED,
    conditions_by_type,
    healthy_conditions,
    node,
    pressure,
    ready,
    taint_keys,
)

WALL = 1_700_000_000.0
STAMP = format_time(WALL)
UNREACHABLE = [
    ("node.kubernetes.io/unreachable", "NoSchedule"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
]
NOT_READY = [
    ("node.kubernetes.io/not-ready", "NoSchedule"),
    ("node.kubernetes.io/not-ready", "NoExecute"),
]
USER_TAINT = {"key": "example.com/dedicated", "value": "db", "effect": "NoSchedule"}


def stale(obj: d.Obj, last_seen: float, now: float) -> bool:
    return d.is_stale(obj, last_seen, now, grace_period=40.0, startup_grace_period=60.0)


# -- staleness -------------------------------------------------------------------------------------


def test_grace_expires_strictly_after_the_grace_period() -> None:
    reported = node(conditions=healthy_conditions())
    assert not stale(reported, 100.0, 140.0)
    assert stale(reported, 100.0, 140.001)


def test_a_node_that_never_reported_gets_the_startup_grace() -> None:
    silent = node()
    assert d.grace_for(silent, grace_period=40.0, startup_grace_period=60.0) == 60.0
    assert not stale(silent, 100.0, 150.0)
    assert stale(silent, 100.0, 160.5)


# -- conditions ------------------------------------------------------------------------------------


def test_stale_node_gets_every_node_condition_unknown_keeping_heartbeats_and_others() -> None:
    network = {"type": "NetworkUnavailable", "status": "False", "reason": "RouteCreated"}
    custom = {"type": "example.com/Custom", "status": "True"}
    obj = node(conditions=[*healthy_conditions(), network, custom])
    conditions = d.unknown_conditions(obj, WALL)
    assert conditions is not None
    by_type = {c["type"]: c for c in conditions}
    assert [c["type"] for c in conditions] == [c["type"] for c in obj["status"]["conditions"]]
    for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        assert by_type[kind]["status"] == "Unknown"
        assert by_type[kind]["reason"] == "NodeStatusUnknown"
        assert by_type[kind]["message"] == "Kubelet stopped posting node status."
        assert by_type[kind]["lastTransitionTime"] == STAMP
        assert by_type[kind]["lastHeartbeatTime"] == "2024-01-01T00:00:10Z"
    assert by_type["NetworkUnavailable"] == network
    assert by_type["example.com/Custom"] == custom
    assert conditions_by_type(obj)["Ready"]["status"] == "True", "the cached node must not be modified"


def test_conditions_already_unknown_are_not_rewritten() -> None:
    obj = node(
        conditions=[ready("Unknown"), *(pressure(k, "Unknown") for k in ("MemoryPressure", "DiskPressure"))]
    )
    obj["status"]["conditions"].append(pressure("PIDPressure", "Unknown"))
    assert d.unknown_conditions(obj, WALL) is None


def test_only_the_conditions_not_yet_unknown_move() -> None:
    obj = node(conditions=[ready("Unknown"), pressure("MemoryPressure"), pressure("DiskPressure", "Unknown")])
    obj["status"]["conditions"].append(pressure("PIDPressure"))
    conditions = d.unknown_conditions(obj, WALL)
    assert conditions is not None
    by_type = {c["type"]: c for c in conditions}
    assert by_type["Ready"] == obj["status"]["conditions"][0]  # untouched: keeps its transition time
    assert by_type["MemoryPressure"]["lastTransitionTime"] == STAMP
    assert by_type["DiskPressure"]["lastTransitionTime"] == "2024-01-01T00:00:05Z"


def test_never_reported_node_gets_never_updated_conditions() -> None:
    conditions = d.unknown_conditions(node(), WALL)
    assert conditions is not None
    assert [c["type"] for c in conditions] == ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]
    for entry in conditions:
        assert entry["status"] == "Unknown"
        assert entry["reason"] == "NodeStatusNeverUpdated"
        assert entry["message"] == "Kubelet never posted node status."
        assert entry["lastHeartbeatTime"] == CREATED
        assert entry["lastTransitionTime"] == STAMP


# -- taints ----------------------------------------------------------------------------------------


def test_ready_node_needs_no_taints() -> None:
    assert d.reconcile_taints(node(conditions=healthy_conditions()), WALL) is None
    assert d.reconcile_taints(node(conditions=healthy_conditions(), taints=[USER_TAINT]), WALL) is None


def test_unknown_means_both_unreachable_taints_and_only_no_execute_has_time_added() -> None:
    taints = d.reconcile_taints(node(conditions=[ready("Unknown")], taints=[USER_TAINT]), WALL)
    assert taints is not None
    assert taints[0] == USER_TAINT
    assert [(t["key"], t["effect"]) for t in taints[1:]] == UNREACHABLE
    assert "timeAdded" not in taints[1]
    assert taints[2]["timeAdded"] == STAMP


def test_false_means_both_not_ready_taints() -> None:
    taints = d.reconcile_taints(node(conditions=[ready("False")]), WALL)
    assert taints is not None
    assert [(t["key"], t["effect"]) for t in taints] == NOT_READY


def test_taints_already_right_are_left_alone() -> None:
    present = [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2023-01-01T00:00:00Z"},
    ]
    assert d.reconcile_taints(node(conditions=[ready("Unknown")], taints=present), WALL) is None


def test_one_missing_taint_is_added_and_the_present_one_keeps_its_time() -> None:
    present = [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2023-01-01T00:00:00Z"}
    ]
    taints = d.reconcile_taints(node(conditions=[ready("Unknown")], taints=present), WALL)
    assert taints == [present[0], {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]


def test_swap_not_ready_for_unreachable_and_back() -> None:
    not_ready = d.reconcile_taints(node(conditions=[ready("False")], taints=[USER_TAINT]), WALL)
    assert not_ready is not None
    swapped = d.reconcile_taints(node(conditions=[ready("Unknown")], taints=not_ready), WALL)
    assert swapped is not None
    assert [(t["key"], t["effect"]) for t in swapped] == [
        ("example.com/dedicated", "NoSchedule"),
        *UNREACHABLE,
    ]
    back = d.reconcile_taints(node(conditions=[ready("False")], taints=swapped), WALL)
    assert back is not None
    assert [(t["key"], t["effect"]) for t in back] == [("example.com/dedicated", "NoSchedule"), *NOT_READY]


def test_recovery_removes_only_the_controllers_taints() -> None:
    same_key_other_effect = {"key": "node.kubernetes.io/unreachable", "effect": "PreferNoSchedule"}
    present = [
        USER_TAINT,
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
        same_key_other_effect,
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": STAMP},
    ]
    assert d.reconcile_taints(node(conditions=healthy_conditions(), taints=present), WALL) == [
        USER_TAINT,
        same_key_other_effect,
    ]
    assert d.reconcile_taints(node(conditions=healthy_conditions(), taints=present[1:2]), WALL) == []


def test_a_node_without_ready_keeps_whatever_taints_it_has() -> None:
    registered = node(taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}])
    assert d.reconcile_taints(registered, WALL) is None


# -- the plan --------------------------------------------------------------------------------------


def plan_for(obj: d.Obj, now: float) -> d.Plan:
    return d.plan(obj, 100.0, now, WALL, grace_period=40.0, startup_grace_period=60.0)


def test_healthy_fresh_node_needs_nothing() -> None:
    assert plan_for(node(conditions=healthy_conditions()), 120.0) is d.NOTHING
    assert d.NOTHING.empty


def test_stale_node_plan_writes_conditions_and_the_taints_of_the_unknown_node() -> None:
    decided = plan_for(node(conditions=healthy_conditions(), taints=[USER_TAINT]), 141.0)
    assert decided.conditions is not None
    assert decided.taints is not None
    assert [(t["key"], t["effect"]) for t in decided.taints] == [
        ("example.com/dedicated", "NoSchedule"),
        *UNREACHABLE,
    ]


def test_stale_not_ready_node_swaps_to_unreachable() -> None:
    obj = node(conditions=[ready("False")])
    fresh = plan_for(obj, 120.0)
    assert fresh.conditions is None
    assert fresh.taints is not None
    obj["spec"]["taints"] = fresh.taints
    assert plan_for(obj, 120.0) is d.NOTHING
    expired = plan_for(obj, 141.0)
    assert expired.conditions is not None
    assert expired.taints is not None
    assert [(t["key"], t["effect"]) for t in expired.taints] == UNREACHABLE


def test_stale_node_already_marked_needs_nothing_more() -> None:
    obj = node(conditions=healthy_conditions())
    first = plan_for(obj, 141.0)
    assert first.conditions is not None
    assert first.taints is not None
    marked = d.with_taints(d.with_conditions(obj, first.conditions), first.taints)
    assert plan_for(marked, 500.0) is d.NOTHING
    assert taint_keys(marked) == UNREACHABLE


def test_with_taints_drops_an_empty_list_and_keeps_the_rest_of_spec() -> None:
    obj = node(taints=[USER_TAINT])
    obj["spec"]["podCIDR"] = "10.0.0.0/24"
    assert d.with_taints(obj, [])["spec"] == {"podCIDR": "10.0.0.0/24"}
    assert obj["spec"]["taints"] == [USER_TAINT]
