from __future__ import annotations

from everynode.informers.store import Store, by_controller_uid, by_node_name, object_key


def pod(name: str, node: str = "", owner: str = "", rv: str = "1") -> dict:
    meta: dict = {"name": name, "namespace": "ns", "resourceVersion": rv}
    if owner:
        meta["ownerReferences"] = [{"uid": owner, "controller": True}, {"uid": "other", "controller": False}]
    return {"metadata": meta, "spec": {"nodeName": node} if node else {}}


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
