"""Claiming, owner-agnostic: upstream's ``ClaimObject`` branches and ``TestClaimPods``
(``pkg/controller/controller_ref_manager_test.go``), plus the uncached recheck before adopting
(``RecheckDeletionTimestamp``)."""

from __future__ import annotations

import copy

import pytest

from everynode.core import errors
from everynode.core.labelselector import from_label_selector
from everynode.core.ownerrefs import new_controller_ref
from everynode.core.types import Obj
from everynode.runtime.claims import Action, Claimer, ClaimError, claim_action
from tests import builders

PRODUCTION = {"type": "production"}
TEST = {"type": "test"}
SELECTOR = from_label_selector({"matchLabels": PRODUCTION})
DELETED_AT = "2024-01-01T00:00:00Z"


def owner(name: str = "rs", *, uid: str = "owner-uid", namespace: str | None = "default", **meta: str) -> Obj:
    return builders.replicaset(name, namespace=namespace, uid=uid, match_labels=PRODUCTION, metadata=meta)


OWNER = owner()
DELETING = owner(deletionTimestamp=DELETED_AT)
OTHER = owner("other", uid="other-uid")


def pod(
    name: str = "p",
    *,
    labels: dict[str, str] = PRODUCTION,
    of: Obj | None = None,
    deleting: bool = False,
    namespace: str = "default",
) -> Obj:
    return builders.pod(
        name,
        namespace=namespace,
        uid=f"uid-{name}",
        labels=labels,
        owners=[ref(of)] if of is not None else None,
        deleted=DELETED_AT if deleting else None,
    )


def ref(of: Obj) -> Obj:
    return new_controller_ref(of, api_version="apps/v1", kind="ReplicaSet")


@pytest.mark.parametrize(
    ("claimant", "obj", "action"),
    [
        pytest.param(OWNER, pod(of=OTHER), Action.IGNORE, id="owned by someone else"),
        pytest.param(OWNER, pod(of=OWNER), Action.OWN, id="ours and matching"),
        pytest.param(DELETING, pod(of=OWNER), Action.OWN, id="ours and matching, while being deleted"),
        pytest.param(OWNER, pod(of=OWNER, labels=TEST), Action.RELEASE, id="ours, no longer matching"),
        pytest.param(DELETING, pod(of=OWNER, labels=TEST), Action.IGNORE, id="no release while deleting"),
        pytest.param(OWNER, pod(), Action.ADOPT, id="matching orphan"),
        pytest.param(DELETING, pod(), Action.IGNORE, id="no adoption while deleting"),
        pytest.param(OWNER, pod(labels=TEST), Action.IGNORE, id="orphan not matching"),
        pytest.param(OWNER, pod(deleting=True), Action.IGNORE, id="orphan being deleted"),
        pytest.param(OWNER, pod(namespace="elsewhere"), Action.IGNORE, id="orphan of another namespace"),
        pytest.param(
            owner(namespace=None), pod(namespace="elsewhere"), Action.ADOPT, id="a cluster-scoped owner"
        ),
    ],
)
def test_claim_action(claimant: Obj, obj: Obj, action: Action) -> None:
    """``ClaimObject``'s branches, one per case."""
    assert claim_action(claimant, SELECTOR, obj) is action


class FakeApi:
    """The owner as the API server has it, and the patches sent (applied as a server would)."""

    def __init__(self, fresh: Obj | None = OWNER) -> None:
        self.fresh = fresh
        self.fetch_error: errors.ApiError | None = None
        self.patch_errors: dict[str, errors.ApiError] = {}
        self.fetches = 0
        self.patches: list[tuple[str, Obj]] = []

    async def fetch(self, namespace: str, name: str) -> Obj:
        self.fetches += 1
        if self.fetch_error is not None:
            raise self.fetch_error
        if self.fresh is None:
            raise errors.not_found("replicasets", "apps", name)
        return copy.deepcopy(self.fresh)

    async def patch(self, namespace: str, name: str, patch: Obj) -> Obj:
        self.patches.append((name, patch))
        if name in self.patch_errors:
            raise self.patch_errors[name]
        return {"patched": name}

    def claimer(self, claimant: Obj = OWNER) -> Claimer:
        return Claimer(claimant, SELECTOR, ref(claimant), self.fetch, self.patch)


def names(objs: list[Obj]) -> list[str]:
    return [obj.get("patched") or obj["metadata"]["name"] for obj in objs]


