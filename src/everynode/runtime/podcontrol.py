"""The pod writes every controller of pods makes (upstream ``PodControlInterface`` and ``RealPodControl``
in ``pkg/controller/controller_utils.go``): create a pod the controller built (its controller reference
already set), delete one, and patch one with a strategic merge (how ``runtime.claims`` adopts and
releases).

A controller's API protocol extends ``PodControl``; production mixes in ``RestPodControl`` over the
REST client, and unit tests substitute recording fakes, as upstream's tests use ``FakePodControl``.
"""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj


class PodControl(Protocol):
    async def create_pod(self, namespace: str, pod: Obj) -> Obj: ...

    async def delete_pod(self, namespace: str, name: str) -> None: ...

    async def patch_pod(self, namespace: str, name: str, patch: Obj) -> Obj:
        """A strategic-merge patch."""


class RestPodControl:
    def __init__(self, client: RestClient) -> None:
        self.pods = client.resource(r.PODS)

    async def create_pod(self, namespace: str, pod: Obj) -> Obj:
        return await self.pods.create(pod, namespace)

    async def delete_pod(self, namespace: str, name: str) -> None:
        await self.pods.delete(name, namespace)

    async def patch_pod(self, namespace: str, name: str, patch: Obj) -> Obj:
        return await self.pods.patch(name, patch, namespace, patch_type="strategic")
