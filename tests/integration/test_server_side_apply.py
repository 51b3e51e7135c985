"""Server-side apply over HTTP on a live API server, against upstream's documented behaviour
(https://kubernetes.io/docs/reference/using-api/server-side-apply/): creating by apply, field
ownership in ``managedFields``, conflicts (409 naming the fields and their managers) and ``force``,
shared ownership of equal values, fields removed when their only manager stops applying them,
updates taking ownership, apply on ``/status``, dry runs, kubectl's client-side → server-side upgrade,
and upstream's 4xx answers for bad requests.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import urllib3

from everynode.spawn.apiserver import ApiServerProcess

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class Api:
    def __init__(self, server: ApiServerProcess, namespace: str) -> None:
        self.url = server.url
        self.http = urllib3.PoolManager()
        self.base = f"/apis/apps/v1/namespaces/{namespace}/deployments"
        self.namespace = namespace

    def call(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        data = None if body is None else (body if isinstance(body, str) else json.dumps(body))
        answer = self.http.request(method, self.url + path, body=data, headers={"Content-Type": content_type})
        return answer.status, json.loads(answer.data or b"null")

    def apply(
        self, name: str, config: Any, manager: str, *, force: bool = False, extra: str = ""
    ) -> tuple[int, Any]:
        query = f"?fieldManager={manager}" + ("&force=true" if force else "") + extra
        return self.call("PATCH", f"{self.base}/{name}{query}", config, APPLY)

    def get(self, name: str) -> Any:
        return self.call("GET", f"{self.base}/{name}")[1]


def deployment(
    name: str, *, replicas: int | None = 2, labels: dict[str, str] | None = None, image: str = "nginx:1"
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "web", "image": image}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def managers(obj: Any) -> dict[tuple[str, str], Any]:
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in obj["metadata"].get("managedFields") or []}


@pytest.fixture
def api(apiserver: ApiServerProcess, namespace: str) -> Api:
    return Api(apiserver, namespace)


@pytest.fixture
def name() -> str:
    return f"web-{uuid.uuid4().hex[:6]}"


def test_apply_creates_and_records_the_appliers_fields(api: Api, name: str) -> None:
    status, created = api.apply(name, deployment(name, labels={"team": "a"}), "alice")
    assert status == 201
    owned = managers(created)[("alice", "Apply")]
    assert owned["f:spec"]["f:replicas"] == {}
    assert owned["f:metadata"]["f:labels"] == {"f:team": {}}
    assert owned["f:spec"]["f:template"]["f:spec"]["f:containers"] == {
        'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}}
    }
    assert "f:strategy" not in owned["f:spec"]  # defaulted, not applied: nobody's
    assert created["spec"]["strategy"]["type"] == "RollingUpdate"
    # the same intent again changes nothing: no write, the same resourceVersion
    status, again = api.apply(name, deployment(name, labels={"team": "a"}), "alice")
    assert status == 200
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_a_conflict_names_the_field_and_its_manager_and_force_takes_it(api: Api, name: str) -> None:
    api.apply(name, deployment(name, replicas=2), "alice")
    status, refused = api.apply(name, deployment(name, replicas=5), "bob")
    assert status == 409
    assert refused["reason"] == "Conflict"
    assert refused["message"] == 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas'
    assert refused["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".spec.replicas"}
    ]
    assert api.get(name)["spec"]["replicas"] == 2  # nothing stored
    status, forced = api.apply(name, deployment(name, replicas=5), "bob", force=True)
    assert status == 200
    assert forced["spec"]["replicas"] == 5
    owners = managers(forced)
    assert "f:replicas" in owners[("bob", "Apply")]["f:spec"]
    assert "f:replicas" not in owners[("alice", "Apply")]["f:spec"]


def test_equal_values_are_shared_and_a_field_goes_only_with_its_last_manager(api: Api, name: str) -> None:
    api.apply(name, deployment(name, labels={"shared": "x", "alices": "y"}), "alice")
    status, shared = api.apply(name, deployment(name, labels={"shared": "x"}), "bob")
    assert status == 200  # the same value: no conflict, both own it
    owners = managers(shared)
    assert "f:shared" in owners[("alice", "Apply")]["f:metadata"]["f:labels"]
    assert "f:shared" in owners[("bob", "Apply")]["f:metadata"]["f:labels"]
    # alice stops applying both labels: hers alone goes, the shared one stays (bob still applies it)
    _, after = api.apply(name, deployment(name), "alice")
    assert after["metadata"]["labels"] == {"shared": "x"}
    _, last = api.apply(name, deployment(name), "bob")
    assert "labels" not in last["metadata"]


def test_an_update_takes_ownership_and_a_later_apply_conflicts_with_it(api: Api, name: str) -> None:
    api.apply(name, deployment(name, replicas=2), "alice")
    status, edited = api.call(
        "PATCH", f"{api.base}/{name}?fieldManager=editor", {"spec": {"replicas": 3}}, MERGE
    )
    assert status == 200
    owners = managers(edited)
    assert "f:replicas" in owners[("editor", "Update")]["f:spec"]
    assert "f:replicas" not in owners[("alice", "Apply")]["f:spec"]
    status, refused = api.apply(name, deployment(name, replicas=2), "alice")
    assert status == 409
    assert (
        refused["message"]
        == 'Apply failed with 1 conflict: conflict with "editor" using apps/v1: .spec.replicas'
    )


def test_apply_to_status_sets_only_the_status(api: Api, name: str) -> None:
    api.apply(name, deployment(name), "alice")
    status_config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "status": {"observedGeneration": 1, "replicas": 2},
    }
    status, obj = api.call("PATCH", f"{api.base}/{name}/status?fieldManager=ctrl", status_config, APPLY)
    assert status == 200
    assert obj["status"]["replicas"] == 2
    assert obj["spec"]["replicas"] == 2
    entry = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "ctrl")
    assert entry["operation"] == "Apply"
    assert entry["subresource"] == "status"
    # status applied through the main resource is ignored (it is not the main resource's field)
    _, main = api.apply(name, {**deployment(name), "status": {"replicas": 9}}, "alice")
    assert main["status"]["replicas"] == 2


def test_a_dry_run_apply_stores_nothing(api: Api, name: str) -> None:
    status, would = api.apply(name, deployment(name), "alice", extra="&dryRun=All")
    assert status == 201
    assert would["metadata"]["name"] == name
    assert api.call("GET", f"{api.base}/{name}")[0] == 404


def test_client_side_apply_upgrades_to_server_side(api: Api, name: str) -> None:
    # what `kubectl apply` (client-side) leaves: the last-applied annotation and an Update entry
    old = deployment(name, replicas=2, labels={"tier": "web"})
    annotated = json.loads(json.dumps(old))
    annotated["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(old, separators=(",", ":"))}
    status, _ = api.call("POST", f"{api.base}?fieldManager=kubectl-client-side-apply", annotated)
    assert status == 201
    # `kubectl apply --server-side` with a changed value: the fields the annotation says kubectl applied
    # are forgiven (upstream's lastappliedmanager), the annotation follows the new intent
    new = deployment(name, replicas=4, labels={"tier": "web"})
    status, upgraded = api.apply(name, new, "kubectl")
    assert status == 200, upgraded
    assert upgraded["spec"]["replicas"] == 4
    assert json.loads(upgraded["metadata"]["annotations"][LAST_APPLIED])["spec"]["replicas"] == 4
    # another manager is not forgiven
    status, _ = api.apply(name, deployment(name, replicas=6), "helm")
    assert status == 409


@pytest.mark.parametrize(
    "case",
    [
        ("", "{}", APPLY, 422, "fieldManager: Required value: is required for apply patch"),
        (
            "?fieldManager=a&force=true",
            '{"spec":{}}',
            MERGE,
            422,
            "force: Forbidden: may not be specified for non-apply patch",
        ),
        (
            "?fieldManager=a",
            '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"other"}}',
            APPLY,
            400,
            "does not match the name on the URL",
        ),
        (
            "?fieldManager=a",
            '{"apiVersion":"apps/v1beta1","kind":"Deployment","metadata":{"name":"NAME"}}',
            APPLY,
            400,
            "invalid object type",
        ),
        ("?fieldManager=a", "[1, 2", APPLY, 400, "not valid YAML"),
    ],
)
def test_bad_apply_requests(api: Api, name: str, case: tuple[str, str, str, int, str]) -> None:
    query, body, content_type, code, message = case
    status, answer = api.call("PATCH", f"{api.base}/{name}{query}", body.replace("NAME", name), content_type)
    assert status == code, answer
    assert answer["kind"] == "Status"
    assert message in answer["message"]
