"""A Service's address fields (upstream ``ValidateServiceClusterIPsRelatedFields`` and update rules)."""

from __future__ import annotations

from typing import Any

from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    dicts,
    index,
    strings,
)
from everynode.apiserver.validation.ips import is_ipv6, parse_ip, validate_ip
from everynode.apiserver.validation.values import dns_subdomain, go_string_ptr, go_typed_slice, qualified_name
from everynode.core.fielderrors import duplicate, forbidden, go_quote, invalid, not_supported, required
from everynode.core.types import Obj

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
TRAFFIC_POLICIES = ("Cluster", "Local")
IP_FAMILIES = ("IPv4", "IPv6")
IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
IP_MODES = ("Proxy", "VIP")
LB_ONLY = "may only be used when `type` is 'LoadBalancer'"
CHANGED = "may not change once set"


def is_headless(spec: Obj) -> bool:
    return strings(spec.get("clusterIPs")) == ["None"]


def _list_or_none(value: Any) -> list[str] | None:
    return strings(value) if isinstance(value, list) else None


def cluster_ips_text(value: Any) -> str:
    """``spec.clusterIPs`` as Go's ``%#v`` prints a ``[]string``."""
    values = _list_or_none(value)
    return "[]string(nil)" if values is None else go_typed_slice("string", values)


def _families_text(value: Any) -> str:
    return go_typed_slice("core.IPFamily", _list_or_none(value))


def service_port_text(protocol: str, port: int) -> str:
    """The ``core.ServicePort`` key a duplicate (protocol, port) pair is reported with."""
    return (
        f"core.ServicePort{{Name:{go_quote('')}, Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), "
        f'Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}'
    )


def _families(spec: Obj) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, family in enumerate(strings(spec.get("ipFamilies"))):
        path = index("spec.ipFamilies", i)
        if family not in IP_FAMILIES:
            errs.append(not_supported(path, family, IP_FAMILIES))
        if family in seen:
            errs.append(duplicate(path, family))
        seen.add(family)
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        errs.append(not_supported("spec.ipFamilyPolicy", as_str(policy), IP_FAMILY_POLICIES))
    return errs


def validate_cluster_ip_fields(spec: Obj, old_spec: Any) -> Errors:
    """``clusterIP`` and ``clusterIPs`` agree; every entry is an address (or the lone ``None``), at most
    one per family, and each matches its ``ipFamilies`` entry. ExternalName services are skipped."""
    if spec.get("type") == "ExternalName":
        return []
    ips, cluster_ip = strings(spec.get("clusterIPs")), as_str(spec.get("clusterIP"))
    text = cluster_ips_text(spec.get("clusterIPs"))
    errs: Errors = []
    if cluster_ip:
        if not ips:
            errs.append(required("spec.clusterIPs"))
        elif ips[0] != cluster_ip:
            errs.append(
                invalid("spec.clusterIPs", ips, "first value must match `clusterIP`", value_text=text)
            )
    elif ips:
        detail = "must be empty when `clusterIP` is not specified"
        errs.append(invalid("spec.clusterIPs", ips, detail, value_text=text))
    errs.extend(_families(spec))
    existing = strings(as_dict(old_spec).get("clusterIPs")) if old_spec is not None else []
    bad_ips = False
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                bad_ips = True
                detail = "'None' must be the first and only value"
                errs.append(invalid("spec.clusterIPs", ips, detail, value_text=text))
            continue
        problems = validate_ip(ip, index("spec.clusterIPs", i), existing)
        bad_ips = bad_ips or bool(problems)
        errs.extend(problems)
    if len(ips) > 2:
        errs.append(invalid("spec.clusterIPs", ips, "may only hold up to 2 values", value_text=text))
    if bad_ips:
        return errs
    if len(ips) > 1 and len({is_ipv6(ip) for ip in ips}) < 2:
        detail = "may specify no more than one IP for each IP family"
        errs.append(invalid("spec.clusterIPs", ips, detail, value_text=text))
    families = strings(spec.get("ipFamilies"))
    if not is_headless(spec):
        for i, (ip, family) in enumerate(zip(ips, families, strict=False)):
            if family == "IPv4" and is_ipv6(ip):
                detail = f"expected an IPv4 value as indicated by `ipFamilies[{i}]`"
                errs.append(invalid(index("spec.clusterIPs", i), ip, detail))
            if family == "IPv6" and not is_ipv6(ip):
                detail = f"expected an IPv6 value as indicated by `ipFamilies[{i}]`"
                errs.append(invalid(index("spec.clusterIPs", i), ip, detail))
    return errs


def _downgrade_policy(spec: Obj, what: str) -> Errors:
    policy = spec.get("ipFamilyPolicy")
    if policy == "SingleStack":
        return []
    detail = f"must be set to 'SingleStack' when releasing the secondary {what}"
    return [invalid("spec.ipFamilyPolicy", policy, detail, value_text=go_string_ptr(policy))]


