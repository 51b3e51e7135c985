"""Server-side apply and update bookkeeping through ``FieldManager``, against upstream's documented
behaviour and its tests: apimachinery's pkg/util/managedfields (fieldmanager_test.go and internal/*_test.go)
and structured-merge-diff's merge/ tests (multiple_appliers_test.go, leaf_test.go, set_test.go,
key_test.go, ignore_test.go)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from everynode.apiserver.apply import ApplyConflict, FieldManager, ObjectSchema, reset_fields
from everynode.apiserver.apply.managedfields import ManagerKey, cap_update_managers, decode, encode
from everynode.core.errors import BadRequest, InternalError
from tests.builders import container, daemonset

T0, T1, T2, T3 = (
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:01Z",
    "2024-05-01T10:00:02Z",
    "2024-05-01T10:00:03Z",
)


def deployments(subresource: str = "") -> FieldManager:
    return FieldManager(
        ObjectSchema.builtin("apps", "v1", "Deployment"),
        "apps/v1",
        "Deployment",
        subresource=subresource,
        reset_fields=reset_fields("apps", "Deployment", subresource, has_status=True),
    )


def daemonsets(subresource: str = "") -> FieldManager:
    return FieldManager(
        ObjectSchema.builtin("apps", "v1", "DaemonSet"),
        "apps/v1",
        "DaemonSet",
        subresource=subresource,
        reset_fields=reset_fields("apps", "DaemonSet", subresource, has_status=True),
    )


def pods() -> FieldManager:
    return FieldManager(
        ObjectSchema.builtin("", "v1", "Pod"),
        "v1",
        "Pod",
        reset_fields=reset_fields("", "Pod", "", has_status=True),
    )


def load(text: str) -> Any:
    return yaml.safe_load(text)


def stored(obj: dict[str, Any], uid: str = "uid-1") -> dict[str, Any]:
    """``obj`` as the registry stores it: with a uid (it exists)."""
    out = copy.deepcopy(obj)
    out.setdefault("metadata", {})["uid"] = uid
    return out


def entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj["metadata"].get("managedFields") or [])


def entry(obj: dict[str, Any], manager: str) -> dict[str, Any]:
    (found,) = [e for e in entries(obj) if e["manager"] == manager]
    return found


def fields(obj: dict[str, Any], manager: str) -> str:
    return json.dumps(entry(obj, manager)["fieldsV1"], separators=(",", ":"))


def managers(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in entries(obj)]


# ``kubectl create deployment nginx --image=nginx`` as the API server stores it (defaults applied)
CREATED = load(
    """
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default, labels: {app: nginx}}
spec:
  progressDeadlineSeconds: 600
  replicas: 1
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: nginx}}
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
    type: RollingUpdate
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - image: nginx
        imagePullPolicy: Always
        name: nginx
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status: {}
"""
)

APPLIED = load(
    """
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, labels: {app: nginx}}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.25"}
"""
)


# -- updates -------------------------------------------------------------------------------------------


def test_create_records_the_creator_as_upstream_does() -> None:
    # The entry of `kubectl create deployment`, byte for byte as kube-apiserver writes it: new maps and
    # items carry "." (they did not exist in the empty object), structs that did (spec, template) do not.
    created = deployments().update(None, CREATED, "kubectl-create", T0)
    assert entries(created) == [
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "apps/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": entry(created, "kubectl-create")["fieldsV1"],
        }
    ]
    assert fields(created, "kubectl-create") == (
        '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},'
        '"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":'
        '{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":'
        '{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":'
        '{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},'
        '"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},'
        '"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},'
        '"f:terminationGracePeriodSeconds":{}}}}}'
    )


def test_update_gives_changed_fields_to_the_writer_and_takes_them_from_others() -> None:
    # updater_claims_field: an update always wins the fields it changes
    fm = deployments()
    live = stored(fm.update(None, CREATED, "kubectl-create", T0))
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 5
    after = fm.update(live, edited, "kubectl-edit", T1)
    assert managers(after) == [("kubectl-create", "Update"), ("kubectl-edit", "Update")]
    assert fields(after, "kubectl-edit") == '{"f:spec":{"f:replicas":{}}}'
    assert entry(after, "kubectl-edit")["time"] == T1
    assert '"f:replicas"' not in fields(after, "kubectl-create")
    assert entry(after, "kubectl-create")["time"] == T0  # TestTakingOverManagedFieldsDuringUpdate...


def test_update_without_changes_changes_nothing() -> None:
    # TestManagedFieldsUpdateWithoutChangesDoesNotModifyTime, TestNoOpChanges
    fm = deployments()
    live = stored(fm.update(None, CREATED, "kubectl-create", T0))
    again = fm.update(live, copy.deepcopy(live), "kubectl-edit", T1)
    assert entries(again) == entries(live)


def test_removed_fields_are_dropped_from_every_manager() -> None:
    fm = deployments()
    live = stored(fm.update(None, CREATED, "kubectl-create", T0))
    edited = copy.deepcopy(live)
    del edited["metadata"]["labels"]
    after = fm.update(live, edited, "kubectl-edit", T1)
    assert "f:metadata" not in entry(after, "kubectl-create")["fieldsV1"]  # its labels were all it had there
    assert managers(after) == [("kubectl-create", "Update")]  # the editor gained nothing: no entry


def test_existing_untracked_object_stays_untracked_on_update() -> None:
    # skipnonapplied: only a create starts tracking
    fm = pods()
    live = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "uid": "u", "labels": {"a": "b"}}}
    new = copy.deepcopy(live)
    new["metadata"]["labels"]["a"] = "c"
    assert "managedFields" not in fm.update(live, new, "editor", T1)["metadata"]


@pytest.mark.parametrize("reset", [[], [{}]])
def test_sending_empty_managed_fields_resets_them(reset: list[Any]) -> None:
    # TestResetManagedFieldsEmptyList, TestResetManagedFieldsEmptyItem
    fm = pods()
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}}
    live = stored(fm.apply(None, obj, "fieldmanager_test_apply", force=False, now=T0))
    assert managers(live) == [("fieldmanager_test_apply", "Apply")]
    sent = copy.deepcopy(live)
    sent["metadata"]["managedFields"] = reset
    assert "managedFields" not in fm.update(live, sent, "update_manager", T1)["metadata"]


def test_client_may_rewrite_managed_fields() -> None:
    fm = pods()
    live = stored(
        fm.update(
            None,
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}},
            "creator",
            T0,
        )
    )
    sent = copy.deepcopy(live)
    sent["metadata"]["managedFields"] = [
        {
            "manager": "someone",
            "operation": "Apply",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:a": {}}}},
        }
    ]
    after = fm.update(live, sent, "creator", T1)
    assert managers(after) == [("someone", "Apply")]


def test_subresource_cannot_change_managed_fields() -> None:
    # TestUpdateViaSubresources: a subresource always starts from the stored entries
    fm = deployments("status")
    live = stored(deployments().update(None, CREATED, "kubectl-create", T0))
    sent = copy.deepcopy(live)
    sent["metadata"]["managedFields"] = []
    sent["status"] = {"replicas": 1}
    after = fm.update(live, sent, "kube-controller-manager", T1)
    assert managers(after) == [("kubectl-create", "Update"), ("kube-controller-manager", "Update")]
    status_entry = entry(after, "kube-controller-manager")
    assert status_entry["subresource"] == "status"
    assert status_entry["fieldsV1"] == {"f:status": {"f:replicas": {}}}


def test_reset_fields_are_never_owned() -> None:
    # ignore_test.go update_does_not_own_ignored: the main resource does not own status, /status does not
    # own spec (nor, for Deployments, metadata.labels)
    main, status = deployments(), deployments("status")
    live = stored(main.update(None, CREATED, "kubectl-create", T0))
    both = copy.deepcopy(live)
    both["spec"]["paused"] = True
    both["status"] = {"observedGeneration": 1}
    both["metadata"]["labels"]["team"] = "x"
    assert fields(main.update(live, both, "writer", T1), "writer") == (
        '{"f:metadata":{"f:labels":{"f:team":{}}},"f:spec":{"f:paused":{}}}'
    )
    assert (
        fields(status.update(live, both, "writer", T1), "writer")
        == '{"f:status":{"f:observedGeneration":{}}}'
    )


def test_stripped_metadata_is_never_owned() -> None:
    # TestApplyStripsFields: name, namespace, uid, resourceVersion, generation, creationTimestamp...
    fm = deployments()
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "b",
            "namespace": "b",
            "uid": "b",
            "generation": 3,
            "resourceVersion": "b",
            "creationTimestamp": T0,
        },
    }
    assert "managedFields" not in fm.update(None, obj, "fieldmanager_test", T0)["metadata"]


def test_more_than_ten_updaters_are_merged_into_ancient_changes() -> None:
    # TestCapManagersManagerMergesEntries, with upstream's cap of 10
    fm = pods()
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": {"a": "b"}},
    }
    obj = stored(fm.update(None, obj, "creator", "2024-05-01T09:00:00Z"))
    for n in range(11):
        new = copy.deepcopy(obj)
        new["metadata"].setdefault("labels", {})[f"l{n}"] = "x"
        obj = stored(fm.update(obj, new, f"updater-{n:02}", f"2024-05-01T10:00:{n:02}Z"))
    names = [e["manager"] for e in entries(obj)]
    assert len(names) == 10
    assert names[0] == "ancient-changes"
    assert names[1:] == [f"updater-{n:02}" for n in range(2, 11)]
    # the creator (oldest) and the two oldest updaters, merged
    assert entry(obj, "ancient-changes")["fieldsV1"] == {
        "f:metadata": {"f:annotations": {".": {}, "f:a": {}}, "f:labels": {".": {}, "f:l0": {}, "f:l1": {}}}
    }
    assert entry(obj, "ancient-changes")["time"] == "2024-05-01T10:00:01Z"


def _cap_entry(name: str, version: str, hour: int, *owned: str) -> dict[str, Any]:
    return {
        "manager": name,
        "operation": "Update",
        "apiVersion": version,
        "time": f"2024-01-01T{hour:02}:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {f"f:{f}": {} for f in owned},
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (  # one version, no ancient changes
            [
                ("update-manager1", "v1", 1, "a"),
                ("update-manager2", "v1", 2, "b"),
                ("update-manager3", "v1", 3, "c"),
                ("update-manager4", "v1", 4, "d"),
            ],
            [
                ("ancient-changes", "v1", 2, "a", "b"),
                ("update-manager3", "v1", 3, "c"),
                ("update-manager4", "v1", 4, "d"),
            ],
        ),
        (  # one version, one ancient changes
            [
                ("ancient-changes", "v1", 2, "a", "b"),
                ("update-manager3", "v1", 3, "c"),
                ("update-manager4", "v1", 4, "d"),
                ("update-manager5", "v1", 5, "e"),
            ],
            [
                ("ancient-changes", "v1", 3, "a", "b", "c"),
                ("update-manager4", "v1", 4, "d"),
                ("update-manager5", "v1", 5, "e"),
            ],
        ),
        (  # two versions, no ancient changes
            [
                ("update-manager1", "v1", 1, "a"),
                ("update-manager2", "v2", 2, "b"),
                ("update-manager3", "v1", 3, "c"),
                ("update-manager4", "v1", 4, "d"),
                ("update-manager5", "v1", 5, "e"),
            ],
            [
                ("update-manager2", "v2", 2, "b"),
                ("ancient-changes", "v1", 4, "a", "c", "d"),
                ("update-manager5", "v1", 5, "e"),
            ],
        ),
        (  # four versions, two ancient changes: nothing to merge
            [
                ("ancient-changes", "v1", 5, "a", "c", "d", "e"),
                ("update-manager6", "v3", 6, "f"),
                ("ancient-changes", "v2", 7, "b", "g"),
                ("update-manager8", "v4", 8, "h"),
            ],
            [
                ("ancient-changes", "v1", 5, "a", "c", "d", "e"),
                ("update-manager6", "v3", 6, "f"),
                ("ancient-changes", "v2", 7, "b", "g"),
                ("update-manager8", "v4", 8, "h"),
            ],
        ),
    ],
)
def test_cap_update_managers(given: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    # TestCapUpdateManagers, with a cap of 3
    capped = encode(cap_update_managers(decode([_cap_entry(*e) for e in given]), limit=3))
    assert capped == [_cap_entry(*e) for e in expected]


# -- applies -------------------------------------------------------------------------------------------


def test_apply_creates_the_object() -> None:
    # TestApplyNewObject; the applier's entry has no apiVersion in its identity but records the version
    created = deployments().apply(None, APPLIED, "kubectl", force=False, now=T0)
    assert created["spec"] == APPLIED["spec"]
    assert entries(created) == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": entry(created, "kubectl")["fieldsV1"],
        }
    ]
    assert fields(created, "kubectl") == (
        '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},'
        '"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":'
        '{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}'
    )


def test_apply_conflicts_with_an_updater() -> None:
    # TestUpdateApplyConflict; the message and causes of internal/conflict.go
    fm = deployments()
    live = stored(fm.update(None, CREATED, "kubectl-client-side-apply", T0))
    config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx"},
        "spec": {"replicas": 101},
    }
    with pytest.raises(ApplyConflict) as caught:
        fm.apply(live, config, "fieldmanager_conflict", force=False, now=T1)
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
        ".spec.replicas",
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
                    "field": ".spec.replicas",
                }
            ]
        },
        "code": 409,
    }


def test_force_takes_ownership_from_the_others() -> None:
    fm = deployments()
    live = stored(fm.update(None, CREATED, "kubectl-create", T0))
    config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx"},
        "spec": {"replicas": 101},
    }
    after = fm.apply(live, config, "autoscaler", force=True, now=T1)
    assert after["spec"]["replicas"] == 101
    assert fields(after, "autoscaler") == '{"f:spec":{"f:replicas":{}}}'
    assert '"f:replicas"' not in fields(after, "kubectl-create")
    assert managers(after) == [("autoscaler", "Apply"), ("kubectl-create", "Update")]


def test_conflicts_with_several_managers_are_grouped() -> None:
    fm = deployments()
    live = stored(fm.apply(None, APPLIED, "apply-one", force=False, now=T0))
    edited = copy.deepcopy(live)
    edited["metadata"]["labels"]["app"] = "edited"
    live = stored(fm.update(live, edited, "kubectl-edit", T1))
    config = copy.deepcopy(APPLIED)
    config["metadata"]["labels"]["app"] = "mine"
    config["spec"]["replicas"] = 7
    config["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    with pytest.raises(ApplyConflict) as caught:
        fm.apply(live, config, "apply-two", force=False, now=T2)
    assert caught.value.message == (
        'Apply failed with 3 conflicts: conflicts with "apply-one":\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image\n'
        'conflicts with "kubectl-edit" using apps/v1:\n'
        "- .metadata.labels.app"
    )
    assert [c["field"] for c in caught.value.status()["details"]["causes"]] == [
        ".spec.replicas",
        '.spec.template.spec.containers[name="nginx"].image',
        ".metadata.labels.app",
    ]


def test_same_value_is_shared_ownership_not_a_conflict() -> None:
    # multiple_appliers_test.go same_value_no_conflict
    fm = deployments()
    live = stored(fm.apply(None, APPLIED, "apply-one", force=False, now=T0))
    after = fm.apply(live, APPLIED, "apply-two", force=False, now=T1)
    assert fields(after, "apply-two") == fields(after, "apply-one")
    assert "time" not in entry(after, "apply-two")  # nothing changed: no time (managedfieldsupdater)
    # and either may then drop a shared field without removing it from the object
    less = copy.deepcopy(APPLIED)
    del less["spec"]["replicas"]
    dropped = fm.apply(stored(after), less, "apply-one", force=False, now=T2)
    assert dropped["spec"]["replicas"] == 3
    assert '"f:replicas"' not in fields(dropped, "apply-one")
    assert '"f:replicas"' in fields(dropped, "apply-two")


def test_field_no_longer_applied_is_removed() -> None:
    # leaf_test.go apply_twice_remove; multiple_appliers_test.go unset_scalar_sole_owner, remove_one
    fm = deployments()
    config = copy.deepcopy(APPLIED)
    config["metadata"]["labels"]["tier"] = "web"
    config["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox"})
    live = stored(fm.apply(None, config, "kubectl", force=False, now=T0))
    after = fm.apply(live, APPLIED, "kubectl", force=False, now=T1)
    assert after["metadata"]["labels"] == {"app": "nginx"}
    assert [c["name"] for c in after["spec"]["template"]["spec"]["containers"]] == ["nginx"]
    assert fields(after, "kubectl") == fields(
        fm.apply(None, APPLIED, "kubectl", force=False, now=T0), "kubectl"
    )


def test_field_no_longer_applied_but_owned_by_an_updater_stays() -> None:
    # unset_scalar_shared_with_updater: only the applier's ownership goes
    fm = deployments()
    live = stored(fm.update(None, CREATED, "kubectl-create", T0))
    config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx"},
        "spec": {"replicas": 1, "revisionHistoryLimit": 10},
    }
    live = stored(fm.apply(live, config, "applier", force=False, now=T1))
    del config["spec"]["revisionHistoryLimit"]
    after = fm.apply(live, config, "applier", force=False, now=T2)
    assert after["spec"]["revisionHistoryLimit"] == 10
    assert fields(after, "applier") == '{"f:spec":{"f:replicas":{}}}'


def test_removed_subtree_goes_whole() -> None:
    # unset_complex_sole_owner: dropping a struct removes it and all below it
    fm = daemonsets()
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}}
    config = daemonset("ds", strategy=strategy)
    live = stored(fm.apply(None, config, "kubectl", force=False, now=T0))
    assert live["spec"]["updateStrategy"] == strategy
    after = fm.apply(live, daemonset("ds"), "kubectl", force=False, now=T1)
    assert "updateStrategy" not in after["spec"]


def test_env_list_merged_by_name_and_controller_items_survive() -> None:
    # key_test.go: an applier's item and a controller's item live side by side
    fm = daemonsets()
    config = daemonset("ds", containers=[container("main", env=[{"name": "A", "value": "1"}])])
    live = stored(fm.apply(None, config, "kubectl", force=False, now=T0))
    injected = copy.deepcopy(live)
    injected["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "B", "value": "2"})
    live = stored(fm.update(live, injected, "injector", T1))
    assert fields(live, "injector") == (
        '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"main\\"}":'
        '{"f:env":{"k:{\\"name\\":\\"B\\"}":{".":{},"f:name":{},"f:value":{}}}}}}}}}'
    )
    changed = daemonset("ds", containers=[container("main", env=[{"name": "A", "value": "9"}])])
    after = fm.apply(live, changed, "kubectl", force=False, now=T2)
    assert after["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "9"},
        {"name": "B", "value": "2"},
    ]


def test_ports_keyed_by_port_and_protocol() -> None:
    fm = daemonsets()
    ports = [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 53}]
    live = stored(
        fm.apply(
            None, daemonset("dns", containers=[container("dns", ports=ports)]), "kubectl", force=False, now=T0
        )
    )
    owned = entry(live, "kubectl")["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"dns"}'
    ]
    assert list(owned["f:ports"]) == [
        'k:{"containerPort":53,"protocol":"TCP"}',
        'k:{"containerPort":53,"protocol":"UDP"}',
    ]


def test_atomic_list_conflicts_as_a_whole() -> None:
    # args is x-kubernetes-list-type: atomic: owned, replaced and conflicting as one field
    fm = daemonsets()
    live = stored(
        fm.apply(
            None,
            daemonset("ds", containers=[container("main", args=["-a", "-b"])]),
            "kubectl",
            force=False,
            now=T0,
        )
    )
    edited = copy.deepcopy(live)
    edited["spec"]["template"]["spec"]["containers"][0]["args"] = ["-a", "-b", "-c"]
    live = stored(fm.update(live, edited, "kubectl-edit", T1))
    assert '"f:args":{}' in fields(live, "kubectl-edit")
    assert '"f:args"' not in fields(live, "kubectl")
    with pytest.raises(ApplyConflict) as caught:
        fm.apply(
            live, daemonset("ds", containers=[container("main", args=["-a"])]), "kubectl", force=False, now=T2
        )
    assert caught.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: '
        '.spec.template.spec.containers[name="main"].args'
    )


def test_atomic_selector_map() -> None:
    # LabelSelector has x-kubernetes-map-type: atomic: matchLabels is owned through .spec.selector
    fm = daemonsets()
    live = stored(fm.apply(None, daemonset("ds"), "kubectl", force=False, now=T0))
    assert '"f:selector":{}' in fields(live, "kubectl")
    config = daemonset("ds", match_labels={"app": "ds", "tier": "x"}, pod_labels={"app": "ds", "tier": "x"})
    with pytest.raises(ApplyConflict) as caught:
        fm.apply(live, config, "other", force=False, now=T1)
    assert [c["field"] for c in caught.value.status()["details"]["causes"]] == [".spec.selector"]


def test_set_list_items_owned_one_by_one() -> None:
    # set_test.go: finalizers (x-kubernetes-list-type: set) are owned item by item
    fm = daemonsets()
    live = stored(fm.apply(None, daemonset("ds", finalizers=["a.io/one"]), "apply-one", force=False, now=T0))
    second = daemonset("ds", finalizers=["b.io/two"])
    del second["spec"]
    live = stored(fm.apply(live, second, "apply-two", force=False, now=T1))
    assert live["metadata"]["finalizers"] == ["a.io/one", "b.io/two"]
    assert fields(live, "apply-two") == '{"f:metadata":{"f:finalizers":{"v:\\"b.io/two\\"":{}}}}'
    after = fm.apply(live, daemonset("ds"), "apply-one", force=False, now=T2)
    assert after["metadata"]["finalizers"] == ["b.io/two"]


def test_no_op_apply_changes_nothing() -> None:
    # TestNoOpChanges, TestManagedFieldsApplyWithoutChangesDoesNotModifyTime
    fm = deployments()
    live = stored(fm.apply(None, APPLIED, "kubectl", force=False, now=T0))
    again = fm.apply(live, APPLIED, "kubectl", force=True, now=T1)
    assert again == live


def test_applying_status_through_the_main_resource_is_ignored() -> None:
    # ignore_test.go apply_does_not_own_ignored
    fm = deployments()
    config = {**APPLIED, "status": {"replicas": 3}}
    assert '"f:status"' not in fields(fm.apply(None, config, "kubectl", force=False, now=T0), "kubectl")


def test_status_subresource_apply() -> None:
    fm = deployments("status")
    live = stored(deployments().apply(None, APPLIED, "kubectl", force=False, now=T0))
    config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx"},
        "status": {"replicas": 3},
    }
    after = fm.apply(live, config, "controller", force=False, now=T1)
    status_entry = entry(after, "controller")
    assert status_entry["subresource"] == "status"
    assert status_entry["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    assert after["spec"] == live["spec"]  # what the config does not say stays


def test_before_first_apply() -> None:
    # TestUpdateBeforeFirstApply / TestNoTrackManagedFieldsForClientSideApply: an object managed by nobody
    # credits its current fields to "before-first-apply" on the first apply
    fm = pods()
    live = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "pod", "uid": "u", "labels": {"app": "my-nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:latest"}]},
    }
    config = copy.deepcopy(live)
    del config["metadata"]["uid"]
    config["metadata"]["labels"]["app"] = "nginx"
    with pytest.raises(ApplyConflict) as caught:
        fm.apply(live, config, "fieldmanager_test_apply", force=False, now=T1)
    (cause,) = caught.value.status()["details"]["causes"]
    assert cause == {
        "reason": "FieldManagerConflict",
        "message": 'conflict with "before-first-apply" using v1',
        "field": ".metadata.labels.app",
    }
    after = fm.apply(live, config, "fieldmanager_test_apply", force=True, now=T1)
    assert managers(after) == [("fieldmanager_test_apply", "Apply"), ("before-first-apply", "Update")]
    assert fields(after, "before-first-apply") == (
        '{"f:metadata":{"f:labels":{}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":'
        '{".":{},"f:image":{},"f:name":{}}}}}'
    )


def test_no_before_first_apply_for_a_new_object() -> None:
    # TestNoUpdateBeforeFirstApply
    config = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod", "labels": {"app": "nginx"}}}
    assert managers(pods().apply(None, config, "fieldmanager_test_apply", force=False, now=T0)) == [
        ("fieldmanager_test_apply", "Apply")
    ]


def test_apply_checks_the_configuration() -> None:
    fm = deployments()
    # TestVersionCheck
    with pytest.raises(BadRequest, match=r"^invalid object type: apps/v1beta1, Kind=Deployment$"):
        fm.apply(None, {**APPLIED, "apiVersion": "apps/v1beta1"}, "kubectl", force=False, now=T0)
    # TestApplyFailsWithManagedFields
    with_fields = copy.deepcopy(APPLIED)
    with_fields["metadata"]["managedFields"] = [{"manager": "x"}]
    with pytest.raises(BadRequest, match=r"^metadata\.managedFields must be nil$"):
        fm.apply(None, with_fields, "kubectl", force=False, now=T0)
    duplicated = copy.deepcopy(APPLIED)
    duplicated["spec"]["template"]["spec"]["containers"].append({"name": "nginx", "image": "x"})
    with pytest.raises(InternalError) as caught:
        fm.apply(None, duplicated, "kubectl", force=False, now=T0)
    assert caught.value.message == (
        "failed to create typed patch object (apps/v1, Kind=Deployment): "
        '.spec.template.spec.containers: duplicate entries for key [name="nginx"]'
    )


def test_applier_keeps_one_entry_whatever_the_version() -> None:
    key = ManagerKey.of("kubectl", "Apply", "apps/v1")
    assert key.identifier() == '{"manager":"kubectl","operation":"Apply"}'
    assert ManagerKey.of("", "Update", "v1", "scale").identifier() == (
        '{"manager":"unknown","operation":"Update","apiVersion":"v1","subresource":"scale"}'
    )


def test_custom_resource_with_schema() -> None:
    schema = ObjectSchema.from_openapi_v3(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "servers": {
                            "type": "array",
                            "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["name"],
                            "items": {
                                "type": "object",
                                "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                            },
                        },
                        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    },
                }
            },
        }
    )
    fm = FieldManager(schema, "example.com/v1", "Widget")
    config = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "labels": {"a": "b"}},
        "spec": {"servers": [{"name": "one", "port": 1}], "extra": {"deep": {"x": [1, 2]}}},
    }
    created = fm.apply(None, config, "kubectl", force=False, now=T0)
    assert fields(created, "kubectl") == (
        '{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:extra":{"f:deep":{".":{},"f:x":{}}},'
        '"f:servers":{"k:{\\"name\\":\\"one\\"}":{".":{},"f:name":{},"f:port":{}}}}}'
    )


def test_custom_resource_without_schema_is_deduced() -> None:
    # deduced_test.go: maps granular, lists atomic
    fm = FieldManager(ObjectSchema.deduced(), "example.com/v1", "Thing")
    config = {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": {"a": {"b": 1}, "list": [1]},
    }
    created = fm.apply(None, config, "kubectl", force=False, now=T0)
    assert fields(created, "kubectl") == '{"f:spec":{".":{},"f:a":{".":{},"f:b":{}},"f:list":{}}}'


def test_client_managed_fields_are_respelt() -> None:
    # fieldsV1 a client sends is read as upstream reads it and written back canonical
    fm = daemonsets()
    live = stored(
        fm.apply(
            None,
            daemonset("ds", containers=[container("c", ports=[{"containerPort": 80}])]),
            "kubectl",
            force=False,
            now=T0,
        )
    )
    sent = copy.deepcopy(live)
    sent["metadata"]["managedFields"] = [
        {
            "manager": "hand",
            "operation": "Update",
            "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:spec": {
                    "f:template": {
                        "f:spec": {
                            "f:containers": {
                                'k:{ "name" : "c" }': {
                                    "f:ports": {'k:{"protocol":"TCP","containerPort":80}': {}}
                                }
                            }
                        }
                    }
                }
            },
        }
    ]
    after = fm.update(live, sent, "hand", T1)
    assert fields(after, "hand") == (
        '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{"f:ports":'
        '{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{}}}}}}}}'
    )


def test_update_that_cannot_be_tracked_keeps_the_stored_entries() -> None:
    # UpdateNoErrors: an item an associative list cannot name leaves managedFields as they were
    fm = daemonsets()
    live = stored(fm.apply(None, daemonset("ds"), "kubectl", force=False, now=T0))
    broken = copy.deepcopy(live)
    broken["spec"]["template"]["spec"]["containers"].append({"image": "no-name"})
    after = fm.update(live, broken, "editor", T1)
    assert entries(after) == entries(live)
    assert after["spec"]["template"]["spec"]["containers"][-1] == {"image": "no-name"}
