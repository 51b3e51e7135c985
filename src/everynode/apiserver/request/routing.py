"""Turn a request path into what it addresses: a resource, a namespace, a name, a subresource.

/api/v1/<resource>[/<name>[/<subresource>]]
/api/v1/namespaces/<ns>/<resource>[/<name>[/<subresource>]]
/apis/<group>/<version>/… the same
"""

from __future__ import annotations

from dataclasses import dataclass

from everynode.apiserver.catalog import Catalog
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.resources import ResourceInfo


@dataclass(frozen=True, slots=True)
class Target:
    info: ResourceInfo
    namespace: str | None  # None: cluster-scoped, or every namespace
    name: str | None  # None: the collection
    subresource: str | None


def parse_path(path: str, catalog: Catalog) -> Target | None:
    """The target of an API path among what ``catalog`` serves; ``None`` when it is not a resource path
    (discovery etc.)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) == 3 and group == "" and rest[2] == "bindings":
        # POST /api/v1/namespaces/<ns>/bindings: the older form of pods/<name>/binding
        return Target(r.PODS, rest[1], None, "binding")
    if rest[0] == "namespaces" and len(rest) >= 3 and catalog.lookup(group, version, rest[2]) is not None:
        namespace, rest = rest[1], rest[2:]
    info = catalog.lookup(group, version, rest[0])
    if info is None:
        raise errors.NotFound("the server could not find the requested resource")
    if namespace is not None and not info.namespaced:
        raise errors.NotFound("the server could not find the requested resource")
    name = rest[1] if len(rest) >= 2 else None
    subresource = rest[2] if len(rest) >= 3 else None
    if len(rest) > 3 or (subresource is not None and subresource not in info.subresources):
        raise errors.NotFound("the server could not find the requested resource")
    if info.namespaced and name is not None and namespace is None:
        raise errors.NotFound("the server could not find the requested resource")
    return Target(info, namespace, name, subresource)
