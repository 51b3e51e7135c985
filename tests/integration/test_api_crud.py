"""CRUD, metadata, conflicts, status subresources and dryRun, through the official Python client."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from everynode.spawn.apiserver import ApiServerProcess
from tests.builders import daemonset, node, pod
from tests.integration.conftest import Clients


def error_body(exc: ApiException) -> dict:
    return json.loads(exc.body)


def test_the_seed_namespaces_exist(k8s: Clients) -> None:
    names = {ns.metadata.name for ns in k8s.core.list_namespace().items}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    assert k8s.core.read_namespace("default").status.phase == "Active"


def test_namespaced_create_get_list_replace_delete(k8s: Clients, namespace: str) -> None:
    created = k8s.apps.create_namespaced_daemon_set(namespace, daemonset("web", labels={"tier": "edge"}))
    meta = created.metadata
    assert meta.uid
    assert meta.creation_timestamp
    assert int(meta.resource_version) > 0
    assert meta.generation == 1
    assert meta.labels == {"tier": "edge"}
    assert meta.annotations["deprecated.daemonset.template.generation"] == "1"
    assert created.status.desired_number_scheduled == 0
    got = k8s.apps.read_namespaced_daemon_set("web", namespace)
    assert got.metadata.uid == meta.uid
    listed = k8s.apps.list_namespaced_daemon_set(namespace)
    assert [d.metadata.name for d in listed.items] == ["web"]
    assert int(listed.metadata.resource_version) >= int(meta.resource_version)

    got.spec.template.spec.containers[0].image = "nginx:1.26"
    replaced = k8s.apps.replace_namespaced_daemon_set("web", namespace, got)
    assert replaced.metadata.generation == 2
    assert replaced.metadata.annotations["deprecated.daemonset.template.generation"] == "2"
    assert int(replaced.metadata.resource_version) > int(meta.resource_version)

    replaced.metadata.labels = {"tier": "core"}
    relabelled = k8s.apps.replace_namespaced_daemon_set("web", namespace, replaced)
    assert relabelled.metadata.generation == 2, "metadata-only changes must not bump generation"

    k8s.apps.delete_namespaced_daemon_set("web", namespace)
    with pytest.raises(ApiException) as caught:
        k8s.apps.read_namespaced_daemon_set("web", namespace)
    assert caught.value.status == 404
    assert error_body(caught.value)["message"] == 'daemonsets.apps "web" not found'


def test_cluster_scoped_create_get_patch_delete(k8s: Clients) -> None:
    name = f"node-{uuid.uuid4().hex[:6]}"
    k8s.core.create_node(node(name, labels={"zone": "a"}))
    assert k8s.core.read_node(name).metadata.labels == {"zone": "a"}
    k8s.core.patch_node(name, {"metadata": {"labels": {"zone": "b"}}})
    assert k8s.core.read_node(name).metadata.labels == {"zone": "b"}
    assert name in {n.metadata.name for n in k8s.core.list_node().items}
    k8s.core.delete_node(name)
    with pytest.raises(ApiException) as caught:
        k8s.core.read_node(name)
    assert caught.value.status == 404


def test_create_twice_is_already_exists(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("p"))
    with pytest.raises(ApiException) as caught:
        k8s.core.create_namespaced_pod(namespace, pod("p"))
    assert caught.value.status == 409
    body = error_body(caught.value)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'pods "p" already exists'


def test_generate_name_gets_a_five_character_suffix(k8s: Clients, namespace: str) -> None:
    body = pod("")
    body["metadata"] = {"generateName": "agent-"}
    created = k8s.core.create_namespaced_pod(namespace, body)
    assert created.metadata.name.startswith("agent-")
    assert len(created.metadata.name) == len("agent-") + 5


def test_the_namespace_must_exist(k8s: Clients) -> None:
    with pytest.raises(ApiException) as caught:
        k8s.core.create_namespaced_pod("no-such-namespace", pod("p"))
    assert caught.value.status == 404
    assert error_body(caught.value)["message"] == 'namespaces "no-such-namespace" not found'


def test_a_stale_resource_version_is_a_conflict(k8s: Clients, namespace: str) -> None:
    first = k8s.apps.create_namespaced_daemon_set(namespace, daemonset("web"))
    stale = k8s.apps.read_namespaced_daemon_set("web", namespace)
    first.metadata.labels = {"v": "1"}
    k8s.apps.replace_namespaced_daemon_set("web", namespace, first)
    stale.metadata.labels = {"v": "2"}
    with pytest.raises(ApiException) as caught:
        k8s.apps.replace_namespaced_daemon_set("web", namespace, stale)
    assert caught.value.status == 409
    assert error_body(caught.value)["message"] == (
        'Operation cannot be fulfilled on daemonsets.apps "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert k8s.apps.read_namespaced_daemon_set("web", namespace).metadata.labels == {"v": "1"}


def test_status_subresource_owns_status_and_only_status(k8s: Clients, namespace: str) -> None:
    k8s.apps.create_namespaced_daemon_set(namespace, daemonset("web"))
    status = {
        "status": {
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 2,
            "numberMisscheduled": 0,
            "numberReady": 1,
            "observedGeneration": 1,
        }
    }
    patched = k8s.apps.patch_namespaced_daemon_set_status(
        "web", namespace, {**status, "spec": {"minReadySeconds": 9}}
    )
    assert patched.status.desired_number_scheduled == 3
    assert patched.spec.min_ready_seconds in (None, 0), "/status must ignore spec changes"
    assert patched.metadata.generation == 1
    # The main resource ignores status.
    main = k8s.apps.patch_namespaced_daemon_set("web", namespace, {"status": {"desiredNumberScheduled": 99}})
    assert main.status.desired_number_scheduled == 3


def test_dry_run_validates_and_stores_nothing(k8s: Clients, namespace: str) -> None:
    created = k8s.apps.create_namespaced_daemon_set(namespace, daemonset("dry"), dry_run="All")
    assert created.metadata.name == "dry"
    with pytest.raises(ApiException) as caught:
        k8s.apps.read_namespaced_daemon_set("dry", namespace)
    assert caught.value.status == 404
    k8s.apps.create_namespaced_daemon_set(namespace, daemonset("real"))
    k8s.apps.delete_namespaced_daemon_set("real", namespace, dry_run="All")
    assert k8s.apps.read_namespaced_daemon_set("real", namespace).metadata.name == "real"


def test_validation_errors_are_422_with_causes(k8s: Clients, namespace: str) -> None:
    bad = daemonset("web")
    bad["spec"]["template"]["spec"]["containers"][0].pop("image")
    bad["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    with pytest.raises(ApiException) as caught:
        k8s.apps.create_namespaced_daemon_set(namespace, bad)
    assert caught.value.status == 422
    body = error_body(caught.value)
    assert body["reason"] == "Invalid"
    assert body["details"]["kind"] == "DaemonSet"
    fields = {cause["field"]: cause for cause in body["details"]["causes"]}
    assert fields["spec.template.spec.containers[0].image"]["reason"] == "FieldValueRequired"
    assert fields["spec.template.spec.restartPolicy"]["reason"] == "FieldValueNotSupported"
    assert body["message"].startswith('DaemonSet.apps "web" is invalid: [')


def test_the_selector_is_immutable(k8s: Clients, namespace: str) -> None:
    k8s.apps.create_namespaced_daemon_set(namespace, daemonset("web"))
    with pytest.raises(ApiException) as caught:
        k8s.apps.patch_namespaced_daemon_set(
            "web",
            namespace,
            {
                "spec": {
                    "selector": {"matchLabels": {"app": "other"}},
                    "template": {"metadata": {"labels": {"app": "other"}}},
                }
            },
        )
    assert caught.value.status == 422
    assert any(c["field"] == "spec.selector" for c in error_body(caught.value)["details"]["causes"])


def test_defaults_make_the_object_look_like_upstream(k8s: Clients, namespace: str) -> None:
    created = k8s.apps.create_namespaced_daemon_set(namespace, daemonset("web"))
    spec = created.spec
    assert spec.revision_history_limit == 10
    assert spec.update_strategy.type == "RollingUpdate"
    assert spec.update_strategy.rolling_update.max_unavailable == 1
    assert spec.update_strategy.rolling_update.max_surge == 0
    template = spec.template.spec
    assert (template.restart_policy, template.dns_policy) == ("Always", "ClusterFirst")
    assert template.termination_grace_period_seconds == 30
    assert template.containers[0].image_pull_policy == "IfNotPresent"
    assert template.containers[0].termination_message_path == "/dev/termination-log"


def test_unknown_fields_strict_is_rejected_warn_is_dropped(
    apiserver: ApiServerProcess, namespace: str
) -> None:
    # The typed client refuses unknown fields itself, so this one speaks raw JSON, as kubectl does.
    body = daemonset("web")
    body["spec"]["template"]["spec"]["containers"][0]["imagee"] = "typo"
    url = f"{apiserver.url}/apis/apps/v1/namespaces/{namespace}/daemonsets"
    http = urllib3.PoolManager()
    headers = {"Content-Type": "application/json"}
    strict = http.request("POST", url + "?fieldValidation=Strict", body=json.dumps(body), headers=headers)
    assert strict.status == 400
    assert json.loads(strict.data)["message"] == (
        'DaemonSet in version "v1" cannot be handled as a DaemonSet: strict decoding error: '
        'unknown field "spec.template.spec.containers[0].imagee"'
    )
    warned = http.request("POST", url + "?fieldValidation=Warn", body=json.dumps(body), headers=headers)
    assert warned.status == 201
    assert warned.headers["Warning"] == '299 - "unknown field \\"spec.template.spec.containers[0].imagee\\""'
    stored = json.loads(warned.data)
    assert "imagee" not in stored["spec"]["template"]["spec"]["containers"][0]


NOT_OBJECTS = [("web", "a string"), ([], "an array"), (7, "a number")]


@pytest.mark.parametrize(
    ("collection", "kind"),
    [
        ("/api/v1/namespaces/{ns}/pods", "Pod"),
        ("/apis/apps/v1/namespaces/{ns}/daemonsets", "DaemonSet"),
        ("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", "Lease"),
        ("/api/v1/nodes", "Node"),
    ],
)
@pytest.mark.parametrize("not_an_object", NOT_OBJECTS, ids=lambda case: case[1])
def test_metadata_that_is_not_an_object_is_a_bad_request(
    apiserver: ApiServerProcess, namespace: str, collection: str, kind: str, not_an_object: tuple
) -> None:
    metadata, called = not_an_object
    url = apiserver.url + collection.format(ns=namespace)
    http = urllib3.PoolManager()
    headers = {"Content-Type": "application/json"}
    listed_before = json.loads(http.request("GET", url).data)["items"]
    for method, target in (("POST", url), ("PUT", url + "/whatever")):
        answer = http.request(method, target, body=json.dumps({"metadata": metadata}), headers=headers)
        assert answer.status == 400, (method, answer.data)
        status = json.loads(answer.data)
        assert (status["kind"], status["reason"], status["code"]) == ("Status", "BadRequest", 400)
        assert status["message"] == (
            f'{kind} in version "v1" cannot be handled as a {kind}: metadata must be an object, not {called}'
        )
    assert json.loads(http.request("GET", url).data)["items"] == listed_before


def test_a_binding_whose_parts_are_not_objects_is_a_bad_request(
    k8s: Clients, apiserver: ApiServerProcess, namespace: str
) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("p"))
    url = f"{apiserver.url}/api/v1/namespaces/{namespace}/pods/p/binding"
    http = urllib3.PoolManager()
    headers = {"Content-Type": "application/json"}
    bodies = [({"metadata": "p", "target": {"name": "n1"}}, "metadata"), ({"target": "n1"}, "target")]
    for body, field in bodies:
        answer = http.request("POST", url, body=json.dumps(body), headers=headers)
        assert answer.status == 400, answer.data
        assert json.loads(answer.data)["message"].startswith(
            f'Binding in version "v1" cannot be handled as a Binding: {field} must be an object'
        )
    assert k8s.core.read_namespaced_pod("p", namespace).spec.node_name is None


def test_unbound_pod_is_deleted_at_once_bound_pod_waits_for_its_node(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("loose"))
    k8s.core.delete_namespaced_pod("loose", namespace)
    with pytest.raises(ApiException):
        k8s.core.read_namespaced_pod("loose", namespace)

    k8s.core.create_namespaced_pod(namespace, pod("bound"))
    k8s.core.create_namespaced_binding(
        namespace,
        client.V1Binding(
            metadata=client.V1ObjectMeta(name="bound"),
            target=client.V1ObjectReference(kind="Node", name="n1"),
        ),
        _preload_content=False,
    )
    assert k8s.core.read_namespaced_pod("bound", namespace).spec.node_name == "n1"
    k8s.core.delete_namespaced_pod("bound", namespace)
    terminating = k8s.core.read_namespaced_pod("bound", namespace)
    assert terminating.metadata.deletion_timestamp is not None
    assert terminating.metadata.deletion_grace_period_seconds == 30
    # The node confirms: grace period 0.
    k8s.core.delete_namespaced_pod("bound", namespace, grace_period_seconds=0)
    with pytest.raises(ApiException) as caught:
        k8s.core.read_namespaced_pod("bound", namespace)
    assert caught.value.status == 404


def test_a_pod_is_bound_only_once(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("p"))
    binding = client.V1Binding(
        metadata=client.V1ObjectMeta(name="p"), target=client.V1ObjectReference(kind="Node", name="n1")
    )
    k8s.core.create_namespaced_binding(namespace, binding, _preload_content=False)
    with pytest.raises(ApiException) as caught:
        k8s.core.create_namespaced_binding(namespace, binding, _preload_content=False)
    assert caught.value.status == 409


def test_eviction_deletes_the_pod(k8s: Clients, namespace: str) -> None:
    k8s.core.create_namespaced_pod(namespace, pod("p"))
    eviction = client.V1Eviction(metadata=client.V1ObjectMeta(name="p", namespace=namespace))
    k8s.core.create_namespaced_pod_eviction("p", namespace, eviction, _preload_content=False)
    with pytest.raises(ApiException):
        k8s.core.read_namespaced_pod("p", namespace)


@pytest.mark.parametrize(
    ("policy", "finalizer"), [("Orphan", "orphan"), ("Foreground", "foregroundDeletion")]
)
def test_propagation_policy_is_recorded_as_a_finalizer(
    k8s: Clients, namespace: str, policy: str, finalizer: str
) -> None:
    k8s.apps.create_namespaced_daemon_set(namespace, daemonset("web"))
    k8s.apps.delete_namespaced_daemon_set("web", namespace, propagation_policy=policy)
    held = k8s.apps.read_namespaced_daemon_set("web", namespace)
    assert held.metadata.deletion_timestamp is not None
    assert held.metadata.finalizers == [finalizer]
    # What the garbage collector will do: remove its finalizer, and the object goes.
    k8s.apps.patch_namespaced_daemon_set(
        "web", namespace, {"metadata": {"finalizers": None}}, _content_type="application/merge-patch+json"
    )
    with pytest.raises(ApiException) as caught:
        k8s.apps.read_namespaced_daemon_set("web", namespace)
    assert caught.value.status == 404


def test_leases_and_events(k8s: Clients, namespace: str) -> None:
    lease = k8s.coordination.create_namespaced_lease(
        namespace, {"metadata": {"name": "n1"}, "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40}}
    )
    assert lease.spec.holder_identity == "n1"
    event = k8s.core.create_namespaced_event(
        namespace,
        {
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "DaemonSet", "name": "web", "namespace": namespace},
            "reason": "SuccessfulCreate",
            "message": "Created pod: web-abcde",
            "type": "Normal",
        },
    )
    assert event.reason == "SuccessfulCreate"
    found = k8s.core.list_namespaced_event(
        namespace, field_selector="involvedObject.kind=DaemonSet,reason=SuccessfulCreate"
    )
    assert [e.metadata.name for e in found.items] == ["e1"]


def test_all_three_patch_types(k8s: Clients, namespace: str) -> None:
    body = daemonset("web", labels={"i": "0"})  # the JSON patch below adds to its labels (an empty
    # map would not be stored, as upstream stores none, and "add /metadata/labels/j" would fail)
    body["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox:1"})
    k8s.apps.create_namespaced_daemon_set(namespace, body)
    # JSON patch (RFC 6902)
    k8s.apps.patch_namespaced_daemon_set(
        "web",
        namespace,
        [
            {"op": "add", "path": "/metadata/labels/j", "value": "1"},
            {"op": "test", "path": "/spec/revisionHistoryLimit", "value": 10},
        ],
        _content_type="application/json-patch+json",
    )
    # JSON merge patch: lists are replaced whole
    k8s.apps.patch_namespaced_daemon_set(
        "web", namespace, {"metadata": {"labels": {"m": "2"}}}, _content_type="application/merge-patch+json"
    )
    # Strategic merge patch: containers merge by name; $patch: delete removes one
    patched = k8s.apps.patch_namespaced_daemon_set(
        "web",
        namespace,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "main", "image": "nginx:1.27"},
                            {"name": "side", "$patch": "delete"},
                        ]
                    }
                }
            }
        },
        _content_type="application/strategic-merge-patch+json",
    )
    assert patched.metadata.labels == {"i": "0", "j": "1", "m": "2"}
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [("main", "nginx:1.27")]
    assert patched.metadata.generation == 2
    with pytest.raises(ApiException) as caught:  # a failing JSON-patch test op changes nothing
        k8s.apps.patch_namespaced_daemon_set(
            "web",
            namespace,
            [
                {"op": "test", "path": "/metadata/labels/j", "value": "nope"},
                {"op": "remove", "path": "/metadata/labels"},
            ],
            _content_type="application/json-patch+json",
        )
    assert caught.value.status == 422
    assert k8s.apps.read_namespaced_daemon_set("web", namespace).metadata.labels == {
        "i": "0",
        "j": "1",
        "m": "2",
    }


def test_rollout_undo_patch_replaces_the_template(k8s: Clients, namespace: str) -> None:
    k8s.apps.create_namespaced_daemon_set(namespace, daemonset("web", image="nginx:1"))
    template = {
        "$patch": "replace",
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "main", "image": "nginx:0.9"}]},
    }
    rolled = k8s.apps.patch_namespaced_daemon_set(
        "web",
        namespace,
        {"spec": {"template": template}},
        _content_type="application/strategic-merge-patch+json",
    )
    assert rolled.spec.template.spec.containers[0].image == "nginx:0.9"
    assert rolled.spec.template.spec.restart_policy == "Always"  # defaulted again


def test_deleting_a_namespace_deletes_what_is_in_it(k8s: Clients) -> None:
    name = f"gone-{uuid.uuid4().hex[:6]}"
    k8s.core.create_namespace({"metadata": {"name": name}})
    k8s.core.create_namespaced_pod(name, pod("p"))
    k8s.apps.create_namespaced_daemon_set(name, daemonset("web"))
    k8s.core.delete_namespace(name)
    with pytest.raises(ApiException) as refused:
        k8s.core.create_namespaced_pod(name, pod("late"))
    assert refused.value.status in (403, 404)
    deadline = time.monotonic() + 30
    while name in {ns.metadata.name for ns in k8s.core.list_namespace().items}:
        assert time.monotonic() < deadline, "the namespace was never removed"
        time.sleep(0.05)
    assert k8s.core.list_namespaced_pod(name).items == []
    assert k8s.apps.list_namespaced_daemon_set(name).items == []


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_the_system_namespaces_may_not_be_deleted(k8s: Clients, name: str) -> None:
    uid = k8s.core.read_namespace(name).metadata.uid
    for dry_run in (None, "All"):
        with pytest.raises(ApiException) as refused:
            k8s.core.delete_namespace(name, dry_run=dry_run)
        assert refused.value.status == 403
        status = error_body(refused.value)
        assert status["reason"] == "Forbidden"
        assert status["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
        assert status["details"] == {"name": name, "kind": "namespaces"}
    kept = k8s.core.read_namespace(name)
    assert (kept.metadata.uid, kept.metadata.deletion_timestamp) == (uid, None)


def test_namespaces_cannot_be_deleted_as_a_collection(k8s: Clients, apiserver: ApiServerProcess) -> None:
    before = {ns.metadata.name for ns in k8s.core.list_namespace().items}
    http = urllib3.PoolManager()
    answer = http.request("DELETE", apiserver.url + "/api/v1/namespaces")
    assert answer.status == 405
    assert json.loads(answer.data)["reason"] == "MethodNotAllowed"
    assert {ns.metadata.name for ns in k8s.core.list_namespace().items} == before
    resources = json.loads(http.request("GET", apiserver.url + "/api/v1").data)["resources"]
    verbs = {entry["name"]: entry["verbs"] for entry in resources}
    assert "deletecollection" not in verbs["namespaces"]
    assert "deletecollection" in verbs["pods"]


def test_a_deleted_kube_node_lease_namespace_comes_back_empty(k8s: Clients) -> None:
    """Only kube-node-lease of the seeded namespaces may be deleted; like upstream's system-namespaces
    controller, the server creates it again once it is gone, so node heartbeats can resume."""
    name = "kube-node-lease"
    uid = k8s.core.read_namespace(name).metadata.uid
    lease = {"metadata": {"name": f"held-{uuid.uuid4().hex[:6]}"}, "spec": {"holderIdentity": "n1"}}
    k8s.coordination.create_namespaced_lease(name, lease)
    k8s.core.delete_namespace(name)
    deadline = time.monotonic() + 30
    while True:
        again = {ns.metadata.name: ns for ns in k8s.core.list_namespace().items}.get(name)
        if again is not None and again.metadata.uid != uid:
            break
        assert time.monotonic() < deadline, "kube-node-lease did not come back"
        time.sleep(0.05)
    assert again.status.phase == "Active"
    assert k8s.coordination.list_namespaced_lease(name).items == []
    k8s.coordination.create_namespaced_lease(name, lease)  # heartbeats work again


def test_a_uid_in_an_update_must_be_the_objects(k8s: Clients, namespace: str) -> None:
    """A patch or PUT naming another uid is refused (the uid guards controllers send depend on it)."""
    created = k8s.core.create_namespaced_pod(namespace, pod("uid-guard"))
    with pytest.raises(ApiException) as refused:
        k8s.core.patch_namespaced_pod(
            "uid-guard", namespace, {"metadata": {"uid": "someone-else", "labels": {"a": "b"}}}
        )
    assert refused.value.status == 422
    assert "metadata.uid" in json.loads(refused.value.body)["message"]
    same = k8s.core.patch_namespaced_pod(
        "uid-guard", namespace, {"metadata": {"uid": created.metadata.uid, "labels": {"a": "b"}}}
    )
    assert same.metadata.labels == {"a": "b"}
