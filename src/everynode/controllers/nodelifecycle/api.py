"""The writes (and the one uncached read) the node lifecycle controller makes, behind a small protocol.

Both writes are PUTs of a whole node carrying the ``resourceVersion`` it was decided on, so the server
refuses them (409 Conflict) if the node changed meanwhile. Unit tests substitute a recording fake.
"""

from __future__ import annotations

from typing import Protocol

from everynode.client.rest import RestClient
from everynode.core import resources as r
from everynode.core.types import Obj


class NodeApi(Protocol):
    async def get_node(self, name: str) -> Obj: ...

    async def update_node_status(self, node: Obj) -> Obj:
        """PUT ``nodes/<name>/status``: only the status is taken."""

    async def update_node(self, node: Obj) -> Obj:
        """PUT ``nodes/<name>``: the status is ignored."""


class RestNodeApi:
    def __init__(self, client: RestClient) -> None:
        self.nodes = client.resource(r.NODES)

    async def get_node(self, name: str) -> Obj:
        return await self.nodes.get(name)

    async def update_node_status(self, node: Obj) -> Obj:
        return await self.nodes.update_status(node)

    async def update_node(self, node: Obj) -> Obj:
        return await self.nodes.update(node)
