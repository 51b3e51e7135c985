"""CustomResourceDefinitions on a live API server, through the official client (its dynamic client
finds kinds by discovery, as kubectl does): a definition is established and its resources served at
once (CRUD, watch, status and scale subresources, printer columns, discovery, OpenAPI); deleting it
deletes its resources and withdraws them. Also the scale subresource of the built-in workloads.

The definitions are written here, shaped like real operators' (a namespaced kind with status and scale,
a cluster-scoped one), not copies of any.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import urllib3
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from everynode.core.types import Obj
from everynode.spawn.apiserver import ApiServerProcess
from tests.integration.conftest import Clients
from tests.polling import poll_until

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def definition(group: str, *, scope: str = "Namespaced") -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"pools.{group}"},
        "spec": {
            "group": group,
            "names": {"plural": "pools", "singular": "pool", "kind": "Pool", "shortNames": ["pl"]},
            "scope": scope,
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.replicas",
                            "statusReplicasPath": ".status.replicas",
                            "labelSelectorPath": ".status.selector",
                        },
                    },
                    "additionalPrinterColumns": [
                        {"name": "CIDR", "type": "string", "jsonPath": ".spec.cidr"},
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "cidr": {"type": "string"},
                                        "replicas": {"type": "integer"},
                                    },
                                },
                                "status": {
                                    "type": "object",
                                    "properties": {
                                        "replicas": {"type": "integer"},
                                        "selector": {"type": "string"},
                                    },
                                },
                            },
                        }
                    },
                }
            ],
        },
    }


def call(
    server: ApiServerProcess, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any]:
    """A raw request: its status and decoded JSON body."""
    data = None if body is None else json.dumps(body)
    answer = urllib3.PoolManager().request(method, server.url + path, body=data, headers=headers)
    return answer.status, json.loads(answer.data or b"null")


@pytest.fixture
def group() -> str:
    return f"t{uuid.uuid4().hex[:8]}.example.com"


@pytest.fixture
def dyn(k8s: Clients) -> dynamic.DynamicClient:
    return dynamic.DynamicClient(k8s.api)


def established(dyn: dynamic.DynamicClient, name: str) -> bool:
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    conditions = crds.get(name=name).to_dict().get("status", {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def pools(k8s: Clients, group: str) -> Any:
    return dynamic.DynamicClient(k8s.api).resources.get(api_version=f"{group}/v1", kind="Pool")


def create_definition(dyn: dynamic.DynamicClient, body: Obj) -> None:
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crds.create(body=body)
    poll_until(
        lambda: established(dyn, body["metadata"]["name"]), what="the definition Established", within=10
    )


def test_a_definition_is_established_and_its_resources_served(
    apiserver: ApiServerProcess, k8s: Clients, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    create_definition(dyn, definition(group))
    crd = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    status = crd.get(name=f"pools.{group}").to_dict()["status"]
    assert status["acceptedNames"]["kind"] == "Pool"
    assert status["acceptedNames"]["listKind"] == "PoolList"
    assert status["storedVersions"] == ["v1"]

    resources = call(apiserver, "GET", f"/apis/{group}/v1")[1]["resources"]
    assert {r["name"] for r in resources} == {"pools", "pools/status", "pools/scale"}
    assert next(r for r in resources if r["name"] == "pools")["shortNames"] == ["pl"]

    api = pools(k8s, group)
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Pool",
        "metadata": {"name": "a"},
        "spec": {"cidr": "10.1.0.0/16"},
    }
    created = api.create(body=body, namespace=namespace).to_dict()
    assert created["metadata"]["generation"] == 1
    assert [item["metadata"]["name"] for item in api.get(namespace=namespace).to_dict()["items"]] == ["a"]

    # the main resource ignores status; /status changes only the status
    created["status"] = {"replicas": 9}
    created["spec"]["cidr"] = "10.2.0.0/16"
    updated = api.replace(body=created, namespace=namespace).to_dict()
    assert "status" not in updated
    assert updated["metadata"]["generation"] == 2
    updated["status"] = {"replicas": 2, "selector": "app=a"}
    updated["spec"]["cidr"] = "10.3.0.0/16"
    with_status = api.status.replace(body=updated, namespace=namespace).to_dict()
    assert with_status["status"] == {"replicas": 2, "selector": "app=a"}
    assert with_status["spec"]["cidr"] == "10.2.0.0/16"
    assert with_status["metadata"]["generation"] == 2


def test_scale_subresource_of_a_custom_resource(
    apiserver: ApiServerProcess, k8s: Clients, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    create_definition(dyn, definition(group))
    api = pools(k8s, group)
    body = {"apiVersion": f"{group}/v1", "kind": "Pool", "metadata": {"name": "s"}, "spec": {"replicas": 1}}
    api.create(body=body, namespace=namespace)
    path = f"/apis/{group}/v1/namespaces/{namespace}/pools/s/scale"
    scale = call(apiserver, "GET", path)[1]
    assert scale["kind"] == "Scale"
    assert scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 1}
    merge = {"Content-Type": "application/merge-patch+json"}
    assert call(apiserver, "PATCH", path, {"spec": {"replicas": 4}}, **merge)[0] == 200
    assert api.get(name="s", namespace=namespace).to_dict()["spec"]["replicas"] == 4
    status, refused = call(apiserver, "PATCH", path, {"spec": {"replicas": -1}}, **merge)
    assert status == 422
    assert refused["message"].startswith('Scale.autoscaling "s" is invalid: spec.replicas: Invalid value: -1')


def test_a_table_has_the_printer_columns(
    apiserver: ApiServerProcess, k8s: Clients, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    create_definition(dyn, definition(group))
    api = pools(k8s, group)
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Pool",
        "metadata": {"name": "t"},
        "spec": {"cidr": "10.9.0.0/16"},
    }
    api.create(body=body, namespace=namespace)
    table = call(apiserver, "GET", f"/apis/{group}/v1/namespaces/{namespace}/pools", Accept=TABLE)[1]
    assert [c["name"] for c in table["columnDefinitions"]][:3] == ["Name", "CIDR", "Replicas"]
    assert table["rows"][0]["cells"][:2] == ["t", "10.9.0.0/16"]


def test_deleting_a_definition_deletes_its_resources(
    apiserver: ApiServerProcess, k8s: Clients, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    create_definition(dyn, definition(group, scope="Cluster"))
    api = pools(k8s, group)
    for name in ("x", "y"):
        api.create(body={"apiVersion": f"{group}/v1", "kind": "Pool", "metadata": {"name": name}})
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crds.delete(name=f"pools.{group}")

    def gone() -> bool:
        try:
            crds.get(name=f"pools.{group}")
        except ApiException as exc:
            return exc.status == 404
        return False

    poll_until(gone, what="the definition gone", within=15)
    assert call(apiserver, "GET", f"/apis/{group}/v1/pools")[0] == 404
    # created again, it starts empty: the old resources went with the old definition
    create_definition(dyn, definition(group, scope="Cluster"))
    assert pools(k8s, group).get().to_dict()["items"] == []


def test_the_scale_subresource_of_a_deployment(k8s: Clients, namespace: str) -> None:
    labels = {"app": "web"}
    k8s.apps.create_namespaced_deployment(
        namespace,
        client.V1Deployment(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1DeploymentSpec(
                replicas=2,
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx")]),
                ),
            ),
        ),
    )
    scale = k8s.apps.read_namespaced_deployment_scale("web", namespace)
    assert scale.spec.replicas == 2
    assert scale.status.selector == "app=web"
    k8s.apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 5}})
    assert k8s.apps.read_namespaced_deployment("web", namespace).spec.replicas == 5
    scale = k8s.apps.read_namespaced_deployment_scale("web", namespace)
    scale.spec.replicas = 3
    k8s.apps.replace_namespaced_deployment_scale("web", namespace, scale)
    assert k8s.apps.read_namespaced_deployment("web", namespace).spec.replicas == 3


def test_the_schema_validates_defaults_and_prunes(
    apiserver: ApiServerProcess, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    body = definition(group)
    spec_schema = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec_schema["properties"]["mode"] = {"type": "string", "enum": ["fast", "safe"], "default": "safe"}
    spec_schema["properties"]["replicas"] |= {"minimum": 0, "maximum": 10}
    create_definition(dyn, body)
    path = f"/apis/{group}/v1/namespaces/{namespace}/pools"
    pool = {"apiVersion": f"{group}/v1", "kind": "Pool", "metadata": {"name": "p"}}

    status, created = call(apiserver, "POST", path, pool | {"spec": {"cidr": "10.0.0.0/8", "extra": 1}})
    assert status == 201, created
    assert created["spec"] == {"cidr": "10.0.0.0/8", "mode": "safe"}  # defaulted, the unknown field pruned

    status, strict = call(apiserver, "POST", path + "?fieldValidation=Strict", pool | {"spec": {"extra": 1}})
    assert status == 400
    assert strict["message"] == (
        'Pool in version "v1" cannot be handled as a Pool: strict decoding error: unknown field "spec.extra"'
    )

    bad = pool | {"metadata": {"name": "q"}, "spec": {"replicas": "two", "mode": "slow"}}
    status, invalid = call(apiserver, "POST", path, bad)
    assert status == 422
    causes = {(c["field"], c["reason"]) for c in invalid["details"]["causes"]}
    assert ("spec.replicas", "FieldValueTypeInvalid") in causes
    assert ("spec.mode", "FieldValueNotSupported") in causes
    assert 'spec.mode: Unsupported value: "slow": supported values: "fast", "safe"' in invalid["message"]
    status, _ = call(apiserver, "POST", path, pool | {"metadata": {"name": "r"}, "spec": {"replicas": 11}})
    assert status == 422


def test_every_served_version_reads_the_one_stored_object(
    apiserver: ApiServerProcess, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    # conversion None: one object, stored at the storage version, served at each version
    body = definition(group)
    v1 = body["spec"]["versions"][0]
    body["spec"]["versions"] = [{**v1, "name": "v1alpha1", "storage": False}, v1]
    create_definition(dyn, body)
    old = f"/apis/{group}/v1alpha1/namespaces/{namespace}/pools"
    new = f"/apis/{group}/v1/namespaces/{namespace}/pools"
    pool = {
        "apiVersion": f"{group}/v1alpha1",
        "kind": "Pool",
        "metadata": {"name": "p"},
        "spec": {"cidr": "a"},
    }
    status, created = call(apiserver, "POST", old, pool)
    assert status == 201
    assert created["apiVersion"] == f"{group}/v1alpha1"
    assert call(apiserver, "GET", f"{new}/p")[1]["apiVersion"] == f"{group}/v1"
    assert call(apiserver, "GET", f"{old}/p")[1]["apiVersion"] == f"{group}/v1alpha1"
    assert [i["apiVersion"] for i in call(apiserver, "GET", new)[1]["items"]] == [f"{group}/v1"]
    assert [i["apiVersion"] for i in call(apiserver, "GET", old)[1]["items"]] == [f"{group}/v1alpha1"]
    # the group prefers its most stable version, whatever order the definition lists them in
    assert call(apiserver, "GET", f"/apis/{group}")[1]["preferredVersion"]["version"] == "v1"


def test_a_custom_resource_takes_no_strategic_merge_patch(
    apiserver: ApiServerProcess, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    create_definition(dyn, definition(group))
    path = f"/apis/{group}/v1/namespaces/{namespace}/pools"
    call(apiserver, "POST", path, {"apiVersion": f"{group}/v1", "kind": "Pool", "metadata": {"name": "p"}})
    patch = {"spec": {"cidr": "b"}}
    status, refused = call(
        apiserver, "PATCH", f"{path}/p", patch, **{"Content-Type": "application/strategic-merge-patch+json"}
    )
    assert status == 415
    assert "application/merge-patch+json" in refused["message"]
    status, _ = call(
        apiserver, "PATCH", f"{path}/p", patch, **{"Content-Type": "application/merge-patch+json"}
    )
    assert status == 200


def test_field_selectors_take_the_selectable_fields(
    apiserver: ApiServerProcess, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    body = definition(group)
    body["spec"]["versions"][0]["selectableFields"] = [{"jsonPath": ".spec.cidr"}]
    create_definition(dyn, body)
    path = f"/apis/{group}/v1/namespaces/{namespace}/pools"
    for name, cidr in (("a", "10.1.0.0/16"), ("b", "10.2.0.0/16")):
        pool = {
            "apiVersion": f"{group}/v1",
            "kind": "Pool",
            "metadata": {"name": name},
            "spec": {"cidr": cidr},
        }
        call(apiserver, "POST", path, pool)
    listed = call(apiserver, "GET", f"{path}?fieldSelector=spec.cidr%3D10.2.0.0/16")[1]["items"]
    assert [item["metadata"]["name"] for item in listed] == ["b"]
    listed = call(apiserver, "GET", f"{path}?fieldSelector=metadata.name!%3Db")[1]["items"]
    assert [item["metadata"]["name"] for item in listed] == ["a"]
    status, refused = call(apiserver, "GET", f"{path}?fieldSelector=spec.replicas%3D1")
    assert status == 400
    assert refused["message"] == "field label not supported: spec.replicas"


def test_a_deprecated_version_warns_on_every_response(
    apiserver: ApiServerProcess, dyn: dynamic.DynamicClient, group: str, namespace: str
) -> None:
    body = definition(group)
    v1 = body["spec"]["versions"][0]
    body["spec"]["versions"] = [{**v1, "name": "v1beta1", "storage": False, "deprecated": True}, v1]
    create_definition(dyn, body)
    http = urllib3.PoolManager()
    old = http.request("GET", f"{apiserver.url}/apis/{group}/v1beta1/namespaces/{namespace}/pools")
    assert old.status == 200
    assert old.headers.get("Warning") == f'299 - "{group}/v1beta1 Pool is deprecated"'
    new = http.request("GET", f"{apiserver.url}/apis/{group}/v1/namespaces/{namespace}/pools")
    assert "Warning" not in new.headers
