"""The last finder: any controller with a ``scale`` subresource, read through the API (upstream's
``getScaleController`` and ``implementsScale`` in ``pkg/controller/disruption/disruption.go``).

A pod's controller reference (``apiVersion``, ``kind``) is mapped to a resource as upstream's REST
mapper maps it: the built-in kinds from ``core.resources`` (what this API server serves, known
statically), every other group-version from discovery (``GET /apis/<group>/<version>``, kept
``DISCOVERY_TTL`` seconds, as kube-controller-manager resets its mapper every 30 s). Then:

- no resource of that kind in that group-version: ``no matches for kind "K" in version "g/v"``;
- ``GET …/<resource>/<name>/scale``: the Scale's ``spec.replicas``, if its uid is the reference's;
- a 404 means the object is gone (no controller: None) when the resource lists a ``/scale`` of kind
  ``Scale`` in discovery, else ``<resource>.<group> does not implement the scale subresource``. A
  built-in kind without one (a DaemonSet) fails so without a request: the answer is known;
- any other API error is a transient failure (the sync is retried with backoff).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from everynode.controllers.disruption.finders import FinderError, Found, group_version
from everynode.core import errors
from everynode.core import resources as r
from everynode.core.clock import Clock
from everynode.core.types import Obj

DISCOVERY_TTL = 30.0  # seconds a group-version's discovery document is reused
# The Scale kinds upstream's scale client converts (``ScaleConverter.ScaleVersions``).
SCALE_VERSIONS = (("autoscaling", "v1"), ("extensions", "v1beta1"), ("apps", "v1beta1"), ("apps", "v1beta2"))


def _by_group_version() -> dict[tuple[str, str], dict[str, r.ResourceInfo]]:
    table: dict[tuple[str, str], dict[str, r.ResourceInfo]] = {}
    for info in r.RESOURCES:
        table.setdefault((info.group, info.version), {})[info.kind] = info
    return table


BUILT_IN = _by_group_version()  # (group, version) → kind → the built-in resource served


class ScaleApi(Protocol):
    async def resources(self, group: str, version: str) -> Obj:
        """The group-version's ``APIResourceList`` (``errors.NotFound`` when it is not served)."""

    async def scale(self, group: str, version: str, resource: str, namespace: str, name: str) -> Obj:
        """``GET`` the object's ``scale`` subresource (an ``autoscaling/v1`` Scale)."""


class TransientFinderError(FinderError):
    """The API could not answer now; another sync may succeed."""


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _gr(group: str, resource: str) -> str:
    return f"{resource}.{group}" if group else resource


def resource_for(resource_list: Mapping[str, Any], kind: str) -> str | None:
    """The resource (not a subresource) of ``kind`` in a discovery document."""
    for entry in resource_list.get("resources") or []:
        name = str(entry.get("name", "")) if isinstance(entry, dict) else ""
        if name and "/" not in name and entry.get("kind") == kind:
            return name
    return None


def implements_scale(resource_list: Mapping[str, Any], resource: str) -> bool:
    """``implementsScale``: discovery lists ``<resource>/scale`` as a Scale upstream's client reads."""
    for entry in resource_list.get("resources") or []:
        if not isinstance(entry, dict) or entry.get("name") != f"{resource}/scale":
            continue
        if entry.get("kind") == "Scale" and (entry.get("group"), entry.get("version")) in SCALE_VERSIONS:
            return True
    return False


class ScaleFinder:
    def __init__(self, api: ScaleApi, clock: Clock, *, ttl: float = DISCOVERY_TTL) -> None:
        self.api, self.clock, self.ttl = api, clock, ttl
        self._discovered: dict[tuple[str, str], tuple[float, Obj]] = {}

    async def _resource_list(self, group: str, version: str, *, fresh: bool = False) -> Obj:
        kept = self._discovered.get((group, version))
        if kept is not None and not fresh and kept[0] > self.clock.now():
            return kept[1]
        try:
            found = await self.api.resources(group, version)
        except errors.NotFound:
            found = {}
        except errors.ApiError as exc:
            raise TransientFinderError(str(exc)) from exc
        self._discovered[(group, version)] = (self.clock.now() + self.ttl, found)
        return found

    async def _mapping(self, group: str, version: str, kind: str) -> str:
        built_in = BUILT_IN.get((group, version))
        if built_in is not None:
            info = built_in.get(kind)
            resource = info.resource if info is not None else None
        else:
            resource = resource_for(await self._resource_list(group, version), kind)
        if resource is None:
            raise FinderError(f'no matches for kind "{kind}" in version "{_gv(group, version)}"')
        return resource

    async def _implements_scale(self, group: str, version: str, resource: str) -> bool:
        built_in = BUILT_IN.get((group, version))
        if built_in is not None:
            return any(i.resource == resource and "scale" in i.subresources for i in built_in.values())
        return implements_scale(await self._resource_list(group, version, fresh=True), resource)

    async def find(self, ref: Mapping[str, Any], namespace: str) -> Found | None:
        """The scale of the controller ``ref`` names, None if it is gone (FinderError as above)."""
        group, version = group_version(str(ref.get("apiVersion", "")))
        resource = await self._mapping(group, version, str(ref.get("kind", "")))
        not_scalable = f"{_gr(group, resource)} does not implement the scale subresource"
        if (group, version) in BUILT_IN and not await self._implements_scale(group, version, resource):
            raise FinderError(not_scalable)  # the GET would be a 404: skip it
        name = str(ref.get("name", ""))
        try:
            if not name:
                raise errors.NotFound("a controller reference without a name")
            scale = await self.api.scale(group, version, resource, namespace, name)
        except errors.NotFound:
            if not await self._implements_scale(group, version, resource):
                raise FinderError(not_scalable) from None
            return None
        except errors.ApiError as exc:
            raise TransientFinderError(str(exc)) from exc
        uid = str((scale.get("metadata") or {}).get("uid", ""))
        if uid != str(ref.get("uid", "")):
            return None
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        return Found(uid, replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else 0)
