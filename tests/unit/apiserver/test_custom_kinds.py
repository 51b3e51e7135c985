"""The pure parts of serving CustomResourceDefinitions: the kinds a definition declares, the catalog
that serves them, the status a definition is given, and the scale subresource's Scale."""

from __future__ import annotations

import copy

import pytest

from everynode.apiserver.catalog import Catalog
from everynode.apiserver.customkinds import custom_kinds, served_versions, version_priority
from everynode.apiserver.registry.definitions import desired_status
from everynode.apiserver.registry.scale import ScalePaths, paths_of, scale_of, scaled
from everynode.core import errors
from everynode.core.types import Obj

NOW, LATER = "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z"


def crd(*versions: Obj, scope: str = "Namespaced", deleting: bool = False) -> Obj:
    metadata: Obj = {"name": "widgets.example.com"}
    if deleting:
        metadata["deletionTimestamp"] = NOW
    return {
        "metadata": metadata,
        "spec": {
            "group": "example.com",
            "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"], "categories": ["all"]},
            "scope": scope,
            "versions": list(versions)
            or [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}}],
        },
    }


def test_versions_sort_as_upstream_compares_kube_versions() -> None:
    # upstream's version.CompareKubeAwareVersionStrings: GA > beta > alpha, higher first, others last
    names = ["v1alpha1", "foo", "v2beta1", "v1", "v11alpha2", "v1beta1", "v2", "bar", "v10"]
    assert sorted(names, key=version_priority) == [
        "v10",
        "v2",
        "v1",
        "v2beta1",
        "v1beta1",
        "v11alpha2",
        "v1alpha1",
        "bar",
        "foo",
    ]


def test_only_served_versions_are_served_preferred_first() -> None:
    definition = crd(
        {"name": "v1beta1", "served": True, "storage": False},
        {"name": "v1", "served": True, "storage": True},
        {"name": "v1alpha1", "served": False, "storage": False},
    )
    assert [v["name"] for v in served_versions(definition)] == ["v1", "v1beta1"]
    served = custom_kinds(definition)
    assert [k.info.version for k in served.kinds] == ["v1", "v1beta1"]
    assert served.storage_version == "v1"
    info = served.kinds[0].info
    assert (info.group, info.resource, info.kind, info.namespaced) == (
        "example.com",
        "widgets",
        "Widget",
        True,
    )
    assert info.short_names == ("wd",)
    assert info.categories == ("all",)
    assert info.cache_name == "widgets.example.com"
    assert info.key_prefix("ns") == "/registry/example.com/widgets/ns/"


def test_status_and_scale_subresources_come_from_the_version() -> None:
    with_both = {"name": "v1", "served": True, "storage": True, "subresources": {"status": {}, "scale": {}}}
    info = custom_kinds(crd(with_both)).kinds[0].info
    assert info.subresources == ("status", "scale")
    assert info.has_status
    bare = custom_kinds(crd({"name": "v1", "served": True, "storage": True})).kinds[0].info
    assert bare.subresources == ()
    assert not bare.has_status  # without a status subresource, status is an ordinary field


def test_generation_moves_on_anything_but_metadata_and_a_subresource_status() -> None:
    # upstream customresource strategy: PrepareForUpdate
    kind = custom_kinds(crd()).kinds[0]
    old = {"metadata": {"generation": 3}, "spec": {"a": 1}, "status": {"x": 1}}
    new = {"metadata": {"generation": 3, "labels": {"l": "v"}}, "spec": {"a": 1}, "status": {"x": 2}}
    kind.strategy.prepare_for_update(new, old)
    assert new["metadata"]["generation"] == 3
    assert new["status"] == {"x": 1}  # the main resource keeps the stored status
    changed = {"metadata": {"generation": 3}, "spec": {"a": 2}}
    kind.strategy.prepare_for_update(changed, old)
    assert changed["metadata"]["generation"] == 4
    plain = custom_kinds(crd({"name": "v1", "served": True, "storage": True})).kinds[0]
    top_level = {"metadata": {"generation": 1}, "data": {"k": "v"}}
    plain.strategy.prepare_for_update(top_level, {"metadata": {"generation": 1}, "data": {}})
    assert top_level["metadata"]["generation"] == 2


def test_the_catalog_serves_and_withdraws_a_definition() -> None:
    catalog = Catalog()
    before = catalog.generation
    assert catalog.lookup("example.com", "v1", "widgets") is None
    served = custom_kinds(crd())
    catalog.serve(served)
    info = catalog.lookup("example.com", "v1", "widgets")
    assert info is not None
    assert catalog.kind(info) is served.kinds[0]
    assert ("example.com", "v1") in catalog.group_versions()
    assert info in catalog.storage_infos()
    assert catalog.generation > before
    assert catalog.accepts_new(info)
    catalog.serve(custom_kinds(crd(deleting=True)))
    deleting = catalog.lookup("example.com", "v1", "widgets")
    assert deleting is not None
    assert not catalog.accepts_new(deleting)
    catalog.withdraw("widgets.example.com")
    assert catalog.lookup("example.com", "v1", "widgets") is None
    with pytest.raises(KeyError):
        catalog.kind(info)