async def test_claim_pods_with_the_right_labels() -> None:
    """``TestClaimPods`` "Claim pods with correct label": the matching orphan is adopted with one
    uncached read of the owner, the other left alone; the patch adds the reference for that uid only."""
    api = FakeApi()
    claimed = await api.claimer().claim([pod("pod1"), pod("pod2", labels=TEST)])
    assert names(claimed) == ["pod1"]
    assert api.fetches == 1
    assert api.patches == [("pod1", {"metadata": {"ownerReferences": [ref(OWNER)], "uid": "uid-pod1"}})]


async def test_an_owner_being_deleted_claims_only_what_it_owns() -> None:
    """``TestClaimPods`` "Controller marked for deletion can not claim (new) pods"."""
    api = FakeApi()
    claimed = await api.claimer(DELETING).claim([pod("pod1", of=OWNER), pod("pod2")])
    assert names(claimed) == ["pod1"]
    assert api.patches == []
    assert api.fetches == 0


async def test_pods_of_another_controller_are_not_claimed() -> None:
    """``TestClaimPods`` "Controller can not claim pods owned by another controller"."""
    api = FakeApi()
    claimed = await api.claimer().claim([pod("pod1", of=OWNER), pod("pod2", of=OTHER)])
    assert names(claimed) == ["pod1"]
    assert api.patches == []


async def test_owned_pods_that_stopped_matching_are_released() -> None:
    """``TestClaimPods`` "Controller releases claimed pods when selector doesn't match": the patch
    deletes the owner's reference (merged by uid), for that pod's uid only."""
    api = FakeApi()
    claimed = await api.claimer().claim([pod("pod1", of=OWNER), pod("pod2", of=OWNER, labels=TEST)])
    assert names(claimed) == ["pod1"]
    assert api.patches == [
        (
            "pod2",
            {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": "owner-uid"}], "uid": "uid-pod2"}},
        )
    ]


async def test_orphans_being_deleted_are_not_adopted() -> None:
    """``TestClaimPods`` "Controller does not claim orphaned pods marked for deletion"."""
    api = FakeApi()
    owned, orphan = pod("pod1", of=OWNER, deleting=True), pod("pod2", deleting=True)
    assert names(await api.claimer().claim([owned, orphan])) == ["pod1"]
    assert api.patches == []


@pytest.mark.parametrize(
    ("fresh", "message"),
    [
        pytest.param(DELETING, "default/rs has just been deleted at " + DELETED_AT, id="being deleted"),
        pytest.param(owner(uid="successor"), "is gone: got uid successor, wanted owner-uid", id="replaced"),
        pytest.param(None, "original ReplicaSet default/rs is gone: got uid None", id="gone"),
    ],
)
async def test_the_uncached_recheck_refuses_every_adoption(fresh: Obj | None, message: str) -> None:
    """``RecheckDeletionTimestamp`` (``TestDoNotAdoptOrCreateIfBeingDeletedRace``): the cache says
    alive, the API server says otherwise; no orphan is adopted, the server is asked once, owned pods are
    still claimed and the claim fails."""
    api = FakeApi(fresh)
    with pytest.raises(ClaimError, match=message):
        await api.claimer().claim([pod("pod1"), pod("pod2"), pod("pod3", of=OWNER)])
    assert api.fetches == 1
    assert api.patches == []


async def test_a_failed_recheck_is_not_retried_within_one_claim() -> None:
    """``CanAdopt`` runs once per manager: an error of the re-read refuses every adoption of the claim."""
    api = FakeApi()
    api.fetch_error = errors.InternalError("etcd is down")
    with pytest.raises(ClaimError, match="can't recheck the deletion of ReplicaSet default/rs: etcd is down"):
        await api.claimer().claim([pod("pod1"), pod("pod2")])
    assert api.fetches == 1


async def test_gone_objects_and_refused_releases_are_not_failures() -> None:
    """``ClaimObject`` ignores a 404 from adopting or releasing, ``ReleasePod`` a 422 too; any other
    error of any pod fails the claim after every pod was tried."""
    api = FakeApi()
    api.patch_errors = {
        "gone": errors.not_found("pods", "", "gone"),
        "refused": errors.Invalid("no such owner reference"),
        "conflict": errors.Conflict("another controller was faster"),
    }
    objs = [pod("gone"), pod("refused", of=OWNER, labels=TEST), pod("conflict"), pod("ok")]
    with pytest.raises(ClaimError, match="another controller was faster") as raised:
        await api.claimer().claim(objs)
    assert "no such owner reference" not in str(raised.value)
    assert [name for name, _ in api.patches] == ["gone", "refused", "conflict", "ok"]
