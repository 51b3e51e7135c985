"""The cache finders: a pod's controller reference → the controller and its scale (upstream's
TestBasicFinderFunctions and TestDeploymentFinderFunction)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from everynode.controllers.disruption.finders import (
    Caches,
    FinderError,
    Found,
    deployment_of,
    find_cached,
    group_version,
    replicaset_of,
    statefulset_of,
)
from everynode.core.types import Obj
from everynode.informers.store import Store
from tests.builders import deployment, owner_ref, replicaset

Finder = Callable[[Mapping[str, Any], str, Caches], Found | None]
NS = "default"
STS: Obj = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "db", "namespace": NS, "uid": "sts-uid"},
    "spec": {"replicas": 14},
}


def caches(*objects: Obj) -> Caches:
    stores = {"ReplicaSet": Store(), "Deployment": Store(), "StatefulSet": Store()}
    for obj in objects:
        stores[obj["kind"]].upsert(obj)
    return Caches(stores["ReplicaSet"].get, stores["Deployment"].get, stores["StatefulSet"].get)


def ref(api_version: str, kind: str, name: str, uid: str) -> Obj:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": True}


RS = replicaset("web", namespace=NS, replicas=10, uid="rs-uid")


@pytest.mark.parametrize(
    ("finder", "reference", "expected"),
    [
        pytest.param(
            replicaset_of, ref("apps/v1", "ReplicaSet", "web", "rs-uid"), Found("rs-uid", 10), id="rs apps"
        ),
        pytest.param(
            replicaset_of,
            ref("extensions/v1beta1", "ReplicaSet", "web", "rs-uid"),
            Found("rs-uid", 10),
            id="rs ext",
        ),
        pytest.param(
            replicaset_of, ref("invalid/v1", "ReplicaSet", "web", "rs-uid"), None, id="rs invalid group"
        ),
        pytest.param(replicaset_of, ref("apps/v1", "ReplicaSet", "web", "other"), None, id="rs another uid"),
        pytest.param(replicaset_of, ref("apps/v1", "ReplicaSet", "gone", "x"), None, id="rs not cached"),
        pytest.param(
            statefulset_of,
            ref("apps/v1", "StatefulSet", "db", "sts-uid"),
            Found("sts-uid", 14),
            id="sts apps",
        ),
        pytest.param(
            statefulset_of, ref("apps/v1", "ReplicaSet", "db", "sts-uid"), None, id="sts invalid kind"
        ),
        pytest.param(
            statefulset_of,
            ref("extensions/v1beta1", "StatefulSet", "db", "sts-uid"),
            None,
            id="sts ext group",
        ),
    ],
)
def test_basic_finder_functions(finder: Finder, reference: Obj, expected: Found | None) -> None:
    """TestBasicFinderFunctions (the ReplicationController rows have no analogue: not served)."""
    assert finder(reference, NS, caches(RS, STS)) == expected


@pytest.mark.parametrize(
    ("rs_api_version", "rs_kind", "dep_api_version", "dep_kind", "expected"),
    [
        pytest.param(
            "apps/v1", "ReplicaSet", "extensions/v1", "Deployment", Found("dep-uid", 10), id="happy path"
        ),
        pytest.param("invalid/v1", "ReplicaSet", "apps/v1", "Deployment", None, id="invalid rs apiVersion"),
        pytest.param("apps/v1", "InvalidKind", "apps/v1", "Deployment", None, id="invalid rs kind"),
        pytest.param(
            "extensions/v1", "ReplicaSet", "deployment/v1", "Deployment", None, id="invalid dep apiVersion"
        ),
        pytest.param("apps/v1", "ReplicaSet", "extensions/v1", "InvalidKind", None, id="invalid dep kind"),
    ],
)
def test_deployment_finder_function(
    rs_api_version: str, rs_kind: str, dep_api_version: str, dep_kind: str, expected: Found | None
) -> None:
    """TestDeploymentFinderFunction: a Deployment of 10 owning a ReplicaSet of 5."""
    dep = deployment("web", namespace=NS, replicas=10, uid="dep-uid")
    owner = owner_ref({**dep, "apiVersion": dep_api_version, "kind": dep_kind})
    rs = replicaset("web-abc", namespace=NS, replicas=5, uid="rs-uid", owners=[owner])
    found = deployment_of(ref(rs_api_version, rs_kind, "web-abc", "rs-uid"), NS, caches(dep, rs))
    assert found == expected


def test_a_deployments_replicaset_counts_the_deployment_and_never_itself() -> None:
    dep = deployment("web", namespace=NS, replicas=2, uid="dep-uid")
    rs = replicaset("web-abc", namespace=NS, replicas=2, uid="rs-uid", owners=[owner_ref(dep)])
    pod_ref = ref("apps/v1", "ReplicaSet", "web-abc", "rs-uid")
    assert find_cached(pod_ref, NS, caches(dep, rs)) == Found("dep-uid", 2)
    # the Deployment not (yet, or any more) in the cache: neither finder answers
    assert find_cached(pod_ref, NS, caches(rs)) is None
    # a namesake Deployment (another uid) is not the owner
    namesake = deployment("web", namespace=NS, replicas=7, uid="other")
    assert find_cached(pod_ref, NS, caches(namesake, rs)) is None


def test_replicas_default_to_one_and_other_namespaces_are_not_looked_at() -> None:
    rs = replicaset("web", namespace=NS, uid="rs-uid")
    assert find_cached(ref("apps/v1", "ReplicaSet", "web", "rs-uid"), NS, caches(rs)) == Found("rs-uid", 1)
    assert find_cached(ref("apps/v1", "ReplicaSet", "web", "rs-uid"), "elsewhere", caches(rs)) is None


def test_group_versions_parse_as_upstreams() -> None:
    assert group_version("apps/v1") == ("apps", "v1")
    assert group_version("v1") == ("", "v1")
    assert group_version("/v1") == ("", "v1")
    with pytest.raises(FinderError, match="unexpected GroupVersion string: a/b/c"):
        find_cached(ref("a/b/c", "ReplicaSet", "web", "x"), NS, caches())
