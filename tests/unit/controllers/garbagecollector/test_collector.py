"""The collector's workers on an in-memory API server: background, foreground and orphan cascades,
mixed owners, and the races the writes guard against."""

from __future__ import annotations

from everynode.controllers.garbagecollector.collector import NotObservedYet, Retry
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.types import Obj
from tests.builders import owner_ref
from tests.unit.controllers.garbagecollector.fakecluster import (
    Call,
    FakeCluster,
    daemonset,
    drain,
    make,
    pod,
)

DS, POD, REV = r.DAEMONSETS, r.PODS, r.CONTROLLER_REVISIONS


def family(cluster: FakeCluster, name: str = "ds", pods: int = 2) -> tuple[Obj, list[Obj]]:
    owner = cluster.create(DS, daemonset(name))
    dependents = [cluster.create(POD, pod(f"{name}-{i}", [owner_ref(owner)])) for i in range(pods)]
    dependents.append(cluster.create(REV, pod(f"{name}-rev", [owner_ref(owner)])))
    return owner, dependents


async def delete_ds(cluster: FakeCluster, owner: Obj, policy: str) -> None:
    """Deletes the DaemonSet "ds" (``owner``) through the API with ``policy``, guarded by its uid."""
    await cluster.delete(
        DS, "default", "ds", uid=owner["metadata"]["uid"], resource_version=None, propagation_policy=policy
    )


async def test_nothing_happens_while_owners_exist() -> None:
    cluster, collector, _ = make()
    family(cluster)
    assert await drain(collector) == []
    assert cluster.verbs("delete") == []
    assert cluster.verbs("patch") == []


async def test_background_deletion_collects_every_dependent_with_preconditions() -> None:
    cluster, collector, _ = make()
    owner, dependents = family(cluster)
    await drain(collector)
    cluster.calls.clear()
    cluster.remove(DS, "default", "ds")
    assert await drain(collector) == []
    deletes = cluster.verbs("delete")
    assert sorted(call.name for call in deletes) == ["ds-0", "ds-1", "ds-rev"]
    for call in deletes:
        assert call.details["policy"] == "Background"
        assert call.details["uid"]
        assert call.details["rv"]
    assert all(cluster.find(POD, "default", d["metadata"]["name"]) is None for d in dependents[:2])
    assert cluster.find(REV, "default", "ds-rev") is None
    # the owner was confirmed absent once and remembered: no GET per dependent
    owner_gets = [call for call in cluster.verbs("get") if call.resource == "daemonsets"]
    assert owner_gets == []
    _ = owner


async def test_a_dependent_with_its_own_finalizer_is_deleted_with_that_policy() -> None:
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    cluster.create(POD, pod("keeper", [owner_ref(owner)], finalizers=["orphan"]))
    cluster.remove(DS, "default", "ds")
    await drain(collector)
    (call,) = cluster.verbs("delete")
    assert call.details["policy"] == "Orphan"


async def test_a_dependent_of_an_owner_never_seen_is_collected_after_a_lookup() -> None:
    cluster, collector, _ = make()
    ghost = daemonset("ghost", uid="u-ghost")
    cluster.create(POD, pod("haunted", [owner_ref(ghost)]))
    assert await drain(collector) == []
    assert cluster.find(POD, "default", "haunted") is None
    assert cluster.verbs("get")[0].resource == "daemonsets"


async def test_an_owner_recreated_under_the_same_name_is_absent() -> None:
    cluster, collector, _ = make()
    cluster.informers = False  # the collector never saw the first one
    old = cluster.create(DS, daemonset("ds"))
    cluster.objects.pop(("daemonsets", "default", "ds"))
    cluster.informers = True
    cluster.create(DS, daemonset("ds"))
    cluster.create(POD, pod("p", [owner_ref(old)]))
    await drain(collector)
    assert cluster.find(POD, "default", "p") is None
    assert cluster.find(DS, "default", "ds") is not None


async def test_a_virtual_owner_that_exists_is_polled_until_it_is_observed() -> None:
    cluster, collector, _ = make()
    cluster.informers = False
    owner = cluster.create(DS, daemonset("ds"))
    cluster.informers = True
    cluster.create(POD, pod("p", [owner_ref(owner)]))
    failures = await drain(collector)
    assert [(queue, uid, type(exc)) for queue, uid, exc in failures] == [
        ("delete", owner["metadata"]["uid"], NotObservedYet)
    ]
    assert cluster.find(POD, "default", "p") is not None
    # once the informer shows it, the node is real and nothing more happens
    collector.graph.observe(DS, owner)
    node = collector.graph.get(owner["metadata"]["uid"])
    assert node is not None
    assert node.observed