def _cluster_ip_updates(new: Obj, old: Obj) -> Errors:
    """``validateUpgradeDowngradeClusterIPs``: a secondary IP may be added or (with SingleStack) released;
    nothing else about allocated IPs may change."""
    if is_headless(new) and is_headless(old):
        return []
    new_ips, old_ips = strings(new.get("clusterIPs")), strings(old.get("clusterIPs"))
    text = cluster_ips_text(new.get("clusterIPs"))
    errs: Errors = []
    if len(new_ips) == len(old_ips):
        errs.extend(
            invalid(index("spec.clusterIPs", i), new_ips, CHANGED, value_text=text)
            for i, ip in enumerate(old_ips)
            if ip != new_ips[i]
        )
    elif len(new_ips) < len(old_ips):
        if not new_ips:
            errs.append(
                invalid("spec.clusterIPs[0]", new_ips, "primary clusterIP can not be unset", value_text=text)
            )
        elif new_ips[0] != old_ips[0]:
            errs.append(invalid("spec.clusterIPs[0]", new_ips, CHANGED, value_text=text))
        if len(new_ips) == 1:
            errs.extend(_downgrade_policy(new, "clusterIP"))
    elif old_ips and new_ips[0] != old_ips[0]:
        errs.append(invalid("spec.clusterIPs[0]", new_ips, CHANGED, value_text=text))
    return errs


def _family_updates(new: Obj, old: Obj) -> Errors:
    """``validateUpgradeDowngradeIPFamilies`` (with upstream's habit of showing ``clusterIPs`` as the
    value of some of its errors)."""
    if is_headless(new) or is_headless(old):
        return []
    new_families, old_families = strings(new.get("ipFamilies")), strings(old.get("ipFamilies"))
    families_text, ips_text = _families_text(new.get("ipFamilies")), cluster_ips_text(new.get("clusterIPs"))
    path = "spec.ipFamilies[0]"
    errs: Errors = []
    if len(new_families) == len(old_families):
        changed = sum(1 for a, b in zip(old_families, new_families, strict=True) if a != b)
        errs.extend([invalid(path, new_families, CHANGED, value_text=families_text)] * changed)
    elif len(new_families) < len(old_families):
        if not strings(new.get("clusterIPs")):
            detail = "primary ipFamily can not be unset"
            errs.append(invalid(path, new_families, detail, value_text=families_text))
        if new_families and new_families[0] != old_families[0]:
            errs.append(invalid(path, new_families, CHANGED, value_text=ips_text))
        if len(new_families) == 1:
            errs.extend(_downgrade_policy(new, "ipFamily"))
    elif old_families and new_families and new_families[0] != old_families[0]:
        errs.append(invalid(path, new_families, CHANGED, value_text=ips_text))
    return errs


def validate_ip_updates(new: Obj, old: Obj) -> Errors:
    """What an update may do to allocated addresses; anything goes to or from ExternalName."""
    if "ExternalName" in (new.get("type"), old.get("type")):
        return []
    return _cluster_ip_updates(new, old) + _family_updates(new, old)


def validate_load_balancer_class(spec: Obj, old_spec: Obj | None) -> Errors:
    """A qualified name, only on LoadBalancer services, fixed once the service is one."""
    errs: Errors = []
    value = spec.get("loadBalancerClass")
    lb = spec.get("type") == "LoadBalancer"
    was_lb = old_spec is not None and old_spec.get("type") == "LoadBalancer"
    if was_lb and lb and value != as_dict(old_spec).get("loadBalancerClass"):
        errs.append(invalid("spec.loadBalancerClass", value, CHANGED, value_text=go_string_ptr(value)))
    if lb and isinstance(value, str):
        errs.extend(qualified_name(value, "spec.loadBalancerClass"))
    elif not lb and value is not None:
        errs.append(forbidden("spec.loadBalancerClass", LB_ONLY))
    return errs


def _ingress(ingress: Obj, existing: list[str], path: str) -> Errors:
    ip, hostname, mode = as_str(ingress.get("ip")), as_str(ingress.get("hostname")), ingress.get("ipMode")
    errs = validate_ip(ip, child(path, "ip"), existing) if ip else []
    if mode is None:
        if ip:
            errs.append(required(child(path, "ipMode"), "must be specified when `ip` is set"))
    elif not ip:
        errs.append(forbidden(child(path, "ipMode"), "may not be specified when `ip` is not set"))
    elif mode not in IP_MODES:
        errs.append(not_supported(child(path, "ipMode"), as_str(mode), IP_MODES))
    if hostname:
        errs.extend(dns_subdomain(hostname, child(path, "hostname")))
        if parse_ip(hostname) is not None:
            errs.append(invalid(child(path, "hostname"), hostname, "must be a DNS name, not an IP address"))
    return errs


def validate_load_balancer_status(new: Obj, old: Obj) -> Errors:
    """``status.loadBalancer`` (the LoadBalancerIPMode gate on, as from 1.30): ingress only on
    LoadBalancer services, valid IPs and host names, an ``ipMode`` with every IP."""
    path = "status.loadBalancer.ingress"
    ingress = dicts(as_dict(as_dict(new.get("status")).get("loadBalancer")).get("ingress"))
    if as_dict(new.get("spec")).get("type") != "LoadBalancer" and ingress:
        return [forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'")]
    old_ingress = as_list(as_dict(as_dict(old.get("status")).get("loadBalancer")).get("ingress"))
    existing = [as_str(item.get("ip")) for item in dicts(old_ingress) if as_str(item.get("ip"))]
    errs: Errors = []
    for i, item in enumerate(ingress):
        errs.extend(_ingress(item, existing, index(path, i)))
    return errs
