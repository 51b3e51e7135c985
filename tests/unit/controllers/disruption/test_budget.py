"""A PodDisruptionBudget's status from its pods and their controllers' scale, as upstream's disruption
controller computes it (``budget.decide``, pure; upstream's cases are named where they apply)."""

from __future__ import annotations

from typing import Any

from everynode.controllers.disruption.budget import (
    DELETION_TIMEOUT,
    RefKey,
    controllers_to_find,
    decide,
    needs_scale,
    ref_key,
)
from everynode.controllers.disruption.finders import Failed, Finding, Found
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from tests.builders import condition, owner_ref, pod

NOW = 1_800_000_000.0
STS = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "uid": "sts-uid"}}
DS = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "uid": "ds-uid"}}
RS_OLD = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "uid": "rs-1"}}
RS_NEW = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-2", "uid": "rs-2"}}


def budget(generation: int = 2, status: Obj | None = None, **spec: Any) -> Obj:
    body = {"selector": {"matchLabels": {"app": "x"}}} | spec
    return {
        "metadata": {"name": "b", "namespace": "ns", "generation": generation},
        "spec": body,
        "status": status or {},
    }


def member(name: str, *, ready: bool = True, owner: Obj | None = None, deleted: str | None = None) -> Obj:
    owners = [owner_ref(owner)] if owner else None
    return pod(
        name,
        namespace="ns",
        labels={"app": "x"},
        owners=owners,
        deleted=deleted,
        phase="Running",
        conditions=[condition("Ready", ready)],
    )


def found(owner: Obj, uid: str, replicas: int) -> dict[RefKey, Finding]:
    return {ref_key(owner_ref(owner)): Found(uid, replicas)}


def counts(status: Obj) -> tuple[int, int, int, int]:
    """upstream's VerifyPdbStatus order: disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods."""
    return (
        status["disruptionsAllowed"],
        status["currentHealthy"],
        status["desiredHealthy"],
        status["expectedPods"],
    )


def allowed_condition(status: Obj) -> Obj:
    (found_condition,) = [c for c in status["conditions"] if c["type"] == "DisruptionAllowed"]
    assert isinstance(found_condition, dict)
    return found_condition


def test_min_available_counts_the_selected_pods() -> None:
    """TestUnavailable: an integer minAvailable counts the selected pods, no controller needed."""
    pods = [member("a"), member("b"), member("c", ready=False), pod("other", namespace="ns")]
    decision = decide(budget(minAvailable=1), pods, {}, NOW)
    assert counts(decision.status) == (1, 2, 1, 3)
    assert decision.status["observedGeneration"] == 2
    condition_ = allowed_condition(decision.status)
    assert (condition_["status"], condition_["reason"], condition_["message"]) == (
        "True",
        "SufficientPods",
        "",
    )
    assert condition_["observedGeneration"] == 2


def test_max_unavailable_counts_the_controllers_scale() -> None:
    pods = [member("db-0", owner=STS), member("db-1", owner=STS)]
    decision = decide(budget(maxUnavailable=1), pods, found(STS, "sts-uid", 3), NOW)
    assert counts(decision.status) == (0, 2, 2, 3)
    assert allowed_condition(decision.status)["reason"] == "InsufficientPods"
    decision = decide(budget(maxUnavailable="50%"), pods, found(STS, "sts-uid", 3), NOW)
    assert counts(decision.status) == (1, 2, 1, 3)  # 50% of 3 rounded up is 2 unavailable


def test_a_deployments_pods_under_max_unavailable_one_allow_one_disruption() -> None:
    """calico-kube-controllers: maxUnavailable 1 over a 2-replica Deployment's pods."""
    pods = [member("web-1-a", owner=RS_OLD), member("web-1-b", owner=RS_OLD)]
    decision = decide(budget(maxUnavailable=1), pods, found(RS_OLD, "deploy-uid", 2), NOW)
    assert counts(decision.status) == (1, 2, 1, 2)
    assert allowed_condition(decision.status)["reason"] == "SufficientPods"
    assert decision.failure is None


def test_two_replicasets_of_one_deployment_count_its_replicas_once() -> None:
    """Mid-rollout: both ReplicaSets' pods lead to the one Deployment (the finding's uid)."""
    pods = [member("old-a", owner=RS_OLD), member("old-b", owner=RS_OLD), member("new-a", owner=RS_NEW)]
    findings = found(RS_OLD, "deploy-uid", 3) | found(RS_NEW, "deploy-uid", 3)
    assert counts(decide(budget(maxUnavailable=1), pods, findings, NOW).status) == (1, 3, 2, 3)


