"""What an eviction does with a pod and its PodDisruptionBudgets (upstream's ``EvictionREST``)."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.apiserver.registry import eviction
from everynode.apiserver.registry.eviction import decide
from everynode.apiserver.request.http import error_response
from everynode.core import errors
from everynode.core.types import Obj
from tests import builders

NOW = "2026-03-04T05:06:07Z"
EARLIER = "2026-01-01T00:00:00Z"
NS = "ns"


def running(
    name: str = "web-1",
    *,
    ready: bool = True,
    labels: dict[str, str] | None = None,
    phase: str = "Running",
    **kw: Any,
) -> Obj:
    """A bound pod of ``app: web``, Ready unless told otherwise."""
    return builders.pod(
        name,
        namespace=NS,
        node="n1",
        labels={"app": "web"} if labels is None else labels,
        phase=phase,
        conditions=[builders.condition("Ready", ready)],
        resource_version="7",
        **kw,
    )


def budget(
    name: str = "web-pdb",
    *,
    selector: Any = None,
    generation: int = 1,
    observed: int | None = 1,
    allowed: int = 1,
    current: int = 3,
    desired: int = 2,
    policy: str | None = None,
    namespace: str = NS,
    **status: Any,
) -> Obj:
    spec: Obj = {
        "minAvailable": 2,
        "selector": {"matchLabels": {"app": "web"}} if selector is None else selector,
    }
    if policy is not None:
        spec["unhealthyPodEvictionPolicy"] = policy
    body: Obj = {
        "disruptionsAllowed": allowed,
        "currentHealthy": current,
        "desiredHealthy": desired,
        "expectedPods": 3,
        **status,
    }
    if observed is not None:
        body["observedGeneration"] = observed
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace, "generation": generation, "resourceVersion": "3"},
        "spec": spec,
        "status": body,
    }


# -- pods the budgets do not guard ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "deleting", "pinned"),
    [
        ("Succeeded", False, False),
        ("Failed", False, False),
        ("Pending", False, True),  # it must not become ready between the read and the delete
        ("Running", True, False),
        ("Pending", True, False),
    ],
)
def test_pods_that_do_not_run_go_at_once_whatever_the_budget(
    phase: str, deleting: bool, pinned: bool
) -> None:
    pod = running(phase=phase, deleted=EARLIER if deleting else None)
    no_allowance = budget(allowed=0, observed=0)
    decision = decide(pod, [no_allowance, budget("other", allowed=0)], NOW)
    assert decision == eviction.Decision("delete", "pod-not-running", pin_resource_version=pinned)


def test_a_pod_no_budget_selects_goes_without_a_precondition() -> None:
    others = [budget(selector={"matchLabels": {"app": "db"}}), budget("elsewhere", namespace="other")]
    assert decide(running(), others, NOW) == eviction.Decision("delete", "no-budget")
    assert decide(running(), [], NOW) == eviction.Decision("delete", "no-budget")


@pytest.mark.parametrize(
    ("selector", "selects"),
    [
        ({}, True),  # policy/v1: an empty selector selects every pod
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Bogus", "values": ["web"]}]}, False),  # invalid
        ({"matchLabels": {"app": "-not a value-"}}, False),  # invalid
        ({"matchLabels": {"app": 5}}, False),  # not even the right type
    ],
)
def test_selectors(selector: Obj, selects: bool) -> None:
    assert eviction.matching_budgets(running(), [budget(selector=selector)]) == (
        [budget(selector=selector)] if selects else []
    )


def test_a_null_selector_selects_nothing() -> None:
    pdb = budget()
    del pdb["spec"]["selector"]
    assert eviction.matching_budgets(running(), [pdb]) == []
    assert decide(running(), [pdb], NOW).reason == "no-budget"


def test_more_than_one_budget_is_a_500_without_a_reason() -> None:
    decision = decide(running(), [budget("a"), budget("b", selector={})], NOW)
    assert decision.action == "refuse"
    assert decision.error is not None
    assert decision.error.code == 500
    assert decision.error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
        "not support.",
        "code": 500,
    }


# -- unready pods ---------------------------------------------------------------------------------


def test_an_unready_pod_goes_under_always_allow_without_touching_the_budget() -> None:
    pdb = budget(policy="AlwaysAllow", allowed=0, current=0, desired=2, observed=0)
    decision = decide(running(ready=False), [pdb], NOW)
    assert decision == eviction.Decision(
        "delete", "unhealthy-pod", pin_resource_version=True, budget_name="web-pdb"
    )


@pytest.mark.parametrize("policy", [None, "IfHealthyBudget"])
def test_an_unready_pod_goes_when_the_budget_is_met(policy: str | None) -> None:
    pdb = budget(policy=policy, allowed=0, current=2, desired=2)
    decision = decide(running(ready=False), [pdb], NOW)
    assert decision == eviction.Decision(
        "delete", "unhealthy-pod", pin_resource_version=True, budget_name="web-pdb"
    )


@pytest.mark.parametrize(("current", "desired"), [(1, 2), (0, 0), (3, 0)])
def test_an_unready_pod_of_an_unmet_or_empty_budget_is_checked_as_any_other(
    current: int, desired: int
) -> None:
    pdb = budget(allowed=0, current=current, desired=desired)
    decision = decide(running(ready=False), [pdb], NOW)
    assert decision.action == "refuse"
    assert decision.error is not None
    assert decision.error.code == 429


def test_an_unready_pod_of_an_unmet_budget_may_still_use_an_allowance() -> None:
    decision = decide(running(ready=False), [budget(allowed=1, current=1, desired=2)], NOW)
    assert decision.action == "decrement"


# -- checkAndDecrement ----------------------------------------------------------------------------


def test_a_budget_not_yet_processed_is_429_with_retry_after_10() -> None:
    fresh = budget(observed=None, allowed=0, current=0, desired=0)  # as created: observedGeneration 0
    decision = decide(running(), [fresh], NOW)
    assert decision.action == "refuse"
    assert decision.budget_name == "web-pdb"
    assert isinstance(decision.error, errors.TooManyRequests)
    assert decision.error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Cannot evict pod as it would violate the pod's disruption budget.",
        "reason": "TooManyRequests",
        "details": {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget web-pdb is still being processed by the server.",
                }
            ],
            "retryAfterSeconds": 10,
        },
        "code": 429,
    }


def test_a_budget_whose_generation_moved_on_is_still_being_processed() -> None:
    decision = decide(running(), [budget(generation=3, observed=2, allowed=5)], NOW)
    assert decision.error is not None
    assert decision.error.code == 429
    assert decision.error.details == {
        "causes": [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget web-pdb is still being processed by the server.",
            }
        ],
        "retryAfterSeconds": 10,
    }


def test_a_negative_allowance_is_403() -> None:
    decision = decide(running(), [budget(allowed=-1)], NOW)
    assert isinstance(decision.error, errors.Forbidden)
    assert decision.error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'poddisruptionbudget.policy "web-pdb" is forbidden: pdb disruptions allowed is negative',
        "reason": "Forbidden",
        "details": {"name": "web-pdb", "group": "policy", "kind": "poddisruptionbudget"},
        "code": 403,
    }


def test_too_many_unconfirmed_disruptions_is_403() -> None:
    disrupted = {f"p{i}": EARLIER for i in range(2001)}
    decision = decide(running(), [budget(allowed=5, disruptedPods=disrupted)], NOW)
    assert isinstance(decision.error, errors.Forbidden)
    assert decision.error.message == (
        'poddisruptionbudget.policy "web-pdb" is forbidden: '
        "DisruptedPods map too big - too many evictions not confirmed by PDB controller"
    )
    exactly = {f"p{i}": EARLIER for i in range(2000)}
    assert decide(running(), [budget(allowed=5, disruptedPods=exactly)], NOW).action == "decrement"


def test_no_allowance_is_429_without_retry_after() -> None:
    decision = decide(running(), [budget(allowed=0, current=2, desired=2)], NOW)
    assert isinstance(decision.error, errors.TooManyRequests)
    assert decision.error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Cannot evict pod as it would violate the pod's disruption budget.",
        "reason": "TooManyRequests",
        "details": {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget web-pdb needs 2 healthy pods and has 2 currently",
                }
            ]
        },
        "code": 429,
    }


def test_an_allowance_is_used_and_the_pod_recorded() -> None:
    pdb = budget(allowed=2, disruptedPods={"old": EARLIER})
    decision = decide(running(), [pdb], NOW)
    assert decision.action == "decrement"
    assert decision.reason == "budget-allows"
    assert decision.budget_name == "web-pdb"
    assert decision.budget is not None
    assert decision.budget["status"] == {
        **pdb["status"],
        "disruptionsAllowed": 1,
        "disruptedPods": {"old": EARLIER, "web-1": NOW},
    }
    assert decision.budget["metadata"]["resourceVersion"] == "3"  # written at the version read
    assert pdb["status"]["disruptionsAllowed"] == 2, "the budget given is not changed"
    assert pdb["status"]["disruptedPods"] == {"old": EARLIER}


def test_the_last_allowance_turns_the_condition_to_insufficient_pods() -> None:
    sufficient = {
        "type": "DisruptionAllowed",
        "status": "True",
        "observedGeneration": 1,
        "lastTransitionTime": EARLIER,
        "reason": "SufficientPods",
        "message": "",
    }
    other = {"type": "Other", "status": "True", "lastTransitionTime": EARLIER, "reason": "R", "message": "m"}
    pdb = budget(allowed=1, conditions=[other, sufficient])
    decision = decide(running(), [pdb], NOW)
    assert decision.budget is not None
    assert decision.budget["status"]["disruptionsAllowed"] == 0
    assert decision.budget["status"]["conditions"] == [
        other,
        {
            "type": "DisruptionAllowed",
            "status": "False",
            "observedGeneration": 1,
            "lastTransitionTime": NOW,
            "reason": "InsufficientPods",
            "message": "",
        },
    ]
    assert pdb["status"]["conditions"][1] == sufficient


def test_the_last_allowance_adds_the_condition_when_there_is_none() -> None:
    decision = decide(running(), [budget(allowed=1, observed=1)], NOW)
    assert decision.budget is not None
    assert decision.budget["status"]["conditions"] == [
        {
            "type": "DisruptionAllowed",
            "status": "False",
            "observedGeneration": 1,
            "lastTransitionTime": NOW,
            "reason": "InsufficientPods",
            "message": "",
        }
    ]


def test_an_already_false_condition_keeps_its_transition_time() -> None:
    insufficient = {
        "type": "DisruptionAllowed",
        "status": "False",
        "observedGeneration": 1,
        "lastTransitionTime": EARLIER,
        "reason": "SyncFailed",
        "message": "boom",
    }
    decision = decide(running(), [budget(allowed=1, conditions=[insufficient])], NOW)
    assert decision.budget is not None
    assert decision.budget["status"]["conditions"] == [
        {**insufficient, "reason": "InsufficientPods", "message": ""}
    ]


def test_the_condition_is_left_alone_while_allowances_remain() -> None:
    decision = decide(running(), [budget(allowed=3)], NOW)
    assert decision.budget is not None
    assert "conditions" not in decision.budget["status"]


def test_check_and_decrement_is_what_a_retry_after_a_conflict_runs() -> None:
    updated = eviction.check_and_decrement(budget(allowed=1), "web-9", NOW)
    assert updated["status"]["disruptedPods"] == {"web-9": NOW}
    with pytest.raises(errors.TooManyRequests):
        eviction.check_and_decrement(updated, "web-10", NOW)


# -- the pod's mark and its preconditions ---------------------------------------------------------


def test_the_disruption_target_condition_is_added() -> None:
    pod = running()
    marked = eviction.with_disruption_condition(pod, NOW)
    assert marked["status"]["conditions"] == [
        builders.condition("Ready", True),
        {
            "type": "DisruptionTarget",
            "status": "True",
            "lastTransitionTime": NOW,
            "reason": "EvictionByEvictionAPI",
            "message": "Eviction API: evicting",
        },
    ]
    assert pod["status"]["conditions"] == [builders.condition("Ready", True)], "the pod given is not changed"
    assert eviction.with_disruption_condition(marked, "2027-01-01T00:00:00Z") is marked


def test_an_existing_disruption_target_condition_is_replaced_in_place() -> None:
    earlier = {"type": "DisruptionTarget", "status": "False", "lastTransitionTime": EARLIER, "reason": "X"}
    pod = running()
    pod["status"]["conditions"] = [earlier, builders.condition("Ready", True)]
    marked = eviction.with_disruption_condition(pod, NOW)
    assert marked["status"]["conditions"][0] == {
        "type": "DisruptionTarget",
        "status": "True",
        "lastTransitionTime": NOW,
        "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting",
    }
    same_status = {**earlier, "status": "True"}
    pod["status"]["conditions"] = [same_status]
    kept = eviction.with_disruption_condition(pod, NOW)
    assert kept["status"]["conditions"][0]["lastTransitionTime"] == EARLIER


def test_a_pod_without_status_gets_one() -> None:
    pod = builders.pod("p", namespace=NS)
    assert (
        eviction.with_disruption_condition(pod, NOW)["status"]["conditions"][0]["type"] == "DisruptionTarget"
    )


def test_preconditions_that_name_another_pod_are_a_conflict() -> None:
    pod = running(uid="u1")
    assert eviction.precondition_conflict(pod, None, None) is None
    assert eviction.precondition_conflict(pod, "u1", "7") is None
    uid = eviction.precondition_conflict(pod, "u2", "7")
    assert uid is not None
    assert uid.message == (
        'Operation cannot be fulfilled on Pod "web-1": the UID in the precondition (u2) does not match '
        "the UID in record (u1). The object might have been deleted and then recreated"
    )
    assert uid.details == {"name": "web-1", "kind": "Pod"}
    version = eviction.precondition_conflict(pod, None, "6")
    assert version is not None
    assert version.message == (
        'Operation cannot be fulfilled on Pod "web-1": the ResourceVersion in the precondition (6) does not '
        "match the ResourceVersion in record (7). The object might have been modified"
    )


def test_a_suggested_delay_is_sent_as_retry_after() -> None:
    """Upstream's ``ErrorNegotiated`` adds the header for ``details.retryAfterSeconds`` > 0 only."""
    assert error_response(eviction.still_being_processed("web-pdb")).headers["Retry-After"] == "10"
    refusal = decide(running(), [budget(allowed=0)], NOW).error
    assert refusal is not None
    assert "Retry-After" not in error_response(refusal).headers
