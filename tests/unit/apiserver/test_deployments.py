"""Deployments and ReplicaSets as served: upstream's defaults, validation and table columns."""

from __future__ import annotations

from everynode.apiserver.defaults.deployment import deployment_defaults, replicaset_defaults
from everynode.apiserver.tables.replicated import DEPLOYMENTS, REPLICASETS
from everynode.apiserver.validation.replicated import (
    validate_deployment,
    validate_deployment_update,
    validate_replicaset,
)
from everynode.core.types import Obj
from tests.builders import container
from tests.unit.apiserver.tablerows import cells, columns


def deployment(**spec: object) -> Obj:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container("web")]}}
    body = {"selector": {"matchLabels": {"app": "web"}}, "template": template} | spec
    return {"metadata": {"name": "web", "namespace": "ns"}, "spec": body}


def defaulted(obj: Obj) -> Obj:
    deployment_defaults(obj)
    return obj


def messages(errors: list[object]) -> list[str]:
    return [str(error) for error in errors]


def test_defaults_are_upstreams() -> None:
    spec = defaulted(deployment())["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    recreate = defaulted(deployment(strategy={"type": "Recreate"}))["spec"]["strategy"]
    assert recreate == {"type": "Recreate"}
    replicaset = deployment()
    replicaset_defaults(replicaset)
    assert replicaset["spec"]["replicas"] == 1
    assert "strategy" not in replicaset["spec"]


def test_a_valid_deployment_passes_and_the_rules_say_upstreams_words() -> None:
    assert validate_deployment(defaulted(deployment())) == []
    mismatched = defaulted(deployment(selector={"matchLabels": {"app": "other"}}))
    assert messages(validate_deployment(mismatched)) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"
    ]
    both_zero = defaulted(
        deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}})
    )
    assert messages(validate_deployment(both_zero)) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
    ]
    recreate = defaulted(deployment(strategy={"type": "Recreate", "rollingUpdate": {}}))
    assert messages(validate_deployment(recreate)) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]
    slow = defaulted(deployment(minReadySeconds=700))
    assert messages(validate_deployment(slow)) == [
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"
    ]
    assert (
        "spec.replicas: Invalid value: -1"
        in messages(validate_deployment(defaulted(deployment(replicas=-1))))[0]
    )


def test_the_selector_is_required_and_immutable() -> None:
    no_selector = deployment()
    del no_selector["spec"]["selector"]
    assert messages(validate_replicaset(no_selector))[0] == "spec.selector: Required value"
    old, new = defaulted(deployment()), defaulted(deployment())
    new["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "x"}}
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    assert any(
        "spec.selector: Invalid value" in m and "field is immutable" in m
        for m in messages(validate_deployment_update(new, old))
    )


def test_tables_have_upstreams_columns() -> None:
    assert [c[0] for c in columns(DEPLOYMENTS)] == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]
    obj = defaulted(deployment(replicas=3))
    obj["metadata"]["creationTimestamp"] = "2024-05-01T11:00:00Z"
    obj["status"] = {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
    assert cells(DEPLOYMENTS, obj)[:5] == ["web", "2/3", 3, 2, "60m"]
    assert [c[0] for c in columns(REPLICASETS)][:5] == ["Name", "Desired", "Current", "Ready", "Age"]