def test_a_definition_may_not_take_a_built_in_resource() -> None:
    catalog = Catalog()
    clash = crd()
    clash["spec"] |= {"group": "apps", "names": {"plural": "deployments", "kind": "Deployment"}}
    with pytest.raises(ValueError, match="already served"):
        catalog.serve(custom_kinds(clash))
    assert catalog.lookup("apps", "v1", "deployments") is not None


def test_status_of_an_accepted_definition() -> None:
    status = desired_status(crd(), [], None, NOW)
    assert status["acceptedNames"] == {
        "plural": "widgets",
        "kind": "Widget",
        "shortNames": ["wd"],
        "categories": ["all"],
    }  # as given: the definition's defaults (singular, listKind) were filled in when it was stored
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("NamesAccepted", "True", "NoConflicts"),
        ("Established", "True", "InitialNamesAccepted"),
    ]
    assert status["storedVersions"] == ["v1"]
    # written again later, nothing moves: the transition times are kept
    again = copy.deepcopy(crd())
    again["status"] = status
    assert desired_status(again, [], None, LATER) == status


def test_status_of_a_definition_in_conflict_and_being_deleted() -> None:
    status = desired_status(crd(deleting=True), [], "example.com/v1/widgets is already in use", NOW)
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["NamesAccepted"]["status"] == "False"
    assert conditions["NamesAccepted"]["message"] == "example.com/v1/widgets is already in use"
    assert conditions["Established"]["status"] == "False"
    assert conditions["Terminating"]["reason"] == "InstanceDeletionInProgress"


def test_stored_versions_keep_every_version_ever_stored() -> None:
    definition = crd({"name": "v2", "served": True, "storage": True})
    definition["status"] = {"storedVersions": ["v1"]}
    assert desired_status(definition, [], None, NOW)["storedVersions"] == ["v1", "v2"]


# -- scale ---------------------------------------------------------------------------------------


DEPLOYMENT: Obj = {
    "metadata": {"name": "web", "namespace": "ns", "uid": "u1", "resourceVersion": "7", "labels": {"a": "b"}},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}},
    "status": {"replicas": 2},
}


def test_the_scale_of_a_built_in_workload() -> None:
    # upstream: pkg/registry/apps/deployment/storage scaleFromDeployment
    assert scale_of(DEPLOYMENT) == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "ns", "uid": "u1", "resourceVersion": "7"},
        "spec": {"replicas": 3},
        "status": {"replicas": 2, "selector": "app=web"},
    }


def test_the_scale_of_a_custom_resource_follows_its_paths() -> None:
    paths = paths_of(
        {
            "specReplicasPath": ".spec.size",
            "statusReplicasPath": ".status.ready",
            "labelSelectorPath": ".status.sel",
        }
    )
    assert paths == ScalePaths(".spec.size", ".status.ready", ".status.sel")
    obj = {"metadata": {"name": "c"}, "spec": {"size": 5}, "status": {"ready": 4, "sel": "tier=db"}}
    assert scale_of(obj, paths)["spec"] == {"replicas": 5}
    assert scale_of(obj, paths)["status"] == {"replicas": 4, "selector": "tier=db"}
    assert scale_of({"metadata": {"name": "c"}}, paths)["status"] == {"replicas": 0}
    assert scaled(obj, {"spec": {"replicas": 7}}, paths)["spec"]["size"] == 7
    assert obj["spec"]["size"] == 5  # not changed in place


def test_a_scale_write_sets_only_the_desired_replicas() -> None:
    result = scaled(
        DEPLOYMENT, {"metadata": {"name": "web"}, "spec": {"replicas": 5}, "status": {"replicas": 9}}
    )
    assert result["spec"] == {"replicas": 5, "selector": {"matchLabels": {"app": "web"}}}
    assert result["status"] == {"replicas": 2}
    assert result["metadata"]["resourceVersion"] == "7"
    stale = scaled(DEPLOYMENT, {"metadata": {"resourceVersion": "3"}, "spec": {"replicas": 1}})
    assert stale["metadata"]["resourceVersion"] == "3"  # the registry's precondition then fails: 409


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (
            {"spec": {"replicas": -1}},
            errors.Invalid,
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ),
        ({"spec": {"replicas": "3"}}, errors.Invalid, "spec.replicas: Invalid value"),
        ([], errors.BadRequest, "must be a Scale object"),
        ({"metadata": {"name": "other"}, "spec": {"replicas": 1}}, errors.BadRequest, "does not match"),
    ],
)
def test_bad_scale_writes_are_refused(body: object, error: type[errors.ApiError], message: str) -> None:
    with pytest.raises(error) as refused:
        scaled(DEPLOYMENT, body)
    assert message in str(refused.value)
