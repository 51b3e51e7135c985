"""IP/CIDR checks (``IsValidIPForLegacyField``, ``IsValidCIDRForLegacyField``, ``ValidateEndpointIP``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from everynode.apiserver.validation.fields import Errors
from everynode.core.fielderrors import invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def _ipv4_sloppy(text: str) -> ipaddress.IPv4Address | None:
    """Dotted quads whose octets may carry leading zeros (``010.0.0.1`` is ``10.0.0.1``), as Go's old
    parser read them."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    octets = [int(p) for p in parts]
    if any(o > 255 for o in octets):
        return None
    return ipaddress.IPv4Address(".".join(map(str, octets)))


def parse_ip(text: str) -> IPAddress | None:
    """``netutils.ParseIPSloppy``: an address, or ``None``. IPv4-mapped IPv6 addresses read as IPv4
    (as Go's ``net.IP`` treats them); zones (``%eth0``) are not addresses."""
    if not text or "%" in text:
        return None
    if ":" not in text:
        return _ipv4_sloppy(text)
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    return address.ipv4_mapped or address


def is_ipv6(text: str) -> bool:
    """``netutils.IsIPv6String``: a valid address that is not IPv4 (mapped addresses count as IPv4)."""
    return isinstance(parse_ip(text), ipaddress.IPv6Address)


def parse_cidr(text: str) -> IPNetwork | None:
    """``netutils.ParseCIDRSloppy``: the network (host bits may be set), or ``None``."""
    address, slash, length = text.partition("/")
    if not slash or not length.isascii() or not length.isdigit():
        return None
    ip = parse_ip(address)
    if ip is None:
        return None
    bits = int(length)
    if ":" in address and isinstance(ip, ipaddress.IPv4Address):
        bits -= 96  # a mapped address keeps its IPv6 prefix length
    if not 0 <= bits <= ip.max_prefixlen:
        return None
    return ipaddress.ip_network(f"{ip}/{bits}", strict=False)


def validate_ip(value: str, path: str, old: Iterable[str] = ()) -> Errors:
    """``IsValidIPForLegacyField`` (strict validation off, as in 1.30 to 1.33): a value the old object
    already held is accepted as it is."""
    if value in old or parse_ip(value) is not None:
        return []
    return [invalid(path, value, IP_MSG)]


def validate_cidr(value: str, path: str, old: Iterable[str] = ()) -> Errors:
    if value in old or parse_cidr(value) is not None:
        return []
    return [invalid(path, value, CIDR_MSG)]


def _link_local_multicast(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv4Address):
        return ip in ipaddress.IPv4Network("224.0.0.0/24")
    packed = ip.packed
    return packed[0] == 0xFF and packed[1] & 0x0F == 0x02


def validate_endpoint_ip(value: str, path: str) -> Errors:
    """``ValidateEndpointIP``: no unspecified, loopback, link-local or link-local multicast address."""
    ip = parse_ip(value)
    if ip is None:
        return [invalid(path, value, "must be a valid IP address")]
    errs: Errors = []
    if ip.is_unspecified:
        errs.append(invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        errs.append(invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local:
        errs.append(invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if _link_local_multicast(ip):
        detail = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
        errs.append(invalid(path, value, detail))
    return errs
