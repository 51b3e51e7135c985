"""Routing informer events to owners, owner-agnostic (upstream's ``addPod``/``updatePod``/``deletePod``
in ``replica_set.go`` and ``daemon_controller.go``; the ReplicaSet controller's own cases are in
``tests/unit/controllers/replicaset/test_handlers.py``)."""

from __future__ import annotations

import copy
from typing import Any

from everynode.core.clock import FakeClock
from everynode.core.ownerrefs import new_controller_ref
from everynode.core.timestamps import format_time
from everynode.core.types import Obj
from everynode.informers.store import Store
from everynode.runtime.expectations import UIDTrackingExpectations, pod_key
from everynode.runtime.ownerevents import OwnerEvents
from everynode.runtime.owners import OWNERS_INDEXERS, Owners
from tests import builders

LABELS = {"app": "web"}


class Routed:
    def __init__(self, *owners: Obj, expectations: bool = True) -> None:
        store = Store(dict(OWNERS_INDEXERS))
        for owner in owners:
            store.upsert(owner)
        self.keys: list[str] = []
        self.later: list[tuple[str, float]] = []
        self.expectations = UIDTrackingExpectations(FakeClock()) if expectations else None
        self.events = OwnerEvents(
            Owners(store, "ReplicaSet"),
            self.keys.append,
            self.expectations,
            lambda key, delay: self.later.append((key, delay)),
        )


def rs(name: str, **fields: Any) -> Obj:
    return builders.replicaset(name, namespace="ns", uid=f"uid-{name}", match_labels=LABELS, **fields)


def pod(
    name: str, owner: Obj | None, *, rv: str = "1", labels: dict[str, str] = LABELS, **fields: Any
) -> Obj:
    owners = [new_controller_ref(owner, api_version="apps/v1", kind="ReplicaSet")] if owner else None
    return builders.pod(name, namespace="ns", labels=labels, owners=owners, resource_version=rv, **fields)


def test_a_reference_moved_to_another_owner_enqueues_both() -> None:
    first, second = rs("first"), rs("second")
    r = Routed(first, second)
    r.events.pod_updated(pod("p", first), pod("p", second, rv="2"))
    assert r.keys == ["ns/first", "ns/second"]


def test_an_orphan_relabelled_or_released_enqueues_its_adopters() -> None:
    web = rs("web")
    r = Routed(web)
    r.events.pod_updated(pod("p", None, labels={"app": "db"}), pod("p", None, rv="2"))
    assert r.keys == ["ns/web"]
    r.events.pod_updated(pod("p", web), pod("p", None, rv="2"))
    assert r.keys == ["ns/web"] * 3  # as the owner that lost it, then as a possible adopter
    r.keys.clear()
    r.events.pod_updated(pod("p", None), pod("p", None, rv="2"))  # nothing an adopter cares about
    r.events.owned_updated(pod("p", web), pod("p", web))  # a resync
    assert r.keys == []


def test_a_graceful_deletion_is_observed_once() -> None:
    """``TestDeletionTimestamp``: the update that starts it, then the delete; only the first counts."""
    web = rs("web")
    r = Routed(web)
    assert r.expectations is not None
    doomed, other = pod("doomed", web), pod("other", web)
    r.expectations.expect_deletions("ns/web", [pod_key(doomed), pod_key(other)])
    deleting = pod("doomed", web, rv="2", deleted=format_time(0))
    r.events.pod_updated(doomed, deleting)
    r.events.owned_deleted(deleting)
    assert r.expectations.pending("ns/web") == (0, 1)
    r.events.owned_deleted(other)
    assert r.expectations.satisfied("ns/web")
    assert r.keys == ["ns/web"] * 3


def test_a_pod_seen_first_while_being_deleted_is_no_creation() -> None:
    web = rs("web")
    r = Routed(web)
    assert r.expectations is not None
    r.expectations.expect_creations("ns/web", 1)
    r.events.owned_added(pod("p", web, deleted=format_time(0)))
    assert r.expectations.pending("ns/web") == (1, 0)
    r.events.owned_added(pod("q", web))
    assert r.expectations.satisfied("ns/web")


def test_without_expectations_owned_objects_only_enqueue() -> None:
    """How a Deployment follows its ReplicaSets: nothing is awaited, every change enqueues the owner."""
    web = rs("web")
    r = Routed(web, expectations=False)
    owned = pod("p", web)
    r.events.owned_added(owned)
    r.events.owned_updated(owned, pod("p", web, rv="2"))
    r.events.owned_deleted(owned)
    r.events.owner_deleted(web)
    assert r.keys == ["ns/web"] * 4


def test_a_replaced_owner_loses_its_expectations() -> None:
    """``TestExpectationsOnRecreate``: same name, new uid."""
    web = rs("web")
    r = Routed(web)
    assert r.expectations is not None
    r.expectations.expect_creations("ns/web", 1)
    successor = copy.deepcopy(web)
    successor["metadata"]["uid"] = "uid-successor"
    r.events.owner_updated(web, successor)
    assert "ns/web" not in r.expectations
    assert r.keys == ["ns/web", "ns/web"]


def test_a_pod_becoming_ready_rechecks_after_min_ready_seconds() -> None:
    web = rs("web", minReadySeconds=5)
    r = Routed(web)
    ready = pod("p", web, rv="2", conditions=[builders.condition("Ready")])
    r.events.pod_updated(pod("p", web), ready)
    assert r.later == [("ns/web", 6.0)]
