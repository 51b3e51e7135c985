"""Pod GC: the selections (pure) and passes of the controller on a fake API and a fake clock."""

from __future__ import annotations

import pytest

from everynode.controllers.podgc import selection
from everynode.controllers.podgc.controller import PodGCController
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.types import Obj
from tests import builders

T = "2024-01-01T00:00:00Z"


def pod(
    name: str,
    *,
    node: str = "",
    phase: str = "Running",
    created: str = "2024-01-01T00:00:00Z",
    deleting: bool = False,
    reason: str | None = None,
    namespace: str = "default",
) -> Obj:
    return builders.pod(
        name,
        namespace=namespace,
        uid=f"u-{name}",
        created=created,
        deleted=T if deleting else None,
        node=node or None,
        phase=phase,
        status=builders.present(reason=reason),
    )


def node(name: str, *, ready: bool = True, taints: list[str] | None = None) -> Obj:
    return builders.node(
        name,
        taints=[{"key": key, "effect": "NoExecute"} for key in taints or []],
        conditions=[builders.condition("Ready", ready)],
    )


# -- selections -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "terminated"),
    [("Pending", False), ("Running", False), ("Unknown", False), ("Succeeded", True), ("Failed", True)],
)
def test_terminated_means_not_pending_running_or_unknown(phase: str, terminated: bool) -> None:
    assert selection.is_terminated(pod("p", phase=phase)) is terminated


def test_the_excess_of_terminated_pods_goes_evicted_first_then_oldest_then_by_name() -> None:
    pods = [
        pod("young", phase="Succeeded", created="2024-01-03T00:00:00Z"),
        pod("old-b", phase="Failed", created="2024-01-01T00:00:00Z"),
        pod("old-a", phase="Succeeded", created="2024-01-01T00:00:00Z"),
        pod("evicted", phase="Failed", reason="Evicted", created="2024-01-05T00:00:00Z"),
        pod("running", phase="Running", created="2023-01-01T00:00:00Z"),
    ]
    chosen = selection.terminated_excess(pods, 2)
    assert [p["metadata"]["name"] for p in chosen] == ["evicted", "old-a"]
    assert selection.terminated_excess(pods, 4) == []
    assert selection.terminated_excess(pods, 0) == []


def test_terminating_pods_on_out_of_service_nodes_that_are_not_ready() -> None:
    nodes = {
        "oos": node("oos", ready=False, taints=[selection.OUT_OF_SERVICE_TAINT]),
        "oos-ready": node("oos-ready", ready=True, taints=[selection.OUT_OF_SERVICE_TAINT]),
        "down": node("down", ready=False, taints=["node.kubernetes.io/unreachable"]),
    }
    pods = [
        pod("yes", node="oos", deleting=True),
        pod("not-deleting", node="oos"),
        pod("ready-node", node="oos-ready", deleting=True),
        pod("no-taint", node="down", deleting=True),
        pod("missing-node", node="gone", deleting=True),
        pod("unbound", deleting=True),
    ]
    assert [p["metadata"]["name"] for p in selection.terminating_out_of_service(pods, nodes)] == ["yes"]


def test_a_node_without_a_ready_condition_is_not_ready() -> None:
    assert not selection.node_ready({"metadata": {"name": "n"}})
    assert selection.node_ready(node("n"))


def test_missing_nodes_and_their_pods() -> None:
    pods = [pod("a", node="n1"), pod("b", node="gone"), pod("c"), pod("d", node="gone")]
    assert selection.missing_node_names(pods, {"n1"}) == {"gone"}
    assert [p["metadata"]["name"] for p in selection.pods_on(pods, {"gone"})] == ["b", "d"]


def test_unscheduled_terminating_pods() -> None:
    pods = [pod("a", deleting=True), pod("b", node="n1", deleting=True), pod("c")]
    assert [p["metadata"]["name"] for p in selection.unscheduled_terminating(pods)] == ["a"]