def test_percentage_min_available_rounds_up() -> None:
    """TestReplicaSet: 20% of a ReplicaSet of 10 is 2 desired, one pod there."""
    decision = decide(budget(minAvailable="20%"), [member("a", owner=RS_OLD)], found(RS_OLD, "rs-1", 10), NOW)
    assert counts(decision.status) == (0, 1, 2, 10)


def test_a_pod_whose_controller_is_not_found_fails_safe() -> None:
    mine = {"type": "Other", "status": "True", "reason": "Mine", "message": "", "lastTransitionTime": "t"}
    old = {
        "observedGeneration": 1,
        "disruptionsAllowed": 3,
        "currentHealthy": 4,
        "desiredHealthy": 1,
        "expectedPods": 4,
        "conditions": [mine],
    }
    decision = decide(budget(status=old, maxUnavailable=1), [member("web-1-a", owner=RS_OLD)], {}, NOW)
    status = decision.status
    assert (status["disruptionsAllowed"], status["observedGeneration"], status["expectedPods"]) == (0, 1, 4)
    other, allowed = status["conditions"]
    assert other == mine
    assert (allowed["status"], allowed["reason"], allowed["observedGeneration"]) == ("False", "SyncFailed", 1)
    assert allowed["message"] == 'found no controllers for pod "web-1-a"'
    assert decision.events == (
        (
            "Warning",
            "CalculateExpectedPodCountFailed",
            'Failed to calculate the number of expected pods: found no controllers for pod "web-1-a"',
        ),
    )
    assert decision.failure is not None
    assert not decision.failure.transient


def test_a_new_budget_that_fails_safe_is_not_marked_observed() -> None:
    """failSafe keeps status.observedGeneration (none yet): evictions are refused as "still being
    processed" until a sync succeeds."""
    failing = {ref_key(owner_ref(DS)): Failed("daemonsets.apps does not implement the scale subresource")}
    status = decide(
        budget(generation=1, maxUnavailable=1), [member("agent-x", owner=DS)], failing, NOW
    ).status
    assert "observedGeneration" not in status
    assert counts(status) == (0, 0, 0, 0)
    condition_ = allowed_condition(status)
    assert "observedGeneration" not in condition_
    assert condition_["message"] == "daemonsets.apps does not implement the scale subresource"


def test_a_transient_finder_failure_is_marked_for_retry() -> None:
    failing = {ref_key(owner_ref(RS_OLD)): Failed("connection refused", transient=True)}
    decision = decide(budget(maxUnavailable=1), [member("a", owner=RS_OLD)], failing, NOW)
    assert decision.failure is not None
    assert decision.failure.transient
    assert allowed_condition(decision.status)["message"] == "connection refused"


def test_unmanaged_pods_are_left_out_of_the_expected_count() -> None:
    """TestNakedPod / TestIntegerMaxUnavailable / TestStatusForUnmanagedPod: no sync error, an event."""
    decision = decide(budget(minAvailable="28%"), [member("naked")], {}, NOW)
    assert counts(decision.status) == (0, 1, 0, 0)
    assert allowed_condition(decision.status)["reason"] == "InsufficientPods"
    [(kind, reason, message)] = decision.events
    assert (kind, reason) == ("Warning", "UnmanagedPods")
    assert "app=x" in message
    assert "minAvailable" in message
    assert decide(budget(maxUnavailable=1), [member("naked")], {}, NOW).status["disruptionsAllowed"] == 0


def test_the_first_controller_reference_is_the_pods_controller() -> None:
    """TestMultipleControllers: a pod naming two controllers counts the first."""
    two = member("a")
    two["metadata"]["ownerReferences"] = [owner_ref(RS_OLD), owner_ref(RS_NEW)]
    pods = [two, member("b", owner=RS_OLD)]
    assert controllers_to_find(budget(minAvailable="1%"), pods) == [owner_ref(RS_OLD)]
    decision = decide(budget(minAvailable="1%"), pods, found(RS_OLD, "rs-1", 1), NOW)
    assert counts(decision.status) == (1, 2, 1, 1)


