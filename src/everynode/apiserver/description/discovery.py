"""Discovery documents: /version, /api, /apis and one APIResourceList per group-version."""

from __future__ import annotations

from collections.abc import Sequence

from everynode import __version__
from everynode.core import resources as r
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

Served = Sequence[ResourceInfo]  # what the server serves, in order (its catalog's ``infos()``)

KUBERNETES_VERSION = ("1", "33", "v1.33.1")
EXTRA_GROUPS = (("policy", "v1"),)  # pods/eviction lives here; we serve no resource of its own


def version() -> Obj:
    major, minor, git = KUBERNETES_VERSION
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git,
        "gitCommit": f"everynode-{__version__}",
        "gitTreeState": "clean",
        "buildDate": "2026-11-25T00:00:00Z",
        "goVersion": "python3",
        "compiler": "everynode",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_versions(served: Served) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for info in served:
        seen.setdefault((info.group, info.version), None)
    return list(seen)


def _groups(served: Served) -> list[tuple[str, str]]:
    groups = [(g, v) for g, v in _group_versions(served) if g]
    return groups + [gv for gv in EXTRA_GROUPS if gv not in groups]


def api_group(group: str, served: Served = r.RESOURCES) -> Obj | None:
    versions = [v for g, v in _groups(served) if g == group]
    if not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def api_group_list(served: Served = r.RESOURCES) -> Obj:
    groups: list[Obj] = []
    for group, _ in _groups(served):
        document = api_group(group, served)
        if document is not None and all(g["name"] != group for g in groups):
            document.pop("kind")
            document.pop("apiVersion")
            groups.append(document)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(group: str, version: str, served: Served = r.RESOURCES) -> Obj | None:
    listed = [info for info in served if info.group == group and info.version == version]
    if not listed and (group, version) not in EXTRA_GROUPS:
        return None
    resources: list[Obj] = []
    for info in listed:
        entry: Obj = {
            "name": info.resource,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": list(info.verbs),
        }
        if info.short_names:
            entry["shortNames"] = list(info.short_names)
        if info.categories:
            entry["categories"] = list(info.categories)
        resources.append(entry)
        for sub in info.subresources:
            resources.append(_subresource(info, sub))
    if not group and version == "v1":
        resources.append(
            {
                "name": "bindings",
                "singularName": "binding",
                "namespaced": True,
                "kind": "Binding",
                "verbs": ["create"],
            }
        )
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def _subresource(info: r.ResourceInfo, sub: str) -> Obj:
    entry: Obj = {"name": f"{info.resource}/{sub}", "singularName": "", "namespaced": info.namespaced}
    if sub == "status":
        entry |= {"kind": info.kind, "verbs": ["get", "patch", "update"]}
    elif sub == "scale":
        entry |= {
            "group": "autoscaling",
            "version": "v1",
            "kind": "Scale",
            "verbs": ["get", "patch", "update"],
        }
    elif sub == "binding":
        entry |= {"kind": "Binding", "verbs": ["create"]}
    elif sub == "eviction":
        entry |= {"group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]}
    elif sub in r.CONNECT_SUBRESOURCES:
        kind, verbs = r.CONNECT_SUBRESOURCES[sub]
        entry |= {"kind": kind, "verbs": list(verbs)}
    return entry


# -- aggregated discovery (apidiscovery.k8s.io v2 / v2beta1) --------------------------------------

BINDINGS: Obj = {
    "resource": "bindings",
    "responseKind": {"group": "", "version": "v1", "kind": "Binding"},
    "scope": "Namespaced",
    "singularResource": "binding",
    "verbs": ["create"],
}

AGGREGATED_VERSIONS = ("v2", "v2beta1")


def aggregated_version(accept: str) -> str | None:
    """The aggregated-discovery version an Accept header offers (v2 preferred), if any.

    Clients tell the formats apart by the response Content-Type, so a client that did not ask for
    v2 (kubectl 1.27-1.29 only know v2beta1) must not get it.
    """
    offered = set()
    for media in accept.split(","):
        params = {}
        for part in media.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            params[key.strip()] = value.strip()
        if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList":
            offered.add(params.get("v", ""))
    return next((v for v in AGGREGATED_VERSIONS if v in offered), None)


def aggregated_content_type(version: str) -> str:
    return f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"


def aggregated_list(*, core: bool, version: str, served: Served = r.RESOURCES) -> Obj:
    """The APIGroupDiscoveryList for ``/api`` (``core``) or ``/apis``."""
    groups = [("", "v1")] if core else _groups(served)
    items: list[Obj] = []
    for group, group_version in groups:
        resources = [
            _aggregated_resource(info)
            for info in served
            if info.group == group and info.version == group_version
        ]
        if core:
            resources.append(BINDINGS)
        entry = {"version": group_version, "freshness": "Current", "resources": resources}
        existing = next((i for i in items if i["metadata"].get("name", "") == group), None)
        if existing is not None:
            existing["versions"].append(entry)
        else:
            items.append({"metadata": {"name": group} if group else {}, "versions": [entry]})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }


def _aggregated_resource(info: r.ResourceInfo) -> Obj:
    kind = {"group": info.group, "version": info.version, "kind": info.kind}
    entry: Obj = {
        "resource": info.resource,
        "responseKind": kind,
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    subresources = []
    for sub in info.subresources:
        legacy = _subresource(info, sub)
        sub_kind = {
            "group": legacy.get("group", info.group),
            "version": legacy.get("version", info.version),
            "kind": legacy["kind"],
        }
        subresources.append({"subresource": sub, "responseKind": sub_kind, "verbs": legacy["verbs"]})
    if subresources:
        entry["subresources"] = subresources
    return entry
