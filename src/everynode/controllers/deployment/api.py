"""The writes (and the one uncached read) the Deployment controller makes, behind a small protocol.

Production uses ``RestDeploymentApi`` over the REST client; unit tests substitute an in-memory fake that
records the calls, as upstream's tests use a fake clientset.
"""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj


class DeploymentApi(Protocol):
    async def get_deployment(self, namespace: str, name: str) -> Obj: ...

    async def update_deployment(self, deployment: Obj) -> Obj: ...

    async def update_deployment_status(self, deployment: Obj) -> Obj: ...

    async def set_deployment_annotations(self, namespace: str, name: str, annotations: dict[str, str]) -> Obj:
        """A JSON merge patch of ``metadata.annotations`` (only the keys given)."""

    async def create_replicaset(self, namespace: str, rs: Obj) -> Obj: ...

    async def update_replicaset(self, rs: Obj) -> Obj: ...

    async def patch_replicaset(self, namespace: str, name: str, patch: Obj) -> Obj:
        """A strategic-merge patch."""

    async def delete_replicaset(self, namespace: str, name: str) -> None: ...


class RestDeploymentApi:
    def __init__(self, client: RestClient) -> None:
        self.deployments = client.resource(r.DEPLOYMENTS)
        self.replicasets = client.resource(r.REPLICASETS)

    async def get_deployment(self, namespace: str, name: str) -> Obj:
        return await self.deployments.get(name, namespace)

    async def update_deployment(self, deployment: Obj) -> Obj:
        return await self.deployments.update(deployment)

    async def update_deployment_status(self, deployment: Obj) -> Obj:
        return await self.deployments.update_status(deployment)

    async def set_deployment_annotations(self, namespace: str, name: str, annotations: dict[str, str]) -> Obj:
        return await self.deployments.patch(name, {"metadata": {"annotations": annotations}}, namespace)

    async def create_replicaset(self, namespace: str, rs: Obj) -> Obj:
        return await self.replicasets.create(rs, namespace)

    async def update_replicaset(self, rs: Obj) -> Obj:
        return await self.replicasets.update(rs)

    async def patch_replicaset(self, namespace: str, name: str, patch: Obj) -> Obj:
        return await self.replicasets.patch(name, patch, namespace, patch_type="strategic")

    async def delete_replicaset(self, namespace: str, name: str) -> None:
        await self.replicasets.delete(name, namespace)
