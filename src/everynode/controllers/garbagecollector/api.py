"""The reads and writes the garbage collector makes, on any served resource, behind one small protocol.

Production uses ``RestGarbageCollectorApi``; unit tests substitute an in-memory fake. Errors are the
``core.errors`` classes (NotFound, Conflict, …) whichever implementation raises them.
"""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import ResourceClient, RestClient
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj


class GarbageCollectorApi(Protocol):
    async def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj: ...

    async def delete(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        *,
        uid: str,
        resource_version: str | None,
        propagation_policy: str,
    ) -> None:
        """DELETE with preconditions (uid always; resourceVersion when given)."""

    async def patch(
        self, info: ResourceInfo, namespace: str | None, name: str, patch: Obj, *, patch_type: str
    ) -> Obj:
        """``patch_type``: ``strategic`` or ``merge``."""


class RestGarbageCollectorApi:
    def __init__(self, client: RestClient) -> None:
        self.client = client
        self._resources: dict[str, ResourceClient] = {}

    def _resource(self, info: ResourceInfo) -> ResourceClient:
        found = self._resources.get(info.qualified)
        if found is None:
            found = self._resources[info.qualified] = self.client.resource(info)
        return found

    async def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj:
        return await self._resource(info).get(name, namespace)

    async def delete(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        *,
        uid: str,
        resource_version: str | None,
        propagation_policy: str,
    ) -> None:
        await self._resource(info).delete(
            name,
            namespace,
            propagation_policy=propagation_policy,
            precondition_uid=uid,
            precondition_resource_version=resource_version,
        )

    async def patch(
        self, info: ResourceInfo, namespace: str | None, name: str, patch: Obj, *, patch_type: str
    ) -> Obj:
        return await self._resource(info).patch(name, patch, namespace, patch_type=patch_type)
