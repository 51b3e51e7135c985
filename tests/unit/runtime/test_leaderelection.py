"""Leader election against an in-memory leases client, with time on a FakeClock."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import pytest

from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.clock import FakeClock
from everynode.core.timestamps import format_micro_time
from everynode.core.types import Obj
from everynode.runtime.leaderelection import (
    LeaderElectionConfig,
    LeaderElector,
    LeadershipLost,
)

NAME, NAMESPACE = "controller-manager", "kube-system"
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class FakeLeases:
    """The verbs leader election uses, with resourceVersion preconditions as the API server has them."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.objects: dict[tuple[str | None, str], Obj] = {}
        self.revision = 0
        self.down = False
        self.before_update: Callable[[Obj], None] | None = None
        self.written_at = -1.0  # clock time of the last write

    def _check(self) -> None:
        if self.down:
            raise errors.ServiceUnavailable("the API server is down")

    def _store(self, key: tuple[str | None, str], obj: Obj) -> Obj:
        self.revision += 1
        stored = copy.deepcopy(obj)
        stored["metadata"]["resourceVersion"] = str(self.revision)
        self.objects[key] = stored
        self.written_at = self.clock.now()
        return copy.deepcopy(stored)

    async def get(self, name: str, namespace: str | None = None) -> Obj:
        self._check()
        obj = self.objects.get((namespace, name))
        if obj is None:
            raise errors.not_found("leases", r.LEASES.group, name)
        return copy.deepcopy(obj)

    async def create(self, obj: Obj, namespace: str | None = None) -> Obj:
        self._check()
        key = (namespace, obj["metadata"]["name"])
        if key in self.objects:
            raise errors.already_exists("leases", r.LEASES.group, key[1])
        return self._store(key, obj)

    async def update(self, obj: Obj, *, subresource: str | None = None) -> Obj:
        self._check()
        if self.before_update is not None:
            self.before_update(obj)
        meta = obj["metadata"]
        key = (meta.get("namespace"), meta["name"])
        current = self.objects.get(key)
        if current is None:
            raise errors.not_found("leases", r.LEASES.group, key[1])
        if meta.get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise errors.conflict("leases", r.LEASES.group, key[1], errors.MODIFIED)
        return self._store(key, obj)

    def spec(self) -> Obj:
        return cast(Obj, self.objects[(NAMESPACE, NAME)]["spec"])

    def overwrite(self, **spec: Any) -> None:
        """Another writer changes the Lease."""
        lease = self.objects[(NAMESPACE, NAME)]
        self._store((NAMESPACE, NAME), {**lease, "spec": {**lease["spec"], **spec}})


class FakeClient:
    def __init__(self, leases: FakeLeases) -> None:
        self.leases = leases

    def resource(self, info: r.ResourceInfo) -> FakeLeases:
        assert info is r.LEASES
        return self.leases


class Candidate:
    """An elector running in a task, with work that runs until cancelled."""

    def __init__(self, leases: FakeLeases, clock: FakeClock, identity: str, **options: Any) -> None:
        config = LeaderElectionConfig(lease_name=NAME, identity=identity, **options)
        self.elector = LeaderElector(cast(RestClient, FakeClient(leases)), config, clock=clock)
        self.started = 0
        self.work_cancelled = False
        self.task = asyncio.create_task(self.elector.run(self.work))

    async def work(self) -> None:
        self.started += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.work_cancelled = True
            raise

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.wait({self.task})
        assert self.task.cancelled()


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def run_for(clock: FakeClock, seconds: float, step: float = 0.25) -> None:
    end = clock.now() + seconds
    while clock.now() < end:
        await clock.advance(min(step, end - clock.now()))
        await settle()


async def until(clock: FakeClock, condition: Callable[[], bool], limit: float, step: float = 0.25) -> float:
    """Advance the clock until ``condition`` holds; the time it first held."""
    end = clock.now() + limit
    await settle()
    while not condition():
        assert clock.now() < end, "condition not met in time"
        await clock.advance(step)
        await settle()
    return clock.now()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def leases(clock: FakeClock) -> FakeLeases:
    return FakeLeases(clock)


StartCandidate = Callable[..., Candidate]


@pytest.fixture
async def candidate(clock: FakeClock, leases: FakeLeases) -> AsyncIterator[StartCandidate]:
    """Starts a Candidate (identity, LeaderElectionConfig options) on the test's clock and leases;
    every one started is cancelled when the test ends."""
    started: list[Candidate] = []

    def start(identity: str, **options: Any) -> Candidate:
        started.append(Candidate(leases, clock, identity, **options))
        return started[-1]

    yield start
    for candidate in started:
        candidate.task.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.gather(*(c.task for c in started), return_exceptions=True)


