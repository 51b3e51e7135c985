"""Which volumes a simulated kubelet cannot set up, and who waits for what."""

from __future__ import annotations

from everynode.agents.mounts import (
    MissingSource,
    VolumeWaits,
    creating_statuses,
    missing_sources,
    waits_for_volumes,
)
from everynode.core.types import Obj
from tests.builders import pod

STORED = {("ns", "present")}


def exists(namespace: str, name: str) -> bool:
    return (namespace, name) in STORED


def with_volumes(*volumes: Obj) -> Obj:
    obj = pod("web", namespace="ns")
    obj["spec"]["volumes"] = list(volumes)
    return obj


def test_missing_config_maps_and_secrets_are_found_directly_and_in_projections() -> None:
    obj = with_volumes(
        {"name": "a", "configMap": {"name": "present"}},
        {"name": "b", "configMap": {"name": "absent"}},
        {"name": "c", "secret": {"secretName": "gone"}},
        {"name": "d", "configMap": {"name": "absent-but-optional", "optional": True}},
        {
            "name": "e",
            "projected": {"sources": [{"configMap": {"name": "kube-root-ca.crt"}}, {"secret": {}}]},
        },
        {"name": "f", "emptyDir": {}},
    )
    assert missing_sources(obj, exists, exists) == [
        MissingSource("b", "configmap", "absent"),
        MissingSource("c", "secret", "gone"),
        MissingSource("e", "configmap", "kube-root-ca.crt"),
    ]
    assert MissingSource("b", "configmap", "absent").message() == (
        'MountVolume.SetUp failed for volume "b" : configmap "absent" not found'
    )


def test_only_a_pod_not_yet_started_waits_for_its_volumes() -> None:
    pending = pod("p", namespace="ns")
    assert waits_for_volumes(pending)
    running = pod("p", namespace="ns")
    running["status"] = {"phase": "Running"}
    assert not waits_for_volumes(running)
    deleting = pod("p", namespace="ns", deleted="2026-12-08T00:00:00Z")
    assert not waits_for_volumes(deleting)


def test_waiting_pods_are_woken_by_what_they_wait_for_and_report_at_most_every_interval() -> None:
    waits = VolumeWaits(every=10.0)
    missing = [MissingSource("b", "configmap", "absent")]
    assert waits.hold("pod-1", "ns", missing, now=0.0)
    assert not waits.hold("pod-1", "ns", missing, now=5.0)  # events not yet due again
    assert waits.hold("pod-1", "ns", missing, now=10.0)
    assert waits.arrived("configmap", "other", "absent") == set()
    assert waits.arrived("configmap", "ns", "absent") == {"pod-1"}
    assert waits.arrived("configmap", "ns", "absent") == set()


def test_containers_wait_in_container_creating() -> None:
    [status] = creating_statuses(pod("p", namespace="ns"))
    assert (status["name"], status["ready"], status["state"]) == (
        "main",
        False,
        {"waiting": {"reason": "ContainerCreating"}},
    )
