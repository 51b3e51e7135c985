"""The reads and writes pod GC makes, behind one small protocol (unit tests use an in-memory fake)."""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj


class PodGCApi(Protocol):
    async def get_node(self, name: str) -> Obj: ...

    async def patch_pod_status(self, namespace: str, name: str, patch: Obj) -> Obj:
        """A strategic merge patch of ``pods/<name>/status``."""

    async def delete_pod(self, namespace: str, name: str, uid: str) -> None:
        """DELETE with ``gracePeriodSeconds: 0`` and a uid precondition."""


class RestPodGCApi:
    def __init__(self, client: RestClient) -> None:
        self.nodes = client.resource(r.NODES)
        self.pods = client.resource(r.PODS)

    async def get_node(self, name: str) -> Obj:
        return await self.nodes.get(name)

    async def patch_pod_status(self, namespace: str, name: str, patch: Obj) -> Obj:
        return await self.pods.patch(name, patch, namespace, patch_type="strategic", subresource="status")

    async def delete_pod(self, namespace: str, name: str, uid: str) -> None:
        await self.pods.delete(name, namespace, grace_period_seconds=0, precondition_uid=uid)
