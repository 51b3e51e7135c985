"""NetworkPolicy validation (upstream ``ValidateNetworkPolicy``, ``ValidateNetworkPolicyUpdate``)."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_str,
    child,
    dicts,
    expect,
    expect_items,
    expect_object,
    index,
    strings,
)
from everynode.apiserver.validation.ips import parse_cidr, validate_cidr
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.apiserver.validation.selectors import validate_label_selector
from everynode.apiserver.validation.values import each, go_typed_slice
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, not_supported, required
from everynode.core.types import Obj

PROTOCOLS = ("TCP", "UDP", "SCTP")  # upstream's order here, not sorted
POLICY_TYPES = ("Ingress", "Egress")
_SPEC_SHAPE = {"podSelector": "object", "ingress": "array", "egress": "array", "policyTypes": "array"}
_PEER_SHAPE = {"podSelector": "object", "namespaceSelector": "object", "ipBlock": "object"}


def _port(port: Obj, path: str) -> Errors:
    errs = expect(port, {"protocol": "string", "endPort": "integer"}, path)
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        errs.append(not_supported(child(path, "protocol"), as_str(protocol), PROTOCOLS))
    number, end = port.get("port"), as_int(port.get("endPort"))
    if number is None:
        if end is not None:
            errs.append(
                invalid(child(path, "endPort"), end, "may not be specified when `port` is not specified")
            )
    elif isinstance(number, str):
        if end is not None:
            errs.append(
                invalid(child(path, "endPort"), end, "may not be specified when `port` is non-numeric")
            )
        errs.extend(each(names.is_valid_port_name, number, child(path, "port")))
    else:
        value = as_int(number) or 0
        errs.extend(invalid(child(path, "port"), value, m) for m in names.is_valid_port_num(value))
        if end is not None:
            if end < value:  # upstream reports the port, not the end port, as the bad value
                errs.append(invalid(child(path, "endPort"), value, "must be greater than or equal to `port`"))
            errs.extend(invalid(child(path, "endPort"), end, m) for m in names.is_valid_port_num(end))
    return errs


def _ip_block(block: Obj, path: str) -> Errors:
    """``ValidateIPBlock``: a CIDR, and ``except`` entries strictly inside it."""
    cidr = as_str(block.get("cidr"))
    if not cidr:
        return [required(child(path, "cidr"))]
    errs = validate_cidr(cidr, child(path, "cidr"))
    network = parse_cidr(cidr)
    if network is None:
        return errs
    for i, text in enumerate(strings(block.get("except"))):
        item = index(child(path, "except"), i)
        errs.extend(validate_cidr(text, item))
        excepted = parse_cidr(text)
        if excepted is None:
            continue
        inside = excepted.version == network.version and excepted.network_address in network
        if not inside or network.prefixlen >= excepted.prefixlen:
            errs.append(invalid(item, text, "must be a strict subset of `cidr`"))
    return errs


def _peer(peer: Obj, allow_invalid_values: bool, path: str) -> Errors:
    errs = expect(peer, _PEER_SHAPE, path)
    present = 0
    for field in ("podSelector", "namespaceSelector"):
        if isinstance(peer.get(field), dict):
            present += 1
            errs.extend(
                validate_label_selector(
                    peer[field], child(path, field), allow_invalid_values=allow_invalid_values
                )
            )
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        present += 1
        errs.extend(_ip_block(block, child(path, "ipBlock")))
    if present == 0:
        errs.append(required(path, "must specify a peer"))
    elif present > 1 and isinstance(block, dict):
        errs.append(forbidden(path, "may not specify both ipBlock and another peer"))
    return errs


def _rules(spec: Obj, field: str, peers: str, allow_invalid_values: bool) -> Errors:
    errs = expect_items(spec.get(field), "object", child("spec", field))
    for i, rule in enumerate(dicts(spec.get(field))):
        path = index(child("spec", field), i)
        errs.extend(expect(rule, {"ports": "array", peers: "array"}, path))
        for j, port in enumerate(dicts(rule.get("ports"))):
            errs.extend(_port(port, index(child(path, "ports"), j)))
        for j, peer in enumerate(dicts(rule.get(peers))):
            errs.extend(_peer(peer, allow_invalid_values, index(child(path, peers), j)))
    return errs


def validate_network_policy_spec(raw_spec: Any, *, allow_invalid_selector_values: bool = False) -> Errors:
    errs = expect_object(raw_spec, "spec") or expect(raw_spec, _SPEC_SHAPE, "spec")
    spec = as_dict(raw_spec)
    errs.extend(
        validate_label_selector(
            spec.get("podSelector"), "spec.podSelector", allow_invalid_values=allow_invalid_selector_values
        )
    )
    errs.extend(_rules(spec, "ingress", "from", allow_invalid_selector_values))
    errs.extend(_rules(spec, "egress", "to", allow_invalid_selector_values))
    types = strings(spec.get("policyTypes"))
    if len(types) > len(POLICY_TYPES):
        text = go_typed_slice("networking.PolicyType", types)
        errs.append(
            invalid("spec.policyTypes", types, "may not specify more than two policyTypes", value_text=text)
        )
        return errs
    for i, kind in enumerate(types):
        if kind not in POLICY_TYPES:
            errs.append(not_supported(index("spec.policyTypes", i), kind, POLICY_TYPES))
    return errs


def validate_network_policy(obj: Obj) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs.extend(validate_network_policy_spec(obj.get("spec")))
    return errs


def validate_network_policy_update(new: Obj, old: Obj) -> Errors:
    """Metadata update rules and the spec rules; a pod selector the old policy already held invalid stays
    allowed its invalid values."""
    old_selector = as_dict(old.get("spec")).get("podSelector")
    allow = bool(validate_label_selector(old_selector, "spec.podSelector"))
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_network_policy_spec(new.get("spec"), allow_invalid_selector_values=allow))
    return errs
