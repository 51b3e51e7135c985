"""Admission: upstream's Priority and ServiceAccount plugins, as pure functions over a lookup."""

from __future__ import annotations

import pytest

from everynode.apiserver.admission import priority, serviceaccount
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj
from tests.builders import pod


class Lookup:
    def __init__(self, *objects: tuple[ResourceInfo, Obj]) -> None:
        self.objects = objects

    def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj | None:
        for kind, obj in self.objects:
            meta = obj["metadata"]
            if kind is info and meta["name"] == name and meta.get("namespace") == namespace:
                return obj
        return None

    def list(self, info: ResourceInfo) -> list[Obj]:
        return [obj for kind, obj in self.objects if kind is info]


def priority_class(name: str, value: int, **fields: object) -> tuple[ResourceInfo, Obj]:
    return r.PRIORITY_CLASSES, {"metadata": {"name": name}, "value": value, **fields}


SYSTEM = Lookup(
    *(priority_class(name, value) for name, (value, _) in wellknown.SYSTEM_PRIORITY_CLASSES.items())
)


def admitted(obj: Obj, lookup: Lookup = SYSTEM) -> Obj:
    priority.admit_pod(obj, None, lookup)
    return obj


def test_a_pod_without_a_class_gets_priority_zero() -> None:
    spec = admitted(pod("p", namespace="ns"))["spec"]
    assert (spec["priority"], spec["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert "priorityClassName" not in spec


def test_a_system_class_resolves_to_its_value() -> None:
    spec = admitted(pod("p", namespace="ns", priorityClassName="system-node-critical"))["spec"]
    assert spec["priority"] == 2000001000


def test_a_stored_class_gives_its_value_and_policy() -> None:
    lookup = Lookup(priority_class("agents", 1000, preemptionPolicy="Never"))
    spec = admitted(pod("p", namespace="ns", priorityClassName="agents"), lookup)["spec"]
    assert (spec["priority"], spec["preemptionPolicy"]) == (1000, "Never")


def test_the_global_default_class_applies_to_pods_without_one() -> None:
    lookup = Lookup(priority_class("low", 10, globalDefault=True), priority_class("high", 99))
    spec = admitted(pod("p", namespace="ns"), lookup)["spec"]
    assert (spec["priorityClassName"], spec["priority"]) == ("low", 10)


def test_an_unknown_class_is_forbidden() -> None:
    with pytest.raises(errors.Forbidden) as refused:
        admitted(pod("web", namespace="ns", priorityClassName="nope"))
    assert refused.value.message == 'pods "web" is forbidden: no PriorityClass with name nope was found'


def test_a_pod_may_not_set_a_priority_other_than_its_class_gives() -> None:
    with pytest.raises(errors.Forbidden, match=r"the integer value of priority \(7\) must not be provided"):
        admitted(pod("web", namespace="ns", priority=7))
    assert admitted(pod("web", namespace="ns", priority=0))["spec"]["priority"] == 0


def test_an_update_keeps_the_priority_it_had() -> None:
    old = admitted(pod("web", namespace="ns", priorityClassName="system-node-critical"))
    new = pod("web", namespace="ns", priorityClassName="system-node-critical")
    priority.admit_pod(new, old, SYSTEM)
    assert new["spec"]["priority"] == 2000001000


def test_only_one_priority_class_may_be_the_global_default() -> None:
    lookup = Lookup(priority_class("first", 1, globalDefault=True))
    second = {"metadata": {"name": "second"}, "value": 2, "globalDefault": True}
    with pytest.raises(errors.Forbidden) as refused:
        priority.admit_priority_class(second, None, lookup)
    assert refused.value.message == (
        'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already '
        "marked as default. Only one default can exist"
    )
    first_again = {"metadata": {"name": "first"}, "value": 5, "globalDefault": True}
    priority.admit_priority_class(first_again, None, lookup)  # the default itself may be updated


def test_a_pod_runs_as_default_unless_it_names_an_account() -> None:
    spec = pod("p", namespace="ns")
    serviceaccount.admit_pod(spec, None, Lookup())
    assert (spec["spec"]["serviceAccountName"], spec["spec"]["serviceAccount"]) == ("default", "default")


def test_a_pod_naming_a_missing_account_is_forbidden() -> None:
    with pytest.raises(errors.Forbidden) as refused:
        serviceaccount.admit_pod(pod("agent", namespace="ns", serviceAccountName="shipper"), None, Lookup())
    assert refused.value.message == (
        'pods "agent" is forbidden: error looking up service account ns/shipper: '
        'serviceaccount "shipper" not found'
    )
    assert refused.value.code == 403
    account = (r.SERVICE_ACCOUNTS, {"metadata": {"name": "shipper", "namespace": "ns"}})
    admitted_pod = pod("agent", namespace="ns", serviceAccountName="shipper")
    serviceaccount.admit_pod(admitted_pod, None, Lookup(account))
    assert admitted_pod["spec"]["serviceAccount"] == "shipper"


def test_a_generated_name_names_the_refused_pod() -> None:
    nameless = pod("x", namespace="ns", priorityClassName="nope")
    nameless["metadata"] = {"generateName": "agent-", "namespace": "ns"}
    with pytest.raises(errors.Forbidden, match='pods "agent-" is forbidden'):
        admitted(nameless)
