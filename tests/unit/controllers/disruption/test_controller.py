"""The disruption controller's sync over in-memory caches, step by step as upstream's
``disruption_test.go`` drives ``dc.sync`` (each test names its upstream case; ReplicationControllers
are not served, so their cases use a ReplicaSet without a Deployment, which upstream counts alike)."""

from __future__ import annotations

from typing import Any

from everynode.controllers.disruption.controller import DisruptionController
from everynode.controllers.disruption.finders import Caches
from everynode.controllers.disruption.scalefinder import ScaleFinder
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.types import Obj
from everynode.informers.store import IndexFunc, Store, by_namespace
from everynode.runtime.result import DONE
from tests.builders import condition, deployment, owner_ref, pod, replicaset
from tests.unit.controllers.disruption.fakes import FakeBudgetApi, FakeEvents, FakeScaleApi, custom_resources

NS = "default"
FOO_BAR = {"foo": "bar"}
KEY = f"{NS}/foobar"


class Harness:
    """upstream's newFakeDisruptionController: the caches, a fake status writer and event recorder."""

    def __init__(self) -> None:
        indexers: dict[str, IndexFunc] = {"namespace": by_namespace}
        self.budgets, self.pods = Store(indexers), Store(indexers)
        self.replicasets, self.deployments, self.statefulsets = Store(), Store(), Store()
        self.events, self.scale_api = FakeEvents(), FakeScaleApi()
        self.clock = FakeClock(1_800_000_000.0)
        self.budget_api = FakeBudgetApi(self.budgets)
        caches = Caches(self.replicasets.get, self.deployments.get, self.statefulsets.get)
        self.controller = DisruptionController(
            self.budget_api,
            self.events,
            budgets=self.budgets,
            pods=self.pods,
            caches=caches,
            scales=ScaleFinder(self.scale_api, self.clock),
            clock=self.clock,
        )

    def add(self, *objects: Obj) -> None:
        stores = {
            "Pod": self.pods,
            "PodDisruptionBudget": self.budgets,
            "ReplicaSet": self.replicasets,
            "Deployment": self.deployments,
            "StatefulSet": self.statefulsets,
        }
        for obj in objects:
            stores[obj["kind"]].upsert(obj)

    async def sync(self) -> Obj:
        """Sync the budget; its status as written (or as it stands when nothing was written)."""
        assert await self.controller.reconcile(KEY) == DONE
        found = self.budgets.get(KEY)
        assert found is not None
        status: Obj = found.get("status") or {}
        return status


def budget(**spec: Any) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "foobar", "namespace": NS, "uid": "pdb-uid", "generation": 1},
        "spec": {"selector": {"matchLabels": FOO_BAR}, **spec},
    }


def new_pod(
    name: str, *, owner: Obj | None = None, labels: dict[str, str] | None = None, ready: bool = True
) -> Obj:
    return pod(
        name,
        namespace=NS,
        labels=labels or FOO_BAR,
        owners=[owner_ref(owner)] if owner is not None else None,
        conditions=[condition("Ready", ready)],
    )


def new_replicaset(
    replicas: int, *, name: str = "foobar", uid: str = "rs-uid", owner: Obj | None = None
) -> Obj:
    owners = [owner_ref(owner)] if owner is not None else None
    return replicaset(name, namespace=NS, replicas=replicas, uid=uid, match_labels=FOO_BAR, owners=owners)


def verify(status: Obj, allowed: int, healthy: int, desired: int, expected: int) -> None:
    """upstream's VerifyPdbStatus (no disrupted pods): the counts, the generation observed, and the
    DisruptionAllowed condition True exactly when a disruption is allowed."""
    assert (
        status["disruptionsAllowed"],
        status["currentHealthy"],
        status["desiredHealthy"],
        status["expectedPods"],
    ) == (allowed, healthy, desired, expected)
    assert status["observedGeneration"] == 1
    assert "disruptedPods" not in status
    (found,) = [c for c in status["conditions"] if c["type"] == "DisruptionAllowed"]
    assert found["status"] == ("True" if allowed > 0 else "False")


async def test_replica_set() -> None:
    """TestReplicaSet: the scale of a ReplicaSet with no Deployment counts."""
    h = Harness()
    rs = new_replicaset(10)
    h.add(budget(minAvailable="20%"), rs, new_pod("pod", owner=rs))
    verify(await h.sync(), 0, 1, 2, 10)


