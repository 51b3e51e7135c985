"""A PodDisruptionBudget's status from its pods, as upstream's disruption controller computes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.controllers.disruption.budget import DELETION_TIMEOUT, decide
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from tests.builders import owner_ref, pod

NOW = 1_800_000_000.0
STS = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "uid": "sts-uid"}}
DS = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "uid": "ds-uid"}}


def budget(generation: int = 2, status: Obj | None = None, **spec: Any) -> Obj:
    body = {"selector": {"matchLabels": {"app": "x"}}} | spec
    return {
        "metadata": {"name": "b", "namespace": "ns", "generation": generation},
        "spec": body,
        "status": status or {},
    }


def member(name: str, *, ready: bool = True, owner: Obj | None = None) -> Obj:
    obj = pod(name, namespace="ns", labels={"app": "x"}, owners=[owner_ref(owner)] if owner else None)
    obj["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": str(ready)}]}
    return obj


def scale(ref: Mapping[str, Any]) -> int | None:
    return 3 if ref.get("kind") == "StatefulSet" else None


def test_min_available_counts_the_selected_pods() -> None:
    pods = [member("a"), member("b"), member("c", ready=False), pod("other", namespace="ns")]
    decision = decide(budget(minAvailable=1), pods, scale, NOW)
    status = decision.status
    assert (status["expectedPods"], status["desiredHealthy"], status["currentHealthy"]) == (3, 1, 2)
    assert (status["disruptionsAllowed"], status["observedGeneration"]) == (1, 2)
    [condition] = status["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "DisruptionAllowed",
        "True",
        "SufficientPods",
    )


def test_max_unavailable_needs_the_controllers_scale() -> None:
    pods = [member("db-0", owner=STS), member("db-1", owner=STS)]
    status = decide(budget(maxUnavailable=1), pods, scale, NOW).status
    assert (status["expectedPods"], status["desiredHealthy"], status["disruptionsAllowed"]) == (3, 2, 0)
    assert status["conditions"][0]["reason"] == "InsufficientPods"
    status = decide(budget(maxUnavailable="50%"), pods, scale, NOW).status
    assert (status["desiredHealthy"], status["disruptionsAllowed"]) == (1, 1)  # 50% of 3 rounded up is 2


def test_a_daemonsets_pods_cannot_be_counted_for_max_unavailable_as_upstream() -> None:
    decision = decide(budget(maxUnavailable=1), [member("agent-x", owner=DS)], scale, NOW)
    assert decision.status["disruptionsAllowed"] == 0
    assert decision.status["conditions"][0]["reason"] == "SyncFailed"
    assert decision.status["conditions"][0]["message"] == 'found no controllers for pod "agent-x"'
    assert decision.events[0][:2] == ("Warning", "CalculateExpectedPodCountFailed")


def test_recently_evicted_pods_are_not_healthy_until_their_entry_lapses() -> None:
    evicted = {"a": format_time(NOW - 30)}
    decision = decide(
        budget(minAvailable=1, status={"disruptedPods": evicted}), [member("a"), member("b")], scale, NOW
    )
    assert (decision.status["currentHealthy"], decision.status["disruptionsAllowed"]) == (1, 0)
    assert decision.status["disruptedPods"] == evicted
    assert decision.recheck_after == DELETION_TIMEOUT - 30
    later = decide(
        budget(minAvailable=1, status={"disruptedPods": evicted}),
        [member("a"), member("b")],
        scale,
        NOW + 200,
    )
    assert (later.status["currentHealthy"], "disruptedPods" in later.status) == (2, False)


def test_no_pods_and_no_bounds_allow_nothing() -> None:
    decision = decide(budget(minAvailable=0), [], scale, NOW)
    assert decision.status["disruptionsAllowed"] == 0
    assert ("Normal", "NoPods", "No matching pods found") in decision.events
    assert decide(budget(), [member("a")], scale, NOW).status["disruptionsAllowed"] == 0


def test_the_condition_keeps_its_transition_time_while_it_holds() -> None:
    first = decide(budget(minAvailable=1), [member("a"), member("b")], scale, NOW).status
    again = decide(budget(minAvailable=1, status=first), [member("a"), member("b")], scale, NOW + 60).status
    assert again == first