def test_which_budgets_need_their_controllers_scale() -> None:
    assert needs_scale(budget(maxUnavailable=0))
    assert needs_scale(budget(minAvailable="50%"))
    assert not needs_scale(budget(minAvailable=2))
    assert not needs_scale(budget())
    pods = [member("a", owner=RS_OLD), member("b", owner=RS_OLD), member("c"), member("d", owner=STS)]
    assert controllers_to_find(budget(minAvailable=2), pods) == []
    assert controllers_to_find(budget(maxUnavailable=1), pods) == [owner_ref(RS_OLD), owner_ref(STS)]


def test_invalid_selectors_fail_safe() -> None:
    """TestInvalidSelectors: an operator that does not exist."""
    bad = budget(minAvailable=3)
    bad["spec"]["selector"] = {"matchExpressions": [{"key": "foo", "operator": "illegal", "values": ["bar"]}]}
    decision = decide(bad, [member("a")], {}, NOW)
    assert decision.status["disruptionsAllowed"] == 0
    assert allowed_condition(decision.status)["reason"] == "SyncFailed"
    assert decision.events[0][:2] == ("Warning", "NoPods")


def test_an_empty_selector_selects_every_pod() -> None:
    """TestNoSelector."""
    everything = budget(minAvailable=3)
    everything["spec"]["selector"] = {}
    assert counts(decide(everything, [], {}, NOW).status) == (0, 0, 3, 0)
    unlabelled = pod("yo", namespace="ns", phase="Running", conditions=[condition("Ready")])
    assert counts(decide(everything, [unlabelled], {}, NOW).status) == (0, 1, 3, 1)


def test_recently_evicted_pods_are_not_healthy_until_their_entry_lapses() -> None:
    evicted = {"a": format_time(NOW - 30)}
    decision = decide(
        budget(minAvailable=1, status={"disruptedPods": evicted}), [member("a"), member("b")], {}, NOW
    )
    assert (decision.status["currentHealthy"], decision.status["disruptionsAllowed"]) == (1, 0)
    assert decision.status["disruptedPods"] == evicted
    assert decision.recheck_after == DELETION_TIMEOUT - 30
    later = decide(
        budget(minAvailable=1, status={"disruptedPods": evicted}), [member("a"), member("b")], {}, NOW + 200
    )
    assert (later.status["currentHealthy"], "disruptedPods" in later.status) == (2, False)


def test_update_disrupted_pods() -> None:
    """TestUpdateDisruptedPods: entries of deleting, expired and vanished pods are dropped."""
    entries = {
        "p1": format_time(NOW),
        "p2": format_time(NOW - 180),
        "p3": format_time(NOW - 60),
        "notthere": format_time(NOW),
    }
    pods = [member("p1", deleted=format_time(NOW)), member("p2"), member("p3")]
    decision = decide(budget(minAvailable=1, status={"disruptedPods": entries}), pods, {}, NOW)
    assert counts(decision.status) == (0, 1, 1, 3)
    assert decision.status["disruptedPods"] == {"p3": entries["p3"]}


def test_no_pods_and_no_bounds_allow_nothing() -> None:
    decision = decide(budget(minAvailable=0), [], {}, NOW)
    assert decision.status["disruptionsAllowed"] == 0
    assert ("Normal", "NoPods", "No matching pods found") in decision.events
    assert decide(budget(), [member("a")], {}, NOW).status["disruptionsAllowed"] == 0


def test_the_condition_keeps_its_transition_time_while_it_holds() -> None:
    first = decide(budget(minAvailable=1), [member("a"), member("b")], {}, NOW).status
    again = decide(budget(minAvailable=1, status=first), [member("a"), member("b")], {}, NOW + 60).status
    assert again == first
    flipped = decide(budget(minAvailable=2, status=first), [member("a"), member("b")], {}, NOW + 60).status
    assert allowed_condition(flipped)["lastTransitionTime"] == format_time(NOW + 60)


def test_keep_existing_conditions_during_sync() -> None:
    """TestKeepExistingPDBConditionDuringSync."""
    mine = {"type": "ExistingTestCondition", "status": "True", "reason": "Test", "message": "m"}
    status = decide(budget(minAvailable=3, status={"conditions": [mine]}), [], {}, NOW).status
    assert counts(status) == (0, 0, 3, 0)
    assert [c["type"] for c in status["conditions"]] == ["ExistingTestCondition", "DisruptionAllowed"]


def test_an_invalid_percentage_fails_safe() -> None:
    decision = decide(
        budget(maxUnavailable="half"), [member("a", owner=RS_OLD)], found(RS_OLD, "rs-1", 2), NOW
    )
    assert allowed_condition(decision.status)["reason"] == "SyncFailed"
    assert "half" in allowed_condition(decision.status)["message"]
