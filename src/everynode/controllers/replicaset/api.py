"""The writes (and the one uncached read) of the ReplicaSet controller, behind one small protocol.

Pods go through ``runtime.podcontrol`` as every controller of pods writes them. Production uses
``RestReplicaSetApi`` over the REST client; unit tests substitute a recording fake, as upstream's tests
substitute a fake pod control and a fake clientset.
"""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj
from everynode.runtime.podcontrol import PodControl, RestPodControl


class ReplicaSetApi(PodControl, Protocol):
    async def get_replicaset(self, namespace: str, name: str) -> Obj: ...

    async def update_replicaset_status(self, rs: Obj) -> Obj:
        """PUT ``replicasets/<name>/status``."""


class RestReplicaSetApi(RestPodControl):
    def __init__(self, client: RestClient) -> None:
        super().__init__(client)
        self.replicasets = client.resource(r.REPLICASETS)

    async def get_replicaset(self, namespace: str, name: str) -> Obj:
        return await self.replicasets.get(name, namespace)

    async def update_replicaset_status(self, rs: Obj) -> Obj:
        return await self.replicasets.update_status(rs)
