"""The DaemonSet's event handlers on the expectations: a graceful deletion is seen twice (the update that
sets ``deletionTimestamp``, then the delete) and counts once, as upstream's ReplicaSet counts it
(``TestDeletionTimestamp``; upstream's DaemonSet, on plain ``ControllerExpectations``, counts it twice)."""

from __future__ import annotations

import copy

from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from tests.unit.controllers.daemonset.harness import Harness, new_daemonset, rolling


def terminating(pod: Obj, at: float) -> Obj:
    updated = copy.deepcopy(pod)
    updated["metadata"]["deletionTimestamp"] = format_time(at)
    updated["metadata"]["resourceVersion"] = "2"
    return updated


async def test_a_graceful_deletion_is_one_observed_deletion() -> None:
    h = Harness(mirror_pods=False)  # the deletes stay in the cache: the test plays the informer
    h.add_nodes(3)
    ds = new_daemonset(strategy=rolling(2))
    h.add(ds)
    old = [h.pod(f"node-{i}", ds, revision_hash="old", ready=True) for i in range(3)]
    await h.expect_sync(ds, 0, 2)
    key = "default/foo"
    first, second = (pod for pod in old if pod["metadata"]["name"] in h.api.deleted)
    assert h.controller.expectations.pending(key) == (0, 2)

    h.controller.handlers.on_pod_update(first, terminating(first, h.clock.wall()))
    assert h.controller.expectations.pending(key) == (0, 1)
    h.controller.handlers.on_pod_delete(terminating(first, h.clock.wall()))  # the kubelet is done
    assert not h.controller.expectations.satisfied(key)
    h.controller.handlers.on_pod_delete(second)
    assert h.controller.expectations.satisfied(key)


async def test_deletions_of_pods_not_awaited_do_not_count() -> None:
    h = Harness(mirror_pods=False)
    h.add_nodes(3)
    ds = new_daemonset(strategy=rolling(1))
    h.add(ds)
    old = [h.pod(f"node-{i}", ds, revision_hash="old", ready=True) for i in range(3)]
    await h.expect_sync(ds, 0, 1)
    kept = next(pod for pod in old if pod["metadata"]["name"] not in h.api.deleted)
    queued = len(h.controller.queue)
    h.controller.handlers.on_pod_delete(kept)  # evicted by someone else: the DaemonSet is still enqueued
    assert h.controller.expectations.pending("default/foo") == (0, 1)
    assert len(h.controller.queue) == queued + 1