async def test_mixed_owners_lose_only_the_dangling_reference() -> None:
    cluster, collector, _ = make()
    first = cluster.create(DS, daemonset("first"))
    second = cluster.create(DS, daemonset("second"))
    cluster.create(POD, pod("shared", [owner_ref(first), owner_ref(second, controller=False)]))
    await drain(collector)
    cluster.remove(DS, "default", "first")
    assert await drain(collector) == []
    shared = cluster.find(POD, "default", "shared")
    assert shared is not None
    assert [o["uid"] for o in shared["metadata"]["ownerReferences"]] == [second["metadata"]["uid"]]
    assert cluster.verbs("delete") == []
    (patch,) = cluster.verbs("patch")
    assert patch.details["type"] == "strategic"
    assert patch.details["patch"]["metadata"]["ownerReferences"] == [
        {"$patch": "delete", "uid": first["metadata"]["uid"]}
    ]


async def test_an_owner_of_a_kind_we_do_not_serve_is_left_alone() -> None:
    cluster, collector, _ = make()
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "uid": "u-w"}}
    cluster.create(POD, pod("p", [owner_ref(widget)]))
    assert await drain(collector) == []
    assert cluster.find(POD, "default", "p") is not None
    assert cluster.calls == []


async def test_foreground_deletion_deletes_dependents_then_removes_the_finalizer() -> None:
    cluster, collector, _ = make()
    owner, _ = family(cluster)
    await drain(collector)
    await delete_ds(cluster, owner, "Foreground")
    assert cluster.find(DS, "default", "ds") is not None
    assert await drain(collector) == []
    assert cluster.find(DS, "default", "ds") is None
    assert cluster.find(POD, "default", "ds-0") is None
    assert cluster.find(REV, "default", "ds-rev") is None
    finalizer_patches = [c for c in cluster.verbs("patch") if c.resource == "daemonsets"]
    (patch,) = finalizer_patches
    assert patch.details["type"] == "merge"
    assert patch.details["patch"]["metadata"]["finalizers"] is None
    assert patch.details["patch"]["metadata"]["resourceVersion"]


async def test_foreground_deletion_waits_for_a_dependent_that_lingers() -> None:
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    held = cluster.create(POD, pod("held", [owner_ref(owner)], finalizers=["example.com/hold"]))
    free = cluster.create(POD, pod("free", [owner_ref(owner, block=False)], finalizers=["example.com/hold"]))
    await delete_ds(cluster, owner, "Foreground")
    await drain(collector)
    ds = cluster.find(DS, "default", "ds")
    assert ds is not None
    assert ds["metadata"]["finalizers"] == ["foregroundDeletion"]
    held_now = cluster.find(POD, "default", "held")
    assert held_now is not None
    assert held_now["metadata"]["deletionTimestamp"]
    # the held pod goes: only a non-blocking dependent remains, which does not hold the owner
    await cluster.patch(POD, "default", "held", {"metadata": {"finalizers": None}}, patch_type="merge")
    await drain(collector)
    assert cluster.find(DS, "default", "ds") is None
    assert cluster.find(POD, "default", "free") is not None  # deleted, but held by its own finalizer
    _ = (held, free)


async def test_foreground_deletion_of_a_chain_deletes_intermediate_owners_in_the_foreground() -> None:
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    middle = cluster.create(POD, pod("middle", [owner_ref(owner)]))
    cluster.create(POD, pod("leaf", [owner_ref(middle)]))
    await drain(collector)
    await delete_ds(cluster, owner, "Foreground")
    cluster.calls.clear()
    assert await drain(collector) == []
    policies = {call.name: call.details["policy"] for call in cluster.verbs("delete")}
    assert policies == {"middle": "Foreground", "leaf": "Background"}
    assert cluster.objects == {}


async def test_a_dependent_owned_by_a_waiting_owner_and_a_live_one_loses_the_reference() -> None:
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    other = cluster.create(DS, daemonset("other"))
    cluster.create(POD, pod("shared", [owner_ref(owner), owner_ref(other, controller=False)]))
    await drain(collector)
    await delete_ds(cluster, owner, "Foreground")
    assert await drain(collector) == []
    shared = cluster.find(POD, "default", "shared")
    assert shared is not None
    assert [o["uid"] for o in shared["metadata"]["ownerReferences"]] == [other["metadata"]["uid"]]
    assert cluster.find(DS, "default", "ds") is None


