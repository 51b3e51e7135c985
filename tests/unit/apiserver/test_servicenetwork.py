"""Cluster IPs and node ports assigned as upstream's Service storage assigns them."""

from __future__ import annotations

import ipaddress

import pytest

from everynode.apiserver.registry.servicenetwork import ServiceNetwork, parse_port_range
from everynode.core import errors
from everynode.core.types import Obj


def service(name: str = "web", *, uid: str | None = None, **spec: object) -> Obj:
    body: Obj = {"type": "ClusterIP", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}
    return {"metadata": {"name": name, "uid": uid or f"uid-{name}"}, "spec": body | spec}


def test_a_cluster_ip_is_assigned_from_the_range_with_the_family_and_policy() -> None:
    network = ServiceNetwork("10.0.0.0/24")
    made = service()
    network.assign(made, None, [])
    spec = made["spec"]
    assert ipaddress.ip_address(spec["clusterIP"]) in ipaddress.ip_network("10.0.0.0/24")
    assert spec["clusterIP"] not in ("10.0.0.0", "10.0.0.1", "10.0.0.255")  # .1 is the kubernetes Service's
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert (spec["ipFamilies"], spec["ipFamilyPolicy"]) == (["IPv4"], "SingleStack")


def test_a_requested_ip_that_is_taken_or_out_of_range_is_upstreams_422() -> None:
    network = ServiceNetwork("10.0.0.0/24")
    first = service("a", clusterIP="10.0.0.5")
    network.assign(first, None, [])
    with pytest.raises(errors.Invalid) as taken:
        network.assign(service("b", clusterIP="10.0.0.5"), None, [first])
    assert "failed to allocate IP 10.0.0.5: provided IP is already allocated" in taken.value.message
    assert 'spec.clusterIPs: Invalid value: []string{"10.0.0.5"}' in taken.value.message
    with pytest.raises(errors.Invalid, match="provided IP is not in the valid range"):
        network.assign(service("c", clusterIP="192.168.0.1"), None, [first])


def test_two_creates_racing_their_writes_get_different_addresses() -> None:
    network = ServiceNetwork("10.0.0.0/29", "30000-30001")  # five free addresses, two ports
    made = [service(f"s{i}", type="NodePort") for i in range(2)]
    for obj in made:
        network.assign(obj, None, [])  # neither is stored yet
    assert len({obj["spec"]["clusterIP"] for obj in made}) == 2
    assert sorted(obj["spec"]["ports"][0]["nodePort"] for obj in made) == [30000, 30001]
    with pytest.raises(errors.InternalError, match="failed to allocate a nodePort: range is full"):
        network.assign(service("third", type="NodePort"), None, made)


def test_node_ports_are_assigned_shared_by_port_number_and_checked() -> None:
    network = ServiceNetwork()
    dns = service(
        "dns",
        type="NodePort",
        ports=[
            {"name": "udp", "port": 53, "protocol": "UDP"},
            {"name": "tcp", "port": 53, "protocol": "TCP"},
        ],
    )
    network.assign(dns, None, [])
    udp, tcp = (port["nodePort"] for port in dns["spec"]["ports"])
    assert udp == tcp
    assert 30000 <= udp <= 32767
    with pytest.raises(errors.Invalid) as refused:
        network.assign(service("x", type="NodePort", ports=[{"port": 80, "nodePort": 80}]), None, [dns])
    assert "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range" in (
        refused.value.message
    )
    clash = service("y", type="NodePort", ports=[{"port": 81, "nodePort": udp}])
    with pytest.raises(errors.Invalid, match="provided port is already allocated"):
        network.assign(clash, None, [dns])


def test_an_update_keeps_what_it_left_out_and_leaving_node_port_drops_node_ports() -> None:
    network = ServiceNetwork()
    old = service(type="NodePort")
    network.assign(old, None, [])
    again = service(type="NodePort")  # re-applied from the original manifest: no IP, no node port
    network.assign(again, old, [old])
    assert again["spec"]["clusterIP"] == old["spec"]["clusterIP"]
    assert again["spec"]["ports"][0]["nodePort"] == old["spec"]["ports"][0]["nodePort"]
    as_cluster_ip = service(type="ClusterIP", ports=old["spec"]["ports"])
    network.assign(as_cluster_ip, old, [old])
    assert "nodePort" not in as_cluster_ip["spec"]["ports"][0]


def test_headless_and_external_name_services_get_no_address() -> None:
    network = ServiceNetwork()
    headless = service(clusterIP="None", selector={"app": "x"})
    network.assign(headless, None, [])
    assert (headless["spec"]["clusterIPs"], headless["spec"]["clusterIP"]) == (["None"], "None")
    external = service(type="ExternalName", externalName="db.example.com")
    network.assign(external, None, [])
    assert "clusterIP" not in external["spec"]


def test_ranges_are_checked() -> None:
    assert parse_port_range("30000-32767") == range(30000, 32768)
    for bad in ("0-10", "20-10", "1-70000"):
        with pytest.raises(ValueError, match="invalid port range"):
            parse_port_range(bad)
    with pytest.raises(ValueError, match="has host bits set"):
        ServiceNetwork("10.0.0.1/24")