def test_the_failed_status_patch() -> None:
    patch = selection.failed_status_patch(pod("p"), T, selection.ORPHANED_CONDITION)
    assert patch == {
        "metadata": {"uid": "u-p"},
        "status": {
            "phase": "Failed",
            "conditions": [
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "reason": "DeletionByPodGC",
                    "message": "PodGC: node no longer exists",
                    "lastTransitionTime": T,
                }
            ],
        },
    }
    assert selection.failed_status_patch(pod("p"), T) == {
        "metadata": {"uid": "u-p"},
        "status": {"phase": "Failed"},
    }
    assert selection.failed_status_patch(pod("p", phase="Succeeded"), T) is None
    assert selection.failed_status_patch(pod("p", phase="Failed"), T) is None


def test_the_quarantine_counts_from_the_first_sighting() -> None:
    quarantine = selection.Quarantine(40.0)
    quarantine.add("n", 0.0)
    quarantine.add("n", 20.0)  # seen again: not postponed
    assert quarantine.due(39.0) == []
    assert "n" in quarantine
    assert quarantine.due(40.0) == ["n"]
    assert len(quarantine) == 0
    quarantine.add("n", 50.0)  # a new sighting after it was handled starts over
    assert quarantine.due(80.0) == []
    assert quarantine.due(90.0) == ["n"]


# -- the controller -------------------------------------------------------------------------------------


class FakePodGCApi:
    def __init__(self) -> None:
        self.nodes: dict[str, Obj] = {}
        self.calls: list[tuple[str, str]] = []
        self.patches: dict[str, Obj] = {}
        self.errors: dict[tuple[str, str], errors.ApiError] = {}

    def _fail(self, verb: str, name: str) -> None:
        error = self.errors.pop((verb, name), None)
        if error is not None:
            raise error

    async def get_node(self, name: str) -> Obj:
        self.calls.append(("get_node", name))
        self._fail("get_node", name)
        if name not in self.nodes:
            raise errors.not_found("nodes", "", name)
        return self.nodes[name]

    async def patch_pod_status(self, namespace: str, name: str, patch: Obj) -> Obj:
        self.calls.append(("patch", name))
        self._fail("patch", name)
        self.patches[name] = patch
        return {}

    async def delete_pod(self, namespace: str, name: str, uid: str) -> None:
        assert uid == f"u-{name}"
        self.calls.append(("delete", name))
        self._fail("delete", name)

    def deleted(self) -> list[str]:
        return [name for verb, name in self.calls if verb == "delete"]


def controller(threshold: int = 12500) -> tuple[PodGCController, FakePodGCApi, FakeClock]:
    api = FakePodGCApi()
    clock = FakeClock(1_700_000_000.0)
    return PodGCController(api, quarantine=40.0, terminated_threshold=threshold, clock=clock), api, clock


async def test_pods_of_a_missing_node_go_only_after_the_quarantine_and_a_live_check() -> None:
    gc, api, clock = controller()
    pods = [pod("orphan", node="gone"), pod("done", node="gone", phase="Succeeded"), pod("fine", node="n1")]
    nodes = [node("n1")]
    await gc.gc(pods, nodes)
    assert api.calls == []
    await clock.advance(20)
    await gc.gc(pods, nodes)
    assert api.calls == []
    await clock.advance(20)
    await gc.gc(pods, nodes)
    assert api.calls[0] == ("get_node", "gone")
    assert sorted(api.deleted()) == ["done", "orphan"]
    assert ("patch", "done") not in api.calls, "a terminal pod is deleted without a status patch"
    assert api.patches["orphan"]["status"]["conditions"][0]["reason"] == "DeletionByPodGC"
    assert api.calls.index(("patch", "orphan")) < api.calls.index(("delete", "orphan"))
    assert gc.deleted == 2


