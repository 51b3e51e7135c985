"""Owner references, owner classification, the decision, and the patches (all pure)."""

from __future__ import annotations

from typing import Any

import pytest

from everynode.controllers.garbagecollector.decisions import (
    KEEP,
    Decision,
    OwnerState,
    decide,
    lookup_target,
    owner_state,
    policy_for,
    remove_finalizer_patch,
    remove_owner_refs_patch,
    unblock_owner_refs_patch,
)
from everynode.controllers.garbagecollector.refs import (
    Identity,
    OwnerRef,
    deletion_starts_with,
    owner_refs,
    resource_for,
)
from everynode.core import resources as r
from everynode.core.types import Obj

DS_REF = OwnerRef("apps/v1", "DaemonSet", "ds", "u-ds", controller=True, block_owner_deletion=True)
POD = Identity("v1", "Pod", "ns", "p", "u-pod")


def obj(**meta: Any) -> Obj:
    return {"metadata": {"name": "x", "uid": "u-x", **meta}}


# -- refs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("apps/v1", "DaemonSet", r.DAEMONSETS),
        ("apps/v1beta2", "DaemonSet", r.DAEMONSETS),  # the version does not change the object
        ("v1", "Pod", r.PODS),
        ("v1", "Node", r.NODES),
        ("apps/v1", "ControllerRevision", r.CONTROLLER_REVISIONS),
        ("apps/v1", "ReplicaSet", r.REPLICASETS),
        ("batch/v1", "Job", None),  # not served
        ("extensions/v1beta1", "DaemonSet", None),  # another group
        ("example.com/v1", "Widget", None),
    ],
)
def test_owners_resolve_by_group_and_kind(
    api_version: str, kind: str, expected: r.ResourceInfo | None
) -> None:
    assert resource_for(api_version, kind) is expected


def test_owner_references_are_parsed_and_references_without_uid_skipped() -> None:
    parsed = owner_refs(
        obj(
            ownerReferences=[
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": "ds",
                    "uid": "u-ds",
                    "controller": True,
                },
                {"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": ""},
                "garbage",
            ]
        )
    )
    assert parsed == (OwnerRef("apps/v1", "DaemonSet", "ds", "u-ds", controller=True),)


def test_owner_identity_is_namespaced_only_for_namespaced_kinds() -> None:
    assert DS_REF.owner_identity("ns").namespace == "ns"
    node = OwnerRef("v1", "Node", "n1", "u-n1")
    assert node.owner_identity("ns").namespace == ""


def test_deletion_starts_with_a_finalizer_only_once() -> None:
    live = obj(finalizers=["orphan"])
    deleting = obj(finalizers=["orphan"], deletionTimestamp="2024-01-01T00:00:00Z")
    assert deletion_starts_with(None, deleting, "orphan")
    assert deletion_starts_with(live, deleting, "orphan")
    assert not deletion_starts_with(deleting, deleting, "orphan")
    assert not deletion_starts_with(None, live, "orphan")
    assert not deletion_starts_with(None, deleting, "foregroundDeletion")


# -- classification ---------------------------------------------------------------------------------


def test_an_owner_is_dangling_when_missing_or_reincarnated() -> None:
    assert owner_state(DS_REF, None) is OwnerState.DANGLING
    assert owner_state(DS_REF, {"metadata": {"uid": "another"}}) is OwnerState.DANGLING


def test_an_owner_in_foreground_deletion_is_waiting_and_otherwise_solid() -> None:
    waiting = {
        "metadata": {"uid": "u-ds", "deletionTimestamp": "t", "finalizers": ["foregroundDeletion"]},
    }
    orphaning = {"metadata": {"uid": "u-ds", "deletionTimestamp": "t", "finalizers": ["orphan"]}}
    assert owner_state(DS_REF, waiting) is OwnerState.WAITING
    assert owner_state(DS_REF, orphaning) is OwnerState.SOLID
    assert owner_state(DS_REF, {"metadata": {"uid": "u-ds"}}) is OwnerState.SOLID


def test_where_owners_are_looked_up() -> None:
    assert lookup_target(DS_REF, POD) == ("ns", True)
    assert lookup_target(OwnerRef("v1", "Node", "n", "u"), POD) == (None, True)
    assert lookup_target(OwnerRef("batch/v1", "Job", "job", "u"), POD) == (None, False)  # not served
    cluster_scoped = Identity("v1", "Node", "", "n", "u-node")
    assert lookup_target(DS_REF, cluster_scoped) == (None, False)  # a namespaced owner cannot own it


# -- decisions ------------------------------------------------------------------------------------------

