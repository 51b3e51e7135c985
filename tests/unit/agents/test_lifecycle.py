"""The lifecycle engine over the shipped stages, walked with a FakeClock and a seeded random source.

Each walk feeds every rendered status back into the object, as the API server and the watch would, so
a test reads as the life of one pod or node: which stage came, after how long, and what it wrote.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from everynode.agents.lifecycle import Action, Lifecycle, unchanged
from everynode.agents.renderers import Context, node_ip, pod_ip, render_restart, set_conditions
from everynode.agents.stages import default_stages, parse_stages
from everynode.core.clock import FakeClock
from everynode.core.pods import is_ready
from everynode.core.timestamps import format_time, parse_time
from everynode.core.types import Obj
from tests import builders

EPOCH = 1_700_000_000.0  # a whole second, so timestamps truncate nothing at the start
LIFECYCLE = Lifecycle(default_stages())


def make_pod(
    *, annotations: dict[str, str] | None = None, image: str = "nginx:1.27", **container: Any
) -> Obj:
    return builders.pod(
        "web",
        namespace="default",
        uid="uid-1",
        annotations=annotations or {},
        node="node-1",
        containers=[builders.container(image=image, **container)],
        phase="Pending",
        status={"qosClass": "BestEffort"},
    )


def make_node(**annotations: str) -> Obj:
    return builders.node(
        "node-1",
        uid="node-uid",
        labels={"team": "a"},
        annotations={"everynode.io/simulated": "true", **annotations},
    )


class Walk:
    """Steps one object through the lifecycle: each stage waits its delay on the clock, then applies."""

    def __init__(self, obj: Obj, resource: str = "Pod", *, seed: int = 7, node: Obj | None = None) -> None:
        self.obj = obj
        self.resource = resource
        self.clock = FakeClock(wall_offset=EPOCH)
        self.rng = random.Random(seed)
        self.node = node
        self.deleted = False

    async def next(self) -> tuple[str, float, Action] | None:
        step = LIFECYCLE.step(self.resource, self.obj, now=self.clock.wall(), rng=self.rng, node=self.node)
        if step is None:
            return None
        await self.clock.advance(step.delay)
        action = LIFECYCLE.render(step.stage, self.obj, now=self.clock.wall(), node=self.node)
        assert action == step.action  # what step promised is what applies when it falls due
        if action.delete:
            self.deleted = True
        else:
            self.obj["status"] = {**(self.obj.get("status") or {}), **(action.status or {})}
            self.obj["metadata"]["labels"] = {**(self.obj["metadata"].get("labels") or {}), **action.labels}
        return step.stage.name, step.delay, action

    async def stages(self, limit: int = 10) -> list[tuple[str, float]]:
        """Every stage until none applies (or the object is deleted)."""
        seen = []
        for _ in range(limit):
            result = await self.next()
            if result is None:
                break
            seen.append(result[:2])
            if self.deleted:
                break
        return seen


def conditions(obj: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in obj["status"].get("conditions") or []}


async def test_a_plain_pod_runs_and_is_ready_in_about_a_second() -> None:
    walk = Walk(make_pod())
    [(stage, delay)] = await walk.stages()
    assert stage == "pod-start-ready"
    assert 0.5 <= delay <= 1.5
    status = walk.obj["status"]
    assert status["phase"] == "Running"
    assert is_ready(walk.obj)
    assert status["qosClass"] == "BestEffort"  # fields the agent does not own are left alone
    now = format_time(walk.clock.wall())
    assert status["startTime"] == now
    assert {t: (c["status"], c["lastTransitionTime"]) for t, c in conditions(walk.obj).items()} == {
        "PodScheduled": ("True", now),
        "Initialized": ("True", now),
        "ContainersReady": ("True", now),
        "Ready": ("True", now),
    }
    assert status["podIPs"] == [{"ip": status["podIP"]}]
    assert status["podIP"].startswith("10.")
    assert status["hostIPs"] == [{"ip": status["hostIP"]}]
    [container] = status["containerStatuses"]
    assert container["ready"] is True
    assert container["started"] is True
    assert container["state"] == {"running": {"startedAt": now}}
    assert container["containerID"].startswith("containerd://")


async def test_jitter_comes_from_the_injected_random_source() -> None:
    first = await Walk(make_pod(), seed=3).stages()
    again = await Walk(make_pod(), seed=3).stages()
    other = await Walk(make_pod(), seed=4).stages()
    assert first == again
    assert first != other


async def test_start_delay_holds_the_pod_pending_that_long() -> None:
    walk = Walk(make_pod(annotations={"sim.everynode.io/start-delay": "3s"}))
    [(stage, delay)] = await walk.stages()
    assert stage == "pod-start-ready"
    assert 3.0 <= delay <= 4.0


async def test_a_readiness_delay_comes_between_running_and_ready() -> None:
    probe = {"exec": {"command": ["true"]}, "initialDelaySeconds": 10}
    walk = Walk(make_pod(readinessProbe=probe))
    first = await walk.next()
    assert first is not None
    assert first[0] == "pod-start"
    assert walk.obj["status"]["phase"] == "Running"
    assert not is_ready(walk.obj)
    assert conditions(walk.obj)["Ready"]["reason"] == "ContainersNotReady"
    assert conditions(walk.obj)["Ready"]["message"] == "containers with unready status: [main]"
    started = walk.clock.wall()
    second = await walk.next()
    assert second is not None
    assert second[0] == "pod-ready"
    # ten seconds after the pod started (its startTime is truncated to the second), plus jitter
    assert 10.0 - 1 <= walk.clock.wall() - started <= 10.5
    assert is_ready(walk.obj)
    ready = conditions(walk.obj)["Ready"]
    assert ready["lastTransitionTime"] == format_time(walk.clock.wall())
    assert conditions(walk.obj)["Initialized"]["lastTransitionTime"] == format_time(started)
    assert walk.obj["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] == format_time(started)
    assert await walk.next() is None


async def test_ready_never_runs_but_stays_unready() -> None:
    walk = Walk(make_pod(annotations={"sim.everynode.io/ready": "never"}))
    assert [stage for stage, _ in await walk.stages()] == ["pod-start"]
    assert walk.obj["status"]["phase"] == "Running"
    assert not is_ready(walk.obj)


async def test_ready_never_added_to_a_ready_pod_makes_it_unready() -> None:
    walk = Walk(make_pod())
    await walk.stages()
    walk.obj["metadata"]["annotations"]["sim.everynode.io/ready"] = "never"
    assert [stage for stage, _ in await walk.stages()] == ["pod-unready"]
    assert not is_ready(walk.obj)


async def test_fail_after_fails_the_pod_that_long_after_it_started() -> None:
    walk = Walk(make_pod(annotations={"sim.everynode.io/fail-after": "5s"}))
    [(start, _), (fail, _)] = await walk.stages()
    assert (start, fail) == ("pod-start-ready", "pod-fail")
    started = parse_time(walk.obj["status"]["startTime"]) or 0.0
    assert walk.clock.wall() - started == pytest.approx(5.0)
    status = walk.obj["status"]
    assert status["phase"] == "Failed"
    assert not is_ready(walk.obj)
    assert conditions(walk.obj)["Ready"]["reason"] == "PodCompleted"
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (1, "Error")
    assert terminated["startedAt"] == status["startTime"]


async def test_an_unreadable_fail_after_counts_as_five_seconds() -> None:
    walk = Walk(make_pod(annotations={"sim.everynode.io/fail-after": "soon"}))
    await walk.stages()
    started = parse_time(walk.obj["status"]["startTime"]) or 0.0
    assert walk.obj["status"]["phase"] == "Failed"
    assert walk.clock.wall() - started == pytest.approx(5.0)


async def test_graceful_deletion_stops_the_pod_then_deletes_it() -> None:
    walk = Walk(make_pod())
    await walk.stages()
    walk.obj["metadata"]["deletionTimestamp"] = format_time(walk.clock.wall() + 30)
    stages = await walk.stages()
    assert [stage for stage, _ in stages] == ["pod-stop", "pod-delete"]
    assert stages[0][1] <= 0.3
    assert stages[1][1] == 0.0
    assert walk.deleted
    assert walk.obj["status"]["phase"] == "Succeeded"
    terminated = walk.obj["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")


async def test_a_failed_pod_being_deleted_is_deleted_at_once() -> None:
    walk = Walk(make_pod())
    walk.obj["status"]["phase"] = "Failed"
    walk.obj["metadata"]["deletionTimestamp"] = format_time(EPOCH)
    assert await walk.stages() == [("pod-delete", 0.0)]


async def test_an_unpullable_image_stays_pending_and_backs_off() -> None:
    walk = Walk(make_pod(image="foo:non-existent"))
    stages = await walk.stages()
    assert [stage for stage, _ in stages] == ["pod-image-pull-error", "pod-image-pull-backoff"]
    assert 10.0 <= stages[1][1] <= 15.0
    status = walk.obj["status"]
    assert status["phase"] == "Pending"
    assert not is_ready(walk.obj)
    waiting = status["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ImagePullBackOff"
    assert waiting["message"] == 'Back-off pulling image "foo:non-existent"'
    assert conditions(walk.obj)["ContainersReady"]["status"] == "False"


async def test_err_image_pull_first() -> None:
    walk = Walk(make_pod(image="registry.example/non-existent:1"))
    await walk.next()
    waiting = walk.obj["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ErrImagePull"
    assert "registry.example/non-existent:1" in waiting["message"]


async def test_fixing_the_image_lets_the_pod_start() -> None:
    walk = Walk(make_pod(image="foo:non-existent"))
    await walk.stages()
    walk.obj["spec"]["containers"][0]["image"] = "foo:1.0"
    assert [stage for stage, _ in await walk.stages()] == ["pod-start-ready"]
    assert is_ready(walk.obj)


@pytest.mark.parametrize("image", ["nginx", "non-existent-ly-good:1", "foo:nonexistentish", "myexistent:2"])
def test_only_non_existent_images_are_unpullable(image: str) -> None:
    stage = LIFECYCLE.match("Pod", make_pod(image=image))
    assert stage is not None
    assert stage.name == "pod-start-ready"


async def test_a_new_node_is_initialised_then_heartbeats_every_five_minutes() -> None:
    walk = Walk(make_node(), "Node")
    first = await walk.next()
    assert first is not None
    stage, delay, action = first
    assert stage == "node-initialize"
    assert 0.0 <= delay <= 1.0
    assert action.labels == {
        "kubernetes.io/hostname": "node-1",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
    }
    assert walk.obj["metadata"]["labels"]["team"] == "a"
    status = walk.obj["status"]
    for section in ("capacity", "allocatable"):
        assert status[section] == {"cpu": "32", "memory": "256Gi", "pods": "110"}
    assert status["nodeInfo"]["kubeletVersion"] == "v1.33.1"
    assert status["nodeInfo"]["machineID"]
    assert status["nodeInfo"]["bootID"]
    assert status["addresses"] == [
        {"type": "InternalIP", "address": node_ip(None, "node-1")},
        {"type": "Hostname", "address": "node-1"},
    ]
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    by_type = conditions(walk.obj)
    assert list(by_type) == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    assert by_type["Ready"]["status"] == "True"
    assert by_type["Ready"]["reason"] == "KubeletReady"
    initialised = walk.clock.wall()

    second = await walk.next()
    assert second is not None
    assert second[0] == "node-heartbeat"
    assert 300.0 - 1 <= walk.clock.wall() - initialised <= 330.0
    after = conditions(walk.obj)
    assert after["Ready"]["lastHeartbeatTime"] == format_time(walk.clock.wall())
    assert after["Ready"]["lastTransitionTime"] == by_type["Ready"]["lastTransitionTime"]
    assert set(second[2].status or {}) == {"conditions"}  # a heartbeat writes conditions only

    third = LIFECYCLE.step("Node", walk.obj, now=walk.clock.wall(), rng=walk.rng)
    assert third is not None
    assert third.stage.name == "node-heartbeat"
    assert third.delay >= 299


async def test_what_a_node_already_reports_is_kept() -> None:
    node = make_node()
    node["metadata"]["labels"]["kubernetes.io/hostname"] = "custom"
    node["status"] = {
        "addresses": [{"type": "InternalIP", "address": "192.0.2.7"}],
        "capacity": {"cpu": "4", "pods": "20"},
        "nodeInfo": {"kubeletVersion": "v1.30.0", "osImage": ""},
    }
    walk = Walk(node, "Node")
    result = await walk.next()
    assert result is not None
    assert result[2].labels == {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    status = walk.obj["status"]
    assert status["addresses"] == [{"type": "InternalIP", "address": "192.0.2.7"}]
    assert status["capacity"] == {"cpu": "4", "memory": "256Gi", "pods": "20"}
    assert status["allocatable"] == status["capacity"]
    assert status["nodeInfo"]["kubeletVersion"] == "v1.30.0"
    assert status["nodeInfo"]["osImage"] == "everynode simulated node"  # empty values are filled in


async def test_a_stopped_heartbeat_leaves_the_node_to_the_lifecycle_controller() -> None:
    walk = Walk(make_node(), "Node")
    await walk.next()
    walk.obj["metadata"]["annotations"]["sim.everynode.io/heartbeat"] = "stop"
    assert LIFECYCLE.match("Node", walk.obj) is None  # no heartbeat, no status writes at all
    # the node lifecycle controller marks it Unknown; the agent does not fight it …
    for condition in walk.obj["status"]["conditions"]:
        if condition["type"] == "Ready":
            condition.update(
                status="Unknown", reason="NodeStatusUnknown", lastTransitionTime="2023-01-01T00:00:00Z"
            )
    assert LIFECYCLE.match("Node", walk.obj) is None
    # … until the annotation goes: then Ready again, with a fresh transition
    del walk.obj["metadata"]["annotations"]["sim.everynode.io/heartbeat"]
    result = await walk.next()
    assert result is not None
    assert result[0] == "node-initialize"
    ready = conditions(walk.obj)["Ready"]
    assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
    assert ready["lastTransitionTime"] == format_time(walk.clock.wall())


def test_conditions_keep_their_transition_time_unless_the_status_changes() -> None:
    existing = [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2023-01-01T00:00:00Z"},
        {"type": "Custom", "status": "True", "reason": "Mine"},
        {"type": "Initialized", "status": "False", "lastTransitionTime": "2023-01-01T00:00:00Z"},
        {"type": "Ready", "status": "False"},  # a duplicate is dropped
    ]
    now = "2024-05-05T05:05:05Z"
    result = set_conditions(
        existing,
        [("Ready", "True", None, None), ("Initialized", "True", None, None), ("New", "True", "Why", "How")],
        now,
    )
    assert result == [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2023-01-01T00:00:00Z"},
        {"type": "Custom", "status": "True", "reason": "Mine"},
        {"type": "Initialized", "status": "True", "lastTransitionTime": now},
        {"type": "New", "status": "True", "lastTransitionTime": now, "reason": "Why", "message": "How"},
    ]


def test_pod_addresses() -> None:
    pod = make_pod()
    node = {"metadata": {"name": "node-1"}, "spec": {"podCIDR": "10.244.7.0/24"}}
    ip = pod_ip(pod, node, "192.0.2.1")
    assert ip.startswith("10.244.7.")
    assert ip not in ("10.244.7.0", "10.244.7.1", "10.244.7.255")
    assert pod_ip(pod, node, "192.0.2.1") == ip  # stable
    pod["spec"]["hostNetwork"] = True
    assert pod_ip(pod, node, "192.0.2.1") == "192.0.2.1"
    pod["status"]["podIP"] = "10.9.9.9"
    assert pod_ip(pod, node, "192.0.2.1") == "10.9.9.9"  # an IP once given is kept
    assert node_ip(None, "a") != node_ip(None, "b")
    assert node_ip(None, "a").startswith("172.")


def test_restart_counts_up_and_records_the_last_termination() -> None:
    pod = make_pod()
    pod["status"] = {
        "phase": "Running",
        "startTime": "2023-11-14T22:13:20Z",
        "containerStatuses": [
            {"name": "main", "restartCount": 2, "state": {"running": {"startedAt": "2023-11-14T22:13:21Z"}}}
        ],
    }
    output = render_restart(pod, Context(now=EPOCH + 100), {})
    [container] = output.status["containerStatuses"]
    assert container["restartCount"] == 3
    assert container["lastState"]["terminated"]["startedAt"] == "2023-11-14T22:13:21Z"
    assert container["state"] == {"running": {"startedAt": format_time(EPOCH + 100)}}
    assert output.status["startTime"] == "2023-11-14T22:13:20Z"


async def test_a_crash_loop_from_a_custom_stage_file() -> None:
    stages = parse_stages(
        """
        apiVersion: everynode.io/v1alpha1
        kind: StageSet
        stages:
        - name: crash
          resource: Pod
          selector:
            matchExpressions:
            - {key: status.phase, operator: In, values: [Running]}
          delay: {duration: 2s, since: 'status.containerStatuses[*].state.running.startedAt'}
          next: {status: restart}
        - name: start
          resource: Pod
          next: {status: ready}
        """
    )
    engine = Lifecycle(stages)
    pod = make_pod()
    now = EPOCH
    restarts = []
    for _ in range(4):
        step = engine.step("Pod", pod, now=now, rng=random.Random(1))
        assert step is not None
        now += step.delay
        pod["status"] |= step.action.status or {}
        restarts.append((step.stage.name, step.delay, pod["status"]["containerStatuses"][0]["restartCount"]))
    assert restarts == [("start", 0.0, 0), ("crash", 2.0, 1), ("crash", 2.0, 2), ("crash", 2.0, 3)]


def test_unchanged_spots_a_write_that_would_change_nothing() -> None:
    pod = make_pod()
    assert unchanged(pod, Action("x", status={"phase": "Pending"}))
    assert not unchanged(pod, Action("x", status={"phase": "Running"}))
    assert not unchanged(pod, Action("x", status={}, labels={"a": "b"}))
    assert not unchanged(pod, Action("x", delete=True))


def test_delay_is_never_negative_and_since_in_the_future_counts_from_now() -> None:
    running = make_pod(annotations={"sim.everynode.io/fail-after": "1s"})
    running["status"] = {
        "phase": "Running",
        "startTime": format_time(EPOCH - 100),
        "conditions": [{"type": "Ready", "status": "True"}],
    }
    fail = LIFECYCLE.match("Pod", running)
    assert fail is not None
    assert fail.name == "pod-fail"
    assert LIFECYCLE.delay(fail, running, now=EPOCH, rng=random.Random(0)) == 0.0
    running["status"]["startTime"] = format_time(EPOCH + 100)  # a clock ahead of ours
    assert LIFECYCLE.delay(fail, running, now=EPOCH, rng=random.Random(0)) == 1.0
