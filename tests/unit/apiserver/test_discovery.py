from __future__ import annotations

import pytest

from everynode.apiserver.description import discovery

V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


@pytest.mark.parametrize(
    ("accept", "version"),
    [
        (f"{V2},{V2BETA1},application/json", "v2"),  # kubectl 1.30+
        (f"{V2BETA1},application/json", "v2beta1"),  # kubectl 1.27-1.29
        ("application/json, */*", None),
        ("application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io", "v2"),  # any order
        ("", None),
    ],
)
def test_negotiation_never_offers_a_version_the_client_did_not_ask_for(
    accept: str, version: str | None
) -> None:
    assert discovery.aggregated_version(accept) == version


def test_aggregated_core_lists_pods_with_their_subresources() -> None:
    document = discovery.aggregated_list(core=True, version="v2")
    assert document["apiVersion"] == "apidiscovery.k8s.io/v2"
    (core,) = document["items"]
    assert core["metadata"] == {}
    resources = {r["resource"]: r for r in core["versions"][0]["resources"]}
    pods = resources["pods"]
    assert pods["scope"] == "Namespaced"
    assert pods["shortNames"] == ["po"]
    assert pods["categories"] == ["all"]
    eviction = next(s for s in pods["subresources"] if s["subresource"] == "eviction")
    assert eviction["responseKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}
    assert resources["nodes"]["scope"] == "Cluster"
    assert "bindings" in resources


def test_aggregated_groups_list_apps_and_coordination() -> None:
    document = discovery.aggregated_list(core=False, version="v2beta1")
    names = [item["metadata"]["name"] for item in document["items"]]
    assert names[:2] == ["apps", "coordination.k8s.io"]
    apps = document["items"][0]["versions"][0]["resources"]
    daemonsets = next(r for r in apps if r["resource"] == "daemonsets")
    assert daemonsets["shortNames"] == ["ds"]
    assert daemonsets["subresources"][0]["subresource"] == "status"
