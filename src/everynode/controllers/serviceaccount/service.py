"""The ServiceAccount controller wired to a live API server: namespace and ServiceAccount informers,
a queue of namespace names, and its workers."""

from __future__ import annotations

from everynode.client.rest import RestClient
from everynode.controllers.serviceaccount.controller import ServiceAccountsController
from everynode.core import resources as r
from everynode.core.clock import Clock
from everynode.core.types import Obj
from everynode.runtime.manager import Manager, Workers
from everynode.workqueue.delaying import RateLimitingQueue
from everynode.workqueue.ratelimiters import default_controller_rate_limiter

WORKERS = 1  # upstream's --concurrent-serviceaccount-token-syncs default is 5; one is plenty here


class RestServiceAccountApi:
    def __init__(self, client: RestClient) -> None:
        self.accounts = client.resource(r.SERVICE_ACCOUNTS)

    async def create_service_account(self, namespace: str, account: Obj) -> Obj:
        return await self.accounts.create(account, namespace)


class ServiceAccountService:
    def __init__(self, client: RestClient, manager: Manager, *, workers: int = WORKERS) -> None:
        clock: Clock = manager.clock
        namespaces = manager.informers.informer(r.NAMESPACES)
        accounts = manager.informers.informer(r.SERVICE_ACCOUNTS)
        self.queue: RateLimitingQueue[str] = RateLimitingQueue(clock, default_controller_rate_limiter(clock))
        self.controller = ServiceAccountsController(
            RestServiceAccountApi(client), namespaces.store, accounts.store
        )
        namespaces.add_handlers(self._namespace, lambda old, new: self._namespace(new), lambda ns: None)
        accounts.add_handlers(lambda sa: None, lambda old, new: None, self._account_deleted)
        manager.add(
            Workers("serviceaccount", self.queue, self.controller.reconcile, workers),
            needs=(namespaces, accounts),
        )

    def _namespace(self, namespace: Obj) -> None:
        self.queue.add(str(namespace["metadata"]["name"]))

    def _account_deleted(self, account: Obj) -> None:
        if account["metadata"].get("name") in self.controller.accounts:
            self.queue.add(str(account["metadata"].get("namespace", "")))