async def test_integer_max_unavailable_with_scaling() -> None:
    """TestIntegerMaxUnavailableWithScaling."""
    h = Harness()
    rs = new_replicaset(7)
    h.add(budget(maxUnavailable=2), rs, new_pod("pod", owner=rs))
    verify(await h.sync(), 0, 1, 5, 7)
    h.add(new_replicaset(5))
    verify(await h.sync(), 0, 1, 3, 5)


async def test_percentage_max_unavailable_with_scaling() -> None:
    """TestPercentageMaxUnavailableWithScaling."""
    h = Harness()
    rs = new_replicaset(7)
    h.add(budget(maxUnavailable="30%"), rs, new_pod("pod", owner=rs))
    verify(await h.sync(), 0, 1, 4, 7)
    h.add(new_replicaset(3))
    verify(await h.sync(), 0, 1, 2, 3)


async def test_deployment_pods_under_max_unavailable() -> None:
    """The calico-kube-controllers bundle: maxUnavailable 1 over a 2-replica Deployment's pods allows
    one disruption (it failed with "found no controllers" before Deployments were found)."""
    h = Harness()
    dep = deployment("calico-kube-controllers", namespace=NS, replicas=2, uid="dep-uid", match_labels=FOO_BAR)
    rs = new_replicaset(2, name="calico-kube-controllers-5d8", owner=dep)
    h.add(budget(maxUnavailable=1), dep, rs, new_pod("a", owner=rs), new_pod("b", owner=rs))
    status = await h.sync()
    verify(status, 1, 2, 1, 2)
    assert status["conditions"][0]["reason"] == "SufficientPods"
    # the Deployment scaled to 3: its replicas count, not the ReplicaSet's (not yet scaled)
    h.add({**dep, "spec": {**dep["spec"], "replicas": 3}})
    verify(await h.sync(), 0, 2, 2, 3)


async def test_a_rollouts_two_replicasets_count_their_deployment_once() -> None:
    h = Harness()
    dep = deployment("web", namespace=NS, replicas=3, uid="dep-uid", match_labels=FOO_BAR)
    old = new_replicaset(2, name="web-old", uid="rs-old", owner=dep)
    new = new_replicaset(2, name="web-new", uid="rs-new", owner=dep)
    pods = [
        new_pod("o1", owner=old),
        new_pod("o2", owner=old),
        new_pod("n1", owner=new),
        new_pod("n2", owner=new),
    ]
    h.add(budget(maxUnavailable=1), dep, old, new, *pods)
    verify(await h.sync(), 2, 4, 2, 3)


async def test_multiple_controllers() -> None:
    """TestMultipleControllers: no controllers yet, then one ReplicaSet, then a second named after it."""
    h = Harness()
    h.add(budget(minAvailable="1%"))
    pods = [new_pod(f"pod {i}") for i in range(2)]
    h.add(*pods)
    assert (await h.sync())["disruptionsAllowed"] == 0
    first = new_replicaset(1, name="rs 1", uid="rs-1")
    h.add(first, *[{**p, "metadata": {**p["metadata"], "ownerReferences": [owner_ref(first)]}} for p in pods])
    assert (await h.sync())["disruptionsAllowed"] == 1  # one ReplicaSet, 200% > 1% healthy
    second = new_replicaset(1, name="rs 2", uid="rs-2")
    both = [owner_ref(first), owner_ref(second)]
    h.add(second, *[{**p, "metadata": {**p["metadata"], "ownerReferences": both}} for p in pods])
    assert (await h.sync())["disruptionsAllowed"] == 1  # the first reference is the controller


async def test_replica_set_like_replication_controller() -> None:
    """TestReplicationController, with a ReplicaSet: 34% of 3 rounds up to 2; a rogue pod without a
    controller is healthy but not expected."""
    labels = {"foo": "bar", "baz": "quux"}
    h = Harness()
    rs = new_replicaset(3)
    h.add(budget(minAvailable="34%"), rs)
    verify(await h.sync(), 0, 0, 0, 0)  # no pods: the budget does not know of the ReplicaSet yet
    for i in range(3):
        h.add(new_pod(f"foobar {i}", owner=rs, labels=labels))
        verify(await h.sync(), 1 if i == 2 else 0, i + 1, 2, 3)
    h.add(new_pod("rogue"))
    assert (await h.sync())["disruptionsAllowed"] == 2
    assert "UnmanagedPods" in h.events.reasons()


