"""Upstream's ServiceAccountsController (``pkg/controller/serviceaccount``): every active namespace
holds the ServiceAccounts named in ``accounts`` (upstream: ``default``), recreated if deleted.

``reconcile(namespace)`` reads the caches and creates what is missing. A namespace that is gone or
terminating needs nothing (upstream skips it too); a create that races another writer
(AlreadyExists) or the namespace's deletion (NotFound, Forbidden) is done; any other failure is
retried with backoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from everynode.core import errors
from everynode.core.types import Obj
from everynode.runtime.result import DONE, Result, failed

DEFAULT_ACCOUNTS = ("default",)


class Store(Protocol):
    def get(self, key: str) -> Obj | None: ...


class ServiceAccountApi(Protocol):
    async def create_service_account(self, namespace: str, account: Obj) -> Obj: ...


def missing_accounts(
    namespace: Mapping[str, Any] | None, present: set[str], accounts: tuple[str, ...]
) -> list[str]:
    """The accounts to create in ``namespace``: none unless it exists and is Active."""
    if namespace is None or (namespace.get("status") or {}).get("phase") == "Terminating":
        return []
    if (namespace.get("metadata") or {}).get("deletionTimestamp"):
        return []
    return [name for name in accounts if name not in present]


class ServiceAccountsController:
    def __init__(
        self,
        api: ServiceAccountApi,
        namespaces: Store,
        accounts_store: Store,
        *,
        accounts: tuple[str, ...] = DEFAULT_ACCOUNTS,
    ) -> None:
        self.api = api
        self.namespaces = namespaces
        self.accounts_store = accounts_store
        self.accounts = accounts

    async def reconcile(self, namespace: str) -> Result:
        present = {name for name in self.accounts if self.accounts_store.get(f"{namespace}/{name}")}
        for name in missing_accounts(self.namespaces.get(namespace), present, self.accounts):
            account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}
            try:
                await self.api.create_service_account(namespace, account)
            except (errors.AlreadyExists, errors.NotFound, errors.Forbidden):
                continue
            except errors.ApiError as exc:
                return failed(exc)
        return DONE
