"""The writes (and the one uncached read) of the ReplicaSet controller, behind one small protocol.

Production uses ``RestReplicaSetApi`` over the REST client; unit tests substitute a recording fake,
as upstream's tests substitute a fake pod control and a fake clientset.
"""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj


class ReplicaSetApi(Protocol):
    async def get_replicaset(self, namespace: str, name: str) -> Obj: ...

    async def update_replicaset_status(self, rs: Obj) -> Obj:
        """PUT ``replicasets/<name>/status``."""

    async def create_pod(self, namespace: str, pod: Obj) -> Obj: ...

    async def delete_pod(self, namespace: str, name: str) -> None: ...

    async def patch_pod(self, namespace: str, name: str, patch: Obj) -> Obj:
        """A strategic-merge patch."""


class RestReplicaSetApi:
    def __init__(self, client: RestClient) -> None:
        self.replicasets = client.resource(r.REPLICASETS)
        self.pods = client.resource(r.PODS)

    async def get_replicaset(self, namespace: str, name: str) -> Obj:
        return await self.replicasets.get(name, namespace)

    async def update_replicaset_status(self, rs: Obj) -> Obj:
        return await self.replicasets.update_status(rs)

    async def create_pod(self, namespace: str, pod: Obj) -> Obj:
        return await self.pods.create(pod, namespace)

    async def delete_pod(self, namespace: str, name: str) -> None:
        await self.pods.delete(name, namespace)

    async def patch_pod(self, namespace: str, name: str, patch: Obj) -> Obj:
        return await self.pods.patch(name, patch, namespace, patch_type="strategic")