async def test_stateful_set_controller() -> None:
    """TestStatefulSetController."""
    labels = {"foo": "bar", "baz": "quux"}
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "foobar", "namespace": NS, "uid": "sts-uid"},
        "spec": {"replicas": 3, "selector": {"matchLabels": labels}},
    }
    h = Harness()
    h.add(budget(minAvailable="34%"), sts)
    verify(await h.sync(), 0, 0, 0, 0)
    for i in range(3):
        h.add(new_pod(f"foobar {i}", owner=sts, labels=labels))
        verify(await h.sync(), 1 if i == 2 else 0, i + 1, 2, 3)


async def test_two_controllers() -> None:
    """TestTwoControllers: a ReplicaSet of its own (upstream's ReplicationController) and a
    Deployment's ReplicaSet, 11 pods each, minAvailable 28% (4 of 11, 7 of 22)."""
    size, minimum_one, minimum_two = 11, 4, 7
    own_labels = {"foo": "bar", "baz": "quux"}
    dep_labels = {"foo": "bar", "baz": "quuux"}
    h = Harness()
    h.add(budget(minAvailable="28%"))
    own = new_replicaset(size, name="own", uid="own-uid")
    h.add(own)
    verify(await h.sync(), 0, 0, 0, 0)

    pods: list[Obj] = []
    unavailable = size - minimum_one - 1
    for i in range(1, size + 1):
        pods.append(new_pod(f"quux {i}", owner=own, labels=own_labels, ready=i > unavailable))
        h.add(pods[-1])
        status = await h.sync()
        if i <= unavailable:
            verify(status, 0, 0, minimum_one, size)
        elif i - unavailable <= minimum_one:
            verify(status, 0, i - unavailable, minimum_one, size)
        else:
            verify(status, 1, i - unavailable, minimum_one, size)

    dep = deployment("dep", namespace=NS, replicas=size, uid="dep-uid", match_labels=dep_labels)
    h.add(dep)
    verify(await h.sync(), 1, minimum_one + 1, minimum_one, size)
    rs = new_replicaset(size, name="dep-rs", uid="dep-rs-uid", owner=dep)
    h.add(rs)
    verify(await h.sync(), 1, minimum_one + 1, minimum_one, size)

    unavailable = 2 * size - (minimum_two + 2) - unavailable
    for i in range(1, size + 1):
        pods.append(new_pod(f"quuux {i}", owner=rs, labels=dep_labels, ready=i > unavailable))
        h.add(pods[-1])
        status = await h.sync()
        if i <= unavailable:
            verify(status, 0, minimum_one + 1, minimum_two, 2 * size)
        elif i - unavailable <= minimum_two - (minimum_one + 1):
            verify(status, 0, (minimum_one + 1) + (i - unavailable), minimum_two, 2 * size)
        else:
            allowed = i - unavailable - (minimum_two - (minimum_one + 1))
            verify(status, allowed, (minimum_one + 1) + (i - unavailable), minimum_two, 2 * size)

    # one pod down still allows a disruption, two do not; one back up allows one again
    verify(await h.sync(), 2, 2 + minimum_two, minimum_two, 2 * size)
    h.add(new_pod(f"quux {size}", owner=own, labels=own_labels, ready=False))
    verify(await h.sync(), 1, 1 + minimum_two, minimum_two, 2 * size)
    h.add(new_pod(f"quux {size - 1}", owner=own, labels=own_labels, ready=False))
    verify(await h.sync(), 0, minimum_two, minimum_two, 2 * size)
    h.add(new_pod(f"quux {size}", owner=own, labels=own_labels, ready=True))
    verify(await h.sync(), 1, 1 + minimum_two, minimum_two, 2 * size)


async def test_naked_pod() -> None:
    """TestNakedPod / TestIntegerMaxUnavailable: no pods, then a pod without a controller."""
    for spec in ({"minAvailable": "28%"}, {"maxUnavailable": 1}):
        h = Harness()
        h.add(budget(**spec))
        assert (await h.sync())["disruptionsAllowed"] == 0
        h.add(new_pod("naked"))
        status = await h.sync()
        assert status["disruptionsAllowed"] == 0
        assert (
            status["conditions"][0]["reason"] == "InsufficientPods"
        )  # no sync error (TestStatusForUnmanagedPod)
        assert "UnmanagedPods" in h.events.reasons()


async def test_unsupported_controller_pod() -> None:
    """TestUnsupportedControllerPod: a controller of a kind no one serves fails the sync safe."""
    h = Harness()
    h.add(budget(minAvailable="28%"))
    assert (await h.sync())["disruptionsAllowed"] == 0
    workload = {
        "apiVersion": "apps.test.io/v1",
        "kind": "TestWorkload",
        "metadata": {"name": "w", "uid": "w-uid"},
    }
    h.add(new_pod("naked", owner=workload))
    status = await h.sync()
    assert status["disruptionsAllowed"] == 0
    assert status["conditions"][0]["reason"] == "SyncFailed"
    assert (
        status["conditions"][0]["message"]
        == 'no matches for kind "TestWorkload" in version "apps.test.io/v1"'
    )
    assert "CalculateExpectedPodCountFailed" in h.events.reasons()