async def test_a_node_that_the_live_check_finds_keeps_its_pods() -> None:
    gc, api, clock = controller()
    api.nodes["lagging"] = node("lagging")  # the cache has not seen it yet; the server has
    pods = [pod("p", node="lagging")]
    await gc.gc(pods, [])
    await clock.advance(40)
    await gc.gc(pods, [])
    assert api.calls == [("get_node", "lagging")]


async def test_a_node_back_in_the_cache_before_the_quarantine_ends_is_not_checked() -> None:
    gc, api, clock = controller()
    pods = [pod("p", node="flaky")]
    await gc.gc(pods, [])
    await clock.advance(40)
    await gc.gc(pods, [node("flaky")])
    assert api.calls == []


async def test_a_failed_node_check_is_quarantined_again() -> None:
    gc, api, clock = controller()
    api.errors[("get_node", "gone")] = errors.ServiceUnavailable("busy")
    pods = [pod("p", node="gone")]
    await gc.gc(pods, [])
    await clock.advance(40)
    await gc.gc(pods, [])  # the check fails; the node is seen missing again: a new quarantine
    assert api.deleted() == []
    await clock.advance(20)
    await gc.gc(pods, [])
    assert api.deleted() == []
    await clock.advance(20)
    await gc.gc(pods, [])
    assert api.deleted() == ["p"]


async def test_unscheduled_terminating_pods_are_force_deleted_at_once() -> None:
    gc, api, _ = controller()
    await gc.gc([pod("stuck", deleting=True), pod("pending")], [])
    assert api.calls == [("patch", "stuck"), ("delete", "stuck")]
    assert api.patches["stuck"]["status"] == {"phase": "Failed"}


async def test_terminating_pods_on_an_out_of_service_node_are_force_deleted() -> None:
    gc, api, _ = controller()
    nodes = [node("oos", ready=False, taints=[selection.OUT_OF_SERVICE_TAINT])]
    await gc.gc([pod("p", node="oos", deleting=True), pod("q", node="oos")], nodes)
    assert api.deleted() == ["p"]


async def test_terminated_pods_over_the_threshold() -> None:
    gc, api, _ = controller(threshold=1)
    pods = [
        pod("a", phase="Succeeded", created="2024-01-01T00:00:00Z"),
        pod("b", phase="Failed", created="2024-01-02T00:00:00Z"),
        pod("c", phase="Succeeded", created="2024-01-03T00:00:00Z"),
    ]
    await gc.gc(pods, [])
    assert sorted(api.deleted()) == ["a", "b"]
    assert not any(verb == "patch" for verb, _ in api.calls)


async def test_a_threshold_of_zero_keeps_every_terminated_pod() -> None:
    gc, api, _ = controller(threshold=0)
    await gc.gc([pod("a", phase="Succeeded"), pod("b", phase="Failed")], [])
    assert api.calls == []


async def test_a_pod_chosen_twice_in_one_pass_is_deleted_once() -> None:
    gc, api, clock = controller(threshold=1)
    pods = [
        pod("unbound-done", phase="Failed", deleting=True, created="2024-01-01T00:00:00Z"),
        pod("other", phase="Failed", created="2024-01-02T00:00:00Z"),
    ]
    await gc.gc(pods, [])
    assert api.deleted() == ["unbound-done"]
    _ = clock


async def test_a_pod_already_gone_is_not_deleted_and_errors_do_not_stop_the_pass() -> None:
    gc, api, _ = controller()
    api.errors[("patch", "gone")] = errors.not_found("pods", "", "gone")
    api.errors[("patch", "flaky")] = errors.ServiceUnavailable("busy")
    await gc.gc([pod("gone", deleting=True), pod("flaky", deleting=True), pod("fine", deleting=True)], [])
    assert api.deleted() == ["fine"]
    assert gc.deleted == 1
    await gc.gc([pod("flaky", deleting=True)], [])  # tried again on the next pass
    assert api.deleted() == ["fine", "flaky"]
