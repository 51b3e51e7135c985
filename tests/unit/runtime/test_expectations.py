from __future__ import annotations

from everynode.core.clock import FakeClock
from everynode.runtime.expectations import (
    EXPECTATIONS_TIMEOUT,
    Expectations,
    UIDTrackingExpectations,
    pod_key,
)
from tests import builders


async def test_a_key_is_held_until_every_expected_write_is_observed() -> None:
    expectations = Expectations(FakeClock())
    assert expectations.satisfied("ds")
    expectations.expect("ds", adds=2, deletes=1)
    assert not expectations.satisfied("ds")
    expectations.creation_observed("ds")
    expectations.creation_observed("ds")
    assert expectations.pending("ds") == (0, 1)
    assert not expectations.satisfied("ds")
    expectations.deletion_observed("ds")
    assert expectations.satisfied("ds")


async def test_observations_beyond_expectations_do_not_go_negative_in_pending() -> None:
    expectations = Expectations(FakeClock())
    expectations.expect("ds", adds=1)
    expectations.creation_observed("ds")
    expectations.creation_observed("ds")  # someone else's pod, say
    assert expectations.pending("ds") == (0, 0)
    assert expectations.satisfied("ds")
    expectations.raise_expectations("ds", adds=1)  # as upstream: raising adds to what is left (-1 + 1)
    assert expectations.satisfied("ds")
    expectations.raise_expectations("ds", adds=1)
    assert not expectations.satisfied("ds")


async def test_expectations_expire_when_events_never_come() -> None:
    clock = FakeClock()
    expectations = Expectations(clock, timeout=300)
    expectations.expect("ds", adds=5)
    await clock.advance(299)
    assert not expectations.satisfied("ds")
    await clock.advance(2)
    assert expectations.satisfied("ds")
    expectations.forget("ds")
    assert expectations.pending("ds") == (0, 0)


async def test_uid_expectations() -> None:
    """``TestUIDExpectations`` (controller_utils_test.go): deletions are awaited by pod key, each counted
    once; creations by count; a record expires after the timeout; forgetting drops both."""
    clock = FakeClock()
    expectations = UIDTrackingExpectations(clock)
    key = "default/rs"
    expectations.expect_deletions(key, ["default/a", "default/b"])
    assert key in expectations
    assert not expectations.satisfied(key)
    expectations.deletion_observed(key, "default/a")
    expectations.deletion_observed(key, "default/a")  # the delete after the graceful update
    expectations.deletion_observed(key, "default/unrelated")
    assert expectations.pending(key) == (0, 1)
    assert expectations.awaited_deletions(key) == {"default/b"}
    expectations.deletion_observed(key, "default/b")
    assert expectations.satisfied(key)

    expectations.expect_creations(key, 2)
    assert expectations.awaited_deletions(key) == frozenset()
    expectations.creation_observed(key)
    assert not expectations.satisfied(key)
    await clock.advance(EXPECTATIONS_TIMEOUT + 1)
    assert expectations.satisfied(key)  # expired: a lost watch event must not stall the owner

    expectations.forget(key)
    assert key not in expectations
    assert expectations.pending(key) == (0, 0)
    assert expectations.awaited_deletions(key) == frozenset()


async def test_creations_and_deletions_awaited_together() -> None:
    """One sync that creates and deletes (the DaemonSet's ``SetExpectations``): both must be seen."""
    expectations = UIDTrackingExpectations(FakeClock())
    expectations.expect_pods("ds", adds=1, deleting=["ns/old", "ns/old"])
    assert expectations.pending("ds") == (1, 1)
    expectations.deletion_observed("ds", "ns/old")
    expectations.deletion_observed("ds", "ns/old")
    assert not expectations.satisfied("ds")
    expectations.creation_observed("ds")
    assert expectations.satisfied("ds")


async def test_without_a_pod_key_a_deletion_is_counted_as_by_plain_expectations() -> None:
    """A caller that cannot name the pod (an in-memory API observing its own deletes) lowers the count;
    counts set without keys track no pod, so keyed observations then change nothing."""
    expectations = UIDTrackingExpectations(FakeClock())
    expectations.expect_pods("ds", deleting=["ns/a", "ns/b"])
    expectations.deletion_observed("ds")
    assert expectations.pending("ds") == (0, 1)
    expectations.expect("ds", deletes=1)
    expectations.deletion_observed("ds", "ns/a")
    assert expectations.pending("ds") == (0, 1)
    expectations.deletion_observed("ds")
    assert expectations.satisfied("ds")


def test_pod_key() -> None:
    """Upstream ``PodKey``: always ``namespace/name``."""
    assert pod_key(builders.pod("web-1", namespace="prod")) == "prod/web-1"
    assert pod_key(builders.pod("bare")) == "/bare"
