"""The ServiceAccount controller: ``default`` in every active namespace, and nothing else."""

from __future__ import annotations

import pytest

from everynode.controllers.serviceaccount.controller import ServiceAccountsController, missing_accounts
from everynode.core import errors
from everynode.core.types import Obj
from tests.builders import namespace


class Store:
    def __init__(self, objects: dict[str, Obj]) -> None:
        self.objects = objects

    def get(self, key: str) -> Obj | None:
        return self.objects.get(key)


class Api:
    def __init__(self, fail: errors.ApiError | None = None) -> None:
        self.created: list[tuple[str, Obj]] = []
        self.fail = fail

    async def create_service_account(self, namespace: str, account: Obj) -> Obj:
        if self.fail is not None:
            raise self.fail
        self.created.append((namespace, account))
        return account


def terminating(name: str) -> Obj:
    ns = namespace(name)
    ns["status"] = {"phase": "Terminating"}
    return ns


def test_only_an_active_namespace_without_the_account_needs_one() -> None:
    assert missing_accounts(namespace("a"), set(), ("default",)) == ["default"]
    assert missing_accounts(namespace("a"), {"default"}, ("default",)) == []
    assert missing_accounts(None, set(), ("default",)) == []
    assert missing_accounts(terminating("a"), set(), ("default",)) == []
    deleting = namespace("a")
    deleting["metadata"]["deletionTimestamp"] = "2026-12-08T00:00:00Z"
    assert missing_accounts(deleting, set(), ("default",)) == []


async def test_a_namespace_without_default_gets_it_once() -> None:
    api = Api()
    accounts = Store({})
    controller = ServiceAccountsController(api, Store({"team": namespace("team")}), accounts)
    result = await controller.reconcile("team")
    assert result.error is None
    assert api.created == [
        ("team", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}})
    ]
    accounts.objects["team/default"] = {"metadata": {"name": "default", "namespace": "team"}}
    await controller.reconcile("team")
    assert len(api.created) == 1


@pytest.mark.parametrize(
    "failure", [errors.AlreadyExists("made"), errors.NotFound("gone"), errors.Forbidden("terminating")]
)
async def test_races_with_other_writers_and_namespace_deletion_are_done(failure: errors.ApiError) -> None:
    controller = ServiceAccountsController(Api(failure), Store({"team": namespace("team")}), Store({}))
    assert (await controller.reconcile("team")).error is None


async def test_other_failures_are_retried() -> None:
    failure = errors.ServiceUnavailable("down")
    controller = ServiceAccountsController(Api(failure), Store({"team": namespace("team")}), Store({}))
    assert (await controller.reconcile("team")).error is failure