async def test_scale_resource() -> None:
    """TestScaleResource: a custom resource's Scale of 10, 4 of its pods, maxUnavailable 5."""
    h = Harness()
    h.scale_api.serve("custom.k8s.io", "v1", *custom_resources("customresources", "customresource"))
    h.scale_api.put_scale("customresources", NS, "cr", "cr-uid", 10)
    custom = {
        "apiVersion": "custom.k8s.io/v1",
        "kind": "customresource",
        "metadata": {"name": "cr", "uid": "cr-uid"},
    }
    h.add(budget(maxUnavailable=5), *[new_pod(f"pod-{i}", owner=custom) for i in range(4)])
    verify(await h.sync(), 0, 4, 5, 10)


async def test_a_deployments_replicaset_without_its_deployment_counts_its_own_scale() -> None:
    """Neither cache finder answers; the scale subresource of the ReplicaSet does (upstream's order)."""
    h = Harness()
    dep = deployment("gone", namespace=NS, replicas=5, uid="dep-uid", match_labels=FOO_BAR)
    rs = new_replicaset(2, name="gone-rs", uid="rs-uid", owner=dep)
    h.add(budget(maxUnavailable=1), rs, new_pod("a", owner=rs), new_pod("b", owner=rs))
    h.scale_api.put_scale("replicasets", NS, "gone-rs", "rs-uid", 2)
    verify(await h.sync(), 1, 2, 1, 2)
    del h.scale_api.scales[("replicasets", NS, "gone-rs")]
    status = await h.sync()
    messages = {f'found no controllers for pod "{name}"' for name in ("a", "b")}  # the first in cache order
    assert status["conditions"][0]["message"] in messages


async def test_daemonset_pods_under_max_unavailable_fail_safe() -> None:
    """A DaemonSet has no scale: upstream's message, and the status is not marked observed."""
    h = Harness()
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "uid": "ds-uid"}}
    h.add(budget(maxUnavailable=1), new_pod("agent-x", owner=ds))
    status = await h.sync()
    assert (status["disruptionsAllowed"], "observedGeneration" in status) == (0, False)
    assert status["conditions"][0]["message"] == "daemonsets.apps does not implement the scale subresource"


async def test_a_transient_scale_failure_fails_safe_and_retries() -> None:
    h = Harness()
    custom = {
        "apiVersion": "custom.k8s.io/v1",
        "kind": "customresource",
        "metadata": {"name": "cr", "uid": "cr-uid"},
    }
    h.add(budget(maxUnavailable=1), new_pod("a", owner=custom))
    h.scale_api.failure = errors.ServiceUnavailable("etcd is unavailable")
    result = await h.controller.reconcile(KEY)
    assert result.error is not None
    status = (h.budgets.get(KEY) or {})["status"]
    assert (status["disruptionsAllowed"], status["conditions"][0]["message"]) == (0, "etcd is unavailable")
    h.scale_api.failure = None
    h.scale_api.serve("custom.k8s.io", "v1", *custom_resources("customresources", "customresource"))
    h.scale_api.put_scale("customresources", NS, "cr", "cr-uid", 2)
    verify(await h.sync(), 0, 1, 1, 2)


async def test_pdb_not_exist() -> None:
    """TestPDBNotExist."""
    h = Harness()
    h.add(budget(minAvailable="67%"))
    assert await h.controller.reconcile(f"{NS}/notExist") == DONE
    assert h.budget_api.writes == []


async def test_an_unchanged_status_is_not_written_again() -> None:
    h = Harness()
    rs = new_replicaset(2)
    h.add(budget(maxUnavailable=1), rs, new_pod("a", owner=rs), new_pod("b", owner=rs))
    first = await h.sync()
    assert await h.sync() == first
    assert len(h.budget_api.writes) == 1


async def test_a_conflicting_write_is_retried_routinely() -> None:
    """A Conflict (the eviction handler wrote the budget meanwhile) is retried, not failed safe."""
    h = Harness()
    h.add(budget(minAvailable=1), new_pod("a"))
    h.budget_api.failure = errors.Conflict("the object has been modified")
    result = await h.controller.reconcile(KEY)
    assert (isinstance(result.error, errors.Conflict), result.routine) == (True, True)
