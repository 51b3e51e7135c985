"""Leader election on a live API server (SQLite and etcd): two candidates in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from everynode.client.config import ClientConfig
from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from everynode.spawn.apiserver import ApiServerProcess
from tests.integration.support import eventually

NAMESPACE = "kube-system"
DEADLINE = 15.0  # seconds, for anything awaited


class Candidate:
    def __init__(self, client: RestClient, lease: str, identity: str, *, release_on_cancel: bool) -> None:
        config = LeaderElectionConfig(
            lease_name=lease,
            identity=identity,
            lease_duration=1.0,
            renew_deadline=0.6,
            retry_period=0.1,
            release_on_cancel=release_on_cancel,
        )
        self.elector = LeaderElector(client, config)
        self.leading = asyncio.Event()
        self.task = asyncio.create_task(self.elector.run(self.work))

    async def work(self) -> None:
        self.leading.set()
        await asyncio.Event().wait()

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.wait({self.task})


@pytest.fixture
async def client(apiserver: ApiServerProcess) -> AsyncIterator[RestClient]:
    async with RestClient(ClientConfig(server=apiserver.url)) as rest:
        yield rest


def candidates(client: RestClient, *, release_on_cancel: bool) -> tuple[str, Candidate, Candidate]:
    """Two candidates for a fresh Lease."""
    lease = f"le-{uuid.uuid4().hex[:8]}"
    a = Candidate(client, lease, "candidate-a", release_on_cancel=release_on_cancel)
    b = Candidate(client, lease, "candidate-b", release_on_cancel=release_on_cancel)
    return lease, a, b


async def elect(a: Candidate, b: Candidate) -> tuple[Candidate, Candidate]:
    """Once one of the two leads: (leader, follower), having checked that exactly one leads."""
    await eventually(
        lambda: a.leading.is_set() or b.leading.is_set(), within=DEADLINE, what="a leader", every=0.02
    )
    leader, follower = (a, b) if a.leading.is_set() else (b, a)
    await eventually(
        lambda: follower.elector.observed_holder == leader.elector.identity,
        within=DEADLINE,
        what="the follower to observe the leader",
        every=0.02,
    )

    # Exactly one leads, sampled over a few lease durations of renewals.
    loop = asyncio.get_running_loop()
    watch_until = loop.time() + 2.5
    while loop.time() < watch_until:
        assert leader.elector.is_leader
        assert not follower.elector.is_leader
        assert not follower.leading.is_set()
        assert not leader.task.done()
        assert not follower.task.done()
        await asyncio.sleep(0.05)
    return leader, follower


@contextlib.asynccontextmanager
async def stopping(*candidates: Candidate) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for candidate in candidates:
            await candidate.stop()


async def test_one_leads_and_the_other_takes_over_when_it_is_cancelled(client: RestClient) -> None:
    leases = client.resource(r.LEASES)
    lease, a, b = candidates(client, release_on_cancel=True)
    async with stopping(a, b):
        leader, follower = await elect(a, b)
        spec = (await leases.get(lease, NAMESPACE))["spec"]
        assert spec["holderIdentity"] == leader.elector.identity
        assert spec["leaseTransitions"] == 0
        assert spec["leaseDurationSeconds"] == 1

        await leader.stop()  # a clean shutdown releases the Lease
        assert leader.task.cancelled()
        assert not leader.elector.is_leader
        async with asyncio.timeout(DEADLINE):
            await follower.leading.wait()
        assert follower.elector.is_leader

        spec = (await leases.get(lease, NAMESPACE))["spec"]
        assert spec["holderIdentity"] == follower.elector.identity
        assert spec["leaseTransitions"] == 1
        assert spec["leaseDurationSeconds"] == 1


async def test_a_leader_that_vanishes_without_releasing_is_succeeded_after_the_lease_expires(
    client: RestClient,
) -> None:
    leases = client.resource(r.LEASES)
    lease, a, b = candidates(client, release_on_cancel=False)
    async with stopping(a, b):
        leader, follower = await elect(a, b)
        await leader.stop()
        spec = (await leases.get(lease, NAMESPACE))["spec"]
        assert spec["holderIdentity"] == leader.elector.identity  # not released: it has to expire

        async with asyncio.timeout(DEADLINE):
            await follower.leading.wait()
        spec = (await leases.get(lease, NAMESPACE))["spec"]
        assert spec["holderIdentity"] == follower.elector.identity
        assert spec["leaseTransitions"] == 1

        # the Lease is listed with its holder, as kubectl get leases shows it
        listed = await leases.list(NAMESPACE)
        holders = {item["metadata"]["name"]: item["spec"]["holderIdentity"] for item in listed["items"]}
        assert holders[lease] == follower.elector.identity
