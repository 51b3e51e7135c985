"""The pure halves of claiming and of the UID-tracking expectations: upstream's ``ClaimObject``
branches (controller_ref_manager.go) and ``TestUIDExpectations`` (controller_utils_test.go)."""

from __future__ import annotations

import pytest

from everynode.controllers.replicaset.claims import Action, claim_action
from everynode.controllers.replicaset.expectations import PodExpectations
from everynode.controllers.replicaset.podtemplate import generate_name
from everynode.core.clock import FakeClock
from everynode.core.labelselector import from_label_selector
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.runtime.expectations import EXPECTATIONS_TIMEOUT
from tests.unit.controllers.replicaset.harness import START, new_pod, new_replicaset, ref_to

LABELS = {"foo": "bar"}
SELECTOR = from_label_selector({"matchLabels": LABELS})
RS = new_replicaset(1, LABELS)
DELETING_RS = dict(RS, metadata={**RS["metadata"], "deletionTimestamp": format_time(START)})
OTHER_RS = new_replicaset(1, LABELS, name="other")


def pod(
    *,
    owner: Obj | None = None,
    labels: dict[str, str] = LABELS,
    deleting: bool = False,
    namespace: str = "default",
) -> Obj:
    made = new_pod("p", RS, "Running", owned=False, labels=labels)
    made["metadata"]["namespace"] = namespace
    if owner is not None:
        made["metadata"]["ownerReferences"] = [ref_to(owner)]
    if deleting:
        made["metadata"]["deletionTimestamp"] = format_time(START)
    return made


@pytest.mark.parametrize(
    ("owner", "obj", "action"),
    [
        pytest.param(RS, pod(owner=OTHER_RS), Action.IGNORE, id="owned by someone else"),
        pytest.param(RS, pod(owner=RS), Action.OWN, id="ours and matching"),
        pytest.param(DELETING_RS, pod(owner=RS), Action.OWN, id="ours and matching, while being deleted"),
        pytest.param(RS, pod(owner=RS, labels={"foo": "no"}), Action.RELEASE, id="ours, no longer matching"),
        pytest.param(
            DELETING_RS, pod(owner=RS, labels={"foo": "no"}), Action.IGNORE, id="no release while deleting"
        ),
        pytest.param(RS, pod(), Action.ADOPT, id="matching orphan"),
        pytest.param(DELETING_RS, pod(), Action.IGNORE, id="no adoption while deleting"),
        pytest.param(RS, pod(labels={"foo": "no"}), Action.IGNORE, id="orphan not matching"),
        pytest.param(RS, pod(deleting=True), Action.IGNORE, id="orphan being deleted"),
        pytest.param(RS, pod(namespace="elsewhere"), Action.IGNORE, id="orphan of another namespace"),
    ],
)
def test_claim_action(owner: Obj, obj: Obj, action: Action) -> None:
    assert claim_action(owner, SELECTOR, obj) is action


async def test_uid_expectations() -> None:
    """``TestUIDExpectations``: deletions are awaited by pod key, each counted once; creations by count;
    a record expires after the timeout; forgetting drops both."""
    clock = FakeClock(START)
    expectations = PodExpectations(clock)
    key = "default/rs"
    expectations.expect_deletions(key, ["default/a", "default/b"])
    assert not expectations.satisfied(key)
    expectations.deletion_observed(key, "default/a")
    expectations.deletion_observed(key, "default/a")
    expectations.deletion_observed(key, "default/unrelated")
    assert expectations.pending(key) == (0, 1)
    assert expectations.awaited_deletions(key) == {"default/b"}
    expectations.deletion_observed(key, "default/b")
    assert expectations.satisfied(key)

    expectations.expect_creations(key, 2)
    expectations.creation_observed(key)
    assert not expectations.satisfied(key)
    await clock.advance(EXPECTATIONS_TIMEOUT + 1)
    assert expectations.satisfied(key)  # expired: a lost watch event must not stall the ReplicaSet

    expectations.forget(key)
    assert key not in expectations
    assert expectations.pending(key) == (0, 0)
    assert expectations.awaited_deletions(key) == frozenset()


@pytest.mark.parametrize(("name", "prefix"), [("web", "web-"), ("a.b", "a.b-"), ("r" * 253, "r" * 253 + "-")])
def test_generate_name(name: str, prefix: str) -> None:
    """``getPodsPrefix``: the dash is added whenever the prefix validates (a trailing dash is masked,
    so even a 253-character name takes one; the server truncates the generated name)."""
    assert generate_name(name) == prefix
