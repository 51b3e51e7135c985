"""``pods/eviction`` against a live API server, through the official Python client: the budgets it
honours, its refusals (codes, messages, causes, ``Retry-After``), the pod's mark, and dryRun.

No disruption controller runs here: each test writes its budget's status itself, as the controller
would have."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.builders import pod
from tests.integration.conftest import Clients

SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
WOULD_VIOLATE = "Cannot evict pod as it would violate the pod's disruption budget."


def policy(k8s: Clients) -> client.PolicyV1Api:
    return client.PolicyV1Api(k8s.api)


def ready_pod(k8s: Clients, namespace: str, name: str, *, ready: bool = True) -> None:
    """A pod bound to a node, Running, and Ready (or not)."""
    k8s.core.create_namespaced_pod(namespace, pod(name, node="n1", labels={"app": "web"}))
    condition = {"type": "Ready", "status": "True" if ready else "False"}
    k8s.core.patch_namespaced_pod_status(
        name, namespace, {"status": {"phase": "Running", "conditions": [condition]}}
    )


def make_budget(k8s: Clients, namespace: str, name: str = "web-pdb", **spec: Any) -> None:
    body = {
        "metadata": {"name": name},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}, **spec},
    }
    policy(k8s).create_namespaced_pod_disruption_budget(namespace, body)


def set_budget_status(k8s: Clients, namespace: str, name: str = "web-pdb", **status: int) -> None:
    """What the disruption controller would write: observed at the budget's generation."""
    current = policy(k8s).read_namespaced_pod_disruption_budget(name, namespace)
    current.status = client.V1PodDisruptionBudgetStatus(
        observed_generation=current.metadata.generation,
        disruptions_allowed=status.get("allowed", 1),
        current_healthy=status.get("current", 2),
        desired_healthy=status.get("desired", 1),
        expected_pods=status.get("expected", 2),
    )
    policy(k8s).replace_namespaced_pod_disruption_budget_status(name, namespace, current)


def budget_status(k8s: Clients, namespace: str, name: str = "web-pdb") -> dict[str, Any]:
    response = policy(k8s).read_namespaced_pod_disruption_budget(name, namespace, _preload_content=False)
    status: dict[str, Any] = json.loads(response.data)["status"]
    return status


def evict(
    k8s: Clients, namespace: str, name: str, *, grace: int | None = 0, dry_run: str | None = None
) -> dict[str, Any]:
    eviction = client.V1Eviction(
        metadata=client.V1ObjectMeta(name=name, namespace=namespace),
        delete_options=client.V1DeleteOptions(grace_period_seconds=grace),
    )
    response = k8s.core.create_namespaced_pod_eviction(
        name, namespace, eviction, dry_run=dry_run, _preload_content=False
    )
    assert response.status == 201
    body: dict[str, Any] = json.loads(response.data)
    return body


def refused(k8s: Clients, namespace: str, name: str, **kw: Any) -> tuple[int, dict[str, Any], Any]:
    with pytest.raises(ApiException) as caught:
        evict(k8s, namespace, name, **kw)
    return caught.value.status, json.loads(caught.value.body), caught.value.headers


def exists(k8s: Clients, namespace: str, name: str) -> bool:
    try:
        k8s.core.read_namespaced_pod(name, namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise
        return False
    return True


def test_without_a_budget_the_pod_goes(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1")
    assert evict(k8s, namespace, "web-1") == SUCCESS
    assert not exists(k8s, namespace, "web-1")


def test_a_graceful_eviction_marks_the_pod_as_a_disruption_target(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1")
    evict(k8s, namespace, "web-1", grace=None)
    evicted = k8s.core.read_namespaced_pod("web-1", namespace)
    assert evicted.metadata.deletion_timestamp is not None
    assert evicted.metadata.deletion_grace_period_seconds == 30
    target = next(c for c in evicted.status.conditions if c.type == "DisruptionTarget")
    assert (target.status, target.reason, target.message) == (
        "True",
        "EvictionByEvictionAPI",
        "Eviction API: evicting",
    )
    assert target.last_transition_time is not None


def test_a_budget_allows_what_it_allows_and_no_more(k8s: Clients, namespace: str) -> None:
    for name in ("web-1", "web-2"):
        ready_pod(k8s, namespace, name)
    make_budget(k8s, namespace)
    set_budget_status(k8s, namespace, allowed=1, current=2, desired=1)

    assert evict(k8s, namespace, "web-1") == SUCCESS
    assert not exists(k8s, namespace, "web-1")
    status = budget_status(k8s, namespace)
    assert status["disruptionsAllowed"] == 0
    assert list(status["disruptedPods"]) == ["web-1"]
    condition = next(c for c in status["conditions"] if c["type"] == "DisruptionAllowed")
    assert (condition["status"], condition["reason"], condition["observedGeneration"]) == (
        "False",
        "InsufficientPods",
        1,
    )

    code, body, headers = refused(k8s, namespace, "web-2")
    assert code == 429
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": WOULD_VIOLATE,
        "reason": "TooManyRequests",
        "details": {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget web-pdb needs 1 healthy pods and has 2 currently",
                }
            ]
        },
        "code": 429,
    }
    assert "Retry-After" not in headers
    assert exists(k8s, namespace, "web-2")
    assert list(budget_status(k8s, namespace)["disruptedPods"]) == ["web-1"]