OTHER = OwnerRef("apps/v1", "DaemonSet", "other", "u-other", block_owner_deletion=True)
UNKNOWN = OwnerRef("apps/v1", "ReplicaSet", "rs", "u-rs")


def test_no_owners_keep() -> None:
    assert decide(obj(), [], has_dependents=False, dependent_deleting_dependents=False) == KEEP


def test_all_owners_dangling_delete_in_the_background() -> None:
    decision = decide(
        obj(), [(DS_REF, OwnerState.DANGLING)], has_dependents=True, dependent_deleting_dependents=False
    )
    assert decision == Decision("delete", policy="Background")


@pytest.mark.parametrize(
    ("finalizer", "policy"), [("orphan", "Orphan"), ("foregroundDeletion", "Foreground")]
)
def test_the_objects_own_finalizer_chooses_the_policy(finalizer: str, policy: str) -> None:
    latest = obj(finalizers=[finalizer])
    assert policy_for(latest) == policy
    decision = decide(
        latest, [(DS_REF, OwnerState.DANGLING)], has_dependents=False, dependent_deleting_dependents=False
    )
    assert decision == Decision("delete", policy=policy)


def test_a_solid_owner_keeps_the_object_and_loses_only_dangling_and_waiting_references() -> None:
    third = OwnerRef("v1", "Pod", "p3", "u-p3")
    states = [(DS_REF, OwnerState.DANGLING), (OTHER, OwnerState.SOLID), (third, OwnerState.WAITING)]
    decision = decide(obj(), states, has_dependents=False, dependent_deleting_dependents=False)
    assert decision == Decision("remove_refs", remove_uids=("u-ds", "u-p3"))
    assert (
        decide(obj(), [(OTHER, OwnerState.SOLID)], has_dependents=False, dependent_deleting_dependents=False)
        == KEEP
    )


def test_an_unresolvable_owner_counts_as_solid() -> None:
    states = [(UNKNOWN, OwnerState.UNRESOLVED)]
    assert decide(obj(), states, has_dependents=False, dependent_deleting_dependents=False) == KEEP
    states = [(UNKNOWN, OwnerState.UNRESOLVED), (DS_REF, OwnerState.DANGLING)]
    decision = decide(obj(), states, has_dependents=False, dependent_deleting_dependents=False)
    assert decision == Decision("remove_refs", remove_uids=("u-ds",))


def test_a_waiting_owner_deletes_a_dependent_with_dependents_in_the_foreground() -> None:
    states = [(DS_REF, OwnerState.WAITING)]
    assert decide(obj(), states, has_dependents=True, dependent_deleting_dependents=False) == Decision(
        "delete", policy="Foreground"
    )
    assert decide(obj(), states, has_dependents=True, dependent_deleting_dependents=True) == Decision(
        "delete", policy="Foreground", unblock_first=True
    )
    # a leaf goes with its own policy (Background by default)
    assert decide(obj(), states, has_dependents=False, dependent_deleting_dependents=False) == Decision(
        "delete", policy="Background"
    )


def test_waiting_and_dangling_owners_together_delete() -> None:
    states = [(DS_REF, OwnerState.WAITING), (OTHER, OwnerState.DANGLING)]
    assert decide(obj(), states, has_dependents=False, dependent_deleting_dependents=False).action == "delete"


# -- patches -------------------------------------------------------------------------------------------


def test_the_remove_references_patch_is_upstreams_strategic_merge() -> None:
    assert remove_owner_refs_patch("u-pod", ["u-a", "u-b"]) == {
        "metadata": {
            "ownerReferences": [{"$patch": "delete", "uid": "u-a"}, {"$patch": "delete", "uid": "u-b"}],
            "uid": "u-pod",
        }
    }


def test_the_unblock_patch_touches_only_blocking_references() -> None:
    patch = unblock_owner_refs_patch("u-pod", [DS_REF, UNKNOWN])
    assert patch is not None
    (entry,) = patch["metadata"]["ownerReferences"]
    assert entry["uid"] == "u-ds"
    assert entry["blockOwnerDeletion"] is False
    assert unblock_owner_refs_patch("u-pod", [UNKNOWN]) is None


def test_the_finalizer_patch_is_guarded_by_the_resource_version() -> None:
    held = obj(resourceVersion="7", finalizers=["example.com/keep", "foregroundDeletion"])
    assert remove_finalizer_patch(held, "foregroundDeletion") == {
        "metadata": {"resourceVersion": "7", "finalizers": ["example.com/keep"]}
    }
    assert remove_finalizer_patch(obj(resourceVersion="7", finalizers=["orphan"]), "orphan") == {
        "metadata": {"resourceVersion": "7", "finalizers": None}
    }
    assert remove_finalizer_patch(held, "orphan") is None
