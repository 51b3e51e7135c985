from __future__ import annotations

from everynode.core.clock import FakeClock
from everynode.runtime.expectations import Expectations


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