async def test_a_free_lease_is_created_and_held(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a")
    await settle()
    assert a.elector.is_leader
    assert a.started == 1
    assert a.elector.observed_holder == "a"
    lease = leases.objects[(NAMESPACE, NAME)]
    assert lease["apiVersion"] == "coordination.k8s.io/v1"
    assert lease["kind"] == "Lease"
    spec = lease["spec"]
    assert spec["holderIdentity"] == "a"
    assert spec["leaseDurationSeconds"] == 15
    assert isinstance(spec["leaseDurationSeconds"], int)
    assert spec["leaseTransitions"] == 0
    assert MICRO_TIME.match(spec["acquireTime"])
    assert spec["renewTime"] == spec["acquireTime"]

    first_renew = spec["renewTime"]
    await run_for(clock, 10)
    assert leases.spec()["renewTime"] != first_renew
    assert leases.spec()["acquireTime"] == spec["acquireTime"]
    assert leases.spec()["leaseTransitions"] == 0
    assert a.elector.is_leader


async def test_a_second_candidate_waits_while_the_leader_renews(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a")
    await settle()
    b = candidate("b")
    await run_for(clock, 120)
    assert a.elector.is_leader
    assert not b.elector.is_leader
    assert b.started == 0
    assert b.elector.observed_holder == "a"
    assert leases.spec()["holderIdentity"] == "a"
    assert leases.spec()["leaseTransitions"] == 0


async def test_a_candidate_takes_over_after_the_leader_stops_renewing_for_the_lease_duration(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a", release_on_cancel=False)
    b = candidate("b")
    await run_for(clock, 10)
    assert a.elector.is_leader
    assert b.elector.observed_holder == "a"

    await a.stop()  # a crash, as far as the Lease can tell: nothing is released
    assert a.work_cancelled
    assert leases.spec()["holderIdentity"] == "a"
    last_renewal = leases.written_at

    took_over = await until(clock, lambda: b.elector.is_leader, limit=30)
    # b saw a's last renewal at or after it happened, and waited lease_duration from then on its own clock;
    # it tries every retry_period x [1, 2.2].
    assert took_over >= last_renewal + 15
    assert took_over <= last_renewal + 15 + 2 * 2 * 2.2 + 0.5
    assert b.started == 1
    spec = leases.spec()
    assert spec["holderIdentity"] == "b"
    assert spec["leaseTransitions"] == 1
    assert spec["acquireTime"] == spec["renewTime"]

    # b stops cleanly and releases: a newcomer acquires at once, counting a second transition
    await b.stop()
    assert leases.spec()["holderIdentity"] == ""  # b releases on cancel (the default)
    c = candidate("c")
    await settle()
    assert c.elector.is_leader
    assert leases.spec()["holderIdentity"] == "c"
    assert leases.spec()["leaseTransitions"] == 2


async def test_the_expiry_is_judged_by_the_local_clock_not_by_remote_timestamps(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    # The holder's renewTime is far in the past (a skewed clock, say), but it keeps changing: still held.
    a = candidate("a")
    await settle()
    original_update = leases.update
    renewals = iter(range(10**6))

    async def skewed_update(obj: Obj, *, subresource: str | None = None) -> Obj:
        if obj["spec"]["holderIdentity"] == "a":
            n = next(renewals)
            obj["spec"]["renewTime"] = f"1999-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.000000Z"
        return await original_update(obj)

    leases.update = skewed_update  # type: ignore[method-assign]
    b = candidate("b")
    await run_for(clock, 60)
    assert leases.spec()["renewTime"].startswith("1999")
    assert not b.elector.is_leader
    assert a.elector.is_leader


async def test_a_conflict_on_takeover_means_someone_else_won(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a", release_on_cancel=False)
    b = candidate("b")
    await run_for(clock, 5)
    await a.stop()

    def a_third_candidate_wins(obj: Obj) -> None:
        if obj["spec"]["holderIdentity"] == "b" and leases.spec()["holderIdentity"] == "a":
            leases.before_update = None
            leases.overwrite(holderIdentity="c", leaseTransitions=1, renewTime=format_micro_time())

    leases.before_update = a_third_candidate_wins
    await until(clock, lambda: b.elector.observed_holder == "c", limit=30)
    assert not b.elector.is_leader
    assert not b.task.done()
    assert leases.spec()["holderIdentity"] == "c"
    c_wrote_at = leases.written_at

    # c never renews: b takes over lease_duration after it saw c's record, counting one more transition
    took_over = await until(clock, lambda: b.elector.is_leader, limit=30)
    assert took_over >= c_wrote_at + 15
    assert leases.spec()["holderIdentity"] == "b"
    assert leases.spec()["leaseTransitions"] == 2


async def test_release_lets_another_candidate_acquire_at_once(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a")
    b = candidate("b")
    await run_for(clock, 10)
    assert a.elector.is_leader

    await a.stop()  # run() cancelled while leading: released
    assert not a.elector.is_leader
    spec = leases.spec()
    assert spec["holderIdentity"] == ""
    assert spec["leaseDurationSeconds"] == 1
    assert spec["leaseTransitions"] == 0
    released_at = clock.now()

    took_over = await until(clock, lambda: b.elector.is_leader, limit=10)
    assert took_over <= released_at + 2 * 2.2 + 0.25  # its next attempt, not a lease_duration later
    assert leases.spec()["holderIdentity"] == "b"
    assert leases.spec()["leaseTransitions"] == 1
    assert leases.spec()["leaseDurationSeconds"] == 15


async def test_release_when_not_holding_changes_nothing(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    candidate("a")  # holds the lease
    await settle()
    b = LeaderElector(
        cast(RestClient, FakeClient(leases)), LeaderElectionConfig(lease_name=NAME, identity="b"), clock=clock
    )
    revision = leases.revision
    assert await b.release()
    assert leases.revision == revision
    assert leases.spec()["holderIdentity"] == "a"


async def test_work_that_returns_ends_run_and_releases(clock: FakeClock, leases: FakeLeases) -> None:
    elector = LeaderElector(
        cast(RestClient, FakeClient(leases)), LeaderElectionConfig(lease_name=NAME, identity="a"), clock=clock
    )
    done = []

    async def work() -> None:
        done.append(elector.is_leader)

    await asyncio.wait_for(elector.run(work), 5)
    assert done == [True]
    assert not elector.is_leader
    assert leases.spec()["holderIdentity"] == ""


async def test_work_that_raises_is_raised_by_run(clock: FakeClock, leases: FakeLeases) -> None:
    config = LeaderElectionConfig(lease_name=NAME, identity="a", release_on_cancel=False)
    elector = LeaderElector(cast(RestClient, FakeClient(leases)), config, clock=clock)

    async def work() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await asyncio.wait_for(elector.run(work), 5)
    assert not elector.is_leader
    assert leases.spec()["holderIdentity"] == "a"  # not configured to release


async def test_renewals_failing_beyond_the_renew_deadline_lose_leadership(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a")
    await run_for(clock, 5)
    last_renewal = leases.written_at
    leases.down = True

    lost_at = await until(clock, a.task.done, limit=30)
    with pytest.raises(LeadershipLost):
        a.task.result()
    assert a.work_cancelled
    assert not a.elector.is_leader
    # the round that failed began one retry_period after the last renewal, and lasted renew_deadline;
    # leadership ends before anyone else could see the Lease as expired (lease_duration after it).
    assert last_renewal + 10 <= lost_at <= last_renewal + 2 + 10 + 0.25
    assert lost_at < last_renewal + 15


async def test_a_brief_outage_within_the_renew_deadline_is_survived(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a")
    await run_for(clock, 5)
    leases.down = True
    await run_for(clock, 6)
    leases.down = False
    await run_for(clock, 30)
    assert a.elector.is_leader
    assert not a.task.done()
    assert a.started == 1


async def test_a_lease_taken_by_another_holder_loses_leadership_at_once(
    clock: FakeClock, leases: FakeLeases, candidate: StartCandidate
) -> None:
    a = candidate("a")
    await run_for(clock, 5)
    leases.overwrite(holderIdentity="intruder", renewTime=format_micro_time())
    taken_at = clock.now()
    lost_at = await until(clock, a.task.done, limit=10)
    assert lost_at <= taken_at + 2 + 0.25  # at the next renewal, not renew_deadline later
    with pytest.raises(LeadershipLost):
        a.task.result()
    assert a.work_cancelled
    assert a.elector.observed_holder == "intruder"
    assert leases.spec()["holderIdentity"] == "intruder"  # not "released" by the one who lost it


def test_the_config_is_validated() -> None:
    config = LeaderElectionConfig(lease_name="x")
    assert config.lease_namespace == "kube-system"
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (15.0, 10.0, 2.0)
    hostname, _, suffix = config.identity.rpartition("_")
    assert hostname
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", suffix)
    assert LeaderElectionConfig(lease_name="x").identity != config.identity
    with pytest.raises(ValueError, match="greater than renew_deadline"):
        LeaderElectionConfig(lease_name="x", lease_duration=10, renew_deadline=10)
    with pytest.raises(ValueError, match="renew_deadline must be greater"):
        LeaderElectionConfig(lease_name="x", renew_deadline=2.4, retry_period=2)
    with pytest.raises(ValueError, match="name"):
        LeaderElectionConfig(lease_name="")
