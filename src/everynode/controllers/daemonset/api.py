"""The writes (and the few uncached reads) the DaemonSet controller makes, behind one small protocol.

Pods go through ``runtime.podcontrol`` as every controller of pods writes them. Production uses
``RestDaemonSetApi`` over the REST client; unit tests substitute a recording fake, as upstream's tests
substitute a fake pod control.
"""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.runtime.podcontrol import PodControl, RestPodControl


class DaemonSetApi(PodControl, Protocol):
    async def get_daemonset(self, namespace: str, name: str) -> Obj: ...

    async def update_daemonset_status(self, ds: Obj) -> Obj: ...

    async def create_revision(self, namespace: str, revision: Obj) -> Obj: ...

    async def get_revision(self, namespace: str, name: str) -> Obj: ...

    async def update_revision(self, revision: Obj) -> Obj: ...

    async def patch_revision(self, namespace: str, name: str, patch: Obj) -> Obj:
        """A strategic-merge patch."""

    async def delete_revision(self, namespace: str, name: str) -> None: ...


class RestDaemonSetApi(RestPodControl):
    def __init__(self, client: RestClient) -> None:
        super().__init__(client)
        self.daemonsets = client.resource(r.DAEMONSETS)
        self.revisions = client.resource(r.CONTROLLER_REVISIONS)

    async def get_daemonset(self, namespace: str, name: str) -> Obj:
        return await self.daemonsets.get(name, namespace)

    async def update_daemonset_status(self, ds: Obj) -> Obj:
        return await self.daemonsets.update_status(ds)

    async def create_revision(self, namespace: str, revision: Obj) -> Obj:
        return await self.revisions.create(revision, namespace)

    async def get_revision(self, namespace: str, name: str) -> Obj:
        return await self.revisions.get(name, namespace)

    async def update_revision(self, revision: Obj) -> Obj:
        return await self.revisions.update(revision)

    async def patch_revision(self, namespace: str, name: str, patch: Obj) -> Obj:
        return await self.revisions.patch(name, patch, namespace, patch_type="strategic")

    async def delete_revision(self, namespace: str, name: str) -> None:
        await self.revisions.delete(name, namespace)
