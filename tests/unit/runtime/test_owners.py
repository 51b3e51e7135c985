"""The cached owners' lookups: upstream ``resolveControllerRef`` and ``GetPodReplicaSets``-style
adopter searches (``TestPodControllerLookup``), shared by every controller of owned objects."""

from __future__ import annotations

from typing import Any

from everynode.core.ownerrefs import new_controller_ref
from everynode.core.types import Obj
from everynode.informers.store import Store
from everynode.runtime.owners import OWNERS_INDEXERS, Owners
from tests import builders

LABELS = {"app": "web"}


def owners(*objects: Obj, kind: str = "ReplicaSet") -> Owners:
    store = Store(dict(OWNERS_INDEXERS))
    for obj in objects:
        store.upsert(obj)
    return Owners(store, kind)


def rs(name: str, namespace: str | None = "ns", *, uid: str = "", **fields: Any) -> Obj:
    return builders.replicaset(name, namespace=namespace, uid=uid or f"uid-{name}", **fields)


def test_resolve_needs_the_kind_the_name_and_the_uid() -> None:
    web = rs("web")
    found = owners(web)
    ref = new_controller_ref(web, api_version="apps/v1", kind="ReplicaSet")
    assert found.resolve("ns", ref) is web
    assert found.resolve("ns", {**ref, "kind": "DaemonSet"}) is None
    assert found.resolve("ns", {**ref, "uid": "a-successor"}) is None
    assert found.resolve("other", ref) is None
    assert found.resolve("ns", None) is None


def test_a_cluster_scoped_owner_is_resolved_by_name_alone() -> None:
    web = rs("web", None)
    assert owners(web).resolve("", new_controller_ref(web, api_version="apps/v1", kind="ReplicaSet")) is web


def test_adopters_select_the_object_in_its_namespace() -> None:
    """``TestPodControllerLookup``: no labels, another namespace or an empty selector: no adopter."""
    selecting = rs("selecting", match_labels=LABELS)
    everything = rs("everything", match_labels={})
    elsewhere = rs("elsewhere", "other", match_labels=LABELS)
    found = owners(selecting, everything, elsewhere)
    assert found.adopters(builders.pod("p", namespace="ns", labels=LABELS)) == [selecting]
    assert found.adopters(builders.pod("p", namespace="ns")) == []
    assert found.adopters(builders.pod("p", namespace="ns", labels={"app": "db"})) == []


def test_a_selector_that_does_not_parse_is_none_and_adopts_nothing() -> None:
    broken = rs("broken", match_labels=LABELS)
    broken["spec"]["selector"]["matchExpressions"] = [{"key": "app", "operator": "Near", "values": ["x"]}]
    found = owners(broken)
    assert found.selector(broken) is None
    assert found.adopters(builders.pod("p", namespace="ns", labels=LABELS)) == []


def test_selectors_are_compiled_once_per_generation() -> None:
    web = rs("web", match_labels=LABELS, generation=1)
    found = owners(web)
    assert found.selector(web) is found.selector(web)
    changed = rs("web", match_labels={"app": "api"}, generation=2)
    selector = found.selector(changed)
    assert selector is not None
    assert selector.matches({"app": "api"})