async def test_orphan_deletion_strips_the_reference_then_removes_the_finalizer() -> None:
    cluster, collector, _ = make()
    owner, dependents = family(cluster)
    await drain(collector)
    await delete_ds(cluster, owner, "Orphan")
    assert await drain(collector) == []
    assert cluster.find(DS, "default", "ds") is None
    for dependent in dependents:
        info = REV if dependent["kind"] == "ControllerRevision" else POD
        kept = cluster.find(info, "default", dependent["metadata"]["name"])
        assert kept is not None
        assert kept["metadata"]["ownerReferences"] == []
    assert cluster.verbs("delete") == [
        Call("delete", "daemonsets", "ds", {"uid": owner["metadata"]["uid"], "rv": None, "policy": "Orphan"})
    ]


async def test_orphaning_retries_when_a_dependent_cannot_be_patched() -> None:
    cluster, collector, _ = make()
    owner, _ = family(cluster, pods=1)
    await drain(collector)
    cluster.fail("patch", errors.ServiceUnavailable("try later"))
    await delete_ds(cluster, owner, "Orphan")
    failures = await drain(collector)
    assert [(queue, type(exc)) for queue, _, exc in failures] == [("orphan", Retry)]
    ds = cluster.find(DS, "default", "ds")
    assert ds is not None
    assert ds["metadata"]["finalizers"] == ["orphan"], "the finalizer stays until every dependent is orphaned"
    await collector.attempt_to_orphan(owner["metadata"]["uid"])
    assert cluster.find(DS, "default", "ds") is None


async def test_a_finalizer_removal_that_conflicts_rereads_and_retries() -> None:
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    await delete_ds(cluster, owner, "Orphan")
    cluster.fail("patch", errors.conflict("daemonsets", "apps", "ds", errors.MODIFIED))
    assert await drain(collector) == []
    assert cluster.find(DS, "default", "ds") is None
    assert len([c for c in cluster.verbs("patch") if c.resource == "daemonsets"]) == 2


async def test_a_dependent_adopted_while_being_collected_is_kept() -> None:
    """The delete carries the resourceVersion it was decided on; if the object changed and its owners
    with it (an adoption), the decision is made again."""
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    cluster.create(POD, pod("p", [owner_ref(owner)]))
    adopter = cluster.create(DS, daemonset("adopter"))
    await drain(collector)

    def adopt_first(call: Call) -> None:
        if call.name == "p" and call.details["rv"]:
            current = cluster.find(POD, "default", "p")
            assert current is not None
            current["metadata"]["ownerReferences"].append(owner_ref(adopter, controller=False))
            cluster.update(POD, current)

    cluster.before_delete = adopt_first
    cluster.remove(DS, "default", "ds")
    failures = await drain(collector)
    assert [type(exc) for _, _, exc in failures] == [Retry]
    cluster.before_delete = None
    kept = cluster.find(POD, "default", "p")
    assert kept is not None
    await collector.attempt_to_delete(kept["metadata"]["uid"])
    kept = cluster.find(POD, "default", "p")
    assert kept is not None
    assert [o["uid"] for o in kept["metadata"]["ownerReferences"]] == [adopter["metadata"]["uid"]]


async def test_a_changed_dependent_with_the_same_owners_is_still_deleted() -> None:
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    cluster.create(POD, pod("p", [owner_ref(owner)]))
    await drain(collector)

    def touch_first(call: Call) -> None:
        if call.details["rv"]:
            current = cluster.find(POD, "default", "p")
            assert current is not None
            current["metadata"]["labels"] = {"touched": "yes"}
            cluster.update(POD, current)

    cluster.before_delete = touch_first
    cluster.remove(DS, "default", "ds")
    assert await drain(collector) == []
    assert cluster.find(POD, "default", "p") is None
    assert [call.details["rv"] is None for call in cluster.verbs("delete")] == [False, True]


async def test_a_dependent_gone_before_the_worker_reaches_it_is_dropped_from_the_graph() -> None:
    cluster, collector, _ = make()
    owner = cluster.create(DS, daemonset("ds"))
    dependent = cluster.create(POD, pod("p", [owner_ref(owner)]))
    await drain(collector)
    cluster.informers = False
    cluster.objects.pop(("pods", "default", "p"))
    await collector.attempt_to_delete(dependent["metadata"]["uid"])
    assert collector.graph.get(dependent["metadata"]["uid"]) is None


async def test_a_virtual_owner_nobody_refers_to_any_more_is_dropped_without_a_lookup() -> None:
    cluster, collector, _ = make()
    ghost = daemonset("ghost", uid="u-ghost")
    created = cluster.create(POD, pod("p", [owner_ref(ghost)]))
    created["metadata"]["ownerReferences"] = []
    cluster.update(POD, created)
    assert await drain(collector) == []
    assert collector.graph.get("u-ghost") is None
    assert cluster.calls == []
