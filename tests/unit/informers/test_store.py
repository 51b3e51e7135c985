from __future__ import annotations

import pytest

from everynode.informers.store import (
    CONTROLLER_OR_ORPHAN,
    OWNED_INDEXERS,
    Store,
    by_controller_or_orphan,
    by_controller_uid,
    by_node_name,
    claim_candidates,
    object_key,
)
from tests import builders


def pod(name: str, node: str = "", owner: str = "", rv: str = "1") -> dict:
    owners = [{"uid": owner, "controller": True}, {"uid": "other", "controller": False}] if owner else None
    return builders.pod(name, namespace="ns", resource_version=rv, node=node or None, owners=owners)


def test_indexes_follow_updates_and_removals() -> None:
    store = Store({"node": by_node_name, "owner": by_controller_uid})
    store.upsert(pod("a", node="n1", owner="ds1"))
    store.upsert(pod("b", node="n1"))
    assert {object_key(p) for p in store.by_index("node", "n1")} == {"ns/a", "ns/b"}
    assert [p["metadata"]["name"] for p in store.by_index("owner", "ds1")] == ["a"]
    assert store.by_index("owner", "other") == []
    old = store.upsert(pod("a", node="n2", owner="ds1", rv="2"))
    assert old is not None
    assert [p["metadata"]["name"] for p in store.by_index("node", "n1")] == ["b"]
    assert [p["metadata"]["name"] for p in store.by_index("node", "n2")] == ["a"]
    store.remove(pod("a"))
    assert store.by_index("node", "n2") == []
    assert store.by_index("owner", "ds1") == []
    store.replace([pod("c", node="n3")])
    assert store.all_keys() == ["ns/c"]
    assert store.by_index("node", "n1") == []


def test_an_index_added_later_covers_the_objects_already_stored() -> None:
    store = Store()
    store.upsert(pod("a", node="n1"))
    store.upsert(pod("b", node="n2"))
    store.add_indexers({"node": by_node_name})
    assert [p["metadata"]["name"] for p in store.by_index("node", "n1")] == ["a"]
    store.upsert(pod("c", node="n1"))
    store.remove(pod("a"))
    assert [p["metadata"]["name"] for p in store.by_index("node", "n1")] == ["c"]
    store.replace([pod("d", node="n2")])
    assert [p["metadata"]["name"] for p in store.by_index("node", "n2")] == ["d"]


def test_adding_an_index_again_needs_the_same_function() -> None:
    store = Store({"node": by_node_name})
    store.add_indexers({"node": by_node_name})  # the same function: nothing to do
    with pytest.raises(ValueError, match="'node' already exists"):
        store.add_indexers({"owner": by_controller_uid, "node": by_controller_uid})
    with pytest.raises(KeyError):
        store.by_index("owner", "ds1")  # nothing of a refused request is added


def test_claim_candidates_are_the_owners_objects_and_the_orphans_of_its_namespace() -> None:
    """``by_controller_or_orphan``: a controller's objects under its uid, orphans under their namespace
    (an owner reference that is not a controller's makes no owner)."""
    store = Store(dict(OWNED_INDEXERS))
    owner = builders.replicaset("rs", namespace="ns", uid="rs-uid")
    store.upsert(pod("mine", owner="rs-uid"))
    store.upsert(pod("theirs", owner="other-rs"))
    store.upsert(pod("orphan"))
    store.upsert(builders.pod("far-orphan", namespace="elsewhere"))
    assert by_controller_or_orphan(pod("orphan")) == ["orphan/ns"]
    assert [p["metadata"]["name"] for p in claim_candidates(store, owner)] == ["mine", "orphan"]
    store.upsert(pod("mine", owner="", rv="2"))  # released: an orphan now
    assert sorted(p["metadata"]["name"] for p in claim_candidates(store, owner)) == ["mine", "orphan"]
    assert store.by_index(CONTROLLER_OR_ORPHAN, "rs-uid") == []