def test_a_budget_not_yet_processed_asks_to_retry_in_10_seconds(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1")
    make_budget(k8s, namespace)  # generation 1, observedGeneration 0: no controller has seen it
    code, body, headers = refused(k8s, namespace, "web-1")
    assert code == 429
    assert body["message"] == WOULD_VIOLATE
    assert body["details"] == {
        "causes": [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget web-pdb is still being processed by the server.",
            }
        ],
        "retryAfterSeconds": 10,
    }
    assert headers["Retry-After"] == "10"
    assert exists(k8s, namespace, "web-1")


def test_two_budgets_for_one_pod_are_a_500(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1")
    make_budget(k8s, namespace, "a")
    make_budget(k8s, namespace, "b", selector={})  # policy/v1: the empty selector selects every pod
    code, body, _ = refused(k8s, namespace, "web-1")
    assert code == 500
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
        "not support.",
        "code": 500,
    }
    assert exists(k8s, namespace, "web-1")


def test_a_pending_pod_goes_whatever_its_budget_says(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("web-1", node="n1", labels={"app": "web"}))
    make_budget(k8s, namespace)
    set_budget_status(k8s, namespace, allowed=0, current=0, desired=1)
    assert evict(k8s, namespace, "web-1") == SUCCESS
    assert not exists(k8s, namespace, "web-1")
    assert "disruptedPods" not in budget_status(k8s, namespace)


def test_an_unready_pod_of_a_met_budget_goes_without_using_an_allowance(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1", ready=False)
    make_budget(k8s, namespace)
    set_budget_status(k8s, namespace, allowed=0, current=1, desired=1)
    assert evict(k8s, namespace, "web-1") == SUCCESS
    assert not exists(k8s, namespace, "web-1")
    assert budget_status(k8s, namespace)["disruptionsAllowed"] == 0
    assert "disruptedPods" not in budget_status(k8s, namespace)


def test_an_unready_pod_goes_under_always_allow(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1", ready=False)
    make_budget(k8s, namespace, unhealthyPodEvictionPolicy="AlwaysAllow")  # not even processed yet
    assert evict(k8s, namespace, "web-1") == SUCCESS
    assert not exists(k8s, namespace, "web-1")


def test_a_dry_run_decides_and_writes_nothing(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1")
    make_budget(k8s, namespace)
    set_budget_status(k8s, namespace, allowed=1, current=2, desired=1)
    before = budget_status(k8s, namespace)
    assert evict(k8s, namespace, "web-1", grace=None, dry_run="All") == SUCCESS
    kept = k8s.core.read_namespaced_pod("web-1", namespace)
    assert kept.metadata.deletion_timestamp is None
    assert [c.type for c in kept.status.conditions] == ["Ready"]
    assert budget_status(k8s, namespace) == before
    set_budget_status(k8s, namespace, allowed=0, current=1, desired=1)
    code, _, _ = refused(k8s, namespace, "web-1", dry_run="All")
    assert code == 429  # a dry run is refused as the real one would be


def test_the_body_must_name_the_pod_of_the_url(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1")
    eviction = client.V1Eviction(metadata=client.V1ObjectMeta(name="web-2", namespace=namespace))
    with pytest.raises(ApiException) as caught:
        k8s.core.create_namespaced_pod_eviction("web-1", namespace, eviction, _preload_content=False)
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["message"] == "name in URL does not match name in Eviction object"
    assert exists(k8s, namespace, "web-1")


def test_a_missing_pod_is_404(k8s: Clients, namespace: str) -> None:
    code, body, _ = refused(k8s, namespace, "nope")
    assert code == 404
    assert body["message"] == 'pods "nope" not found'


def test_two_evictions_racing_for_the_last_allowance_get_one_each(k8s: Clients, namespace: str) -> None:
    """Both read an allowance of 1; one budget write wins, the other conflicts, reads the budget again
    and is refused."""
    for name in ("web-1", "web-2"):
        ready_pod(k8s, namespace, name)
    make_budget(k8s, namespace)
    set_budget_status(k8s, namespace, allowed=1, current=2, desired=1)

    def attempt(name: str) -> int:
        try:
            evict(k8s, namespace, name)
        except ApiException as exc:
            return int(exc.status)
        return 201

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(attempt, ["web-1", "web-2"]))
    assert codes == [201, 429]
    assert [exists(k8s, namespace, name) for name in ("web-1", "web-2")].count(True) == 1
    status = budget_status(k8s, namespace)
    assert status["disruptionsAllowed"] == 0
    assert len(status["disruptedPods"]) == 1


def test_preconditions_naming_another_version_of_the_pod_are_a_conflict(k8s: Clients, namespace: str) -> None:
    ready_pod(k8s, namespace, "web-1")
    current = k8s.core.read_namespaced_pod("web-1", namespace).metadata.resource_version
    eviction = client.V1Eviction(
        metadata=client.V1ObjectMeta(name="web-1", namespace=namespace),
        delete_options=client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version="1")),
    )
    with pytest.raises(ApiException) as caught:
        k8s.core.create_namespaced_pod_eviction("web-1", namespace, eviction, _preload_content=False)
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["message"] == (
        'Operation cannot be fulfilled on Pod "web-1": the ResourceVersion in the precondition (1) does not '
        f"match the ResourceVersion in record ({current}). The object might have been modified"
    )
    assert exists(k8s, namespace, "web-1")
    eviction.delete_options.preconditions.resource_version = current
    eviction.delete_options.grace_period_seconds = 0
    k8s.core.create_namespaced_pod_eviction("web-1", namespace, eviction, _preload_content=False)
    assert not exists(k8s, namespace, "web-1")
